"""One table of predictions that every model family produces and every metric, plot and report consumes.

A classifier run (`mammo-hf evaluate`) and a VLM run (per-breast probability from answer-token scores) both end in
a :class:`PredictionTable`: one row per scored unit (a view, a breast or an exam) with the identifying keys, the
reference label and the model's probability. Metrics, bootstrap CIs (resampling `patient_id`), aggregation and plots
are all computed from it, so a VLM run needs no code of its own to get the paper's table.

IDs are the dataset's own anonymised `patient_id` / `study_id` (never DICOM PHI), see DESIGN §3.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "KEY_COLUMNS",
    "LEVELS",
    "PredictionTable",
    "ScoreRecord",
    "two_token_probability",
]

# The keys of a breast examination in the unified dataset schema (DESIGN §5).
KEY_COLUMNS: tuple[str, ...] = ("source", "patient_id", "study_id", "laterality")
LEVELS: tuple[str, ...] = ("view", "breast", "exam")
_METADATA_KEY = b"mammo_hf.predictions"


@dataclass
class ScoreRecord:
    """One scored unit, as a VLM or classifier loop would emit it.

    Args:
        patient_id: The dataset's anonymised patient ID (the bootstrap resamples these).
        study_id: The dataset's anonymised study (exam) ID.
        laterality: `"L"` or `"R"` (or `""` for exam-level rows).
        source: Dataset name the row comes from (per-source breakdowns group on it).
        label: Reference class index (`0`/`1` for binary tasks).
        score: Probability of the positive class (binary tasks); `None` for multi-class rows.
        probabilities: Class probabilities (multi-class tasks); `None` for binary rows.
        view: `"CC"`/`"MLO"` for view-level rows, `None` for breast-level rows.
        extra: Any further columns to keep (e.g. `{"answer": "yes"}`); no PHI.

    Example:
        >>> ScoreRecord("p1", "s1", "L", "rsna", label=1, score=0.8).score
        0.8
    """

    patient_id: str
    study_id: str
    laterality: str
    source: str
    label: int
    score: float | None = None
    probabilities: Sequence[float] | None = None
    view: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def two_token_probability(logit_positive: Any, logit_negative: Any) -> np.ndarray:
    """P(positive) from the logits of two answer tokens (e.g. "yes" vs "no"), renormalised over the pair.

    This is how a VLM yields a continuous score for ROC-AUC without parsing generated text (DESIGN §6):
    `softmax([l_pos, l_neg])[0] = sigmoid(l_pos - l_neg)`, computed in a numerically stable way.

    Args:
        logit_positive: Logit(s) (or log-probabilities) of the positive answer token.
        logit_negative: Logit(s) (or log-probabilities) of the negative answer token.

    Returns:
        Array of probabilities in [0, 1], broadcast from the inputs.

    Example:
        >>> float(two_token_probability(2.0, 2.0))
        0.5
        >>> round(float(two_token_probability(3.0, 1.0)), 4)
        0.8808
    """
    from scipy.special import expit  # stable logistic: no overflow for large |difference|

    return expit(np.asarray(logit_positive, dtype=np.float64) - np.asarray(logit_negative, dtype=np.float64))


def _prob_columns(n: int) -> list[str]:
    return [f"prob_{i}" for i in range(n)]


@dataclass
class PredictionTable:
    """Predictions of one run: keys, reference label and probability per row, plus run metadata.

    Columns of :attr:`frame`: `source`, `patient_id`, `study_id`, `laterality` (:data:`KEY_COLUMNS`), `label`
    (int class index), then `score` = P(positive) for binary tasks or `prob_0 ... prob_{K-1}` for multi-class
    tasks; optionally `view` (view-level rows) and any extra columns (e.g. `score_cc`, `score_mlo`,
    `label_source`). Saved as parquet with the metadata in the schema, so `read_parquet` restores the task.

    Args:
        frame: The rows, a `pandas.DataFrame`.
        task: Task name, e.g. `"malignancy"`, `"birads3"`, `"density"`.
        class_names: One name per class; two names means a binary task scored by `score`.
        level: `"view"`, `"breast"` or `"exam"`: what one row is.
        info: Free-form run metadata (model path, dataset, split); no PHI.

    Example:
        >>> table = PredictionTable.from_records(
        ...     [ScoreRecord("p1", "s1", "L", "demo", 1, 0.9), ScoreRecord("p1", "s1", "R", "demo", 0, 0.2)]
        ... )
        >>> table.labels.tolist(), table.scores.tolist()
        ([1, 0], [0.9, 0.2])
    """

    frame: Any
    task: str = "malignancy"
    class_names: tuple[str, ...] = ("negative", "positive")
    level: str = "breast"
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.class_names = tuple(str(c) for c in self.class_names)
        self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_records(
        cls,
        records: Iterable[ScoreRecord | Mapping[str, Any]],
        *,
        task: str = "malignancy",
        class_names: Sequence[str] = ("negative", "positive"),
        level: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> PredictionTable:
        """Build a table from :class:`ScoreRecord`s or plain dicts with the same fields.

        `level` defaults to `"view"` when the records carry a `view`, else `"breast"`.
        """
        import pandas as pd

        n_classes = len(class_names)
        rows: list[dict[str, Any]] = []
        for rec in records:
            r = asdict(rec) if isinstance(rec, ScoreRecord) else dict(rec)
            extra = r.pop("extra", None) or {}
            probs = r.pop("probabilities", None)
            row = {k: r.get(k) for k in KEY_COLUMNS}
            row["label"] = r.get("label")
            if r.get("view") is not None:
                row["view"] = r["view"]
            if n_classes == 2:
                score = r.get("score")
                if score is None and probs is not None:
                    score = list(probs)[1]
                row["score"] = np.nan if score is None else float(score)
            else:
                if probs is None:
                    raise ValueError(f"multi-class task {task!r} needs `probabilities` on every record")
                probs = list(probs)
                if len(probs) != n_classes:
                    raise ValueError(f"record has {len(probs)} probabilities, expected {n_classes} ({class_names})")
                row.update(dict(zip(_prob_columns(n_classes), map(float, probs))))
            for k, v in r.items():
                if k not in row and k not in ("score",) and v is not None:
                    row[k] = v
            row.update(extra)
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            frame = pd.DataFrame(
                columns=[*KEY_COLUMNS, "label", *(["score"] if n_classes == 2 else _prob_columns(n_classes))]
            )
        if level is None:
            level = "view" if "view" in frame.columns else "breast"
        return cls(frame, task=task, class_names=tuple(class_names), level=level, info=dict(info or {}))

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Check the columns, label range and score range; raises `ValueError` naming what is wrong."""
        import pandas as pd

        if not isinstance(self.frame, pd.DataFrame):
            raise TypeError(f"PredictionTable.frame must be a pandas DataFrame, got {type(self.frame).__name__}")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")
        if len(self.class_names) < 2:
            raise ValueError(f"need at least two class names, got {self.class_names}")
        needed = [*KEY_COLUMNS, "label", *self.score_columns]
        if self.level == "view":
            needed.append("view")
        missing = [c for c in needed if c not in self.frame.columns]
        if missing:
            raise ValueError(f"prediction table is missing columns {missing} (has {list(self.frame.columns)})")
        if len(self.frame) == 0:
            return
        labels = pd.to_numeric(self.frame["label"], errors="coerce")
        if labels.isna().any():
            raise ValueError(
                f"{int(labels.isna().sum())} rows have a missing label; drop unlabeled rows before building the table"
            )
        if not np.all(np.equal(np.mod(labels, 1), 0)) or labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must be class indices in [0, {self.num_classes - 1}], got {sorted(labels.unique())}"
            )
        self.frame["label"] = labels.astype(np.int64)
        values = self.frame[self.score_columns].to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
            raise ValueError(
                f"scores must be probabilities in [0, 1] (got range [{finite.min():.4g}, {finite.max():.4g}]); "
                "apply a sigmoid/softmax to logits first"
            )

    # ------------------------------------------------------------------ accessors
    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_binary(self) -> bool:
        return self.num_classes == 2

    @property
    def score_columns(self) -> list[str]:
        return ["score"] if self.is_binary else _prob_columns(self.num_classes)

    @property
    def labels(self) -> np.ndarray:
        return self.frame["label"].to_numpy(dtype=np.int64)

    @property
    def scores(self) -> np.ndarray:
        """P(positive) per row (binary tasks only)."""
        if not self.is_binary:
            raise ValueError(f"task {self.task!r} has {self.num_classes} classes: use `.probabilities`")
        return self.frame["score"].to_numpy(dtype=np.float64)

    @property
    def probabilities(self) -> np.ndarray:
        """`(n, num_classes)` class probabilities (binary tasks: `[1 - score, score]`)."""
        if self.is_binary:
            s = self.scores
            return np.stack([1.0 - s, s], axis=1)
        return self.frame[self.score_columns].to_numpy(dtype=np.float64)

    @property
    def groups(self) -> np.ndarray:
        """The bootstrap resampling unit: `source/patient_id` (patients are only unique within a source)."""
        return (self.frame["source"].astype(str) + "/" + self.frame["patient_id"].astype(str)).to_numpy()

    def __len__(self) -> int:
        return len(self.frame)

    def count_missing_scores(self) -> int:
        return int((~np.isfinite(self.frame[self.score_columns].to_numpy(dtype=np.float64))).any(axis=1).sum())

    def dropna(self) -> tuple[PredictionTable, int]:
        """Drop rows whose score is NaN (e.g. a VLM answer that could not be scored); returns `(table, n_dropped)`."""
        mask = np.isfinite(self.frame[self.score_columns].to_numpy(dtype=np.float64)).all(axis=1)
        return self.replace(self.frame.loc[mask].reset_index(drop=True)), int((~mask).sum())

    def replace(self, frame: Any, **changes: Any) -> PredictionTable:
        kwargs = {"task": self.task, "class_names": self.class_names, "level": self.level, "info": dict(self.info)}
        kwargs.update(changes)
        return PredictionTable(frame, **kwargs)

    def subset(self, source: str) -> PredictionTable:
        """Rows of one source (dataset)."""
        return self.replace(self.frame.loc[self.frame["source"] == source].reset_index(drop=True))

    @property
    def sources(self) -> list[str]:
        return sorted(self.frame["source"].astype(str).unique().tolist())

    # ------------------------------------------------------------------ persistence
    def metadata(self) -> dict[str, Any]:
        return {"task": self.task, "class_names": list(self.class_names), "level": self.level, "info": self.info}

    def to_parquet(self, path: str | Path) -> Path:
        """Write the rows plus the table metadata (task, classes, level, info) into one parquet file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrow = pa.Table.from_pandas(self.frame, preserve_index=False)
        meta = dict(arrow.schema.metadata or {})
        meta[_METADATA_KEY] = json.dumps(self.metadata(), default=_json_default).encode()
        pq.write_table(arrow.replace_schema_metadata(meta), path)
        return path

    @classmethod
    def read_parquet(cls, path: str | Path) -> PredictionTable:
        """Read a table written by :meth:`to_parquet` (a plain parquet file is read as a binary breast table)."""
        import pyarrow.parquet as pq

        arrow = pq.read_table(path)
        raw = (arrow.schema.metadata or {}).get(_METADATA_KEY)
        meta = json.loads(raw) if raw else {}
        return cls(
            arrow.to_pandas(),
            task=meta.get("task", "malignancy"),
            class_names=tuple(meta.get("class_names", ("negative", "positive"))),
            level=meta.get("level", "breast"),
            info=meta.get("info", {}),
        )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return str(obj)
