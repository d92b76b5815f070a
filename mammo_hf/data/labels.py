"""Label parsing (every spelling the public sets use) and the named label policies.

Parsing turns a source's raw value into the schema's vocabulary and raises `UnknownLabelError` for anything it does
not recognise, so a builder counts and reports the row instead of guessing. Missing values (empty, NaN, `None`)
parse to `None`.

Policies turn a breast row into a training target:

- `malignancy` (binary, `negative`/`positive`): biopsy/pathology where the dataset has it (CBIS-DDSM, CMMD),
  RSNA's `cancer` (positives biopsy-proven, negatives by screening follow-up), else the **BI-RADS >= 4 proxy**
  (BI-RADS 1-3 negative, 4-6 positive, 0 = incomplete assessment -> no label). The `label_source` column says which.
- `birads3` (3 classes): the grouping used by MAM-CLIP's "3-class F1" is not published (papers.md §3.5), so the
  default grouping here is documented and explicit: `negative` = BI-RADS 1, `benign` = BI-RADS 2-3,
  `suspicious` = BI-RADS 4-6; BI-RADS 0 has no label. `BIRADS3_GROUPINGS["recall"]` is the alternative
  `{0}` / `{1, 2}` / `{4, 5}` that fits TEKNOFEST's label set {0, 1, 2, 4, 5}.
- `density` (4 classes A-D), `birads` (7 classes 0-6).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .features import BIRADS_NAMES, CANCER_NAMES, DENSITY_NAMES, PATHOLOGY_NAMES

__all__ = [
    "UnknownLabelError",
    "is_missing",
    "parse_birads",
    "parse_density",
    "parse_pathology",
    "worst_pathology",
    "malignancy_label",
    "LabelPolicy",
    "LABEL_POLICIES",
    "BIRADS3_GROUPINGS",
    "get_label_policy",
    "apply_label_policy",
]


class UnknownLabelError(ValueError):
    """A label value whose spelling no parser recognises; `.reason` is used in skip reports."""

    def __init__(self, kind: str, value: Any) -> None:
        self.kind = kind
        self.value = value
        self.reason = f"unknown_{kind}"
        super().__init__(f"unknown {kind} value {value!r}")


def is_missing(value: Any) -> bool:
    """True for `None`, NaN, empty/whitespace strings and the usual "missing" spellings.

    Example:
        >>> [is_missing(v) for v in (None, float("nan"), " ", "NaN", "3")]
        [True, True, True, True, False]
    """
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip().lower() in ("", "nan", "none", "null", "na", "n/a", "-"):
        return True
    return False


# "BI-RADS 4", "BIRADS 4a", "Bi-Rads 4", "Kategori 4" (MammosighTR), "BIRAD 4" (KAU folders), "4A", 4.0 ...
_BIRADS_RE = re.compile(r"^(?:bi[\s_-]*rads?|birads?|kategori|category|cat\.?)?[\s:_-]*([0-6])\s*([abc])?$", re.I)


def parse_birads(value: Any) -> tuple[int | None, str | None]:
    """Parse a BI-RADS assessment into `(category 0-6, detail)`; the detail keeps 4a/4b/4c.

    Raises:
        UnknownLabelError: For spellings outside 0-6 (e.g. `"7"`, `"4d"`, `"probably benign"`).

    Example:
        >>> parse_birads("BI-RADS 4"), parse_birads("4c"), parse_birads(2.0), parse_birads("Kategori 5")
        ((4, '4'), (4, '4c'), (2, '2'), (5, '5'))
        >>> parse_birads(float("nan"))
        (None, None)
    """
    if is_missing(value):
        return None, None
    if isinstance(value, bool):
        raise UnknownLabelError("birads", value)
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 0 <= int(value) <= 6:
            return int(value), str(int(value))
        raise UnknownLabelError("birads", value)
    text = str(value).strip()
    match = _BIRADS_RE.match(text)
    if match is None:
        raise UnknownLabelError("birads", value)
    category, sub = int(match.group(1)), (match.group(2) or "").lower()
    if sub and category != 4:  # only category 4 has sub-categories
        raise UnknownLabelError("birads", value)
    return category, f"{category}{sub}"


_DENSITY_PERCENT = {  # KAU-BCMD "Percentage of grandular tissue(density)" bins
    "0%-25%": "A",
    "<25%": "A",
    "26%-50%": "B",
    "25%-50%": "B",
    "51%-75%": "C",
    "50%-75%": "C",
    ">75%": "D",
    "76%-100%": "D",
}
_DENSITY_RE = re.compile(r"^(?:density|acr|level|composition|breast composition)?[\s:_-]*([a-d1-4])$", re.I)


def parse_density(value: Any) -> str | None:
    """Parse an ACR breast density into `"A"`-`"D"` (accepts A-D, 1-4, "DENSITY C", "Level B", percent bins).

    Raises:
        UnknownLabelError: For anything else (e.g. `0` or `5`).

    Example:
        >>> parse_density("DENSITY C"), parse_density(2), parse_density("51%-75%"), parse_density(None)
        ('C', 'B', 'C', None)
    """
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    compact = text.replace(" ", "")
    if compact in _DENSITY_PERCENT:
        return _DENSITY_PERCENT[compact]
    match = _DENSITY_RE.match(text)
    if match is None:
        raise UnknownLabelError("density", value)
    token = match.group(1).upper()
    return DENSITY_NAMES[int(token) - 1] if token.isdigit() else token


_PATHOLOGY = {
    "malignant": "malignant",
    "m": "malignant",
    "cancer": "malignant",
    "benign": "benign",
    "b": "benign",
    # CBIS-DDSM: benign lesions that did not need a recall; still benign (ecosystem.md §1.8)
    "benign_without_callback": "benign",
    "normal": "normal",
    "n": "normal",
}


def parse_pathology(value: Any) -> str | None:
    """Parse a pathology outcome into `normal`/`benign`/`malignant`.

    Example:
        >>> parse_pathology("BENIGN_WITHOUT_CALLBACK"), parse_pathology("Malignant "), parse_pathology("")
        ('benign', 'malignant', None)
    """
    if is_missing(value):
        return None
    key = re.sub(r"[\s-]+", "_", str(value).strip().lower())
    if key not in _PATHOLOGY:
        raise UnknownLabelError("pathology", value)
    return _PATHOLOGY[key]


def worst_pathology(values: list[str | None]) -> str | None:
    """Breast-level aggregation of lesion-level pathology: malignant > benign > normal (CBIS-DDSM has 465 images
    with several abnormalities; ecosystem.md §1.8).

    Example:
        >>> worst_pathology(["benign", None, "malignant"]), worst_pathology([None])
        ('malignant', None)
    """
    known = [v for v in values if v is not None]
    return max(known, key=PATHOLOGY_NAMES.index) if known else None


def malignancy_label(
    *, pathology: str | None = None, cancer: int | None = None, birads: int | None = None, cancer_source: str = ""
) -> tuple[int | None, str]:
    """The `malignancy` policy for one breast: `(cancer 0/1 or None, label_source)`.

    Priority: pathology (label_source `biopsy`) > an explicit cancer flag (label_source `cancer_source`, e.g.
    RSNA's `screening_outcome`) > BI-RADS >= 4 proxy (`birads_proxy`; BI-RADS 0 gives no label).

    Example:
        >>> malignancy_label(pathology="benign", birads=5)
        (0, 'biopsy')
        >>> malignancy_label(birads=4), malignancy_label(birads=0)
        ((1, 'birads_proxy'), (None, 'none'))
    """
    if pathology is not None:
        return int(pathology == "malignant"), "biopsy"
    if cancer is not None:
        return int(cancer), cancer_source or "screening_outcome"
    if birads is not None and birads != 0:
        return int(birads >= 4), "birads_proxy"
    return None, "none"


BIRADS3_GROUPINGS: dict[str, dict[str, tuple[int, ...]]] = {
    # default: screening-negative / benign findings / suspicious-or-malignant
    "default": {"negative": (1,), "benign": (2, 3), "suspicious": (4, 5, 6)},
    # TEKNOFEST/MammosighTR labels are {0, 1, 2, 4, 5}: recall / normal-benign / suspicious
    "recall": {"recall": (0,), "normal_benign": (1, 2), "suspicious": (4, 5)},
}


@dataclass(frozen=True)
class LabelPolicy:
    """A named rule from a breast row (a dict with the schema's columns, ClassLabel ints) to a class index.

    Attributes:
        name: Registry name (`malignancy`, `birads3`, `density`, `birads`).
        names: Class names, in index order.
        description: What the rule does, for the dataset card.
        fn: `row -> int | None`; `None` means "no label under this policy" (row is dropped by
            `apply_label_policy`, and counted).
    """

    name: str
    names: list[str]
    description: str
    fn: Callable[[Mapping[str, Any]], int | None] = field(repr=False)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def __call__(self, row: Mapping[str, Any]) -> int | None:
        return self.fn(row)


def _birads3(grouping: str) -> LabelPolicy:
    groups = BIRADS3_GROUPINGS[grouping]
    lookup = {b: i for i, members in enumerate(groups.values()) for b in members}
    text = ", ".join(f"{n} = BI-RADS {{{', '.join(map(str, m))}}}" for n, m in groups.items())
    return LabelPolicy(
        name="birads3" if grouping == "default" else f"birads3-{grouping}",
        names=list(groups),
        description=f"3-class BI-RADS grouping ({grouping}): {text}; other categories have no label.",
        fn=lambda row: None if row.get("birads") is None else lookup.get(int(row["birads"])),
    )


LABEL_POLICIES: dict[str, LabelPolicy] = {
    "malignancy": LabelPolicy(
        name="malignancy",
        names=list(CANCER_NAMES),
        description=(
            "Binary malignancy: biopsy/pathology where the dataset has it (CBIS-DDSM, CMMD), RSNA's cancer flag "
            "(screening outcome), otherwise the BI-RADS >= 4 proxy (BI-RADS 1-3 negative, 4-6 positive, "
            "0 unlabelled). The `label_source` column records which rule produced each label."
        ),
        fn=lambda row: row.get("cancer"),
    ),
    "birads3": _birads3("default"),
    "birads3-recall": _birads3("recall"),
    "density": LabelPolicy(
        name="density",
        names=list(DENSITY_NAMES),
        description="ACR breast composition A-D (4 classes).",
        fn=lambda row: row.get("density"),
    ),
    "birads": LabelPolicy(
        name="birads",
        names=list(BIRADS_NAMES),
        description="BI-RADS assessment 0-6 (7 classes; 4a/4b/4c collapse to 4, detail in `birads_detail`).",
        fn=lambda row: row.get("birads"),
    ),
}


def get_label_policy(name: str) -> LabelPolicy:
    """Look up a policy by name.

    Example:
        >>> get_label_policy("birads3").names
        ['negative', 'benign', 'suspicious']
    """
    try:
        return LABEL_POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown label policy {name!r}; choose one of {sorted(LABEL_POLICIES)}") from None


def apply_label_policy(dataset: Any, policy: str | LabelPolicy, column: str = "label", num_proc: int | None = None):
    """Add a `ClassLabel` column `column` computed by `policy` and drop rows without a label.

    Works on a `datasets.Dataset` or `DatasetDict`; image columns are not decoded. The number of dropped rows is
    logged per split.

    Example:
        >>> import datasets
        >>> from mammo_hf.data.features import BIRADS_NAMES
        >>> ds = datasets.Dataset.from_dict({"birads": [1, 4, 0]},
        ...     features=datasets.Features({"birads": datasets.ClassLabel(names=BIRADS_NAMES)}))
        >>> list(apply_label_policy(ds, "birads3")["label"])
        [0, 2]
    """
    import logging

    import datasets

    policy = get_label_policy(policy) if isinstance(policy, str) else policy
    if isinstance(dataset, datasets.DatasetDict):
        return datasets.DatasetDict({k: apply_label_policy(v, policy, column, num_proc) for k, v in dataset.items()})
    image_cols = [k for k, v in dataset.features.items() if isinstance(v, datasets.Image)]
    light = dataset.select_columns([c for c in dataset.column_names if c not in image_cols])
    labels = [policy(row) for row in light]
    keep = [i for i, y in enumerate(labels) if y is not None]
    dropped = len(labels) - len(keep)
    if dropped:
        logging.getLogger(__name__).info(
            "label policy %s: %d/%d rows have no label", policy.name, dropped, len(labels)
        )
    features = dataset.features.copy()
    features[column] = datasets.ClassLabel(names=policy.names)
    out = dataset.add_column(column, labels, feature=features[column]) if column not in dataset.column_names else None
    if out is None:
        raise ValueError(f"column {column!r} already exists")
    return out.select(keep)
