"""Screening metrics on scikit-learn, with seeded, vectorised, patient-level bootstrap confidence intervals.

Point estimates call scikit-learn (`roc_auc_score`, `average_precision_score`, `precision_recall_fscore_support`,
`confusion_matrix`, `roc_curve`, `calibration_curve`, `balanced_accuracy_score`, `cohen_kappa_score`, ...). The
RSNA probabilistic F1 (pF1) and the expected calibration error are not in scikit-learn and are written here.

Bootstrap (reference/ecosystem.md §5: 1,000–2,000 resamples of **patients**, as in the nyukat metarepository):
a resample draws patients with replacement, which is the same as giving every row the multiplicity of its
patient, so one resample is a weight vector. All binary metrics are written as functions of weights, evaluated
for a whole `(resamples, rows)` weight matrix at once with cumulative sums over the score order (no Python loop
over resamples); the unit tests check that this equals scikit-learn called with `sample_weight`. Multi-class
metrics use the generic path :func:`bootstrap_metric` (scikit-learn with `sample_weight`, one call per resample).

Degenerate inputs follow one documented rule: a metric that is undefined for the data (ROC-AUC with one class,
precision with no positive predictions) is `NaN` with a :class:`MetricWarning` for ROC/PR-AUC and sensitivity at
specificity, and `0.0` for precision/recall/F1 (scikit-learn's `zero_division=0`). NaN scores and length
mismatches raise `ValueError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "BINARY_METRIC_NAMES",
    "ConfidenceInterval",
    "MetricWarning",
    "ReliabilityCurve",
    "Threshold",
    "binary_metrics",
    "bootstrap_binary_metrics",
    "bootstrap_metric",
    "bootstrap_multiclass_metrics",
    "brier_score",
    "check_binary_inputs",
    "expected_calibration_error",
    "multiclass_metrics",
    "patient_bootstrap_weights",
    "pfbeta",
    "pr_auc",
    "reliability_curve",
    "roc_auc",
    "select_threshold",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "threshold_metrics",
]


class MetricWarning(UserWarning):
    """A metric is undefined for the given data (e.g. one class only) and was reported as NaN."""


# ----------------------------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------------------------
def check_binary_inputs(
    y_true: Any, y_score: Any, *, probabilities: bool = False, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate binary labels and scores; returns `(y, s, w)` as float arrays.

    Raises:
        ValueError: Different lengths, empty input, NaN/inf scores, labels other than 0/1, or (with
            `probabilities=True`) scores outside [0, 1].

    Example:
        >>> y, s, _ = check_binary_inputs([0, 1], [0.2, 0.7])
        >>> y.tolist(), s.tolist()
        ([0.0, 1.0], [0.2, 0.7])
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true and y_score have different lengths ({y.size} vs {s.size})")
    if y.size == 0:
        raise ValueError("cannot compute metrics on zero samples")
    bad = ~np.isfinite(s)
    if bad.any():
        raise ValueError(
            f"y_score has {int(bad.sum())} NaN/inf values out of {s.size}; drop or impute them first "
            "(PredictionTable.dropna() counts what it drops)"
        )
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"binary labels must be 0/1, got values {np.unique(y)[:10].tolist()}")
    if probabilities and (s.min() < 0.0 or s.max() > 1.0):
        raise ValueError(f"scores must be probabilities in [0, 1], got range [{s.min():.4g}, {s.max():.4g}]")
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64).ravel()
        if w.shape != y.shape:
            raise ValueError(f"sample_weight has length {w.size}, expected {y.size}")
    return y, s, w


def _one_class(y: np.ndarray, w: np.ndarray | None, metric: str) -> bool:
    pos = float(np.sum(y if w is None else y * w))
    neg = float(np.sum((1 - y) if w is None else (1 - y) * w))
    if pos > 0 and neg > 0:
        return False
    warnings.warn(f"{metric} is undefined when only one class is present; reporting NaN", MetricWarning, stacklevel=3)
    return True


# ----------------------------------------------------------------------------------------------------------------
# Ranking metrics
# ----------------------------------------------------------------------------------------------------------------
def roc_auc(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Area under the ROC curve (`sklearn.metrics.roc_auc_score`); NaN with a warning if one class only.

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    from sklearn.metrics import roc_auc_score

    y, s, w = check_binary_inputs(y_true, y_score, sample_weight=sample_weight)
    if _one_class(y, w, "ROC-AUC"):
        return math.nan
    return float(roc_auc_score(y, s, sample_weight=w))


def pr_auc(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Area under the precision–recall curve as average precision (`sklearn.metrics.average_precision_score`).

    Example:
        >>> round(pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
        0.8333
    """
    from sklearn.metrics import average_precision_score

    y, s, w = check_binary_inputs(y_true, y_score, sample_weight=sample_weight)
    if _one_class(y, w, "PR-AUC"):
        return math.nan
    return float(average_precision_score(y, s, sample_weight=w))


def _roc_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    return fpr, tpr, thr


def sensitivity_at_specificity(y_true: Any, y_score: Any, specificity: float = 0.9) -> float:
    """Highest sensitivity among ROC operating points whose specificity is at least `specificity`.

    Operating points are the thresholds of `sklearn.metrics.roc_curve` (no interpolation, so the value is
    attainable by an actual threshold).

    Example:
        >>> sensitivity_at_specificity([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.4], specificity=0.75)
        1.0
    """
    y, s, _ = check_binary_inputs(y_true, y_score)
    if _one_class(y, None, "sensitivity at specificity"):
        return math.nan
    fpr, tpr, _ = _roc_points(y, s)
    ok = (1.0 - fpr) >= specificity - 1e-12
    return float(tpr[ok].max())


def specificity_at_sensitivity(y_true: Any, y_score: Any, sensitivity: float = 0.9) -> float:
    """Highest specificity among ROC operating points whose sensitivity is at least `sensitivity`.

    Example:
        >>> specificity_at_sensitivity([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.4], sensitivity=1.0)
        0.75
    """
    y, s, _ = check_binary_inputs(y_true, y_score)
    if _one_class(y, None, "specificity at sensitivity"):
        return math.nan
    fpr, tpr, _ = _roc_points(y, s)
    ok = tpr >= sensitivity - 1e-12
    return float((1.0 - fpr[ok]).max())


# ----------------------------------------------------------------------------------------------------------------
# Threshold metrics and threshold selection
# ----------------------------------------------------------------------------------------------------------------
def threshold_metrics(
    y_true: Any, y_score: Any, threshold: float = 0.5, sample_weight: Any = None
) -> dict[str, float]:
    """Confusion-matrix metrics of the decision `score >= threshold`.

    Returns precision (PPV), recall (= sensitivity), specificity, NPV, F1, accuracy, balanced accuracy and the
    confusion counts `tp`, `fp`, `tn`, `fn`. Undefined ratios are 0 (scikit-learn's `zero_division=0`).

    Example:
        >>> m = threshold_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.8], threshold=0.5)
        >>> m["precision"], m["recall"], m["specificity"], m["f1"]
        (0.5, 0.5, 0.5, 0.5)
    """
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix, precision_recall_fscore_support

    y, s, w = check_binary_inputs(y_true, y_score, sample_weight=sample_weight)
    pred = (s >= threshold).astype(np.float64)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1], sample_weight=w).ravel().tolist()
    p, r, f1, _ = precision_recall_fscore_support(
        y, pred, labels=[1], average=None, sample_weight=w, zero_division=0.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-class input: sklearn warns, we document the rule above
        bacc = balanced_accuracy_score(y, pred, sample_weight=w) if len(np.unique(y)) == 2 else math.nan
    total = tn + fp + fn + tp
    return {
        "precision": float(p[0]),
        "recall": float(r[0]),
        "sensitivity": float(r[0]),
        "specificity": tn / (tn + fp) if tn + fp > 0 else 0.0,
        "npv": tn / (tn + fn) if tn + fn > 0 else 0.0,
        "f1": float(f1[0]),
        "accuracy": (tp + tn) / total,
        "balanced_accuracy": float(bacc),
        "tp": float(tp),
        "fp": float(fp),
        "tn": float(tn),
        "fn": float(fn),
    }


@dataclass
class Threshold:
    """A decision threshold with how it was chosen, stored in `metrics.json` so later runs can reuse it.

    Args:
        value: Predict positive when `score >= value`.
        method: `"fixed"`, `"youden"`, `"sensitivity"`, `"specificity"` or `"max_f1"`.
        target: The target sensitivity/specificity for those methods.
        sensitivity: Sensitivity at `value` on the data it was selected on (`None` for fixed thresholds).
        specificity: Specificity at `value` on the data it was selected on.
        selected_on: Free text naming the data, e.g. `"val"`; selecting on the test split is optimistic.

    Example:
        >>> Threshold.from_dict(Threshold(0.3, "youden").to_dict()).value
        0.3
    """

    value: float
    method: str = "fixed"
    target: float | None = None
    sensitivity: float | None = None
    specificity: float | None = None
    selected_on: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Threshold:
        return cls(
            **{k: d[k] for k in ("value", "method", "target", "sensitivity", "specificity", "selected_on") if k in d}
        )


_THRESHOLD_METHODS = ("fixed", "youden", "sensitivity", "specificity", "max_f1")


def select_threshold(
    y_true: Any, y_score: Any, method: str = "youden", target: float | None = None, selected_on: str | None = None
) -> Threshold:
    """Choose an operating threshold from labelled scores (do this on a validation split, then reuse it).

    Args:
        y_true: 0/1 labels.
        y_score: Scores (higher = more likely positive).
        method: `"youden"` (max sensitivity + specificity − 1), `"sensitivity"` (highest threshold whose
            sensitivity ≥ `target`, i.e. the best specificity there), `"specificity"` (lowest threshold whose
            specificity ≥ `target`, i.e. the best sensitivity there), `"max_f1"` (max F1) or `"fixed"`
            (`target` is the threshold).
        target: See `method`.
        selected_on: Recorded in the result (e.g. `"val"`).

    Example:
        >>> t = select_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], method="sensitivity", target=1.0)
        >>> t.value, t.sensitivity, t.specificity
        (0.35, 1.0, 0.5)
    """
    if method not in _THRESHOLD_METHODS:
        raise ValueError(f"unknown threshold method {method!r}; choose one of {_THRESHOLD_METHODS}")
    if method in ("sensitivity", "specificity", "fixed") and target is None:
        raise ValueError(f"threshold method {method!r} needs a target")
    if method == "fixed":
        return Threshold(float(target), "fixed", selected_on=selected_on)
    y, s, _ = check_binary_inputs(y_true, y_score)
    if len(np.unique(y)) < 2:
        raise ValueError(f"cannot select a {method!r} threshold from data with only one class")
    fpr, tpr, thr = _roc_points(y, s)
    # roc_curve's first threshold is +inf (predict nothing positive); keep it out of the candidates.
    fpr, tpr, thr = fpr[1:], tpr[1:], thr[1:]
    spec = 1.0 - fpr
    if method == "youden":
        i = int(np.argmax(tpr - fpr))
    elif method == "sensitivity":
        ok = np.flatnonzero(tpr >= target - 1e-12)
        i = int(ok[0])  # thresholds decrease along the curve: the first one reaching the target keeps most spec
    elif method == "specificity":
        ok = np.flatnonzero(spec >= target - 1e-12)
        if ok.size == 0:
            raise ValueError(f"no threshold reaches specificity {target}")
        i = int(ok[-1])
    else:  # max_f1
        from sklearn.metrics import precision_recall_curve

        prec, rec, pr_thr = precision_recall_curve(y, s)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)[:-1]
        value = float(pr_thr[int(np.argmax(f1))])
        m = threshold_metrics(y, s, value)
        return Threshold(value, method, target, m["sensitivity"], m["specificity"], selected_on)
    return Threshold(float(thr[i]), method, target, float(tpr[i]), float(spec[i]), selected_on)


# ----------------------------------------------------------------------------------------------------------------
# Probabilistic F1 and calibration
# ----------------------------------------------------------------------------------------------------------------
def pfbeta(y_true: Any, y_prob: Any, beta: float = 1.0, sample_weight: Any = None) -> float:
    """Probabilistic F-beta, the RSNA Screening Mammography competition metric (pF1 for `beta=1`).

    Counts are expected values under the predicted probabilities: `pTP = Σ p·y`, `pFP = Σ p·(1−y)`;
    precision = `pTP / (pTP + pFP)`, recall = `pTP / #positives`, then the usual F-beta. The competition
    evaluates one prediction per (patient_id, laterality), i.e. at breast level. Returns 0 when there are no
    positives or no predicted mass (the reference implementation's convention).

    Example:
        >>> pfbeta([0, 1, 1], [0.5, 1.0, 0.5])  # pTP = 1.5, pFP = 0.5: precision = recall = 0.75
        0.75
    """
    y, p, w = check_binary_inputs(y_true, y_prob, probabilities=True, sample_weight=sample_weight)
    w = np.ones_like(y) if w is None else w
    return float(_pfbeta_from_sums(np.sum(w * y * p), np.sum(w * (1 - y) * p), np.sum(w * y), beta))


def _pfbeta_from_sums(ptp: Any, pfp: Any, pos: Any, beta: float) -> np.ndarray:
    ptp, pfp, pos = (np.asarray(a, dtype=np.float64) for a in (ptp, pfp, pos))
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(ptp + pfp > 0, ptp / (ptp + pfp), 0.0)
        rec = np.where(pos > 0, ptp / pos, 0.0)
        b2 = beta * beta
        out = np.where(prec + rec > 0, (1 + b2) * prec * rec / (b2 * prec + rec), 0.0)
    return out


@dataclass
class ReliabilityCurve:
    """Reliability diagram data: per non-empty bin, mean predicted probability, observed frequency and count."""

    mean_predicted: list[float]
    fraction_positive: list[float]
    counts: list[int]
    bin_edges: list[float]

    def to_dict(self) -> dict[str, list]:
        return asdict(self)


def _bin_edges(p: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
        edges[0], edges[-1] = 0.0, 1.0
        return edges
    raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")


def _bin_ids(p: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # Same binning rule as sklearn.calibration.calibration_curve (right-open, last bin closed).
    return np.searchsorted(edges[1:-1], p, side="right")


def reliability_curve(y_true: Any, y_prob: Any, n_bins: int = 10, strategy: str = "uniform") -> ReliabilityCurve:
    """Reliability diagram points (`sklearn.calibration.calibration_curve`) plus the count of each bin.

    Example:
        >>> c = reliability_curve([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.9], n_bins=2)
        >>> c.fraction_positive, c.counts
        ([0.5, 1.0], [2, 2])
    """
    from sklearn.calibration import calibration_curve

    y, p, _ = check_binary_inputs(y_true, y_prob, probabilities=True)
    edges = _bin_edges(p, n_bins, strategy)
    frac, mean = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    counts = np.bincount(_bin_ids(p, edges), minlength=len(edges) - 1)
    return ReliabilityCurve(mean.tolist(), frac.tolist(), [int(c) for c in counts if c > 0], edges.tolist())


def expected_calibration_error(
    y_true: Any, y_prob: Any, n_bins: int = 10, strategy: str = "uniform", sample_weight: Any = None
) -> float:
    """Expected calibration error of P(positive): `Σ_b (n_b / n) · |mean(y)_b − mean(p)_b|`.

    This is the binary (positive-class) ECE on the reliability diagram bins of :func:`reliability_curve`, the
    quantity a demo's calibrated score is judged by (torchmetrics' `BinaryCalibrationError` bins top-label
    confidence instead; both are common, this one matches the plotted diagram).

    Example:
        >>> round(expected_calibration_error([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.9], n_bins=2), 4)  # (2·0.35 + 2·0.1) / 4
        0.225
    """
    y, p, w = check_binary_inputs(y_true, y_prob, probabilities=True, sample_weight=sample_weight)
    w = np.ones_like(y) if w is None else w
    edges = _bin_edges(p, n_bins, strategy)
    ids = _bin_ids(p, edges)
    nb = len(edges) - 1
    cnt = np.bincount(ids, weights=w, minlength=nb)
    gap = np.bincount(ids, weights=w * y, minlength=nb) - np.bincount(ids, weights=w * p, minlength=nb)
    return float(np.abs(gap).sum() / cnt.sum())


def brier_score(y_true: Any, y_prob: Any, sample_weight: Any = None) -> float:
    """Brier score (`sklearn.metrics.brier_score_loss`).

    Example:
        >>> brier_score([0, 1], [0.0, 0.5])
        0.125
    """
    from sklearn.metrics import brier_score_loss

    y, p, w = check_binary_inputs(y_true, y_prob, probabilities=True, sample_weight=sample_weight)
    return float(brier_score_loss(y, p, sample_weight=w))


# ----------------------------------------------------------------------------------------------------------------
# Bundles
# ----------------------------------------------------------------------------------------------------------------
BINARY_METRIC_NAMES: tuple[str, ...] = (
    "roc_auc",
    "pr_auc",
    "precision",
    "recall",
    "specificity",
    "f1",
    "accuracy",
    "balanced_accuracy",
    "pf1",
    "ece",
    "brier",
)


def _spec_key(kind: str, value: float) -> str:
    return f"{kind}_{round(value * 100):d}"


def binary_metrics(
    y_true: Any,
    y_score: Any,
    threshold: float | Threshold = 0.5,
    *,
    specificities: Sequence[float] = (0.9,),
    sensitivities: Sequence[float] = (0.9,),
    n_bins: int = 10,
) -> dict[str, float]:
    """All binary screening metrics at once (point estimates, scikit-learn).

    Keys: those of :data:`BINARY_METRIC_NAMES`, `sensitivity`, `npv`, `tp`/`fp`/`tn`/`fn`,
    `sensitivity_at_specificity_<pct>` and `specificity_at_sensitivity_<pct>`, plus `best_pf1` (pF1 of the
    scores binarised at their best threshold, RSNA 1st place's `pfbeta_binarized`) and `n`, `n_positive`.

    Example:
        >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.5)
        >>> m["roc_auc"], m["recall"], m["sensitivity_at_specificity_90"]
        (0.75, 0.5, 0.5)
    """
    y, s, _ = check_binary_inputs(y_true, y_score)
    t = threshold.value if isinstance(threshold, Threshold) else float(threshold)
    out: dict[str, float] = {"n": float(y.size), "n_positive": float(y.sum())}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MetricWarning)
        out["roc_auc"] = roc_auc(y, s)
        out["pr_auc"] = pr_auc(y, s)
        for sp in specificities:
            out[_spec_key("sensitivity_at_specificity", sp)] = sensitivity_at_specificity(y, s, sp)
        for se in sensitivities:
            out[_spec_key("specificity_at_sensitivity", se)] = specificity_at_sensitivity(y, s, se)
    messages = {str(w.message).split(" is undefined")[0] for w in caught if issubclass(w.category, MetricWarning)}
    if messages:  # one warning, not one per metric
        warnings.warn(
            f"only one class present ({int(y.sum())} positives of {y.size}): {', '.join(sorted(messages))} "
            "reported as NaN",
            MetricWarning,
            stacklevel=2,
        )
    out.update(threshold_metrics(y, s, t))
    probs = s.min() >= 0.0 and s.max() <= 1.0
    out["pf1"] = pfbeta(y, s) if probs else math.nan
    out["best_pf1"] = _best_pfbeta(y, s) if probs else math.nan
    out["ece"] = expected_calibration_error(y, s, n_bins=n_bins) if probs else math.nan
    out["brier"] = brier_score(y, s) if probs else math.nan
    return out


def _best_pfbeta(y: np.ndarray, s: np.ndarray) -> float:
    # pF1 of 0/1 predictions is the ordinary F1 (expected counts = counts), so the best binarised pF1 is the
    # maximum F1 over the precision-recall curve's thresholds: one sklearn call instead of one per threshold.
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0:
        return 0.0
    prec, rec, _ = precision_recall_curve(y, s)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
    return float(f1.max())


def multiclass_metrics(
    y_true: Any, y_prob: Any, class_names: Sequence[str] | None = None, sample_weight: Any = None
) -> dict[str, float]:
    """Multi-class metrics (BI-RADS 3-class, density A–D) from class probabilities, via scikit-learn.

    Keys: `accuracy`, `balanced_accuracy`, `macro_f1`, `weighted_f1`, `kappa_quadratic` (ordinal classes),
    `roc_auc_ovr` (macro one-vs-rest; NaN with a warning when a class is absent), `f1_<class>` per class.

    Example:
        >>> m = multiclass_metrics([0, 1, 2, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.2, 0.2]])
        >>> round(m["macro_f1"], 4), m["accuracy"]
        (0.7778, 0.75)
    """
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, cohen_kappa_score, f1_score, roc_auc_score

    y = np.asarray(y_true).ravel()
    p = np.asarray(y_prob, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"y_prob must be (n_samples, n_classes), got shape {p.shape}")
    if p.shape[0] != y.size:
        raise ValueError(f"y_true and y_prob have different lengths ({y.size} vs {p.shape[0]})")
    if y.size == 0:
        raise ValueError("cannot compute metrics on zero samples")
    if not np.isfinite(p).all():
        raise ValueError(f"y_prob has {int((~np.isfinite(p)).any(axis=1).sum())} rows with NaN/inf values")
    k = p.shape[1]
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"labels must be class indices in [0, {k - 1}], got {np.unique(y).tolist()}")
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    labels = list(range(k))
    pred = p.argmax(axis=1)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    out: dict[str, float] = {"n": float(y.size)}
    out["accuracy"] = float(accuracy_score(y, pred, sample_weight=w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # absent classes: sklearn's "y_pred contains classes not in y_true"
        out["balanced_accuracy"] = float(balanced_accuracy_score(y, pred, sample_weight=w))
    out["macro_f1"] = float(f1_score(y, pred, labels=labels, average="macro", sample_weight=w, zero_division=0.0))
    out["weighted_f1"] = float(
        f1_score(y, pred, labels=labels, average="weighted", sample_weight=w, zero_division=0.0)
    )
    per = f1_score(y, pred, labels=labels, average=None, sample_weight=w, zero_division=0.0)
    for name, v in zip(names, per):
        out[f"f1_{name}"] = float(v)
    if len(np.unique(np.concatenate([y, pred]))) > 1:
        out["kappa_quadratic"] = float(cohen_kappa_score(y, pred, labels=labels, weights="quadratic", sample_weight=w))
    else:
        out["kappa_quadratic"] = math.nan
    present = np.unique(y if w is None else y[w > 0])
    if present.size == k:
        pn = p / p.sum(axis=1, keepdims=True)  # roc_auc_score(multi_class="ovr") insists on rows summing to 1
        out["roc_auc_ovr"] = float(
            roc_auc_score(y, pn, multi_class="ovr", average="macro", labels=labels, sample_weight=w)
        )
    else:
        if sample_weight is None:
            warnings.warn(
                f"one-vs-rest ROC-AUC needs every class present; classes present: {present.tolist()} of {k}. "
                "Reporting NaN",
                MetricWarning,
                stacklevel=2,
            )
        out["roc_auc_ovr"] = math.nan
    return out


# ----------------------------------------------------------------------------------------------------------------
# Patient-level bootstrap
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class ConfidenceInterval:
    """A point estimate with its percentile bootstrap interval.

    `n_valid` counts the resamples where the metric was defined (e.g. a resample with no positive patient has no
    ROC-AUC); the interval is computed over those.
    """

    value: float
    lower: float
    upper: float
    std: float
    confidence: float = 0.95
    n_resamples: int = 0
    n_valid: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ConfidenceInterval:
        return cls(**{k: (math.nan if v is None else v) for k, v in d.items() if k in cls.__dataclass_fields__})

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.lower:.4f}, {self.upper:.4f}]"


def _group_index(groups: Any, n: int) -> tuple[np.ndarray, int]:
    g = np.asarray(groups)
    if g.shape[0] != n:
        raise ValueError(f"groups has length {g.shape[0]}, expected {n} (one patient id per row)")
    _, idx = np.unique(g.astype(str), return_inverse=True)
    return idx.ravel(), int(idx.max()) + 1


def patient_bootstrap_weights(
    groups: Any, n_resamples: int, seed: int = 0, chunk_size: int | None = None, n_rows: int | None = None
) -> Any:
    """Yield `(chunk, n_rows)` weight matrices: row multiplicities for resamples of patients with replacement.

    Drawing `n_patients` patients with replacement is a multinomial draw of per-patient counts; a row's weight is
    its patient's count, so all breasts/views of one patient enter or leave a resample together. Chunks keep the
    memory at about 4M floats whatever the dataset size; the sequence is a deterministic function of `seed`.
    `n_rows`, when given, is checked against the length of `groups` (one patient id per row).

    Example:
        >>> w = next(patient_bootstrap_weights(["a", "a", "b"], n_resamples=3, seed=0))
        >>> w.shape, bool((w[:, 0] == w[:, 1]).all()), w[:, 1:].sum(axis=1).tolist() == [2, 2, 2]
        ((3, 3), True, True)
    """
    idx, n_groups = _group_index(groups, len(np.asarray(groups)) if n_rows is None else n_rows)
    rng = np.random.default_rng(seed)
    chunk_size = chunk_size or max(1, min(n_resamples, 4_000_000 // max(1, idx.size)))
    pvals = np.full(n_groups, 1.0 / n_groups)
    done = 0
    while done < n_resamples:
        b = min(chunk_size, n_resamples - done)
        counts = rng.multinomial(n_groups, pvals, size=b).astype(np.float64)
        yield counts[:, idx]
        done += b


def _weighted_binary_metrics(
    y: np.ndarray,
    s: np.ndarray,
    W: np.ndarray,
    threshold: float,
    specificities: Sequence[float],
    sensitivities: Sequence[float],
    n_bins: int,
    probs: bool,
) -> dict[str, np.ndarray]:
    """Binary metrics for every row of the weight matrix `W` (resamples × rows) at once.

    Same definitions as the scikit-learn point estimates with `sample_weight=W[b]` (tested): ROC-AUC is the
    trapezoid under (FPR, TPR) over the distinct score thresholds, PR-AUC is average precision
    `Σ (R_k − R_{k−1}) P_k`.
    """
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])  # one block per distinct score
    Wo = W[:, order]
    yo = y[order]
    tp_u = np.add.reduceat(Wo * yo, starts, axis=1)
    fp_u = np.add.reduceat(Wo * (1 - yo), starts, axis=1)
    tps = np.cumsum(tp_u, axis=1)
    fps = np.cumsum(fp_u, axis=1)
    P = tps[:, -1]
    N = fps[:, -1]
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        defined = (P > 0) & (N > 0)
        tpr = tps / P[:, None]
        fpr = fps / N[:, None]
        tpr0 = np.concatenate([np.zeros((W.shape[0], 1)), tpr], axis=1)
        fpr0 = np.concatenate([np.zeros((W.shape[0], 1)), fpr], axis=1)
        auc = np.sum(np.diff(fpr0, axis=1) * (tpr0[:, 1:] + tpr0[:, :-1]) / 2.0, axis=1)
        out["roc_auc"] = np.where(defined, auc, np.nan)
        prec = np.where(tps + fps > 0, tps / (tps + fps), 1.0)
        ap = np.sum(np.diff(tpr0, axis=1) * prec, axis=1)
        out["pr_auc"] = np.where(defined, ap, np.nan)
        spec0 = 1.0 - fpr0
        for sp in specificities:
            v = np.max(np.where(spec0 >= sp - 1e-12, tpr0, -np.inf), axis=1)
            out[_spec_key("sensitivity_at_specificity", sp)] = np.where(defined, v, np.nan)
        # operating points including "everything positive" (tpr = fpr = 1) are all in tpr0/fpr0
        for se in sensitivities:
            v = np.max(np.where(tpr0 >= se - 1e-12, spec0, -np.inf), axis=1)
            out[_spec_key("specificity_at_sensitivity", se)] = np.where(defined, v, np.nan)

        pred = (s >= threshold).astype(np.float64)
        tp = W @ (y * pred)
        fp = W @ ((1 - y) * pred)
        fn = P - tp
        tn = N - fp
        total = P + N
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(P > 0, tp / P, 0.0)
        specificity = np.where(N > 0, tn / N, 0.0)
        out["precision"] = precision
        out["recall"] = recall
        out["sensitivity"] = recall
        out["specificity"] = specificity
        out["npv"] = np.where(tn + fn > 0, tn / (tn + fn), 0.0)
        out["f1"] = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        out["accuracy"] = (tp + tn) / total
        out["balanced_accuracy"] = np.where(defined, (recall + specificity) / 2.0, np.nan)
        if probs:
            out["pf1"] = _pfbeta_from_sums(W @ (y * s), W @ ((1 - y) * s), P, 1.0)
            edges = _bin_edges(s, n_bins, "uniform")
            onehot = np.zeros((s.size, len(edges) - 1))
            onehot[np.arange(s.size), _bin_ids(s, edges)] = 1.0
            gap = W @ (onehot * (y - s)[:, None])
            out["ece"] = np.abs(gap).sum(axis=1) / total
            out["brier"] = (W @ ((s - y) ** 2)) / total
    return out


def bootstrap_binary_metrics(
    y_true: Any,
    y_score: Any,
    groups: Any,
    threshold: float | Threshold = 0.5,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    specificities: Sequence[float] = (0.9,),
    sensitivities: Sequence[float] = (0.9,),
    n_bins: int = 10,
) -> dict[str, ConfidenceInterval]:
    """Point estimates (scikit-learn) with patient-level percentile bootstrap CIs (vectorised).

    Args:
        y_true: 0/1 labels, one per row (breast, view or exam).
        y_score: Scores; pF1/ECE/Brier need probabilities in [0, 1].
        groups: The resampling unit per row, normally the patient id (`PredictionTable.groups`).
        threshold: The decision threshold of the threshold metrics, held fixed across resamples (select it on a
            validation split; re-selecting inside each resample would measure a different thing).
        n_resamples: Number of bootstrap resamples (the metarepository uses 2,000).
        seed: Seed of the resampling; same seed, same intervals.
        confidence: Two-sided percentile interval level.
        specificities: Specificities at which sensitivity is reported.
        sensitivities: Sensitivities at which specificity is reported.
        n_bins: ECE bins.

    Returns:
        Metric name → :class:`ConfidenceInterval`.

    Example:
        >>> ci = bootstrap_binary_metrics([0, 1, 0, 1], [0.2, 0.9, 0.4, 0.6], ["a", "a", "b", "b"], n_resamples=50)
        >>> ci["roc_auc"].value, 0.0 <= ci["roc_auc"].lower <= ci["roc_auc"].upper <= 1.0
        (1.0, True)
    """
    y, s, _ = check_binary_inputs(y_true, y_score)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    t = threshold.value if isinstance(threshold, Threshold) else float(threshold)
    point = binary_metrics(y, s, t, specificities=specificities, sensitivities=sensitivities, n_bins=n_bins)
    probs = bool(s.min() >= 0.0 and s.max() <= 1.0)
    chunks: dict[str, list[np.ndarray]] = {}
    for W in patient_bootstrap_weights(groups, n_resamples, seed, n_rows=y.size):
        for k, v in _weighted_binary_metrics(y, s, W, t, specificities, sensitivities, n_bins, probs).items():
            chunks.setdefault(k, []).append(v)
    return {k: _interval(point[k], np.concatenate(v), confidence) for k, v in chunks.items() if k in point}


def _interval(value: float, samples: np.ndarray, confidence: float) -> ConfidenceInterval:
    valid = samples[np.isfinite(samples)]
    alpha = (1.0 - confidence) / 2.0
    if valid.size == 0:
        lo = hi = sd = math.nan
    else:
        lo, hi = (float(x) for x in np.quantile(valid, [alpha, 1.0 - alpha]))
        sd = float(valid.std(ddof=1)) if valid.size > 1 else 0.0
    return ConfidenceInterval(float(value), lo, hi, sd, confidence, int(samples.size), int(valid.size))


def bootstrap_metric(
    metric: Callable[..., float],
    y_true: Any,
    y_score: Any,
    groups: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Patient-level bootstrap CI of any metric that accepts `sample_weight` (generic, one call per resample).

    Args:
        metric: `metric(y_true, y_score, sample_weight=w) -> float` (any scikit-learn metric qualifies).
        y_true: Labels.
        y_score: Scores or `(n, k)` probabilities, passed through to `metric`.
        groups: Resampling unit per row (patient id).
        n_resamples: Number of resamples.
        seed: Resampling seed (the same draws as :func:`bootstrap_binary_metrics` with that seed).
        confidence: Two-sided interval level.

    Example:
        >>> from sklearn.metrics import accuracy_score
        >>> ci = bootstrap_metric(accuracy_score, [0, 1, 1, 0], [0, 1, 0, 0], ["a", "b", "c", "d"], n_resamples=20)
        >>> ci.value
        0.75
    """
    y = np.asarray(y_true)
    point = float(metric(y, y_score))
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for W in patient_bootstrap_weights(groups, n_resamples, seed, n_rows=len(y)):
            for w in W:
                try:
                    values.append(float(metric(y, y_score, sample_weight=w)))
                except ValueError:  # metric undefined on this resample (e.g. a class is missing)
                    values.append(math.nan)
    return _interval(point, np.asarray(values), confidence)


def bootstrap_multiclass_metrics(
    y_true: Any,
    y_prob: Any,
    groups: Any,
    class_names: Sequence[str] | None = None,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, ConfidenceInterval]:
    """:func:`multiclass_metrics` with patient-level bootstrap CIs (scikit-learn with `sample_weight`).

    Example:
        >>> p = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.2, 0.2]]
        >>> ci = bootstrap_multiclass_metrics([0, 1, 2, 2], p, ["a", "b", "c", "d"], n_resamples=20)
        >>> ci["accuracy"].value
        0.75
    """
    y = np.asarray(y_true).astype(np.int64)
    p = np.asarray(y_prob, dtype=np.float64)
    point = multiclass_metrics(y, p, class_names)
    samples: dict[str, list[float]] = {k: [] for k in point}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for W in patient_bootstrap_weights(groups, n_resamples, seed, n_rows=y.size):
            for w in W:
                m = multiclass_metrics(y, p, class_names, sample_weight=w)
                for k in samples:
                    samples[k].append(m.get(k, math.nan))
    return {k: _interval(point[k], np.asarray(v), confidence) for k, v in samples.items() if k != "n"}
