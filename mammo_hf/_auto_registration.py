"""Register mammo-hf classes with transformers' Auto* factories, lazily.

`import mammo_hf` must stay cheap (no torch, no transformers), yet after it `AutoConfig`, `AutoModel`,
`AutoImageProcessor`, ... must know our `model_type`s. Eager registration would import torch and
`transformers.modeling_utils` (about 4 s cold). Instead a tiny import hook waits for transformers to load each
`transformers.models.auto.*` module and registers our classes right after that module has executed, i.e. before
the user can call anything on it. If transformers is already imported, registration happens at once.

The whole mapping lives in :data:`AUTO_REGISTRATIONS`: add a row when you add a class.
"""

from __future__ import annotations

import importlib
import importlib.util
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["AUTO_REGISTRATIONS", "install", "register_all"]

_CFG = "mammo_hf.models.{0}.configuration_{0}:{1}"

# auto module (under transformers.models.auto) -> rows of (Auto class name, config "module:Class", target "module:Class")
AUTO_REGISTRATIONS: dict[str, list[tuple[str, str | None, str]]] = {
    "configuration_auto": [
        # (AutoConfig, model_type, config class): the config row uses model_type as its key
        ("AutoConfig", "mammo_clip", _CFG.format("mammo_clip", "MammoClipConfig")),
        ("AutoConfig", "mam_clip", _CFG.format("mam_clip", "MamClipConfig")),
        ("AutoConfig", "mammo_efficientnet", _CFG.format("mammo_efficientnet", "MammoEfficientNetConfig")),
    ],
    "modeling_auto": [],
    "image_processing_auto": [
        ("AutoImageProcessor", _CFG.format(family, config), "mammo_hf.image_processing_mammo:MammoImageProcessor")
        for family, config in (
            ("mammo_clip", "MammoClipConfig"),
            ("mam_clip", "MamClipConfig"),
            ("mammo_efficientnet", "MammoEfficientNetConfig"),
        )
    ],
    "processing_auto": [],
}

_HOOKED = {f"transformers.models.auto.{name}": name for name in AUTO_REGISTRATIONS}
_done: set[str] = set()
_lock = threading.RLock()


def _load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _module_exists(spec: str) -> bool:
    try:
        return importlib.util.find_spec(spec.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _register(auto_module_name: str) -> None:
    """Run the rows of one auto module (idempotent)."""
    with _lock:
        if auto_module_name in _done:
            return
        _done.add(auto_module_name)
        auto_module = importlib.import_module(f"transformers.models.auto.{auto_module_name}")
        for auto_name, key, target in AUTO_REGISTRATIONS[auto_module_name]:
            specs = [target] + ([key] if key and ":" in key else [])
            if not all(_module_exists(spec) for spec in specs):  # a family being written must not break others
                continue
            auto_cls = getattr(auto_module, auto_name)
            if auto_name == "AutoConfig":
                auto_cls.register(key, _load(target), exist_ok=True)
            elif auto_name == "AutoImageProcessor":
                proc = _load(target)
                auto_cls.register(_load(key), image_processor_classes={"torchvision": proc, "pil": proc}, exist_ok=True)
            else:
                auto_cls.register(_load(key), _load(target), exist_ok=True)


class _RegisterAfterExecLoader(importlib.abc.Loader):
    """Delegating loader: executes the real module, then registers our classes into it."""

    def __init__(self, loader: importlib.abc.Loader, auto_module_name: str) -> None:
        self._loader = loader
        self._auto_module_name = auto_module_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _register(self._auto_module_name)

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, ... for inspect/linecache
        return getattr(self._loader, name)


class _AutoRegistrationFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):
        if fullname not in _HOOKED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisterAfterExecLoader(spec.loader, _HOOKED[fullname])
                return spec
        return None


def register_all() -> None:
    """Register every row now (imports transformers and torch)."""
    for name in AUTO_REGISTRATIONS:
        _register(name)


def install() -> None:
    """Register now for auto modules already imported, and hook the others."""
    if not any(isinstance(f, _AutoRegistrationFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AutoRegistrationFinder())
    for fullname, name in _HOOKED.items():
        if fullname in sys.modules:
            _register(name)
