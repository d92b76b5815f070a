"""Collators that turn breast-level dataset rows into model batches through `MammoImageProcessor`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DualViewCollator", "labelled_rows"]


def labelled_rows(dataset: Any, label_column: str = "cancer") -> Any:
    """Keep the rows whose `label_column` is known, and say how many were left out (never a silent drop).

    Returns:
        `(dataset, dropped)`: the filtered dataset and the number of rows without a label.

    Example:
        >>> from datasets import Dataset
        >>> ds, dropped = labelled_rows(Dataset.from_dict({"cancer": [0, None, 1]}))
        >>> len(ds), dropped
        (2, 1)
    """
    keep = [i for i, value in enumerate(dataset[label_column]) if value is not None and value != -1]
    return dataset.select(keep), len(dataset) - len(keep)


class DualViewCollator:
    """Batch breast rows (`cc`, `mlo` images + a label column) into `{"pixel_values", "labels"}`.

    Images stay 16-bit until the processor (per-image min-max), so no precision is lost on the way. Rows with a
    missing label raise: filter them first with :func:`labelled_rows`, which reports how many were removed.

    Args:
        processor: A `MammoImageProcessor` (or anything called as `processor(list_of_view_dicts)`).
        label_column: Column holding the integer class (`cancer`, `birads`, `density`, ...); `None` for no labels.
        views: Dataset columns of the views, in the processor's view order.

    Example:
        >>> import numpy as np
        >>> from mammo_hf import MammoImageProcessor
        >>> collate = DualViewCollator(MammoImageProcessor(size={"height": 32, "width": 16}))
        >>> row = {"cc": np.ones((40, 30), np.uint16), "mlo": np.ones((40, 30), np.uint16), "cancer": 1}
        >>> batch = collate([row, row])
        >>> tuple(batch["pixel_values"].shape), batch["labels"].tolist()
        ((2, 2, 3, 32, 16), [1, 1])
    """

    def __init__(self, processor: Any, label_column: str | None = "cancer", views: Sequence[str] = ("cc", "mlo")):
        self.processor = processor
        self.label_column = label_column
        self.views = tuple(views)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        import torch

        missing = [c for c in self.views if rows and c not in rows[0]]
        if missing:
            raise KeyError(f"rows lack the view column(s) {missing}; available: {sorted(rows[0])}")
        examples = [{view.upper(): row[view] for view in self.views} for row in rows]
        batch = dict(self.processor(examples, return_tensors="pt"))
        if self.label_column is not None:
            labels = [row.get(self.label_column) for row in rows]
            if any(label is None or label == -1 for label in labels):
                raise ValueError(
                    f"a row has no {self.label_column!r} label; filter with mammo_hf.training.labelled_rows first"
                )
            batch["labels"] = torch.tensor(labels, dtype=torch.long)
        return batch
