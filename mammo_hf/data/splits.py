"""Patient-level, seeded, order-independent splits.

Every patient is placed by a hash of `(seed, source, patient_id)`, never by shuffling a list: the assignment of a
patient does not depend on which other patients are present, so a re-run, a resumed build, a subset or the pooled
six-dataset build all place the same patient in the same split, and no patient ever straddles two splits.

Official splits are kept where a dataset has one (VinDr-Mammo `training`/`test`, CBIS-DDSM `Training`/`Test`):
official test stays test, the validation split is carved from the official training patients. A patient that the
official files put in both (CBIS-DDSM's split is lesion-level) goes to test, so test keeps everything it had and
nothing of its patients leaks into training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

__all__ = ["DEFAULT_FRACTIONS", "hash_id", "unit_interval", "patient_split", "assign_splits"]

DEFAULT_FRACTIONS: tuple[float, float, float] = (0.8, 0.1, 0.1)


def hash_id(*parts: object, length: int = 16) -> str:
    """A stable, non-reversible identifier (SHA-256 hex prefix) for ids that must not be copied verbatim.

    Example:
        >>> hash_id("INbreast", "a1b2") == hash_id("INbreast", "a1b2"), len(hash_id("x"))
        (True, 16)
    """
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:length]


def unit_interval(*parts: object) -> float:
    """Map `parts` to a deterministic float in `[0, 1)`.

    Example:
        >>> 0 <= unit_interval(0, "rsna", "10006") < 1
        True
    """
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def patient_split(
    patient_id: str,
    *,
    source: str = "",
    seed: int = 0,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    official: str | None = None,
) -> str:
    """Split of one patient: `train`, `validation` or `test`.

    Args:
        patient_id: The dataset's patient id.
        source: Dataset name (namespaces the hash, so equal ids in two datasets are independent).
        seed: Split seed.
        fractions: `(train, validation, test)` fractions used when there is no official split; they must sum to 1.
        official: The dataset's own split for this patient (`"train"` or `"test"`), if any. Official test stays
            test; official train is divided into train/validation with the ratio `fractions[0] : fractions[1]`.

    Example:
        >>> patient_split("P_00001", source="cbis_ddsm", official="test")
        'test'
        >>> patient_split("P_00001", source="cbis_ddsm", official="train") in ("train", "validation")
        True
    """
    train, val, test = fractions
    if min(fractions) < 0 or abs(train + val + test - 1.0) > 1e-6:
        raise ValueError(f"split fractions must be >= 0 and sum to 1, got {fractions}")
    u = unit_interval(seed, source, patient_id)
    if official == "test":
        return "test"
    if official == "train":
        return "validation" if train + val > 0 and u < val / (train + val) else "train"
    if official not in (None, ""):
        raise ValueError(f"official split must be 'train', 'test' or None, got {official!r}")
    if u < test:
        return "test"
    if u < test + val:
        return "validation"
    return "train"


def assign_splits(
    patients: Iterable[tuple[str, str | None]],
    *,
    source: str = "",
    seed: int = 0,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
) -> dict[str, str]:
    """Assign every patient one split from `(patient_id, official_split_or_None)` pairs (one pair per record).

    A patient with records in both official splits goes to `test`.

    Example:
        >>> assign_splits([("a", "train"), ("a", "test"), ("b", "test")], source="cbis_ddsm")
        {'a': 'test', 'b': 'test'}
    """
    official: dict[str, set[str]] = {}
    for pid, split in patients:
        official.setdefault(pid, set())
        if split:
            official[pid].add(split)
    out: dict[str, str] = {}
    for pid, splits in official.items():
        off = "test" if "test" in splits else ("train" if "train" in splits else None)
        out[pid] = patient_split(pid, source=source, seed=seed, fractions=fractions, official=off)
    return out


def split_counts(assignment: Mapping[str, str]) -> dict[str, int]:
    """Count patients per split (helper for reports)."""
    counts: dict[str, int] = {}
    for split in assignment.values():
        counts[split] = counts.get(split, 0) + 1
    return counts
