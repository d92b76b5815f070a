"""Registry of the local dataset converters (`mammo-hf build <name>`).

Each builder module declares its source facts (`info`: licence, citation, access URL, redistribution) and a
`scan` of the raw download; the shared engine (`mammo_hf.data.build`) does the rest.

Example:
    >>> from mammo_hf.data.builders import list_builders, get_builder
    >>> "vindr_mammo" in list_builders()
    True
    >>> get_builder("cbis_ddsm").info.redistributable
    True
"""

from __future__ import annotations

import importlib

from .base import BaseBuilder, BreastBuilder, BreastRecord, ImageRef, RawDataError, ScanResult, Skip, SourceInfo

__all__ = [
    "BUILDERS",
    "SIX_DATASETS",
    "get_builder",
    "list_builders",
    "BaseBuilder",
    "BreastBuilder",
    "BreastRecord",
    "ImageRef",
    "RawDataError",
    "ScanResult",
    "Skip",
    "SourceInfo",
]

# name -> "module:Class" (imported on demand so `mammo-hf build --help` stays instant)
BUILDERS: dict[str, str] = {
    "rsna": "mammo_hf.data.builders.rsna:RsnaBuilder",
    "vindr_mammo": "mammo_hf.data.builders.vindr_mammo:VindrMammoBuilder",
    "cbis_ddsm": "mammo_hf.data.builders.cbis_ddsm:CbisDdsmBuilder",
    "cmmd": "mammo_hf.data.builders.cmmd:CmmdBuilder",
    "inbreast": "mammo_hf.data.builders.inbreast:INbreastBuilder",
    "kau_bcmd": "mammo_hf.data.builders.kau_bcmd:KauBcmdBuilder",
    "mammosightr": "mammo_hf.data.builders.mammosightr:MammosighTRBuilder",
    "atlas": "mammo_hf.data.builders.atlas:AtlasBuilder",
    "pooled": "mammo_hf.data.builders.pooled:PooledBuilder",
}

# The six public dual-view sets pooled by `mammo-hf build pooled` (papers.md §6 shortlist).
SIX_DATASETS: tuple[str, ...] = ("rsna", "vindr_mammo", "cbis_ddsm", "cmmd", "inbreast", "kau_bcmd")

_ALIASES = {"vindr": "vindr_mammo", "vindr-mammo": "vindr_mammo", "cbis-ddsm": "cbis_ddsm", "kau-bcmd": "kau_bcmd"}


def list_builders() -> list[str]:
    """Names accepted by `get_builder` / `mammo-hf build`."""
    return list(BUILDERS)


def get_builder(name: str, **kwargs) -> BaseBuilder:
    """Instantiate a registered builder by name (`-` and `_` are interchangeable)."""
    key = _ALIASES.get(name, name.replace("-", "_"))
    if key not in BUILDERS:
        raise ValueError(f"unknown dataset builder {name!r}; choose one of {list_builders()}")
    module, cls = BUILDERS[key].split(":")
    return getattr(importlib.import_module(module), cls)(**kwargs)
