"""MAM-CLIP family (ConvNeXt + PubMedBERT); lazy: importing it does not import torch."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "MamClipConfig": "configuration_mam_clip",
    "MamClipModel": "modeling_mam_clip",
    "MamClipForImageClassification": "modeling_mam_clip",
    "MamClipProcessor": "processing_mam_clip",
    "MAM_CLIP_ZERO_SHOT_PROMPTS": "prompts",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
