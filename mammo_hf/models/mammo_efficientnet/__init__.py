"""Supervised dual-view CNN baseline (any timm backbone); lazy: importing it does not import torch."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "MammoEfficientNetConfig": "configuration_mammo_efficientnet",
    "MammoEfficientNetForImageClassification": "modeling_mammo_efficientnet",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
