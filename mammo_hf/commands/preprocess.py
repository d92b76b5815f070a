"""`mammo-hf preprocess`: DICOM/PNG/TIFF/JPEG folders → cropped, canonically flipped, resized 16-bit PNGs.

Example:
    mammo-hf preprocess --input dicoms/ --output-dir pngs/ --size 1520x912 --num-proc 2
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from . import CommandError

__all__ = ["register", "run", "parse_size"]


def parse_size(text: str) -> tuple[int, int]:
    """Parse `"HxW"` (e.g. `1520x912`) into `(height, width)`.

    Example:
        >>> parse_size("1520x912")
        (1520, 912)
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX×,]\s*(\d+)\s*", text)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 1520x912, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preprocess",
        help="Convert mammograms (DICOM/PNG/TIFF/JPEG) into cropped, flipped, resized 16-bit PNGs + manifest.",
        description=(
            "Read every image under --input (recursively; content is sniffed, extensions do not matter), apply the "
            "DICOM pipeline (rescale -> VOI -> MONOCHROME1 inversion), crop to the breast, flip so the chest wall is "
            "on one side, resize, and write 16-bit PNGs plus manifest.csv (non-identifying metadata) and "
            "skipped.csv (file, reason, message). Unreadable files are listed, never silently dropped."
        ),
    )
    parser.add_argument(
        "--input", "-i", nargs="+", required=True, metavar="DIR_OR_FILE", help="Input files and/or folders."
    )
    parser.add_argument("--output-dir", "-o", required=True, help="Folder for the PNGs, manifest.csv and skipped.csv.")
    parser.add_argument(
        "--size",
        type=parse_size,
        default=None,
        metavar="HxW",
        help="Output size HEIGHTxWIDTH, e.g. 1520x912 (Mammo-CLIP) or 1024x768 (MAM-CLIP). Default: keep the size.",
    )
    parser.add_argument(
        "--voi",
        choices=["auto", "none", "window", "sigmoid"],
        default="auto",
        help="DICOM VOI transform: auto = VOI LUT, else window tags, else none; window/sigmoid force that function "
        "(files without window tags are skipped); none = per-image min-max. Default: auto.",
    )
    parser.add_argument(
        "--crop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Crop to the breast (Otsu threshold + largest connected component). Default: --crop.",
    )
    parser.add_argument(
        "--margin", type=float, default=0.01, help="Crop margin as a fraction of the image size. Default: 0.01."
    )
    parser.add_argument(
        "--side",
        choices=["L", "R", "none"],
        default="L",
        help="Flip so the chest wall is on this image side (L: breast pointing right); none = never flip. Default: L.",
    )
    parser.add_argument(
        "--resample",
        default="bilinear",
        choices=["bilinear", "bicubic", "area", "lanczos", "nearest"],
        help="Resize filter (area = box average, like cv2.INTER_AREA). Default: bilinear.",
    )
    parser.add_argument(
        "--num-proc", type=int, default=1, help="Worker processes (1 = in the main process). Default: 1."
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="Seconds allowed per file before it is skipped. Default: 120."
    )
    parser.add_argument(
        "--strict", action="store_true", help="Exit with code 1 if any file was skipped (default: exit 0)."
    )
    parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..imaging.batch import PreprocessOptions, preprocess_files

    if args.num_proc < 1:
        raise CommandError(f"--num-proc must be >= 1, got {args.num_proc}")
    if args.margin < 0 or args.margin >= 0.5:
        raise CommandError(f"--margin must be in [0, 0.5), got {args.margin}")
    for item in args.input:
        if not os.path.exists(item):
            raise CommandError(f"input not found: {item}")
    options = PreprocessOptions(
        size=args.size,
        voi=args.voi,
        crop=args.crop,
        margin=args.margin,
        side=None if args.side == "none" else args.side,
        resample=args.resample,
        timeout=args.timeout,
    )
    report = preprocess_files(
        args.input, args.output_dir, options, num_proc=args.num_proc, progress=not args.no_progress
    )
    if report.total == 0:
        raise CommandError(f"no candidate image files found under {', '.join(args.input)}")
    print(report.summary())
    print(f"manifest: {report.manifest_path}", file=sys.stdout)
    return 1 if args.strict and report.skipped else 0
