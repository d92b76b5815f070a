"""`mammo-hf build`: convert your own download of a public mammography dataset into the unified `datasets` schema.

Datasets 5 has no loading scripts, so the builders are local converters: they read the label files and images of
the download you made (after accepting the dataset's terms), and write a `DatasetDict` that `datasets.load_from_disk`
opens (and `mammo-hf push-dataset` publishes). Interrupted builds resume; `--num-proc` decodes in parallel.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys

from . import CommandError

__all__ = ["register", "run"]

_EPILOG = """examples:
  mammo-hf build cbis_ddsm --raw-dir ~/data/CBIS-DDSM --output-dir data/cbis --image-size 1520x912 --num-proc 8
  mammo-hf build vindr_mammo --raw-dir ~/physionet/vindr-mammo/1.0.0 --output-dir data/vindr
  mammo-hf build pooled --raw-root ~/data/mammo --output-dir data/pooled --seed 0
  mammo-hf build atlas --raw-dir my_atlas_pairs/ --output-dir data/atlas
"""


def _size(text: str):
    m = re.fullmatch(r"\s*(\d+)\s*(?:[xX,]\s*(\d+))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected HxW (e.g. 1520x912) or a longest side (e.g. 2048), got {text!r}")
    h, w = int(m.group(1)), m.group(2)
    if h < 16 or (w is not None and int(w) < 16):
        raise argparse.ArgumentTypeError(f"image size must be at least 16 pixels, got {text!r}")
    return (h, int(w)) if w is not None else h


def _fractions(text: str):
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected three comma-separated fractions, got {text!r}") from None
    if len(parts) != 3 or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise argparse.ArgumentTypeError(f"expected train,validation,test fractions summing to 1, got {text!r}")
    return parts


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..data.builders import BUILDERS

    p = subparsers.add_parser(
        "build",
        help="Convert a raw dataset download into the unified breast-level datasets schema.",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=list(BUILDERS), help="Builder name.")
    p.add_argument(
        "--raw-dir",
        "--raw-root",
        dest="raw_dir",
        required=True,
        help="Your download (for `pooled`: the folder with one sub-folder per dataset).",
    )
    p.add_argument("--output-dir", required=True, help="Output folder (written atomically; must not exist).")
    p.add_argument(
        "--image-size",
        type=_size,
        default=None,
        help="Resize every view: HxW (e.g. 1520x912) or the longest side (e.g. 2048). Default: keep.",
    )
    p.add_argument("--no-crop", action="store_true", help="Keep the full image instead of the breast crop.")
    p.add_argument(
        "--voi",
        choices=("auto", "none", "window", "sigmoid"),
        default="auto",
        help="DICOM VOI transform applied when decoding (default auto).",
    )
    p.add_argument("--num-proc", type=int, default=1, help="Worker processes decoding shards (default 1).")
    p.add_argument("--seed", type=int, default=0, help="Patient-level split seed (default 0).")
    p.add_argument(
        "--split-fractions",
        type=_fractions,
        default=None,
        help="train,validation,test fractions for patients without an official split (default 0.8,0.1,0.1).",
    )
    p.add_argument("--shard-size", type=int, default=16, help="Breasts per shard: unit of resume/parallelism (16).")
    p.add_argument(
        "--strict",
        action="store_true",
        help="Fail on any problem skip (missing/corrupt image, unknown label, duplicate id).",
    )
    p.add_argument("--overwrite", action="store_true", help="Replace an existing output folder.")
    p.add_argument("--allow-missing", action="store_true", help="pooled: build from the dataset folders present.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.build import BuildConfig, BuildError, build_dataset
    from ..data.builders import get_builder
    from ..data.labels import UnknownLabelError

    if args.num_proc < 1 or args.shard_size < 1:
        raise CommandError("--num-proc and --shard-size must be >= 1")
    builder = (
        get_builder(args.name, allow_missing=True)
        if args.name == "pooled" and args.allow_missing
        else get_builder(args.name)
    )
    config = BuildConfig(
        image_size=args.image_size,
        crop=not args.no_crop,
        voi=args.voi,
        seed=args.seed,
        fractions=args.split_fractions,
        shard_size=args.shard_size,
        num_proc=args.num_proc,
        strict=args.strict,
        overwrite=args.overwrite,
    )
    command = "mammo-hf " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["build"] else None
    try:
        report = build_dataset(builder, args.raw_dir, args.output_dir, config, command=command)
    except (BuildError, UnknownLabelError) as err:
        raise CommandError(str(err)) from None
    print(f"wrote {args.output_dir}: {report.rows} in {report.seconds:.1f}s ({report.breasts_per_second:.2f} rows/s)")
    if report.skipped:
        print(f"not used (see {args.output_dir}/skipped.csv): {report.skipped}")
    return 0
