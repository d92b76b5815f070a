"""PNG plots of an evaluation: ROC, precision–recall, reliability diagram, confusion matrix, and the comparison chart.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas directly (never `pyplot`), so plotting works
headless, in threads and inside a Gradio app without touching the global backend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "plot_comparison",
    "plot_confusion_matrix",
    "plot_pr",
    "plot_reliability",
    "plot_roc",
    "save_figure",
]

_OURS = "#1f77b4"
_TITLES = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "f1": "F1", "pf1": "pF1", "precision": "Precision",
           "recall": "Recall", "specificity": "Specificity", "macro_f1": "Macro-F1"}  # fmt: skip
_PAPER = "#d62728"


def _figure(width: float = 5.0, height: float = 5.0) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write `fig` as PNG (parent folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def _fmt_ci(m: Mapping[str, Any] | None, key: str) -> str:
    if not m or key not in m:
        return ""
    v = m[key]
    if isinstance(v, Mapping):
        if v.get("value") is None:
            return f"{key} n/a"
        lo, hi = v.get("lower"), v.get("upper")
        ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
        return f"{v['value']:.3f}{ci}"
    return f"{v:.3f}" if v is not None and not (isinstance(v, float) and math.isnan(v)) else "n/a"


def plot_roc(
    y_true: Any,
    y_score: Any,
    *,
    threshold: float | None = None,
    metrics: Mapping[str, Any] | None = None,
    title: str = "ROC curve",
) -> Any:
    """ROC curve (`sklearn.metrics.roc_curve`) with the AUC (and its CI when `metrics` has one) and operating point.

    Example:
        >>> fig = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], threshold=0.5)
        >>> fig.axes[0].get_xlabel()
        '1 - specificity (FPR)'
    """
    from sklearn.metrics import roc_curve

    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", c="0.6", lw=1, label="chance")
    if len(np.unique(y)) == 2:
        fpr, tpr, _ = roc_curve(y, s)
        label = f"AUC {_fmt_ci(metrics, 'roc_auc')}" if metrics else "model"
        ax.plot(fpr, tpr, c=_OURS, lw=2, label=label)
        if threshold is not None:
            pred = s >= threshold
            sens = pred[y == 1].mean()
            spec = 1.0 - pred[y == 0].mean()
            ax.plot([1 - spec], [sens], "o", c="k", label=f"threshold {threshold:.3g}")
    else:
        ax.text(0.5, 0.5, "ROC undefined: one class only", ha="center", va="center")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="1 - specificity (FPR)", ylabel="sensitivity (TPR)", title=title)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_pr(
    y_true: Any, y_score: Any, *, metrics: Mapping[str, Any] | None = None, title: str = "Precision-recall curve"
) -> Any:
    """Precision–recall curve (`sklearn.metrics.precision_recall_curve`) with the prevalence line and AP.

    Example:
        >>> fig = plot_pr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fig.axes[0].get_ylabel()
        'precision'
    """
    from sklearn.metrics import precision_recall_curve

    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    fig = _figure()
    ax = fig.add_subplot()
    prevalence = float(np.mean(y))
    ax.axhline(prevalence, ls="--", c="0.6", lw=1, label=f"prevalence {prevalence:.3f}")
    if len(np.unique(y)) == 2:
        prec, rec, _ = precision_recall_curve(y, s)
        label = f"AP {_fmt_ci(metrics, 'pr_auc')}" if metrics else "model"
        ax.step(rec, prec, where="post", c=_OURS, lw=2, label=label)
    else:
        ax.text(0.5, 0.5, "PR curve undefined: one class only", ha="center", va="center")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="recall (sensitivity)", ylabel="precision", title=title)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def plot_reliability(
    y_true: Any, y_prob: Any, *, n_bins: int = 10, metrics: Mapping[str, Any] | None = None, title: str = "Reliability"
) -> Any:
    """Reliability diagram (observed frequency vs mean predicted probability per bin) over a score histogram.

    Example:
        >>> fig = plot_reliability([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.9], n_bins=2)
        >>> len(fig.axes)
        2
    """
    from .metrics import reliability_curve

    curve = reliability_curve(y_true, y_prob, n_bins=n_bins)
    fig = _figure(5.0, 6.0)
    ax, hist = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], ls="--", c="0.6", lw=1, label="perfect calibration")
    label = f"ECE {_fmt_ci(metrics, 'ece')}" if metrics else "model"
    ax.plot(curve.mean_predicted, curve.fraction_positive, "o-", c=_OURS, label=label)
    ax.set(ylim=(0, 1.01), ylabel="observed fraction positive", title=title)
    ax.legend(loc="upper left", fontsize=8)
    hist.hist(np.asarray(y_prob, dtype=np.float64), bins=curve.bin_edges, color=_OURS, alpha=0.6)
    hist.set(xlim=(0, 1), xlabel="predicted probability", ylabel="count")
    return fig


def plot_confusion_matrix(
    y_true: Any, y_pred: Any, *, class_names: Sequence[str] = ("negative", "positive"), title: str = "Confusion matrix"
) -> Any:
    """Confusion matrix (`sklearn.metrics.confusion_matrix`) with counts and row-normalised percentages.

    Example:
        >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0])
        >>> fig.axes[0].get_xlabel()
        'predicted'
    """
    from sklearn.metrics import confusion_matrix

    k = len(class_names)
    cm = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=list(range(k)))
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros_like(cm, dtype=np.float64), where=rows > 0)
    fig = _figure(1.2 * k + 3.0, 1.2 * k + 2.5)
    ax = fig.add_subplot()
    im = ax.imshow(frac, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{cm[i, j]}\n{frac[i, j]:.0%}", ha="center", va="center",
                    color="white" if frac[i, j] > 0.5 else "black", fontsize=9)  # fmt: skip
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted", ylabel="reference", title=title)
    ax.set_xticklabels(class_names, rotation=30, ha="right")
    ax.set_yticklabels(class_names)
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of reference row")
    return fig


def plot_comparison(
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] = ("precision", "recall", "f1", "roc_auc"),
    *,
    title: str = "Model comparison",
) -> Any:
    """Dot-and-whisker chart: one panel per metric, one line per model × strategy row.

    Args:
        rows: Dicts with `label` (row name), `origin` (`"ours"` or `"paper"`) and, per metric, either a number or a
            mapping `{"value", "lower", "upper"}`; missing metrics are left blank.
        metrics: Metric keys, one panel each.
        title: Figure title.

    Example:
        >>> row = {"label": "ours", "origin": "ours", "f1": {"value": 0.5, "lower": 0.4, "upper": 0.6}}
        >>> fig = plot_comparison([row])
        >>> len(fig.axes)
        4
    """
    n = max(1, len(rows))
    fig = _figure(3.0 * len(metrics) + 2.5, 0.45 * n + 1.6)
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    ys = np.arange(n)[::-1]
    for ax, metric in zip(axes, metrics):
        for y, row in zip(ys, rows):
            v = row.get(metric)
            if v is None:
                continue
            paper = row.get("origin") == "paper"
            if isinstance(v, Mapping):
                value, lo, hi = v.get("value"), v.get("lower"), v.get("upper")
            else:
                value, lo, hi = v, None, None
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [y, y], c=_OURS, lw=2)
            ax.plot([value], [y], "D" if paper else "o", c=_PAPER if paper else _OURS, mfc="white" if paper else None)
            ax.annotate(f"{value:.3f}", (value, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
        ax.set(xlim=(0, 1), title=_TITLES.get(metric, metric))
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels([str(r.get("label", "")) for r in rows], fontsize=8)
    axes[0].set_ylim(-0.7, n - 0.3)
    fig.suptitle(f"{title}  (o ours, 95% CI bars; \u25c7 published, not our data)", fontsize=10)
    return fig
