"""`mammo-hf quickstart`: the main job, end to end, on the embedded synthetic default data."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run"]


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected HxW such as 832x640, got {text!r}") from err
    if height < 32 or width < 32:
        raise argparse.ArgumentTypeError("sizes must be at least 32x32")
    return height, width


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quickstart",
        help="Run the whole pipeline on built-in synthetic mammograms (no downloads).",
        description=(
            "Generate synthetic PHI-laden DICOM exams, read and preprocess them (crop, canonical flip, dual-view "
            "processor), and write preview.png, summary.json and skipped.csv into the output directory."
        ),
    )
    parser.add_argument("--output-dir", type=Path, default=Path("quickstart_output"), help="Where to write outputs.")
    parser.add_argument("--patients", type=int, default=12, help="Synthetic patients (4 images each).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic data (same seed, same files).")
    parser.add_argument("--image-size", type=_size, default=(832, 640), help="Synthetic acquisition size HxW.")
    parser.add_argument("--model-size", type=_size, default=(256, 128), help="Processed size HxW of each view.")
    parser.add_argument(
        "--preset",
        default="mammo_efficientnet",
        choices=["mammo_clip", "mam_clip", "mammo_efficientnet"],
        help="MammoImageProcessor family preset (normalisation and resampling of that model family).",
    )
    parser.add_argument("--preview", type=int, default=4, help="Breasts shown in preview.png.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..quickstart import QuickstartConfig, run_quickstart
    from . import CommandError

    if args.patients < 1:
        raise CommandError("--patients must be at least 1")
    config = QuickstartConfig(
        output_dir=args.output_dir,
        patients=args.patients,
        seed=args.seed,
        image_size=args.image_size,
        preset=args.preset,
        model_size=args.model_size,
        preview=args.preview,
    )
    result = run_quickstart(config)
    print(f"\nquickstart finished in {result.output_dir}")
    for name, stage in result.summary["stages"].items():
        details = ", ".join(f"{k}={v}" for k, v in stage.items() if k != "seconds" and not isinstance(v, dict))
        print(f"  {name:<8} {stage['seconds']:>7.1f} s  {details}")
    for name, path in result.files.items():
        print(f"  {name:<8} {path}")
    return 0
