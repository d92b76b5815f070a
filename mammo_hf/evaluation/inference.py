"""Classifier inference over a unified breast dataset, producing a :class:`PredictionTable`.

The dataset is the unified schema of DESIGN §5 (one row per breast, `cc`/`mlo` 16-bit images); the model is any
`AutoModelForImageClassification` taking `pixel_values (batch, views, 3, H, W)` with its `preprocessor_config.json`
(`MammoImageProcessor`). Labels come from the named label policies of `mammo_hf.data.labels` (`malignancy`,
`birads3`, `density`, ...). Rows without a label or with a missing/unreadable view are skipped and counted by
reason, never dropped silently.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .scores import PredictionTable, ScoreRecord

__all__ = [
    "TASKS",
    "TaskSpec",
    "get_task",
    "load_eval_dataset",
    "load_model_and_processor",
    "predict_dataset",
    "resolve_device",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskSpec:
    """What to predict: the class names and how a dataset row maps to a class index (`None`: no label)."""

    name: str
    class_names: tuple[str, ...]
    label_fn: Callable[[Mapping[str, Any]], Any]
    description: str = ""

    @property
    def is_binary(self) -> bool:
        return len(self.class_names) == 2

    def label(self, row: Mapping[str, Any]) -> int | None:
        """The class index of `row`, or `None` when the row has no label under this task (missing, `-1`)."""
        value = self.label_fn(row)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str):
            if value in self.class_names:
                return self.class_names.index(value)
            try:
                value = int(value)
            except ValueError:
                return None
        value = int(value)
        return value if 0 <= value < len(self.class_names) else None  # -1 is the schema's "missing"


def _tasks() -> dict[str, TaskSpec]:
    from ..data.labels import LABEL_POLICIES

    return {name: TaskSpec(name, tuple(p.names), p.fn, p.description) for name, p in LABEL_POLICIES.items()}


class _TaskRegistry(Mapping):
    """Read-only view of the label policies as evaluation tasks (resolved on first use)."""

    def _d(self) -> dict[str, TaskSpec]:
        return _tasks()

    def __getitem__(self, key: str) -> TaskSpec:
        return self._d()[key]

    def __iter__(self):
        return iter(self._d())

    def __len__(self) -> int:
        return len(self._d())


TASKS: Mapping[str, TaskSpec] = _TaskRegistry()


def get_task(task: str | TaskSpec) -> TaskSpec:
    """Look up an evaluation task by label-policy name.

    Example:
        >>> get_task("malignancy").class_names
        ('negative', 'positive')
        >>> get_task("malignancy").label({"cancer": -1}) is None
        True
    """
    if isinstance(task, TaskSpec):
        return task
    tasks = _tasks()
    if task not in tasks:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(tasks)}")
    return tasks[task]


def resolve_device(device: str | None = None) -> Any:
    """`"auto"`/`None` → CUDA if available, else CPU; otherwise `torch.device(device)`."""
    import torch

    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_eval_dataset(name_or_path: str | Path, split: str = "test") -> Any:
    """Load one split of a unified mammo-hf dataset: a `save_to_disk` folder, or a Hub repo / local data folder.

    Raises:
        ValueError: The split does not exist (the message lists the available ones).

    Example:
        >>> load_eval_dataset("/nonexistent/dir")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        FileNotFoundError: ...
    """
    import datasets

    path = Path(str(name_or_path))
    if path.exists():
        if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
            ds = datasets.load_from_disk(str(path))
        else:
            ds = datasets.load_dataset(str(path))
    else:
        if str(name_or_path).startswith(("/", ".", "~")) or str(name_or_path).count("/") != 1:
            raise FileNotFoundError(f"dataset {name_or_path} is neither a local folder nor a Hub repo id (org/name)")
        ds = datasets.load_dataset(str(name_or_path))
    if isinstance(ds, datasets.DatasetDict):
        if split not in ds:
            raise ValueError(f"dataset {name_or_path} has no split {split!r}; available: {sorted(ds)}")
        return ds[split]
    if "split" in ds.column_names and split:
        sub = ds.filter(lambda s: s == split, input_columns="split")
        if len(sub) == 0:
            raise ValueError(f"dataset {name_or_path} has no rows with split == {split!r}")
        return sub
    return ds


def load_model_and_processor(
    name_or_path: str | Path, device: str | None = None, trust_remote_code: bool = False
) -> tuple[Any, Any]:
    """`AutoModelForImageClassification` + `AutoImageProcessor` from a folder or Hub repo, in eval mode on `device`.

    Always fp32: autocasting to bf16 on a CPU without native bf16 is ~10× slower (DESIGN §8).
    """
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    import mammo_hf  # noqa: F401  (registers our model types with the Auto classes)

    name = str(name_or_path)
    looks_local = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
    if looks_local and not Path(name).expanduser().is_dir():
        raise FileNotFoundError(
            f"model folder {name} does not exist: pass a folder written by save_pretrained (e.g. "
            "quickstart_output/model or a `mammo-hf convert` output) or a Hub repo id such as org/name"
        )
    try:
        model = AutoModelForImageClassification.from_pretrained(name, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"cannot load a classification model from {name}: {err}") from err
    try:
        processor = AutoImageProcessor.from_pretrained(name, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        raise FileNotFoundError(
            f"cannot load the image processor of {name} (preprocessor_config.json): {err}"
        ) from err
    model.eval().to(resolve_device(device))
    return model, processor


def _probabilities(logits: Any, binary: bool) -> np.ndarray:
    """Logits → probabilities: one logit → sigmoid (P(positive)), several → softmax; returns (..., num_classes)."""
    import torch

    logits = logits.float()
    if logits.shape[-1] == 1:
        if not binary:
            raise ValueError("a single-logit model can only be evaluated on a binary task")
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=-1).cpu().numpy()
    return torch.softmax(logits, dim=-1).cpu().numpy()


def _check_head(model: Any, task: TaskSpec) -> None:
    num_labels = int(getattr(model.config, "num_labels", 0) or 0)
    expected = (1, 2) if task.is_binary else (len(task.class_names),)
    if num_labels not in expected:
        raise ValueError(
            f"model has {num_labels} output labels but task {task.name!r} has classes {list(task.class_names)} "
            f"(expected num_labels in {expected})"
        )


def predict_dataset(
    model: Any,
    processor: Any,
    dataset: Any,
    *,
    task: str | TaskSpec = "malignancy",
    batch_size: int = 8,
    max_samples: int | None = None,
    device: str | None = None,
    progress: bool = True,
    info: Mapping[str, Any] | None = None,
) -> tuple[PredictionTable, dict[str, int]]:
    """Run a dual-view classifier over a unified breast dataset.

    Args:
        model: An image classifier taking `pixel_values (B, V, 3, H, W)`, returning `logits` (and optionally
            `per_view_logits (B, V, num_labels)`, kept as `score_<view>` columns).
        processor: The model's image processor; it is called with a list of `{"CC": img, "MLO": img}` dicts.
        dataset: A `datasets.Dataset` with the unified schema.
        task: Label policy name or :class:`TaskSpec`.
        batch_size: Breasts per forward pass.
        max_samples: Evaluate only the first `max_samples` labelled rows (in dataset order).
        device: `"auto"`, `"cpu"`, `"cuda"`, ...; default: where the model already is.
        progress: Show a tqdm progress bar.
        info: Run metadata stored in the table (model, dataset, split, ...).

    Returns:
        `(table, skipped)`: the breast-level predictions and `{reason: count}` of rows not scored.
    """
    import torch
    from tqdm.auto import tqdm

    task = get_task(task)
    _check_head(model, task)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    views = [str(v).upper() for v in getattr(processor, "views", ("CC", "MLO"))]
    columns = [v.lower() for v in views]
    missing_cols = [c for c in (*columns, "patient_id", "laterality") if c not in dataset.column_names]
    if missing_cols:
        raise ValueError(f"dataset lacks columns {missing_cols} of the unified schema (has {dataset.column_names})")
    if device is not None:
        model.to(resolve_device(device))
    dev = next(model.parameters()).device

    skipped: Counter[str] = Counter()
    light_cols = [c for c in dataset.column_names if c not in columns]
    light = dataset.select_columns(light_cols)
    keep: list[int] = []
    labels: dict[int, int] = {}
    for i, row in enumerate(light):
        y = task.label(row)
        if y is None:
            skipped[f"no {task.name} label"] += 1
            continue
        keep.append(i)
        labels[i] = y
        if max_samples is not None and len(keep) >= max_samples:
            break

    records: list[ScoreRecord] = []
    bar = tqdm(total=len(keep), desc="evaluate", unit="breast", disable=not progress)
    with torch.inference_mode():
        for start in range(0, len(keep), batch_size):
            idx = keep[start : start + batch_size]
            rows = dataset.select(idx)
            examples, meta = [], []
            for i, row in zip(idx, rows):
                images = [row.get(c) for c in columns]
                if any(im is None for im in images):
                    absent = [v for v, im in zip(views, images) if im is None]
                    skipped[f"missing {'/'.join(absent)} view"] += 1
                    continue
                examples.append(dict(zip(views, images)))
                meta.append((i, row))
            pixel_values, meta = _preprocess(processor, examples, meta, skipped)
            if pixel_values is not None:
                out = model(pixel_values=pixel_values.to(dev, torch.float32))
                logits = out["logits"] if isinstance(out, Mapping) else out.logits
                probs = _probabilities(logits, task.is_binary)
                per_view = getattr(out, "per_view_logits", None)
                pv_probs = _probabilities(per_view, task.is_binary) if per_view is not None else None
                for b, (i, row) in enumerate(meta):
                    extra: dict[str, Any] = {}
                    if row.get("label_source") is not None:
                        extra["label_source"] = row["label_source"]
                    if pv_probs is not None and task.is_binary:
                        for v, name in enumerate(views):
                            extra[f"score_{name.lower()}"] = float(pv_probs[b, v, 1])
                    records.append(
                        ScoreRecord(
                            patient_id=str(row.get("patient_id")),
                            study_id=str(row.get("study_id", "")),
                            laterality=str(row.get("laterality", "")),
                            source=str(row.get("source", "unknown")),
                            label=labels[i],
                            score=float(probs[b, 1]) if task.is_binary else None,
                            probabilities=None if task.is_binary else probs[b].tolist(),
                            extra=extra,
                        )
                    )
            bar.update(len(idx))
    bar.close()
    if skipped:
        logger.info("skipped %d rows: %s", sum(skipped.values()), dict(skipped))
    table = PredictionTable.from_records(
        records, task=task.name, class_names=task.class_names, level="breast", info=dict(info or {})
    )
    return table, dict(skipped)


def _preprocess(processor: Any, examples: Sequence[dict], meta: list, skipped: Counter) -> tuple[Any, list]:
    """Process a batch; if it fails, process row by row so one bad image skips one row (counted), not the batch."""
    if not examples:
        return None, []
    try:
        return processor(list(examples), return_tensors="pt")["pixel_values"], meta
    except Exception:  # noqa: BLE001  (narrowed below, per row)
        pass
    import torch

    good, kept = [], []
    for ex, m in zip(examples, meta):
        try:
            good.append(processor([ex], return_tensors="pt")["pixel_values"])
            kept.append(m)
        except Exception as err:  # noqa: BLE001  (any decode/preprocess failure is a counted skip with its type)
            skipped[f"preprocessing error ({type(err).__name__})"] += 1
    return (torch.cat(good) if good else None), kept
