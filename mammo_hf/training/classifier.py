"""Train or fine-tune a breast-level dual-view classifier with `transformers.Trainer`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .collators import DualViewCollator, labelled_rows

__all__ = ["train_classifier"]

logger = logging.getLogger(__name__)


def train_classifier(
    model: Any,
    processor: Any,
    train_dataset: Any,
    output_dir: str | Path,
    *,
    eval_dataset: Any = None,
    label_column: str = "cancer",
    num_train_epochs: float = 3.0,
    learning_rate: float = 3e-4,
    batch_size: int = 8,
    seed: int = 0,
    report_to: str | list[str] = "none",
    **training_args: Any,
) -> Any:
    """Fit `model` on breast rows (`cc`, `mlo`, `label_column`) and return the `Trainer`.

    Rows without a label are removed first and the count is logged (never silently). The processor runs inside
    the collator, so 16-bit images are normalised per batch and nothing is cached at another precision.

    Args:
        model: A `PreTrainedModel` taking `pixel_values (batch, num_views, 3, H, W)` and `labels`.
        processor: The `MammoImageProcessor` saved with the model.
        train_dataset: A `datasets.Dataset` in the breast schema (`mammo_hf.data.features`).
        output_dir: Trainer output directory (checkpoints, logs).
        eval_dataset: Optional dataset evaluated at the end of each epoch.
        label_column: Integer class column.
        num_train_epochs: Epochs (`TrainingArguments.num_train_epochs`).
        learning_rate: Peak learning rate.
        batch_size: Per-device train and eval batch size.
        seed: Seed of the Trainer (shuffling, init of new heads).
        report_to: Trainer integrations (default none: offline).
        **training_args: Any other `TrainingArguments` field.

    Returns:
        The `transformers.Trainer` after training.

    Example:
        >>> trainer = train_classifier(model, processor, dataset["train"], "out", num_train_epochs=1)  # doctest: +SKIP
    """
    from transformers import Trainer, TrainingArguments

    train_dataset, dropped = labelled_rows(train_dataset, label_column)
    if dropped:
        logger.warning("train: %d row(s) without a %r label were left out", dropped, label_column)
    if eval_dataset is not None:
        eval_dataset, dropped_eval = labelled_rows(eval_dataset, label_column)
        if dropped_eval:
            logger.warning("eval: %d row(s) without a %r label were left out", dropped_eval, label_column)
    if len(train_dataset) == 0:
        raise ValueError(f"no training row has a {label_column!r} label")
    args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=num_train_epochs,
        learning_rate=learning_rate,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        seed=seed,
        report_to=report_to,
        remove_unused_columns=False,  # the collator needs the raw `cc`/`mlo` columns
        eval_strategy="epoch" if eval_dataset is not None else "no",
        save_strategy="no",
        logging_steps=max(1, len(train_dataset) // max(1, batch_size) // 2),
        dataloader_num_workers=0,
        use_cpu=training_args.pop("use_cpu", None) or not _cuda_available(),
        **training_args,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        data_collator=DualViewCollator(processor, label_column=label_column),
    )
    trainer.train()
    return trainer


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
