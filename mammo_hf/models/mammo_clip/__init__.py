"""Mammo-CLIP family (EfficientNet-B2/B5 + Bio_ClinicalBERT); lazy: importing it does not import torch."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "MammoClipConfig": "configuration_mammo_clip",
    "MammoClipModel": "modeling_mammo_clip",
    "MammoClipForImageClassification": "modeling_mammo_clip",
    "MammoClipProcessor": "processing_mammo_clip",
    "MAMMO_CLIP_ZERO_SHOT_PROMPTS": "prompts",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
