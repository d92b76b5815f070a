"""`mammo-hf compare`: the seed paper's comparison table (model × strategy → precision, recall, F1, ROC-AUC with CIs)
from `mammo-hf evaluate` runs, with the papers' published figures beside ours for reference, as Markdown and PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import CommandError

__all__ = ["register", "run"]

_EPILOG = """examples:
  mammo-hf compare eval/effnet-b4-test eval/mammo-clip-lp-test --output-dir eval/comparison
  mammo-hf compare eval/*/metrics.json --metrics precision,recall,f1,roc_auc,pr_auc --no-paper
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="Render evaluate runs as the paper's comparison table (Markdown + PNG), published figures alongside.",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", nargs="*", help="Run folders of `mammo-hf evaluate` or their metrics.json files.")
    p.add_argument(
        "--labels",
        default=None,
        help="Comma-separated display names, one per run (default: each run's --run-name or model folder).",
    )
    p.add_argument(
        "--metrics",
        default="precision,recall,f1,roc_auc",
        help="Comma-separated metric columns (default: precision,recall,f1,roc_auc, the paper's table).",
    )
    p.add_argument("--output-dir", default=None, help="Write comparison.md, comparison.png and comparison.json here.")
    p.add_argument("--no-paper", action="store_true", help="Leave out the published figures.")
    p.add_argument("--title", default="Dual-view malignancy classification", help="Title of the PNG chart.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluation.report import comparison_markdown, comparison_rows, write_comparison

    if not args.runs and args.no_paper:
        raise CommandError("nothing to compare: give run folders (or drop --no-paper to see the published figures)")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not metrics:
        raise CommandError("--metrics is empty")
    labels = [s.strip() for s in args.labels.split(",")] if args.labels else None
    try:
        rows = comparison_rows(args.runs, metrics=metrics, include_paper=not args.no_paper, labels=labels)
    except ValueError as err:
        raise CommandError(str(err)) from None
    print(comparison_markdown(rows, metrics), end="")
    if args.output_dir:
        written = write_comparison(rows, Path(args.output_dir), metrics, title=args.title)
        print(f"\nwrote {', '.join(p.name for p in written.values())} to {Path(args.output_dir)}")
    return 0
