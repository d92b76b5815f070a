"""Numpy-only pixel maths for mammograms: the one implementation behind `MammoImageProcessor` and `mammo_hf.imaging`.

This file is **Hub-bound**: `save_pretrained` copies it next to `image_processing_mammo.py` so that
`AutoImageProcessor.from_pretrained(..., trust_remote_code=True)` works for people without mammo-hf installed. It
must therefore import only numpy and PIL.

Conventions:
    * Images are 2-D arrays `(height, width)`; bright = dense tissue (MONOCHROME1 already inverted).
    * Boxes are `(top, left, bottom, right)` with bottom/right exclusive, in the coordinates of the input array.
    * "Chest-wall side" is the image side (`"L"` = left columns, `"R"` = right columns) where the breast meets the
      chest wall; the nipple points to the other side.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = [
    "RESAMPLE_FILTERS",
    "to_float32",
    "minmax_normalize",
    "otsu_threshold",
    "largest_component_mask",
    "breast_crop_box",
    "breast_crop_box_and_side",
    "apply_crop",
    "breast_side",
    "flip_horizontal",
    "resize",
    "tile_side_by_side",
    "heatmap_to_original",
]

RESAMPLE_FILTERS: dict[str, int] = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "hamming": Image.Resampling.HAMMING,
    # PIL's BOX filter averages the covered source pixels when shrinking, which is what cv2.INTER_AREA does for
    # the downscaling Mammo-CLIP's offline preprocessing used (upstream preprocess_image_to_png_*.py).
    "box": Image.Resampling.BOX,
    "area": Image.Resampling.BOX,
}

# Size of the thumbnail used for thresholding/connected components: crop boxes need ~0.5% precision, not pixels.
_ANALYSIS_MAX_SIDE = 256


def to_float32(arr: np.ndarray) -> np.ndarray:
    """Return `arr` as a 2-D float32 array (no copy when it already is one).

    Example:
        >>> to_float32(np.array([[0, 65535]], dtype=np.uint16)).dtype
        dtype('float32')
    """
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {arr.shape}")
    return arr if arr.dtype == np.float32 else arr.astype(np.float32)


def minmax_normalize(arr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Per-image min-max scaling to `[0, 1]` in float32. A constant image maps to all zeros.

    Example:
        >>> minmax_normalize(np.array([[2, 4], [6, 10]], dtype=np.uint16)).tolist()
        [[0.0, 0.25], [0.5, 1.0]]
    """
    arr = np.asarray(arr)
    lo, hi = float(arr.min()), float(arr.max())
    result = np.subtract(arr, lo, out=out, dtype=np.float32, casting="unsafe")
    if hi > lo:
        result *= np.float32(1.0 / (hi - lo))
    else:
        result[...] = 0.0
    return result


def _thumbnail(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """Block-mean thumbnail (max side ~256) and its step: averaging, not striding, so noise does not break masks."""
    step = max(1, int(np.ceil(max(arr.shape) / _ANALYSIS_MAX_SIDE)))
    h, w = (arr.shape[0] // step) * step, (arr.shape[1] // step) * step
    if step == 1 or h == 0 or w == 0:
        return np.asarray(arr[::step, ::step], dtype=np.float32), step
    # sum rows then columns with a float32 accumulator: no full-size float copy of a 16-bit image (~6x faster)
    rows = np.asarray(arr[:h, :w]).reshape(h // step, step, w).sum(axis=1, dtype=np.float32)
    return rows.reshape(h // step, w // step, step).sum(axis=2) / np.float32(step * step), step


def _background_threshold(thumb: np.ndarray) -> float:
    """Threshold between background and breast (not between fat and dense tissue).

    Plain Otsu on a mammogram often splits *fatty* from *fibroglandular* tissue when the breast is dense, which
    crops the breast periphery away. So Otsu is applied a second time to the darker class: if that class is itself
    clearly bimodal (background vs fat: class means at least 5% of the full range apart), the lower threshold wins.
    """
    lo, hi = float(thumb.min()), float(thumb.max())
    t1 = otsu_threshold(thumb)
    dark = thumb[thumb <= t1]
    if dark.size < 16 or float(dark.max()) <= float(dark.min()):
        return t1
    t2 = otsu_threshold(dark)
    below, above = dark[dark <= t2], dark[dark > t2]
    if below.size and above.size and float(above.mean() - below.mean()) >= 0.05 * (hi - lo):
        return t2
    return t1


def otsu_threshold(arr: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold (maximal between-class variance) of the intensity histogram.

    Example:
        >>> img = np.concatenate([np.zeros(100), np.full(100, 10.0)]).reshape(10, 20)
        >>> 0.0 <= otsu_threshold(img) < 10.0
        True
    """
    values = np.asarray(arr, dtype=np.float32).ravel()
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return lo
    hist, edges = np.histogram(values, bins=bins, range=(lo, hi))
    hist = hist.astype(np.float64)
    centers = (edges[:-1] + edges[1:]) / 2
    weight0 = np.cumsum(hist)
    weight1 = weight0[-1] - weight0
    mean0 = np.cumsum(hist * centers) / np.maximum(weight0, 1e-12)
    mean1 = (np.sum(hist * centers) - np.cumsum(hist * centers)) / np.maximum(weight1, 1e-12)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


def largest_component_mask(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 4-connected component of a boolean mask (numpy-only label propagation).

    Labels start as pixel indices and every foreground pixel repeatedly takes the minimum label of itself and its
    4 neighbours, with pointer jumping so it converges in O(log diameter) sweeps on typical blobs. Meant for
    thumbnails (a few 10k pixels); it removes film labels, markers and burnt-in text next to the breast.

    Example:
        >>> m = np.zeros((5, 7), bool); m[1:4, 0:3] = True; m[2, 5] = True
        >>> int(largest_component_mask(m).sum())
        9
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return mask.copy()
    h, w = mask.shape
    big = h * w
    labels = np.where(mask, np.arange(big, dtype=np.int64).reshape(h, w), big)
    while True:
        prev = labels
        padded = np.pad(labels, 1, constant_values=big)
        neighbours = np.minimum.reduce(
            [padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
        )
        labels = np.where(mask, neighbours, big)
        flat = labels.ravel()
        fg = flat < big
        # pointer jumping: a label is a pixel index, so follow it to that pixel's current label
        flat[fg] = flat[flat[fg]]
        labels = flat.reshape(h, w)
        if np.array_equal(labels, prev):
            break
    counts = np.bincount(labels[mask])
    return labels == int(np.argmax(counts))


def _crop_box_from_thumb(thumb: np.ndarray, step: int, shape: tuple[int, int], margin: float):
    """Crop box in full-image coordinates and the component's bounds in thumbnail coordinates (or `None`)."""
    h, w = shape
    mask = thumb > _background_threshold(thumb)
    if not mask.any() or mask.all():
        return (0, 0, h, w), None
    component = largest_component_mask(mask)
    rows = np.flatnonzero(component.any(axis=1))
    cols = np.flatnonzero(component.any(axis=0))
    pad_h, pad_w = int(round(margin * h)), int(round(margin * w))
    top = max(0, rows[0] * step - pad_h)
    left = max(0, cols[0] * step - pad_w)
    # the block-mean thumbnail drops a remainder (< step pixels): a component touching its edge reaches the border
    bottom = h if rows[-1] == thumb.shape[0] - 1 else min(h, (rows[-1] + 1) * step + pad_h)
    right = w if cols[-1] == thumb.shape[1] - 1 else min(w, (cols[-1] + 1) * step + pad_w)
    return (int(top), int(left), int(bottom), int(right)), (rows[0], cols[0], rows[-1] + 1, cols[-1] + 1)


def _side_from_thumb(thumb: np.ndarray) -> str:
    weights = np.clip(thumb - _background_threshold(thumb), 0, None)
    half = thumb.shape[1] // 2
    return "L" if weights[:, :half].sum() >= weights[:, thumb.shape[1] - half :].sum() else "R"


def breast_crop_box(arr: np.ndarray, margin: float = 0.01) -> tuple[int, int, int, int]:
    """Bounding box of the breast: Otsu threshold + largest connected component, on a thumbnail.

    Args:
        arr: 2-D image (any dtype), bright breast on a dark background.
        margin: Extra border around the component, as a fraction of the image size.

    Returns:
        `(top, left, bottom, right)` in `arr` coordinates. The whole image when nothing stands out.

    Example:
        >>> img = np.zeros((100, 80), np.uint16); img[20:70, 0:40] = 1000
        >>> breast_crop_box(img, margin=0)
        (20, 0, 70, 40)
    """
    arr = np.asarray(arr)
    thumb, step = _thumbnail(arr)
    return _crop_box_from_thumb(thumb, step, arr.shape, margin)[0]


def breast_crop_box_and_side(
    arr: np.ndarray, margin: float = 0.01, crop: bool = True
) -> tuple[tuple[int, int, int, int], str]:
    """Crop box (as :func:`breast_crop_box`) and chest-wall side of the cropped breast, from ONE thumbnail.

    The processor needs both; computing them from a single block-mean thumbnail saves a full pass over a
    full-field image (the side is read from the thumbnail region of the crop).

    Args:
        arr: 2-D image, bright breast on a dark background.
        margin: Crop margin, as a fraction of the image size.
        crop: If False, the box is the whole image and the side is computed on it.

    Example:
        >>> img = np.zeros((100, 80), np.uint16); img[20:70, 60:80] = 1000; img[35:55, 40:60] = 1000
        >>> breast_crop_box_and_side(img, margin=0)
        ((20, 40, 70, 80), 'R')
    """
    arr = np.asarray(arr)
    thumb, step = _thumbnail(arr)
    if not crop:
        return (0, 0, *arr.shape), _side_from_thumb(thumb)
    box, bounds = _crop_box_from_thumb(thumb, step, arr.shape, margin)
    region = thumb if bounds is None else thumb[bounds[0] : bounds[2], bounds[1] : bounds[3]]
    return box, _side_from_thumb(region if region.shape[1] >= 2 else thumb)


def apply_crop(arr: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Crop `arr` to `box` (a view, no copy).

    Example:
        >>> apply_crop(np.arange(12).reshape(3, 4), (1, 1, 3, 3)).tolist()
        [[5, 6], [9, 10]]
    """
    top, left, bottom, right = box
    if not (0 <= top < bottom <= arr.shape[0] and 0 <= left < right <= arr.shape[1]):
        raise ValueError(f"crop box {box} is empty or outside the image of shape {arr.shape[:2]}")
    return arr[top:bottom, left:right]


def breast_side(arr: np.ndarray) -> str:
    """Which image side the chest wall is on (`"L"` or `"R"`), from where the tissue mass is.

    The breast is widest at the chest wall and tapers to the nipple, so the half with more above-threshold mass is
    the chest-wall side (the pixel fallback used when DICOM laterality/orientation tags are missing).

    Example:
        >>> img = np.zeros((10, 10)); img[:, :4] = 1.0
        >>> breast_side(img)
        'L'
    """
    return _side_from_thumb(_thumbnail(np.asarray(arr))[0])


def flip_horizontal(arr: np.ndarray) -> np.ndarray:
    """Mirror left-right (a view, no copy).

    Example:
        >>> flip_horizontal(np.array([[1, 2, 3]])).tolist()
        [[3, 2, 1]]
    """
    return arr[:, ::-1]


def resize(arr: np.ndarray, size: tuple[int, int], resample: str = "bilinear") -> np.ndarray:
    """Resize a 2-D array to `size = (height, width)` in float32 with a PIL filter (antialiased when shrinking).

    Example:
        >>> resize(np.ones((8, 6), np.uint16), (4, 3)).shape
        (4, 3)
    """
    if resample not in RESAMPLE_FILTERS:
        raise ValueError(f"unknown resample {resample!r}; choose one of {sorted(RESAMPLE_FILTERS)}")
    height, width = int(size[0]), int(size[1])
    arr = to_float32(arr)
    if arr.shape == (height, width):
        return np.array(arr)  # writable copy, as below
    # no np.ascontiguousarray: PIL copies a strided (cropped/flipped) view once itself, instead of twice
    out = Image.fromarray(arr).resize((width, height), resample=RESAMPLE_FILTERS[resample])
    return np.array(out, dtype=np.float32)  # writable copy: callers normalise in place


def tile_side_by_side(cc: np.ndarray, mlo: np.ndarray, height: int | None = None, resample: str = "bilinear"):
    """Place CC and MLO side by side (the dual-view "concatenated" input of the seed paper).

    Both views are resized to a common `height` (default: the larger of the two, keeping each aspect ratio), then
    concatenated along the width, CC on the left.

    Example:
        >>> tile_side_by_side(np.zeros((4, 2)), np.ones((8, 2))).shape
        (8, 6)
    """
    cc, mlo = to_float32(cc), to_float32(mlo)
    height = int(height or max(cc.shape[0], mlo.shape[0]))
    parts = []
    for view in (cc, mlo):
        width = max(1, int(round(view.shape[1] * height / view.shape[0])))
        parts.append(resize(view, (height, width), resample))
    return np.concatenate(parts, axis=1)


def heatmap_to_original(
    heatmap: np.ndarray,
    original_size: tuple[int, int],
    crop_box: tuple[int, int, int, int] | None = None,
    flipped: bool = False,
) -> np.ndarray:
    """Map a heatmap computed on the processed view back onto the original image grid.

    Undoes, in reverse order, what the processor did: resize (heatmap → crop size), flip, crop (paste into a
    zero canvas of `original_size`).

    Example:
        >>> hm = np.ones((2, 2), np.float32)
        >>> out = heatmap_to_original(hm, (10, 8), crop_box=(2, 0, 6, 4))
        >>> out.shape, float(out[2:6, 0:4].min()), float(out.sum())
        ((10, 8), 1.0, 16.0)
    """
    top, left, bottom, right = crop_box or (0, 0, *original_size)
    mapped = resize(heatmap, (bottom - top, right - left), "bilinear")
    if flipped:
        mapped = flip_horizontal(mapped)
    canvas = np.zeros(original_size, dtype=np.float32)
    canvas[top:bottom, left:right] = mapped
    return canvas
