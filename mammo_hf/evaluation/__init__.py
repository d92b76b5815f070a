"""Evaluation: screening metrics with patient-level bootstrap CIs, aggregation, plots, reports and model-card results.

Everything is computed from one :class:`PredictionTable` (keys, label, probability per view/breast/exam), which
classifier inference (:func:`predict_dataset`) and VLM answer-token scoring both produce. Importing this package
imports numpy only; scikit-learn, matplotlib, pandas and torch load when a function needs them.

>>> from mammo_hf.evaluation import PredictionTable, ScoreRecord, evaluate_predictions
>>> recs = [ScoreRecord(f"p{i}", f"s{i}", "L", "demo", i % 2, 0.2 + 0.6 * (i % 2)) for i in range(6)]
>>> evaluate_predictions(PredictionTable.from_records(recs), n_bootstrap=0)["metrics"]["f1"]["value"]
1.0
"""

from __future__ import annotations

import importlib
from typing import Any

from .aggregate import AGGREGATIONS, aggregate, per_source
from .metrics import (
    BINARY_METRIC_NAMES,
    ConfidenceInterval,
    MetricWarning,
    ReliabilityCurve,
    Threshold,
    binary_metrics,
    bootstrap_binary_metrics,
    bootstrap_metric,
    bootstrap_multiclass_metrics,
    brier_score,
    expected_calibration_error,
    multiclass_metrics,
    patient_bootstrap_weights,
    pfbeta,
    pr_auc,
    reliability_curve,
    roc_auc,
    select_threshold,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
    threshold_metrics,
)
from .paper_results import PAPER_RESULTS, PaperResult, paper_results
from .report import (
    COMPARISON_METRICS,
    comparison_markdown,
    comparison_rows,
    evaluate_predictions,
    load_metrics,
    metrics_to_eval_results,
    parse_threshold,
    write_comparison,
    write_evaluation,
)
from .scores import KEY_COLUMNS, PredictionTable, ScoreRecord, two_token_probability

# torch-dependent: resolved on first access so `import mammo_hf.evaluation` stays light.
_LAZY = {
    "TASKS": "mammo_hf.evaluation.inference",
    "TaskSpec": "mammo_hf.evaluation.inference",
    "get_task": "mammo_hf.evaluation.inference",
    "predict_dataset": "mammo_hf.evaluation.inference",
    "load_eval_dataset": "mammo_hf.evaluation.inference",
    "load_model_and_processor": "mammo_hf.evaluation.inference",
}

__all__ = [
    "AGGREGATIONS",
    "BINARY_METRIC_NAMES",
    "COMPARISON_METRICS",
    "KEY_COLUMNS",
    "PAPER_RESULTS",
    "ConfidenceInterval",
    "MetricWarning",
    "PaperResult",
    "PredictionTable",
    "ReliabilityCurve",
    "ScoreRecord",
    "Threshold",
    "aggregate",
    "binary_metrics",
    "bootstrap_binary_metrics",
    "bootstrap_metric",
    "bootstrap_multiclass_metrics",
    "brier_score",
    "comparison_markdown",
    "comparison_rows",
    "evaluate_predictions",
    "expected_calibration_error",
    "load_metrics",
    "metrics_to_eval_results",
    "multiclass_metrics",
    "paper_results",
    "parse_threshold",
    "patient_bootstrap_weights",
    "per_source",
    "pfbeta",
    "pr_auc",
    "reliability_curve",
    "roc_auc",
    "select_threshold",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "threshold_metrics",
    "two_token_probability",
    "write_comparison",
    "write_evaluation",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mammo_hf.evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
