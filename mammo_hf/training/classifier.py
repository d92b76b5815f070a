"""Train or fine-tune a breast-level dual-view classifier with `transformers.Trainer`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .collators import DualViewCollator, labelled_rows

__all__ = ["recalibrate_batchnorm", "train_classifier"]

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
    recalibrate_bn: bool = False,
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
        recalibrate_bn: After training, recompute BatchNorm running statistics over the training set
            (:func:`recalibrate_batchnorm`). Use it for short from-scratch runs, whose running averages lag behind
            weights that changed fast; leave it off when fine-tuning pretrained weights.
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
    if recalibrate_bn:
        batches = recalibrate_batchnorm(trainer.model, trainer.get_train_dataloader())
        logger.info("recalibrated BatchNorm statistics over %d training batches", batches)
    return trainer


def recalibrate_batchnorm(model: Any, batches: Iterable[Mapping[str, Any]], max_batches: int | None = None) -> int:
    """Recompute every BatchNorm layer's running mean/var as exact averages over `batches` ("precise BN").

    BatchNorm normalises with batch statistics in training and with exponential running averages in eval mode.
    After a short from-scratch run those averages mix statistics of much older weights, and eval-mode outputs can
    collapse (e.g. every breast scored positive) although training-mode outputs separate the classes. One no-grad
    pass over training batches with a cumulative average (`momentum=None`) fixes the statistics; weights are
    untouched.

    Args:
        model: The model (its `forward` takes `pixel_values`).
        batches: Batches with a `pixel_values` entry (e.g. a `Trainer` train dataloader).
        max_batches: Stop after this many batches.

    Returns:
        The number of batches used (0 when the model has no BatchNorm).

    Example:
        >>> import torch
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
        >>> class Wrap(torch.nn.Module):
        ...     def __init__(self): super().__init__(); self.net = net
        ...     def forward(self, pixel_values): return self.net(pixel_values)
        >>> recalibrate_batchnorm(Wrap(), [{"pixel_values": torch.randn(2, 3, 4, 4) + 5}])
        1
        >>> bool(net[1].running_mean.abs().sum() > 0)
        True
    """
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    was_training = model.training
    momenta = [bn.momentum for bn in norms]
    device = next(model.parameters()).device
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: exact mean over the batches seen
    model.train()
    used = 0
    try:
        with torch.no_grad():
            for batch in batches:
                if max_batches is not None and used >= max_batches:
                    break
                model(pixel_values=batch["pixel_values"].to(device))
                used += 1
    finally:
        for bn, momentum in zip(norms, momenta):
            bn.momentum = momentum
        model.train(was_training)
    return used


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
