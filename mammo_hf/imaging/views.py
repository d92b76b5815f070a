"""Mammographic view codes: normalisation, CC/MLO pairing and the side-by-side dual-view tile.

View normalisation rule (documented because dual-view models depend on it, see the ecosystem notes §1.3):

* `CC` and `MLO` are the two screening views; every spelling of them (`"cc"`, `"cranio-caudal"`, `"L-CC"`,
  `"R_MLO"`, DICOM ViewCodeSequence codes) maps to these two codes.
* `ML` (true medio-lateral, INbreast's MLO-like view) → `MLO`: it shows the same tissue from a nearly identical angle
  and is what INbreast/older archives acquire in place of the MLO. The original code stays in `MammoImage.raw_view`
  and :func:`pair_views` prefers a true `MLO` over an `ML` when both exist.
* Every other code (`LM`, `LMO`, `XCCL`, `XCCM`, `AT`, `FB`, `SIO`, `ISO`, `CV`, spot/magnification views) is kept
  as-is (upper-cased); :func:`pair_views` ignores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .image import MammoImage

__all__ = ["CANONICAL_VIEWS", "VIEW_ALIASES", "normalize_view", "view_from_code", "pair_views", "tile_views"]

CANONICAL_VIEWS = ("CC", "MLO")

# Spellings → view code (keys are upper-case with separators removed).
VIEW_ALIASES: dict[str, str] = {
    "CC": "CC",
    "CRANIOCAUDAL": "CC",
    "MLO": "MLO",
    "MEDIOLATERALOBLIQUE": "MLO",
    "OBLIQUE": "MLO",
    "ML": "MLO",  # documented: true lateral treated as the MLO-like view (INbreast)
    "MEDIOLATERAL": "MLO",
    "LM": "LM",
    "LATEROMEDIAL": "LM",
    "LMO": "LMO",
    "LATEROMEDIALOBLIQUE": "LMO",
    "XCCL": "XCCL",
    "CRANIOCAUDALEXAGGERATEDLATERALLY": "XCCL",
    "XCCM": "XCCM",
    "CRANIOCAUDALEXAGGERATEDMEDIALLY": "XCCM",
    "FB": "FB",
    "CAUDOCRANIAL": "FB",
    "CAUDOCRANIALFROMBELOW": "FB",
    "AT": "AT",
    "AXILLARYTAIL": "AT",
    "SIO": "SIO",
    "SUPEROLATERALTOINFEROMEDIALOBLIQUE": "SIO",
    "ISO": "ISO",
    "INFEROMEDIALTOSUPEROLATERALOBLIQUE": "ISO",
    "CV": "CV",
    "CLEAVAGE": "CV",
}

# DICOM CID 4014 "View for Mammography": SNOMED CT (SCT) codes and the legacy SNOMED-RT (SRT) ones.
_VIEW_CODES: dict[str, str] = {
    "399162004": "CC",
    "R-10242": "CC",
    "399368009": "MLO",
    "R-10226": "MLO",
    "R-102D2": "MLO",  # seen from some vendors for MLO (OHIF mammography hanging protocols)
    "399260004": "ML",
    "R-10224": "ML",
    "399352003": "LM",
    "R-10228": "LM",
    "399099002": "LMO",
    "R-10230": "LMO",
    "399192003": "XCCL",
    "R-1024A": "XCCL",
    "399101009": "XCCM",
    "R-1024B": "XCCM",
    "399196000": "FB",
    "R-10244": "FB",
    "399188001": "SIO",
    "R-102D0": "SIO",
}

_LATERALITY_PREFIX = re.compile(r"^(?:LEFT|RIGHT|[LR])[\s_\-./]+(.+)$")


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def normalize_view(code: Any) -> str | None:
    """Normalise a view code or description: `CC`/`MLO` spellings → `"CC"`/`"MLO"`, `ML` → `"MLO"`, others kept.

    Accepts DICOM ViewPosition values, ViewCodeSequence meanings and CSV spellings with a laterality prefix
    (`"L-CC"`, `"R_MLO"`, `"left cc"`). Returns `None` for empty/unknown-empty input; an unknown code is returned
    upper-cased and stripped so nothing is silently relabelled.

    Example:
        >>> [normalize_view(v) for v in ["cc", "ML", "medio-lateral oblique", "L-CC", "XCCL", "", None]]
        ['CC', 'MLO', 'MLO', 'CC', 'XCCL', None, None]
    """
    if code is None:
        return None
    text = str(code).strip().upper()
    if not text:
        return None
    key = _key(text)
    if key in VIEW_ALIASES:
        return VIEW_ALIASES[key]
    match = _LATERALITY_PREFIX.match(text)
    if match and _key(match.group(1)) in VIEW_ALIASES:
        return VIEW_ALIASES[_key(match.group(1))]
    return text


def view_from_code(code_value: str | None, code_meaning: str | None = None, scheme: str | None = None) -> str | None:
    """View code (un-normalised, e.g. `"ML"`) from a DICOM ViewCodeSequence item (CID 4014).

    Example:
        >>> view_from_code("399368009"), view_from_code("R-10242"), view_from_code("x", "cranio-caudal")
        ('MLO', 'CC', 'CC')
    """
    if code_value and str(code_value).strip().upper() in _VIEW_CODES:
        return _VIEW_CODES[str(code_value).strip().upper()]
    if code_meaning:
        key = _key(code_meaning)
        if key in VIEW_ALIASES:
            return "ML" if key in ("ML", "MEDIOLATERAL") else VIEW_ALIASES[key]
        return str(code_meaning).strip()[:32] or None
    return None


def _view_rank(index: int, img: MammoImage) -> tuple:
    """Sort key for choosing among several candidates of one view (smaller is preferred)."""
    exact = img.raw_view is None or normalize_view(img.raw_view) == img.raw_view.strip().upper()
    pixels = int(np.prod(img.pixels.shape[:2])) if img.pixels is not None else 0
    return (0 if exact else 1, -pixels, index)


def pair_views(
    images: Iterable[MammoImage] | Mapping[Any, MammoImage],
    *,
    laterality: str | None = None,
    require_both: bool = True,
) -> dict[str, MammoImage | None]:
    """Pick one CC and one MLO image of a breast, deterministically.

    Candidates are the images whose (normalised) view is `CC` or `MLO` and, when `laterality` is given, whose
    laterality matches. When several images share a view, the choice is, in order: a view coded exactly as `CC`/`MLO`
    over a mapped one (`ML` → `MLO`), then the larger image, then the first in input order. Images of other views
    (LM, XCCL, spot compressions, ...) are ignored.

    Args:
        images: The images of one exam (a list, or a mapping whose values are images).
        laterality: Keep only `"L"` or `"R"` images. Without it, mixing lateralities raises.
        require_both: Raise `ValueError` when a view is missing (otherwise it is `None` in the result).

    Returns:
        `{"CC": image, "MLO": image}`.

    Example:
        >>> import numpy as np
        >>> from mammo_hf.imaging import MammoImage
        >>> imgs = [MammoImage(np.zeros((4, 3)), "L", "MLO", raw_view="ML"), MammoImage(np.zeros((4, 3)), "L", "CC"),
        ...         MammoImage(np.zeros((2, 2)), "L", "MLO")]
        >>> pair = pair_views(imgs)
        >>> pair["CC"].view, pair["MLO"].raw_view, pair["MLO"].shape
        ('CC', None, (2, 2))
    """
    items = list(images.values()) if isinstance(images, Mapping) else list(images)
    if laterality is not None:
        laterality = laterality.upper()
        items = [img for img in items if img.laterality == laterality]
    else:
        sides = {img.laterality for img in items if img.laterality and normalize_view(img.view) in CANONICAL_VIEWS}
        if len(sides) > 1:
            raise ValueError(f"images of both breasts ({sorted(sides)}); pass laterality='L' or 'R'")
    result: dict[str, MammoImage | None] = {}
    for view in CANONICAL_VIEWS:
        candidates = [(i, img) for i, img in enumerate(items) if normalize_view(img.view) == view]
        if not candidates:
            if require_both:
                found = sorted({str(img.view) for img in items})
                raise ValueError(f"no {view} image among views {found}")
            result[view] = None
            continue
        result[view] = min(candidates, key=lambda pair: _view_rank(*pair))[1]
    return result


def tile_views(cc: Any, mlo: Any, *, height: int | None = None, resample: str = "bilinear") -> np.ndarray:
    """The seed paper's dual-view input: CC and MLO side by side (CC left), resized to a common height.

    Each view keeps its aspect ratio; the common height defaults to the larger of the two. Inputs are
    :class:`MammoImage` or 2-D arrays; the result is a float32 `(height, w_cc + w_mlo)` array.

    Example:
        >>> import numpy as np
        >>> tile_views(np.zeros((4, 2)), np.ones((8, 2))).shape
        (8, 6)
    """
    from ..mammo_pixels import tile_side_by_side

    cc_arr = getattr(cc, "pixels", cc)
    mlo_arr = getattr(mlo, "pixels", mlo)
    return tile_side_by_side(np.asarray(cc_arr), np.asarray(mlo_arr), height=height, resample=resample)
