"""Datasets: the unified breast-level schema, label policies, patient-level splits and local builders.

Example:
    >>> from mammo_hf.data import breast_features, get_label_policy, list_builders
    >>> "cbis_ddsm" in list_builders(), get_label_policy("malignancy").names
    (True, ['negative', 'positive'])
"""

from __future__ import annotations

from .builders import BUILDERS, SIX_DATASETS, get_builder, list_builders
from .features import atlas_features, breast_features
from .labels import LABEL_POLICIES, apply_label_policy, get_label_policy
from .splits import patient_split

__all__ = [
    "BUILDERS",
    "SIX_DATASETS",
    "LABEL_POLICIES",
    "apply_label_policy",
    "atlas_features",
    "breast_features",
    "build_dataset",
    "BuildConfig",
    "get_builder",
    "get_label_policy",
    "list_builders",
    "patient_split",
    "push_dataset",
]


def __getattr__(name: str):
    if name in ("build_dataset", "BuildConfig"):
        from . import build

        return getattr(build, name)
    if name == "push_dataset":
        from .push import push_dataset

        return push_dataset
    raise AttributeError(f"module 'mammo_hf.data' has no attribute {name!r}")
