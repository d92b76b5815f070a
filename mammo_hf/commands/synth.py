"""`mammo-hf synth`: write synthetic phantom exams (both breasts x CC + MLO per patient) as MG DICOMs and/or 16-bit
PNGs, plus a labels.csv with anonymised ids. The headers carry obviously fake PHI (tokens `PHI-`, `QZX`) so that
PHI stripping can be verified on every downstream output.
"""

from __future__ import annotations

import argparse
import re

from . import CommandError

__all__ = ["register", "run"]

_EPILOG = """examples:
  mammo-hf synth --out data/synthetic --patients 32 --seed 0
  mammo-hf synth --out /tmp/phantoms --patients 4 --size 3328x2560 --format both --no-compression
"""


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX,]\s*(\d+)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected HxW such as 1024x832, got {text!r}")
    h, w = int(match.group(1)), int(match.group(2))
    if h < 64 or w < 64:
        raise argparse.ArgumentTypeError(f"image size must be at least 64x64, got {h}x{w}")
    return h, w


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "synth",
        help="Write synthetic phantom mammography exams (DICOM/PNG) with labels.csv.",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", required=True, help="Output folder (created); gets images/<patient>/... and labels.csv.")
    p.add_argument("--patients", type=int, default=8, help="Number of synthetic patients, 4 images each (default 8).")
    p.add_argument("--seed", type=int, default=0, help="Seed: the same seed writes identical files (default 0).")
    p.add_argument(
        "--size", type=_size, default=(1024, 832), help="Image size HxW, e.g. 1024x832 (default) or 3328x2560."
    )
    p.add_argument(
        "--format",
        choices=("dicom", "png", "both"),
        default="dicom",
        help="dicom: MG DICOMs with fake PHI; png: 16-bit PNGs; both: each image in both formats (default dicom).",
    )
    p.add_argument(
        "--no-compression",
        action="store_true",
        help="Write every DICOM uncompressed (no RLE / JPEG 2000 lossless).",
    )
    p.add_argument(
        "--no-mix",
        action="store_true",
        help="One plain encoding for all files (MONOCHROME2, 12-bit, explicit VR, linear window) instead of a "
        "mix of vendors, photometrics, bit depths and VOI tags.",
    )
    p.add_argument(
        "--cancer-rate",
        type=_rate,
        default=0.3,
        help="Fraction of patients with a malignant lesion in one breast, 0..1 (default 0.3).",
    )
    p.add_argument(
        "--benign-rate",
        type=_rate,
        default=0.2,
        help="Probability that any other breast has a benign finding, 0..1 (default 0.2).",
    )
    p.add_argument("--quiet", action="store_true", help="No progress bar.")
    p.add_argument(
        "--layout",
        default=None,
        help="Write a raw download in the layout of a dataset builder (rsna, vindr_mammo, cbis_ddsm, cmmd, inbreast, "
        "kau_bcmd, mammosightr, atlas, pooled) instead of plain exams; --size and --seed apply.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..imaging.synthetic import generate_exams

    if args.patients < 1:
        raise CommandError(f"--patients must be >= 1, got {args.patients}")
    if args.layout:
        from ..imaging.synthetic.layouts import write_layout

        try:
            res = write_layout(args.layout, args.out, patients=args.patients, image_size=args.size, seed=args.seed)
        except ValueError as err:
            raise CommandError(str(err)) from None
        print(
            f"wrote a synthetic {res.layout} download to {res.path}: {res.expected['pairs']} CC+MLO breasts, "
            f"{res.expected['single_view']} single-view breasts"
        )
        return 0
    manifest = generate_exams(
        args.out,
        num_patients=args.patients,
        seed=args.seed,
        image_size=args.size,
        formats=args.format,
        mixed=not args.no_mix,
        compression=not args.no_compression,
        cancer_rate=args.cancer_rate,
        benign_rate=args.benign_rate,
        progress=False if args.quiet else None,
    )
    print(manifest.summary())
    return 0
