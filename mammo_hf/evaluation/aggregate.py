"""View → breast → exam aggregation of a :class:`PredictionTable`, and per-source breakdowns.

Conventions (reference/ecosystem.md §5; report which one is used):

- **breast**: one score per (source, patient_id, study_id, laterality) from its CC and MLO scores, `mean`
  (Mammo-CLIP, RSNA 1st place) or `max`; the label is the breast label (it must agree across views).
- **exam**: one score per (source, patient_id, study_id) from its breasts, `max` by default (a screening recall
  decision is positive if either breast is); the label is positive if any breast is.

Image-level (view) metrics inflate n and are not the primary metric.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .scores import KEY_COLUMNS, PredictionTable

__all__ = ["AGGREGATIONS", "aggregate", "per_source"]

AGGREGATIONS: tuple[str, ...] = ("mean", "max")
_EXAM_KEYS: tuple[str, ...] = ("source", "patient_id", "study_id")


def aggregate(table: PredictionTable, level: str = "breast", method: str | None = None) -> PredictionTable:
    """Aggregate a view- or breast-level table up to `level`.

    Args:
        table: The predictions.
        level: `"breast"` or `"exam"`.
        method: `"mean"` or `"max"` of the scores. Default: `"mean"` for breasts, `"max"` for exams.
            Multi-class tables support `"mean"` of the class probabilities only.

    Returns:
        A new table at `level`; its `info["aggregation"]` records the rule(s) applied, and `n_rows` how many
        rows each output row came from.

    Raises:
        ValueError: Unknown level/method, aggregating down (exam → breast), `max` on a multi-class table,
            exam level of a multi-class table, or views of one breast with different labels.

    Example:
        >>> from mammo_hf.evaluation.scores import ScoreRecord
        >>> views = PredictionTable.from_records(
        ...     [
        ...         ScoreRecord("p1", "s1", "L", "demo", 1, 0.8, view="CC"),
        ...         ScoreRecord("p1", "s1", "L", "demo", 1, 0.4, view="MLO"),
        ...         ScoreRecord("p1", "s1", "R", "demo", 0, 0.1, view="CC"),
        ...     ]
        ... )
        >>> aggregate(views, "breast").scores.round(2).tolist()
        [0.6, 0.1]
        >>> aggregate(views, "exam").scores.round(2).tolist()
        [0.6]
    """
    order = {name: i for i, name in enumerate(("view", "breast", "exam"))}
    if level not in ("breast", "exam"):
        raise ValueError(f"level must be 'breast' or 'exam', got {level!r}")
    if order[level] < order[table.level]:
        raise ValueError(f"cannot aggregate a {table.level}-level table down to {level} level")
    if order[level] == order[table.level]:
        return table
    if level == "exam" and not table.is_binary:
        raise ValueError(
            f"exam-level aggregation is defined for binary tasks; task {table.task!r} has {table.num_classes} classes"
        )
    if table.level == "view":
        table = _aggregate_once(table, KEY_COLUMNS, "breast", method or "mean")
        if level == "breast":
            return table
        method = "max" if method is None else method
    return _aggregate_once(table, _EXAM_KEYS, "exam", method or "max")


def _aggregate_once(table: PredictionTable, keys: Sequence[str], level: str, method: str) -> PredictionTable:
    import pandas as pd

    if method not in AGGREGATIONS:
        raise ValueError(f"aggregation method must be one of {AGGREGATIONS}, got {method!r}")
    if method == "max" and not table.is_binary:
        raise ValueError("max aggregation is only defined for binary scores; use 'mean' for class probabilities")
    frame = table.frame.copy()
    for k in keys:
        frame[k] = frame[k].astype(str)
    grouped = frame.groupby(list(keys), sort=True, dropna=False)
    if level == "breast":
        n_labels = grouped["label"].nunique()
        bad = n_labels[n_labels > 1]
        if len(bad):
            raise ValueError(
                f"{len(bad)} breasts have views with different labels (first: {dict(zip(keys, bad.index[0]))}); "
                "a breast-level label must be the same on CC and MLO"
            )
    agg: dict[str, Any] = {"label": "max"}  # breast: the (single) label; exam: positive if any breast is
    for col in table.score_columns:
        agg[col] = method
    # keep per-view scores side by side when aggregating views, e.g. score_cc / score_mlo
    out = grouped.agg(agg).reset_index()
    out["n_rows"] = grouped.size().to_numpy()
    if table.level == "view" and table.is_binary:
        wide = frame.pivot_table(index=list(keys), columns="view", values="score", aggfunc="mean")
        wide.columns = [f"score_{str(c).lower()}" for c in wide.columns]
        out = out.merge(wide.reset_index(), on=list(keys), how="left")
    if not table.is_binary:
        probs = out[table.score_columns].to_numpy(dtype=np.float64)
        out[table.score_columns] = probs / probs.sum(axis=1, keepdims=True)
    if level == "exam":
        out["laterality"] = ""
    info = dict(table.info)
    info.setdefault("aggregation", {})
    info["aggregation"] = {**info["aggregation"], level: method}
    return table.replace(pd.DataFrame(out), level=level, info=info)


def per_source(
    table: PredictionTable, fn: Callable[[PredictionTable], dict[str, Any]], min_rows: int = 1
) -> dict[str, dict[str, Any]]:
    """Apply `fn` to each source's rows: `{source: fn(subset)}` (sources with fewer than `min_rows` are skipped).

    Example:
        >>> from mammo_hf.evaluation.scores import ScoreRecord
        >>> t = PredictionTable.from_records(
        ...     [ScoreRecord("p1", "s1", "L", "a", 1, 0.8), ScoreRecord("p2", "s2", "L", "b", 0, 0.3)]
        ... )
        >>> per_source(t, lambda sub: {"n": len(sub)})
        {'a': {'n': 1}, 'b': {'n': 1}}
    """
    out: dict[str, dict[str, Any]] = {}
    for source in table.sources:
        sub = table.subset(source)
        if len(sub) >= min_rows:
            out[source] = fn(sub)
    return out
