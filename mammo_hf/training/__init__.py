"""Training helpers: dual-view collators and a `transformers.Trainer` wrapper for breast-level classifiers."""

from __future__ import annotations

from .collators import DualViewCollator, labelled_rows

__all__ = ["DualViewCollator", "labelled_rows", "recalibrate_batchnorm", "train_classifier"]


def __getattr__(name: str):
    if name in ("train_classifier", "recalibrate_batchnorm"):  # imports transformers.Trainer only when used
        from . import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module 'mammo_hf.training' has no attribute {name!r}")
