"""The unified breast-level schema every builder writes (DESIGN.md §5).

One row = one breast examination: the CC and the MLO image of one breast of one study, 16-bit kept 16-bit
(stored as 16-bit PNG bytes inside an `Image()` column, decoded by `datasets` as PIL mode `I;16`), the
non-identifying per-view metadata needed to map model outputs back to the original image (crop box, flip, spacing,
vendor), and every label the source dataset has, as `ClassLabel`s where the vocabulary is closed.

Nothing in this schema is ever filled from a DICOM patient/study module: `patient_id` and `study_id` come from the
dataset's own anonymised label files (or are hashed, see `mammo_hf.data.splits.hash_id`).

A breast with a single usable view goes to the *single-view side table*: the same features, with the missing view
and its metadata set to `None`, so the two tables concatenate without casting.

The atlas image–caption pairs (MAM-CLIP pretraining data) have their own, smaller schema: `ATLAS_FEATURES`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BIRADS_NAMES",
    "DENSITY_NAMES",
    "PATHOLOGY_NAMES",
    "CANCER_NAMES",
    "LABEL_SOURCES",
    "VIEWS",
    "SPLITS",
    "breast_features",
    "view_meta_features",
    "atlas_features",
    "empty_view_meta",
]

# BI-RADS final assessment categories 0-6 (ACR BI-RADS Atlas 5th ed.). Sub-categories 4a/4b/4c collapse to "4" in
# the ClassLabel; the exact spelling from the source is kept in `birads_detail`.
BIRADS_NAMES: list[str] = ["0", "1", "2", "3", "4", "5", "6"]
# ACR breast composition a (almost entirely fatty) .. d (extremely dense).
DENSITY_NAMES: list[str] = ["A", "B", "C", "D"]
PATHOLOGY_NAMES: list[str] = ["normal", "benign", "malignant"]
CANCER_NAMES: list[str] = ["negative", "positive"]
# Where `cancer` came from (see mammo_hf.data.labels.MALIGNANCY): biopsy = pathology-proven (CBIS-DDSM, CMMD);
# screening_outcome = RSNA's `cancer` (positives biopsy-proven, negatives by follow-up); birads_proxy = BI-RADS >= 4
# (VinDr-Mammo, INbreast, KAU-BCMD, MammosighTR); none = no label could be derived.
LABEL_SOURCES: tuple[str, ...] = ("biopsy", "screening_outcome", "birads_proxy", "none")
VIEWS: tuple[str, str] = ("CC", "MLO")
SPLITS: tuple[str, ...] = ("train", "validation", "test")


def view_meta_features() -> Any:
    """Per-view non-identifying metadata (a `datasets` struct).

    Fields: `image_id` (the dataset's own image identifier or relative file name), `view` as acquired (`CC`,
    `MLO`, `ML`, ...), `original_height`/`original_width` of the decoded image, `crop_box`
    `[top, left, bottom, right]` in original pixels (bottom/right exclusive; `None` when not cropped), `flipped`,
    `pixel_spacing` `[row_mm, col_mm]`, `manufacturer`, `photometric`, `bits_stored`, `steps` (the pixel
    pipeline steps applied, e.g. `["voi:window", "invert", "crop", "resize"]`).

    Example:
        >>> sorted(view_meta_features())[:3]
        ['bits_stored', 'crop_box', 'flipped']
    """
    from datasets import List, Value

    return {
        "image_id": Value("string"),
        "view": Value("string"),
        "original_height": Value("int32"),
        "original_width": Value("int32"),
        "crop_box": List(Value("int32")),
        "flipped": Value("bool"),
        "pixel_spacing": List(Value("float32")),
        "manufacturer": Value("string"),
        "photometric": Value("string"),
        "bits_stored": Value("int32"),
        "steps": List(Value("string")),
    }


def empty_view_meta() -> dict[str, Any]:
    """A view-meta dict with every field `None` (used for the missing view of a single-view breast)."""
    return dict.fromkeys(view_meta_features())


def breast_features() -> Any:
    """The breast-level `datasets.Features` (one row per breast examination).

    Columns: `source`, `patient_id`, `study_id`, `breast_id` (unique key `source/patient/study/laterality`),
    `laterality` (`"L"`/`"R"`), `cc`, `mlo` (`Image`, 16-bit), `cc_meta`, `mlo_meta` (see
    `view_meta_features`), `birads` (ClassLabel 0-6), `birads_detail` (source spelling, e.g. `"4b"`), `density`
    (ClassLabel A-D), `pathology` (ClassLabel normal/benign/malignant), `cancer` (ClassLabel negative/positive,
    from the `malignancy` label policy), `label_source` (one of `LABEL_SOURCES`), `findings` (finding categories
    as the source names them), `split`, `extra` (JSON object of dataset-specific non-identifying columns such as
    RSNA `site_id`/`machine_id`/`implant`). Missing labels are `None`.

    Example:
        >>> feats = breast_features()
        >>> feats["birads"].names[4], feats["density"].names
        ('4', ['A', 'B', 'C', 'D'])
        >>> row = dict.fromkeys(feats) | {"birads": "4", "density": "C"}
        >>> feats.encode_example(row)["birads"]
        4
    """
    from datasets import ClassLabel, Features, Image, List, Value

    return Features(
        {
            "source": Value("string"),
            "patient_id": Value("string"),
            "study_id": Value("string"),
            "breast_id": Value("string"),
            "laterality": Value("string"),
            "cc": Image(),
            "mlo": Image(),
            "cc_meta": view_meta_features(),
            "mlo_meta": view_meta_features(),
            "birads": ClassLabel(names=BIRADS_NAMES),
            "birads_detail": Value("string"),
            "density": ClassLabel(names=DENSITY_NAMES),
            "pathology": ClassLabel(names=PATHOLOGY_NAMES),
            "cancer": ClassLabel(names=CANCER_NAMES),
            "label_source": Value("string"),
            "findings": List(Value("string")),
            "split": Value("string"),
            "extra": Value("string"),
        }
    )


def atlas_features() -> Any:
    """Schema of atlas image–caption pairs (MAM-CLIP pretraining: JSON `{"image", "caption"}`).

    Columns: `image` (`Image`, original bytes kept), `caption`, `image_id` (path relative to the raw folder),
    `source` (the atlas/book name when given, else `"atlas"`), `split`.

    Example:
        >>> list(atlas_features())
        ['image', 'caption', 'image_id', 'source', 'split']
    """
    from datasets import Features, Image, Value

    return Features(
        {
            "image": Image(),
            "caption": Value("string"),
            "image_id": Value("string"),
            "source": Value("string"),
            "split": Value("string"),
        }
    )
