"""`mammo-hf evaluate`: score a classifier on a dataset split (or re-score saved predictions) and write a report.

Writes into `--output-dir`: `metrics.json` (values, patient-level bootstrap CIs, the threshold used and candidate
thresholds for reuse), `predictions.parquet` (one row per breast) and PNG plots (ROC, PR, reliability, confusion
matrix).
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from . import CommandError

__all__ = ["register", "run"]

_EPILOG = """examples:
  mammo-hf evaluate --model runs/effnet-b4 --dataset data/vindr --split test --bootstrap 2000
  mammo-hf evaluate --model runs/effnet-b4 --dataset data/vindr --split val --threshold youden --output-dir eval/val
  mammo-hf evaluate --model runs/effnet-b4 --dataset data/vindr --split test --threshold eval/val/metrics.json
  mammo-hf evaluate --predictions vlm_run/predictions.parquet --run-name SmolVLM --strategy SFT
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="Evaluate a classifier on a dataset split: metrics with bootstrap CIs, predictions, plots.",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("what to evaluate (either --model and --dataset, or --predictions)")
    src.add_argument("--model", help="Model folder or Hub repo (AutoModelForImageClassification + image processor).")
    src.add_argument("--dataset", help="Unified dataset: a save_to_disk folder, a data folder or a Hub repo id.")
    src.add_argument("--split", default="test", help="Dataset split to evaluate (default: test).")
    src.add_argument(
        "--predictions",
        help="Evaluate an existing predictions.parquet (e.g. from a VLM run) instead of running a model.",
    )
    p.add_argument(
        "--task",
        default=None,
        help="Label policy: malignancy (binary), birads3, density, ... (default: malignancy; with --predictions, "
        "the task stored in the file).",
    )
    p.add_argument("--batch-size", type=int, default=8, help="Breasts per forward pass (default: 8).")
    p.add_argument("--max-samples", type=int, default=None, help="Evaluate only the first N labelled breasts.")
    p.add_argument(
        "--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:1, ... (default: auto)."
    )
    p.add_argument("--trust-remote-code", action="store_true", help="Allow custom code from a Hub model repo.")
    p.add_argument("--output-dir", default=None, help="Where to write the report (default: eval/<model>-<split>).")
    p.add_argument("--bootstrap", type=int, default=1000, help="Patient-level bootstrap resamples; 0 disables CIs.")
    p.add_argument("--seed", type=int, default=0, help="Bootstrap seed (default: 0).")
    p.add_argument("--confidence", type=float, default=0.95, help="Confidence level of the intervals (default: 0.95).")
    p.add_argument(
        "--threshold",
        default="0.5",
        help="Decision threshold for precision/recall/F1: a number, youden, max_f1, sensitivity:0.9, "
        "specificity:0.9, or a metrics.json (or run folder) whose threshold to reuse (default: 0.5).",
    )
    p.add_argument("--level", choices=("breast", "exam"), default="breast", help="Level of the primary metrics.")
    p.add_argument(
        "--aggregation",
        choices=("mean", "max"),
        default=None,
        help="Score aggregation when going up a level (default: mean of views, max of breasts).",
    )
    p.add_argument("--run-name", default=None, help="Model name shown by `mammo-hf compare` (default: model folder).")
    p.add_argument("--strategy", default=None, help="Strategy shown by `mammo-hf compare`, e.g. LP, SFT, supervised.")
    p.add_argument("--no-plots", action="store_true", help="Do not write PNG plots.")
    p.add_argument("--quiet", action="store_true", help="No progress bar.")
    p.set_defaults(func=run)


def _default_output_dir(args: argparse.Namespace) -> Path:
    base = args.run_name or Path(str(args.model or args.predictions)).name.replace(".parquet", "") or "run"
    return Path("eval") / re.sub(r"[^A-Za-z0-9._-]+", "-", f"{base}-{args.split}")


def run(args: argparse.Namespace) -> int:
    import warnings

    from ..evaluation.metrics import MetricWarning
    from ..evaluation.report import evaluate_predictions, parse_threshold, write_evaluation
    from ..evaluation.scores import PredictionTable

    if args.predictions and (args.model or args.dataset):
        raise CommandError("give either --predictions or --model and --dataset, not both")
    if not args.predictions and not (args.model and args.dataset):
        raise CommandError("--model and --dataset are required (or --predictions to re-score saved predictions)")
    if args.batch_size < 1:
        raise CommandError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.bootstrap < 0:
        raise CommandError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if args.max_samples is not None and args.max_samples < 1:
        raise CommandError(f"--max-samples must be >= 1, got {args.max_samples}")
    if not 0.0 < args.confidence < 1.0:
        raise CommandError(f"--confidence must be in (0, 1), got {args.confidence}")
    try:
        threshold = parse_threshold(args.threshold)
    except ValueError as err:
        raise CommandError(str(err)) from None
    output_dir = Path(args.output_dir) if args.output_dir else _default_output_dir(args)

    skipped: dict[str, int] = {}
    if args.predictions:
        try:
            table = PredictionTable.read_parquet(args.predictions)
        except (OSError, ValueError) as err:
            raise CommandError(f"cannot read predictions {args.predictions}: {err}") from None
        if args.task and table.task != args.task:
            raise CommandError(f"{args.predictions} holds task {table.task!r}, not {args.task!r}")
        table.info.setdefault("predictions", str(args.predictions))
    else:
        from ..evaluation.inference import get_task, load_eval_dataset, load_model_and_processor, predict_dataset

        try:
            task = get_task(args.task or "malignancy")
            dataset = load_eval_dataset(args.dataset, args.split)
        except ValueError as err:
            raise CommandError(str(err)) from None
        model, processor = load_model_and_processor(args.model, args.device, args.trust_remote_code)
        info = {
            "model": str(args.model),
            "model_type": getattr(model.config, "model_type", None),
            "dataset": str(args.dataset),
            "split": args.split,
        }
        try:
            table, skipped = predict_dataset(
                model,
                processor,
                dataset,
                task=task,
                batch_size=args.batch_size,
                max_samples=args.max_samples,
                progress=not args.quiet,
                info=info,
            )
        except ValueError as err:
            raise CommandError(str(err)) from None
    table.info.update({k: v for k, v in (("run_name", args.run_name), ("strategy", args.strategy)) if v})
    table.info.setdefault("split", args.split)
    table.info["skipped"] = skipped
    if len(table) == 0:
        raise CommandError(f"nothing to evaluate: 0 breasts scored (skipped: {skipped or 'none'})")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MetricWarning)
        try:
            result = evaluate_predictions(
                table,
                threshold=threshold,
                level=args.level,
                aggregation=args.aggregation,
                n_bootstrap=args.bootstrap,
                seed=args.seed,
                confidence=args.confidence,
            )
        except ValueError as err:
            raise CommandError(str(err)) from None
    written = write_evaluation(table, result, output_dir, plots=not args.no_plots)
    for w in caught:
        print(f"warning: {w.message}")
    _print_summary(result, skipped, written)
    return 0


def _print_summary(result: dict, skipped: dict[str, int], written: dict) -> None:
    keys = (
        (
            "roc_auc",
            "pr_auc",
            "f1",
            "precision",
            "recall",
            "specificity",
            "sensitivity_at_specificity_90",
            "pf1",
            "ece",
        )
        if result["kind"] == "binary"
        else ("macro_f1", "balanced_accuracy", "accuracy", "kappa_quadratic", "roc_auc_ovr")
    )
    conf = result["bootstrap"]["confidence"]
    head = f"{result['task']} @ {result['level']} level: n={result['n']}, patients={result['n_patients']}"
    if result["kind"] == "binary":
        thr = result["threshold"]
        head += f", positives={result['n_positive']}, threshold={thr['value']:.4g} ({thr['method']})"
    print(head)
    for k in keys:
        m = result["metrics"].get(k)
        if not m:
            continue
        v = "n/a" if m["value"] is None else f"{m['value']:.4f}"
        ci = (
            f"  [{m['lower']:.4f}, {m['upper']:.4f}] ({conf:.0%} CI)"
            if m.get("lower") is not None and m.get("upper") is not None and not math.isnan(m["lower"])
            else ""
        )
        print(f"  {k:<32}{v}{ci}")
    if skipped:
        print(f"skipped {sum(skipped.values())} rows: " + ", ".join(f"{r}: {n}" for r, n in sorted(skipped.items())))
    print(f"wrote {', '.join(sorted(str(p.name) for p in written.values()))} to {written['metrics'].parent}")
