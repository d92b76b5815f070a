"""Register mammo-hf classes with transformers' Auto* factories, lazily and safely.

`import mammo_hf` must stay cheap (no torch, no transformers), yet after it `AutoConfig`, `AutoModel`,
`AutoImageProcessor`, ... must know our `model_type`s. Eager registration would import torch and
`transformers.modeling_utils` (about 4 s cold).

Mechanism: a tiny import hook watches transformers' `transformers.models.auto.*` modules. When one of them finishes
loading, the hook only *wraps* the public entry points of its Auto classes (`from_pretrained`, `from_config`,
`for_model`, `register`) so that the first call runs :func:`register_all`. Nothing of ours is imported while
transformers is still initialising (transformers imports its auto modules from deep inside its own import chain,
e.g. `quantizers.auto`, where importing our model files would hit half-initialised modules). If transformers is
already imported when `mammo_hf` is, the same wrapping happens at once.

The whole mapping lives in :data:`AUTO_REGISTRATIONS`: add a row when you add a class.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["AUTO_REGISTRATIONS", "install", "register_all"]

_CFG = "mammo_hf.models.{0}.configuration_{0}:{1}"
_FAMILIES = (
    ("mammo_clip", "MammoClipConfig"),
    ("mam_clip", "MamClipConfig"),
    ("mammo_efficientnet", "MammoEfficientNetConfig"),
)

# auto module (under transformers.models.auto) -> rows of (Auto class name, key, target "module:Class").
# key is the model_type for AutoConfig rows, else the config class as "module:Class".
AUTO_REGISTRATIONS: dict[str, list[tuple[str, str | None, str]]] = {
    "configuration_auto": [("AutoConfig", family, _CFG.format(family, config)) for family, config in _FAMILIES],
    "modeling_auto": [
        (auto, _CFG.format(family, config), f"mammo_hf.models.{family}.modeling_{family}:{target}")
        for family, config, rows in (
            (
                "mammo_clip",
                "MammoClipConfig",
                (
                    ("AutoModel", "MammoClipModel"),
                    ("AutoModelForZeroShotImageClassification", "MammoClipModel"),
                    ("AutoModelForImageClassification", "MammoClipForImageClassification"),
                ),
            ),
            (
                "mam_clip",
                "MamClipConfig",
                (
                    ("AutoModel", "MamClipModel"),
                    ("AutoModelForZeroShotImageClassification", "MamClipModel"),
                    ("AutoModelForImageClassification", "MamClipForImageClassification"),
                ),
            ),
            (
                "mammo_efficientnet",
                "MammoEfficientNetConfig",
                (
                    ("AutoModel", "MammoEfficientNetForImageClassification"),
                    ("AutoModelForImageClassification", "MammoEfficientNetForImageClassification"),
                ),
            ),
        )
        for auto, target in rows
    ],
    "image_processing_auto": [
        ("AutoImageProcessor", _CFG.format(family, config), "mammo_hf.image_processing_mammo:MammoImageProcessor")
        for family, config in _FAMILIES
    ],
    "processing_auto": [
        (
            "AutoProcessor",
            _CFG.format("mammo_clip", "MammoClipConfig"),
            "mammo_hf.models.mammo_clip.processing_mammo_clip:MammoClipProcessor",
        ),
        (
            "AutoProcessor",
            _CFG.format("mam_clip", "MamClipConfig"),
            "mammo_hf.models.mam_clip.processing_mam_clip:MamClipProcessor",
        ),
    ],
}

# Auto-class entry points that must see our classes; wrapped so their first call registers everything.
_ENTRY_POINTS = ("from_pretrained", "from_config", "for_model", "register")
_HOOKED = {f"transformers.models.auto.{name}": name for name in AUTO_REGISTRATIONS}
_lock = threading.RLock()
_registered = False


def _load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _module_exists(spec: str) -> bool:
    try:
        return importlib.util.find_spec(spec.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _register_rows(auto_module_name: str) -> None:
    auto_module = importlib.import_module(f"transformers.models.auto.{auto_module_name}")
    for auto_name, key, target in AUTO_REGISTRATIONS[auto_module_name]:
        specs = [target] + ([key] if key and ":" in key else [])
        if not all(_module_exists(spec) for spec in specs):  # a family being written must not break the others
            continue
        auto_cls = getattr(auto_module, auto_name)
        register = auto_cls.register  # wrapped too, but register_all() is already marked done: no recursion
        if auto_name == "AutoConfig":
            register(key, _load(target), exist_ok=True)
        elif auto_name == "AutoImageProcessor":
            proc = _load(target)
            register(_load(key), image_processor_classes={"torchvision": proc, "pil": proc}, exist_ok=True)
        else:
            register(_load(key), _load(target), exist_ok=True)


def register_all() -> None:
    """Register every row now (imports transformers, torch and our model files). Idempotent and thread-safe."""
    global _registered
    with _lock:
        if _registered:
            return
        _registered = True  # set first: loading our classes may call wrapped entry points again
        for name in AUTO_REGISTRATIONS:
            _register_rows(name)


def _wrap_entry_point(auto_cls: type, name: str) -> None:
    raw = inspect.getattr_static(auto_cls, name, None)
    if not isinstance(raw, (classmethod, staticmethod)) or getattr(raw.__func__, "_mammo_hf_wrapped", False):
        return
    func = raw.__func__
    is_classmethod = isinstance(raw, classmethod)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        register_all()
        return func(*args, **kwargs)

    wrapper._mammo_hf_wrapped = True  # type: ignore[attr-defined]
    setattr(auto_cls, name, classmethod(wrapper) if is_classmethod else staticmethod(wrapper))


def _wrap_auto_module(module: ModuleType) -> None:
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__name__.startswith("Auto") and value.__module__ == module.__name__:
            for name in _ENTRY_POINTS:
                _wrap_entry_point(value, name)


class _WrapAfterExecLoader(importlib.abc.Loader):
    """Delegating loader: executes the real module, then wraps its Auto classes' entry points."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _wrap_auto_module(module)

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
                spec.loader = _WrapAfterExecLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Wrap the Auto classes of auto modules already imported, and hook the ones not imported yet."""
    if not any(isinstance(f, _AutoRegistrationFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AutoRegistrationFinder())
    for fullname in _HOOKED:
        module = sys.modules.get(fullname)
        if module is not None:
            _wrap_auto_module(module)
