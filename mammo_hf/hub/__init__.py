"""Hub side of mammo-hf: the licence/provenance registry, model cards and the push helper.

Importing this package is cheap; `huggingface_hub` is imported only by the functions that need it.
"""

from __future__ import annotations

from .cards import CardError, ConversionInfo, ParityResult, load_card_facts, render_card
from .registry import (
    PRETRAINED_REGISTRY,
    PretrainedEntry,
    UnknownPretrainedError,
    default_entry_for,
    get_pretrained,
    list_pretrained,
)

__all__ = [
    "PRETRAINED_REGISTRY",
    "CardError",
    "ConversionInfo",
    "ParityResult",
    "PretrainedEntry",
    "UnknownPretrainedError",
    "default_entry_for",
    "get_pretrained",
    "list_pretrained",
    "load_card_facts",
    "render_card",
]
