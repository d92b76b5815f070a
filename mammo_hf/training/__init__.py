"""Training helpers: dual-view collators and a `transformers.Trainer` wrapper for breast-level classifiers."""

from __future__ import annotations

from .collators import DualViewCollator, labelled_rows

__all__ = ["DualViewCollator", "labelled_rows", "train_classifier"]


def __getattr__(name: str):
    if name == "train_classifier":  # imports transformers.Trainer (and accelerate) only when used
        from .classifier import train_classifier

        return train_classifier
    raise AttributeError(f"module 'mammo_hf.training' has no attribute {name!r}")
