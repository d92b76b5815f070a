"""`mammo-hf quickstart`: the main job, end to end, on the embedded synthetic default data."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "run"]

_STAGES = ("synth", "build", "pixels", "train", "evaluate", "save")


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected HxW such as 416x320, got {text!r}") from err
    if height < 32 or width < 32:
        raise argparse.ArgumentTypeError("sizes must be at least 32x32")
    return height, width


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quickstart",
        help="Run the whole pipeline on built-in synthetic mammograms (no downloads).",
        description=(
            "Synthetic RSNA-layout DICOMs (fake PHI in every header) -> `mammo-hf build rsna` (16-bit breast-level "
            "dataset, patient splits) -> dual-view MammoImageProcessor -> train a small timm classifier with "
            "transformers.Trainer -> evaluate on the test split (bootstrap CIs, plots) -> save_pretrained and "
            "reload with AutoModelForImageClassification (bit-identical logits). Writes summary.json, preview.png, "
            "dataset/, evaluation/ and model/ into --output-dir. A few minutes on a laptop CPU."
        ),
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("quickstart_output"),
        help="Where to write outputs (a previous quickstart output there is replaced; any other non-empty folder "
        "is refused).",
    )
    parser.add_argument("--patients", type=int, default=80, help="Synthetic patients (2 breasts, 4+ images each).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the data, the splits and training.")
    parser.add_argument("--image-size", type=_size, default=(416, 320), help="Synthetic acquisition size HxW.")
    parser.add_argument("--model-size", type=_size, default=(160, 96), help="Model input size HxW of each view.")
    parser.add_argument(
        "--backbone",
        default="efficientnet_b0",
        help="timm backbone of the classifier (the seed paper's baseline is efficientnet_b4: slower on a CPU).",
    )
    parser.add_argument("--epochs", type=float, default=4.0, help="Training epochs.")
    parser.add_argument("--batch-size", type=int, default=8, help="Breasts per training/inference batch.")
    parser.add_argument("--bootstrap", type=int, default=500, help="Patient-level bootstrap resamples for CIs.")
    parser.add_argument("--preview", type=int, default=4, help="Breasts shown in preview.png (0: no preview).")
    parser.add_argument("--stop-after", choices=_STAGES, default="save", help="Last stage to run.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..quickstart import QuickstartConfig, run_quickstart
    from . import CommandError

    if args.patients < 4:
        raise CommandError("--patients must be at least 4 (the splits need patients in train and test)")
    if args.batch_size < 1 or args.epochs <= 0:
        raise CommandError("--batch-size must be >= 1 and --epochs > 0")
    config = QuickstartConfig(
        output_dir=args.output_dir,
        patients=args.patients,
        seed=args.seed,
        image_size=args.image_size,
        model_size=args.model_size,
        backbone=args.backbone,
        epochs=args.epochs,
        batch_size=args.batch_size,
        bootstrap=args.bootstrap,
        preview=args.preview,
        stop_after=args.stop_after,
    )
    try:
        result = run_quickstart(config)
    except FileExistsError as err:
        raise CommandError(str(err)) from err
    print(f"\nquickstart finished in {result.output_dir}")
    for name, stage in result.summary["stages"].items():
        details = ", ".join(
            f"{k}={v}" for k, v in stage.items() if k not in ("seconds", "files") and not isinstance(v, (dict, list))
        )
        print(f"  {name:<9}{stage['seconds']:>7.1f} s  {details}")
    for name, path in result.files.items():
        print(f"  {name:<9}{path}")
    print("Synthetic data and a seconds-trained model: the metrics prove the pipeline runs, not clinical value.")
    return 0
