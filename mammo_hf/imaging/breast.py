"""Breast-region crop, laterality detection and the canonical left/right flip, on :class:`MammoImage`.

The pixel maths (Otsu + largest component, chest-wall side by pixel mass) lives in `mammo_hf.mammo_pixels` so the
Hub-bound `MammoImageProcessor` and this module share one implementation. What this module adds is bookkeeping:
every crop/flip is recorded so a heatmap can be mapped back to the original image
(`mammo_pixels.heatmap_to_original(heatmap, img.original_shape, img.crop_box, img.flipped)`).

Geometry invariant: a processed image always equals `flip?(crop(original, crop_box))`: `crop_box` is in the
coordinates of the original decoded image and the optional horizontal flip applies after the crop. Any sequence
of :func:`crop_breast` and :func:`to_canonical_side` calls keeps that invariant (crop∘flip = flip∘mirrored crop).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from .. import mammo_pixels as mp
from .image import CropBox, MammoImage

__all__ = ["LateralityResult", "crop_breast", "detect_laterality", "chest_wall_side", "to_canonical_side"]


class LateralityResult(NamedTuple):
    """Breast laterality and where it came from (`"ImageLaterality"`, `"Laterality"`, `"PatientOrientation"`,
    `"tags"`, `"user"` or `"pixels"`).
    """

    value: str | None
    source: str | None


def _as_image(img: MammoImage | np.ndarray) -> MammoImage:
    if isinstance(img, MammoImage):
        return img
    arr = np.asarray(img)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {arr.shape}")
    return MammoImage(pixels=arr)


def _check_geometry(img: MammoImage, what: str) -> None:
    if any(step.startswith("resize") for step in img.steps):
        raise ValueError(f"{what} must run before resizing: crop boxes are kept in original-image coordinates")


def crop_breast(img: MammoImage | np.ndarray, margin: float = 0.01) -> MammoImage:
    """Crop to the breast: Otsu threshold + largest connected component (film labels and markers are dropped).

    Args:
        img: A `MammoImage` (possibly already flipped/cropped) or a 2-D array, bright breast on dark background.
        margin: Border kept around the breast, as a fraction of the image height/width.

    Returns:
        A new `MammoImage` with the cropped pixels, `crop_box` in *original* image coordinates and a
        `crop:(top,left,bottom,right)` step. The whole image is kept when nothing stands out.

    Example:
        >>> import numpy as np
        >>> arr = np.zeros((100, 80), np.float32); arr[20:70, 0:40] = 1.0
        >>> out = crop_breast(arr, margin=0)
        >>> out.shape, out.crop_box
        ((50, 40), (20, 0, 70, 40))
    """
    img = _as_image(img)
    _check_geometry(img, "crop_breast")
    box = mp.breast_crop_box(img.pixels, margin=margin)
    cropped = np.ascontiguousarray(mp.apply_crop(img.pixels, box))
    top, left, bottom, right = box
    if img.flipped:  # box is in flipped coordinates: mirror it back into the un-flipped frame
        width = img.pixels.shape[1]
        left, right = width - right, width - left
    if img.crop_box is not None:
        t0, l0 = img.crop_box[0], img.crop_box[1]
        top, left, bottom, right = top + t0, left + l0, bottom + t0, right + l0
    original: CropBox = (int(top), int(left), int(bottom), int(right))
    return img.with_pixels(cropped, step=f"crop:{original}", crop_box=original)


def chest_wall_side(img: MammoImage | np.ndarray) -> str:
    """Image side (`"L"` = left columns, `"R"`) of the chest wall in the pixels as they are now (pixel mass).

    Example:
        >>> import numpy as np
        >>> arr = np.zeros((10, 10)); arr[:, 6:] = 1.0
        >>> chest_wall_side(arr)
        'R'
    """
    return mp.breast_side(_as_image(img).pixels)


def detect_laterality(img: MammoImage | np.ndarray) -> LateralityResult:
    r"""Breast laterality: from the tags the reader kept (ImageLaterality → Laterality → PatientOrientation), else
    from the pixels.

    The pixel fallback finds the chest-wall side of the *original* orientation (undoing a recorded flip) and applies
    the standard DICOM mammography display convention (PS3.3 C.8.11.7.1.1: left breast `A\R`/`A\FR`, i.e. chest
    wall on the image's left; right breast `P\L`, chest wall on the right). Archives that stored mirrored images
    without saying so will fool it; that is why tags win.

    Example:
        >>> import numpy as np
        >>> arr = np.zeros((10, 10)); arr[:, 6:] = 1.0
        >>> detect_laterality(arr)
        LateralityResult(value='R', source='pixels')
    """
    img = _as_image(img)
    if img.laterality in ("L", "R"):
        return LateralityResult(img.laterality, img.laterality_source or "tags")
    side = chest_wall_side(img)
    if img.flipped:
        side = "R" if side == "L" else "L"
    return LateralityResult(side, "pixels")


def to_canonical_side(
    img: MammoImage | np.ndarray,
    side: Literal["L", "R"] = "L",
    *,
    method: Literal["pixels", "laterality"] = "pixels",
) -> MammoImage:
    """Flip horizontally, if needed, so the chest wall is on `side` (`"L"`: breast pointing right, the common choice).

    Args:
        img: A `MammoImage` or a 2-D array.
        side: Where the chest wall must end up.
        method: `"pixels"` (default) measures where the tissue mass is, which is what actually matters for the
            flip and works on mirrored archives; `"laterality"` trusts the laterality tag and the standard display
            convention (left breast = chest wall left), falling back to pixels when laterality is unknown.

    Returns:
        A `MammoImage` with `flipped` toggled (and a `flip:chest_wall_<side>` step) when a flip was needed.

    Example:
        >>> import numpy as np
        >>> arr = np.zeros((10, 10), np.float32); arr[:, 6:] = 1.0
        >>> out = to_canonical_side(arr, "L")
        >>> out.flipped, chest_wall_side(out)
        (True, 'L')
    """
    side = side.upper()  # type: ignore[assignment]
    if side not in ("L", "R"):
        raise ValueError(f"side must be 'L' or 'R', got {side!r}")
    if method not in ("pixels", "laterality"):
        raise ValueError(f"method must be 'pixels' or 'laterality', got {method!r}")
    img = _as_image(img)
    _check_geometry(img, "to_canonical_side")
    if method == "laterality" and img.laterality in ("L", "R"):
        current = img.laterality if not img.flipped else ("R" if img.laterality == "L" else "L")
    else:
        current = chest_wall_side(img)
    if current == side:
        return img
    flipped = np.ascontiguousarray(mp.flip_horizontal(img.pixels))
    return img.with_pixels(flipped, step=f"flip:chest_wall_{side}", flipped=not img.flipped)
