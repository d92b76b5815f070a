"""From a :class:`PredictionTable` to `metrics.json`, plots, model-card `model-index` entries and the comparison table.

`metrics.json` layout (`"schema": "mammo_hf.metrics/1"`)::

    {"schema", "mammo_hf_version", "task", "kind": "binary" | "multiclass", "class_names", "level", "aggregation",
     "n", "n_positive", "n_patients", "n_missing_scores", "info": {model, dataset, split, run_name, strategy, skipped},
     "threshold": {value, method, target, sensitivity, specificity, selected_on},     # binary only
     "thresholds": {"youden": {...}, "max_f1": {...}, "sensitivity_90": {...}, ...},  # candidates, for reuse
     "bootstrap": {"n_resamples", "seed", "confidence", "unit": "patient"},
     "metrics": {name: {value, lower, upper, std, confidence, n_resamples, n_valid}},
     "levels": {"exam": {"aggregation", "n", "metrics": {...}}},                    # binary breast-level runs
     "per_source": {source: {"n", "n_positive", "metrics": {...}}},
     "reliability": {mean_predicted, fraction_positive, counts, bin_edges}, "confusion_matrix": [[...]]}

Reuse a threshold chosen on validation: `Threshold.from_dict(load_metrics("val/metrics.json")["threshold"])`.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .aggregate import aggregate
from .metrics import (
    ConfidenceInterval,
    MetricWarning,
    Threshold,
    binary_metrics,
    bootstrap_binary_metrics,
    bootstrap_multiclass_metrics,
    multiclass_metrics,
    reliability_curve,
    select_threshold,
)
from .paper_results import paper_results
from .scores import PredictionTable

__all__ = [
    "COMPARISON_METRICS",
    "METRICS_SCHEMA",
    "comparison_markdown",
    "comparison_rows",
    "evaluate_predictions",
    "load_metrics",
    "metrics_to_eval_results",
    "parse_threshold",
    "write_comparison",
    "write_evaluation",
]

METRICS_SCHEMA = "mammo_hf.metrics/1"
COMPARISON_METRICS: tuple[str, ...] = ("precision", "recall", "f1", "roc_auc")
_PRETTY = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "f1": "F1",
    "pf1": "pF1",
    "precision": "Precision",
    "recall": "Recall",
    "specificity": "Specificity",
    "sensitivity": "Sensitivity",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "macro_f1": "Macro-F1",
    "kappa_quadratic": "Quadratic kappa",
    "roc_auc_ovr": "ROC-AUC (OvR macro)",
    "ece": "ECE",
    "brier": "Brier",
}


def _pretty(key: str) -> str:
    if key in _PRETTY:
        return _PRETTY[key]
    for prefix, name in (
        ("sensitivity_at_specificity_", "Sensitivity @ spec "),
        ("specificity_at_sensitivity_", "Specificity @ sens "),
    ):
        if key.startswith(prefix):
            return f"{name}{key[len(prefix) :]}%"
    return key


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN → null, numpy scalars → Python."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def parse_threshold(spec: str | float | Threshold | None) -> float | str | Threshold:
    """Parse a threshold option: a number, `youden`, `max_f1`, `sensitivity:0.9`, `specificity:0.9`, or a path to a
    `metrics.json` whose stored threshold is reused.

    Example:
        >>> parse_threshold("0.3"), parse_threshold("youden"), parse_threshold("sensitivity:0.9")
        (0.3, 'youden', 'sensitivity:0.9')
    """
    if spec is None:
        return 0.5
    if isinstance(spec, (Threshold, float, int)):
        return spec if isinstance(spec, Threshold) else float(spec)
    text = str(spec).strip()
    try:
        return float(text)
    except ValueError:
        pass
    method, _, target = text.partition(":")
    if method in ("youden", "max_f1") and not target:
        return method
    if method in ("sensitivity", "specificity") and target:
        float(target)  # validate
        return text
    path = Path(text)
    if path.is_dir():
        path = path / "metrics.json"
    if path.is_file():
        stored = load_metrics(path).get("threshold")
        if not stored:
            raise ValueError(f"{path} holds no threshold (was it a multi-class run?)")
        return Threshold.from_dict(stored)
    raise ValueError(
        f"cannot parse threshold {spec!r}: use a number, 'youden', 'max_f1', 'sensitivity:0.9', 'specificity:0.9' "
        "or the path of a metrics.json to reuse its threshold"
    )


def _resolve_threshold(spec: float | str | Threshold, y: np.ndarray, s: np.ndarray, selected_on: str) -> Threshold:
    spec = parse_threshold(spec) if isinstance(spec, str) else spec
    if isinstance(spec, Threshold):
        return spec
    if isinstance(spec, (float, int)):
        return Threshold(float(spec), "fixed")
    method, _, target = spec.partition(":")
    warnings.warn(
        f"threshold method {method!r} is selected on the evaluated data ({selected_on}); metrics at that threshold "
        "are optimistic. Select it on a validation split and pass that metrics.json instead.",
        MetricWarning,
        stacklevel=3,
    )
    return select_threshold(y, s, method, float(target) if target else None, selected_on=selected_on)


def _candidate_thresholds(y: np.ndarray, s: np.ndarray, selected_on: str) -> dict[str, dict[str, Any]]:
    if len(np.unique(y)) < 2:
        return {}
    out = {}
    for name, method, target in (
        ("youden", "youden", None),
        ("max_f1", "max_f1", None),
        ("sensitivity_90", "sensitivity", 0.9),
        ("specificity_90", "specificity", 0.9),
    ):
        try:
            out[name] = select_threshold(y, s, method, target, selected_on=selected_on).to_dict()
        except ValueError:
            continue
    return out


def _point_only(point: Mapping[str, float]) -> dict[str, ConfidenceInterval]:
    return {k: ConfidenceInterval(float(v), math.nan, math.nan, math.nan, 0.95, 0, 0) for k, v in point.items()}


def _binary_block(
    table: PredictionTable, threshold: Threshold, n_bootstrap: int, seed: int, confidence: float, **kw: Any
) -> dict[str, Any]:
    y, s = table.labels, table.scores
    if n_bootstrap > 0:
        cis = bootstrap_binary_metrics(
            y, s, table.groups, threshold, n_resamples=n_bootstrap, seed=seed, confidence=confidence, **kw
        )
    else:
        point = binary_metrics(y, s, threshold, **kw)
        cis = _point_only({k: v for k, v in point.items() if k not in ("n", "n_positive", "tp", "fp", "tn", "fn")})
    return {
        "n": len(table),
        "n_positive": int(y.sum()),
        "n_patients": int(len(np.unique(table.groups))),
        "metrics": {k: v.to_dict() for k, v in cis.items()},
    }


def _multiclass_block(table: PredictionTable, n_bootstrap: int, seed: int, confidence: float) -> dict[str, Any]:
    y, p = table.labels, table.probabilities
    if n_bootstrap > 0:
        cis = bootstrap_multiclass_metrics(
            y, p, table.groups, table.class_names, n_resamples=n_bootstrap, seed=seed, confidence=confidence
        )
    else:
        cis = _point_only({k: v for k, v in multiclass_metrics(y, p, table.class_names).items() if k != "n"})
    counts = np.bincount(y, minlength=table.num_classes)
    return {
        "n": len(table),
        "class_counts": dict(zip(table.class_names, counts.tolist())),
        "n_patients": int(len(np.unique(table.groups))),
        "metrics": {k: v.to_dict() for k, v in cis.items()},
    }


def evaluate_predictions(
    table: PredictionTable,
    *,
    threshold: float | str | Threshold = 0.5,
    level: str = "breast",
    aggregation: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    specificities: Sequence[float] = (0.9,),
    sensitivities: Sequence[float] = (0.9,),
    n_bins: int = 10,
    by_source: bool = True,
    exam_level: bool = True,
) -> dict[str, Any]:
    """Compute the full evaluation of a run (the content of `metrics.json`).

    Args:
        table: Predictions at view, breast or exam level (rows with NaN scores are dropped and counted).
        threshold: Decision threshold for precision/recall/F1: a number, a :class:`Threshold` (e.g. from a
            validation run), or a selection rule (`"youden"`, `"max_f1"`, `"sensitivity:0.9"`) applied to this data
            with a warning that it is optimistic.
        level: Level of the primary metrics (`"breast"` or `"exam"`); view tables are aggregated to it.
        aggregation: `"mean"`/`"max"` for the view → breast step (default mean) or breast → exam (default max).
        n_bootstrap: Patient-level bootstrap resamples (0: point estimates only).
        seed: Bootstrap seed.
        confidence: CI level.
        specificities: Specificities for `sensitivity_at_specificity_<pct>`.
        sensitivities: Sensitivities for `specificity_at_sensitivity_<pct>`.
        n_bins: Reliability/ECE bins.
        by_source: Add per-source metrics (with CIs for binary tasks).
        exam_level: For binary breast-level runs, add exam-level (max over breasts) metrics.

    Returns:
        The `metrics.json` dictionary (see the module docstring).

    Example:
        >>> from mammo_hf.evaluation.scores import ScoreRecord
        >>> recs = [ScoreRecord(f"p{i}", f"s{i}", "L", "demo", i % 2, 0.3 + 0.4 * (i % 2)) for i in range(8)]
        >>> result = evaluate_predictions(PredictionTable.from_records(recs), n_bootstrap=100)
        >>> result["metrics"]["roc_auc"]["value"], result["metrics"]["f1"]["lower"] <= 1.0
        (1.0, True)
    """
    table, n_missing = table.dropna()
    if n_missing:
        warnings.warn(f"dropped {n_missing} rows with NaN scores before evaluation", MetricWarning, stacklevel=2)
    if len(table) == 0:
        raise ValueError("no scored rows to evaluate (the prediction table is empty after dropping NaN scores)")
    if table.level == "view" or (level == "exam" and table.level != "exam"):
        table = aggregate(table, level, aggregation)
    info = dict(table.info)
    selected_on = str(info.get("split") or "evaluated data")
    result: dict[str, Any] = {
        "schema": METRICS_SCHEMA,
        "mammo_hf_version": _version(),
        "task": table.task,
        "kind": "binary" if table.is_binary else "multiclass",
        "class_names": list(table.class_names),
        "level": table.level,
        "aggregation": info.pop("aggregation", {}),
        "n_missing_scores": n_missing,
        "info": info,
        "bootstrap": {"n_resamples": n_bootstrap, "seed": seed, "confidence": confidence, "unit": "patient"},
    }
    if table.is_binary:
        y, s = table.labels, table.scores
        thr = _resolve_threshold(threshold, y, s, selected_on)
        kw = {"specificities": specificities, "sensitivities": sensitivities, "n_bins": n_bins}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)  # one warning below, not one per block
            main = _binary_block(table, thr, n_bootstrap, seed, confidence, **kw)
            result.update(main)
            result["threshold"] = thr.to_dict()
            result["thresholds"] = _candidate_thresholds(y, s, selected_on)
            if exam_level and table.level == "breast":
                exam = aggregate(table, "exam", None)
                result["levels"] = {
                    "exam": {"aggregation": "max", **_binary_block(exam, thr, n_bootstrap, seed, confidence, **kw)}
                }
            if by_source and len(table.sources) > 1:
                result["per_source"] = {
                    src: _binary_block(table.subset(src), thr, n_bootstrap, seed, confidence, **kw)
                    for src in table.sources
                }
        if len(np.unique(y)) < 2:
            warnings.warn(
                f"only one class in the evaluated data ({int(y.sum())} positives of {y.size}): ROC-AUC, PR-AUC and "
                "sensitivity at specificity are NaN (null in metrics.json)",
                MetricWarning,
                stacklevel=2,
            )
        if s.min() >= 0 and s.max() <= 1:
            result["reliability"] = reliability_curve(y, s, n_bins=n_bins).to_dict()
        pred = (s >= thr.value).astype(int)
    else:
        main = _multiclass_block(table, n_bootstrap, seed, confidence)
        result.update(main)
        if by_source and len(table.sources) > 1:
            result["per_source"] = {
                src: _multiclass_block(table.subset(src), 0, seed, confidence) for src in table.sources
            }
        pred = table.probabilities.argmax(axis=1)
    from sklearn.metrics import confusion_matrix

    result["confusion_matrix"] = confusion_matrix(table.labels, pred, labels=list(range(table.num_classes))).tolist()
    return _clean(result)


def _version() -> str:
    try:
        from .. import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "unknown"


def load_metrics(path: str | Path) -> dict[str, Any]:
    """Read a `metrics.json` (or the one inside a run directory).

    Example:
        >>> load_metrics("missing-dir")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        FileNotFoundError: no metrics.json at missing-dir
    """
    path = Path(path)
    if path.is_dir():
        path = path / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"no metrics.json at {path}")
    data = json.loads(path.read_text())
    if data.get("schema") != METRICS_SCHEMA:
        raise ValueError(
            f"{path} is not a mammo-hf metrics file (schema {data.get('schema')!r}, expected {METRICS_SCHEMA!r})"
        )
    return data


def write_evaluation(
    table: PredictionTable, result: Mapping[str, Any], output_dir: str | Path, *, plots: bool = True
) -> dict[str, Path]:
    """Write `metrics.json`, `predictions.parquet` and (binary: ROC, PR, reliability; all: confusion matrix) PNGs.

    Args:
        table: The predictions as produced (any level; written as given).
        result: The output of :func:`evaluate_predictions` for `table`.
        output_dir: Folder to write into (created).
        plots: Also write the PNG plots.

    Returns:
        Name → path of every file written.
    """
    from . import plots as P

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(_clean(result), indent=2) + "\n")
    written["metrics"] = metrics_path
    written["predictions"] = table.to_parquet(out / "predictions.parquet")
    if not plots:
        return written
    scored, _ = table.dropna()
    if scored.level == "view" or (result.get("level") == "exam" and scored.level != "exam"):
        scored = aggregate(scored, result.get("level", "breast"), None)
    m = result.get("metrics", {})
    level = result.get("level", "breast")
    if scored.is_binary:
        y, s = scored.labels, scored.scores
        thr = result.get("threshold", {}).get("value", 0.5)
        written["roc"] = P.save_figure(
            P.plot_roc(y, s, threshold=thr, metrics=m, title=f"ROC ({level} level)"), out / "roc.png"
        )
        written["pr"] = P.save_figure(
            P.plot_pr(y, s, metrics=m, title=f"Precision-recall ({level} level)"), out / "pr.png"
        )
        written["reliability"] = P.save_figure(
            P.plot_reliability(y, s, metrics=m, title=f"Reliability ({level} level)"), out / "reliability.png"
        )
        pred = (s >= thr).astype(int)
        cm_title = f"Confusion matrix (threshold {thr:.3g})"
    else:
        pred = scored.probabilities.argmax(axis=1)
        cm_title = "Confusion matrix (argmax)"
    written["confusion_matrix"] = P.save_figure(
        P.plot_confusion_matrix(scored.labels, pred, class_names=scored.class_names, title=cm_title),
        out / "confusion_matrix.png",
    )
    return written


# ----------------------------------------------------------------------------------------------------------------
# Model card
# ----------------------------------------------------------------------------------------------------------------
_DEFAULT_CARD_METRICS = {
    "binary": ("roc_auc", "pr_auc", "f1", "precision", "recall", "specificity", "pf1"),
    "multiclass": ("macro_f1", "balanced_accuracy", "accuracy", "kappa_quadratic", "roc_auc_ovr"),
}


def metrics_to_eval_results(
    metrics: Mapping[str, Any] | str | Path,
    *,
    dataset_type: str,
    dataset_name: str | None = None,
    dataset_split: str | None = None,
    dataset_config: str | None = None,
    task_type: str = "image-classification",
    task_name: str | None = None,
    metric_keys: Sequence[str] | None = None,
    source_name: str | None = None,
    source_url: str | None = None,
) -> list[Any]:
    """Turn a `metrics.json` into `huggingface_hub.EvalResult`s for a model card's `model-index`.

    Each metric becomes one entry; its CI, level, threshold and bootstrap settings go into `metric_args` so the
    card keeps what the number means. Undefined (NaN/null) metrics are left out.

    Args:
        metrics: The dict from :func:`evaluate_predictions`, or a path to `metrics.json` / its run directory.
        dataset_type: Hub dataset id (e.g. `"org/mammo-rsna"`).
        dataset_name: Human-readable dataset name (default: `dataset_type`).
        dataset_split: Split (default: the run's split).
        dataset_config: Dataset config name, if any.
        task_type: Hub task id.
        task_name: Human-readable task name (default: the run's task, e.g. "malignancy (breast level)").
        metric_keys: Which metrics to export (default: the main screening metrics of the task kind).
        source_name: Where the numbers come from (e.g. "mammo-hf evaluate"); requires `source_url`.
        source_url: Link for `source_name`.

    Returns:
        A list of `EvalResult`.

    Example:
        >>> m = {"task": "malignancy", "kind": "binary", "level": "breast", "info": {"split": "test"},
        ...      "metrics": {"roc_auc": {"value": 0.8, "lower": 0.7, "upper": 0.9, "confidence": 0.95}}}
        >>> results = metrics_to_eval_results(m, dataset_type="org/ds")
        >>> [(r.metric_type, r.metric_value, r.dataset_split) for r in results]
        [('roc_auc', 0.8, 'test')]
    """
    from huggingface_hub import EvalResult

    if source_name is not None and source_url is None:
        raise ValueError("source_name needs a source_url too (huggingface_hub's EvalResult rule)")
    data = load_metrics(metrics) if isinstance(metrics, (str, Path)) else metrics
    kind = data.get("kind", "binary")
    level = data.get("level", "breast")
    info = data.get("info", {})
    keys = metric_keys or _DEFAULT_CARD_METRICS.get(kind, ())
    thr = data.get("threshold")
    boot = data.get("bootstrap", {})
    out = []
    for key in keys:
        entry = data.get("metrics", {}).get(key)
        if entry is None:
            continue
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        args: dict[str, Any] = {"level": level}
        if isinstance(entry, Mapping) and entry.get("lower") is not None:
            args.update(ci_lower=round(entry["lower"], 4), ci_upper=round(entry["upper"], 4),
                        confidence=entry.get("confidence", 0.95))  # fmt: skip
            if boot.get("n_resamples"):
                args.update(bootstrap_resamples=boot["n_resamples"], bootstrap_unit=boot.get("unit", "patient"))
        if thr and key in ("f1", "precision", "recall", "specificity", "sensitivity", "accuracy", "balanced_accuracy"):
            args["threshold"] = round(float(thr["value"]), 6)
        out.append(
            EvalResult(
                task_type=task_type,
                task_name=task_name or f"{data.get('task', 'classification')} ({level} level)",
                dataset_type=dataset_type,
                dataset_name=dataset_name or dataset_type,
                dataset_config=dataset_config,
                dataset_split=dataset_split or info.get("split"),
                metric_type=key,
                metric_value=round(float(value), 4),
                metric_name=f"{_pretty(key)} ({level})",
                metric_args=args,
                source_name=source_name,
                source_url=source_url,
            )
        )
    return out


# ----------------------------------------------------------------------------------------------------------------
# Comparison table (mammo-hf compare)
# ----------------------------------------------------------------------------------------------------------------
def comparison_rows(
    runs: Iterable[str | Path | Mapping[str, Any]],
    *,
    metrics: Sequence[str] = COMPARISON_METRICS,
    include_paper: bool = True,
    labels: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the paper's table (model × strategy → metrics with CIs) from our runs, plus the published figures.

    Args:
        runs: Run directories, `metrics.json` paths, or loaded metrics dicts.
        metrics: Metric columns.
        include_paper: Append the seed papers' published rows for the runs' task (see `paper_results`).
        labels: Optional display names for the runs (default: `info.run_name`, else the model path's last part).

    Returns:
        Dicts with `label`, `model`, `strategy`, `origin` (`"ours"`/`"paper"`), `level`, `n`, `source`, `note`
        and one `{"value", "lower", "upper"}` (or `None`) per metric.

    Example:
        >>> rows = comparison_rows([], include_paper=True)
        >>> [r["model"] for r in rows][:2]
        ['EfficientNet-B4', 'MammoCLIP']
    """
    rows: list[dict[str, Any]] = []
    tasks = []
    runs = list(runs)
    if labels is not None and len(labels) != len(runs):
        raise ValueError(f"got {len(labels)} labels for {len(runs)} runs")
    for i, run in enumerate(runs):
        data = load_metrics(run) if isinstance(run, (str, Path)) else run
        info = data.get("info", {})
        model = info.get("run_name") or Path(str(info.get("model") or f"run {i + 1}")).name
        strategy = info.get("strategy") or "-"
        tasks.append(data.get("task"))
        row: dict[str, Any] = {
            "label": labels[i] if labels else f"{model} / {strategy}",
            "model": labels[i] if labels else model,
            "strategy": strategy,
            "origin": "ours",
            "level": data.get("level"),
            "n": data.get("n"),
            "source": "this run" + (f" ({info['dataset']}, {info.get('split', '')})" if info.get("dataset") else ""),
            "note": "",
        }
        for key in metrics:
            entry = data.get("metrics", {}).get(key)
            row[key] = (
                {"value": entry.get("value"), "lower": entry.get("lower"), "upper": entry.get("upper")}
                if isinstance(entry, Mapping)
                else None
            )
        rows.append(row)
    if include_paper:
        task = tasks[0] if tasks and all(t == tasks[0] for t in tasks) else "malignancy"
        for pr in paper_results(task=task):
            row = {
                "label": f"{pr.model} / {pr.strategy} (published)",
                "model": pr.model,
                "strategy": pr.strategy,
                "origin": "paper",
                "level": None,
                "n": None,
                "source": pr.source.key,
                "note": pr.note,
                "citation": pr.source.citation,
                "scope": pr.source.scope,
                "url": pr.source.url,
            }
            for key in metrics:
                row[key] = {"value": pr.metrics[key], "lower": None, "upper": None} if key in pr.metrics else None
            rows.append(row)
    return rows


def _cell(v: Mapping[str, Any] | None, digits: int) -> str:
    if v is None or v.get("value") is None:
        return "n/r"
    s = f"{v['value']:.{digits}f}"
    if v.get("lower") is not None and v.get("upper") is not None:
        s += f" [{v['lower']:.{digits}f}, {v['upper']:.{digits}f}]"
    return s


def comparison_markdown(
    rows: Sequence[Mapping[str, Any]], metrics: Sequence[str] = COMPARISON_METRICS, *, digits: int = 4
) -> str:
    """Render :func:`comparison_rows` as a Markdown table with a sources section.

    Example:
        >>> print(comparison_markdown(comparison_rows([]), ("f1",)).splitlines()[2])
        | EfficientNet-B4 | supervised | 0.5810 | published [1] |
    """
    header = ["Model", "Strategy", *(_pretty(m) for m in metrics), "Source"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cites: dict[str, int] = {}
    notes: list[str] = []
    for r in rows:
        if r.get("origin") == "paper":
            n = cites.setdefault(r["source"], len(cites) + 1)
            src = f"published [{n}]"
        else:
            level = f"{r['level']} level, n={r['n']}" if r.get("level") else ""
            src = f"ours ({level})" if level else "ours"
        cells = [str(r.get("model", "")), str(r.get("strategy", "")), *(_cell(r.get(m), digits) for m in metrics), src]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    if any(r.get("origin") == "ours" for r in rows):
        notes.append(
            "Ours: point estimate [95% patient-level bootstrap CI]; threshold metrics at the run's threshold."
        )
    if cites:
        notes.append("n/r: not reported. Published figures are on the papers' own data and splits, not ours.")
        lines.append("")
        lines.append("Sources:")
        by_key = {r["source"]: r for r in rows if r.get("origin") == "paper"}
        for key, n in cites.items():
            lines.append(f"[{n}] {by_key[key]['citation']}. {by_key[key]['url']}")
            if by_key[key].get("scope"):
                lines.append(f"    - {by_key[key]['scope']}")
            seen: list[str] = []
            for r in rows:  # the caveats that come with the published numbers, once per source
                if r.get("origin") == "paper" and r["source"] == key and r.get("note") and r["note"] not in seen:
                    seen.append(r["note"])
                    lines.append(f"    - {r['model']} / {r['strategy']}: {r['note']}")
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


def write_comparison(
    rows: Sequence[Mapping[str, Any]],
    output_dir: str | Path,
    metrics: Sequence[str] = COMPARISON_METRICS,
    *,
    title: str = "Dual-view malignancy classification",
) -> dict[str, Path]:
    """Write `comparison.md`, `comparison.png` and `comparison.json` into `output_dir`."""
    from .plots import plot_comparison, save_figure

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = out / "comparison.md"
    md.write_text(comparison_markdown(rows, metrics))
    js = out / "comparison.json"
    js.write_text(json.dumps(_clean(list(rows)), indent=2) + "\n")
    png = save_figure(plot_comparison(rows, metrics, title=title), out / "comparison.png")
    return {"markdown": md, "png": png, "json": js}
