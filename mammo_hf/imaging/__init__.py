"""The pixel pipeline: read any mammogram (DICOM/PNG/TIFF/JPEG), crop the breast, normalise laterality and views.

Importing this package is cheap (numpy only): pydicom and Pillow load on the first read, and the batch
preprocessor on first use.

Example:
    >>> import numpy as np
    >>> from mammo_hf.imaging import crop_breast, read_image, to_canonical_side
    >>> yy, xx = np.mgrid[:64, :48]
    >>> arr = np.where((xx - 47) ** 2 + (yy - 32) ** 2 <= 24**2, 3000, 0).astype(np.uint16)  # chest wall on the right
    >>> img = to_canonical_side(crop_breast(read_image(arr), margin=0), "L")
    >>> img.crop_box, img.flipped
    ((8, 23, 57, 48), True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    CorruptImageError,
    EmptyImageError,
    MammoImageError,
    MissingDecoderError,
    MissingPixelDataError,
    NotAnImageError,
    UnsupportedImageError,
)
from .image import CropBox, MammoImage

_LAZY: dict[str, str] = {
    "read_image": "io",
    "sniff_format": "io",
    "IMAGE_SUFFIXES": "io",
    "read_dicom": "dicom",
    "dicom_metadata": "dicom",
    "check_decoder": "dicom",
    "crop_breast": "breast",
    "detect_laterality": "breast",
    "chest_wall_side": "breast",
    "to_canonical_side": "breast",
    "LateralityResult": "breast",
    "normalize_view": "views",
    "pair_views": "views",
    "tile_views": "views",
    "preprocess_files": "batch",
    "process_file": "batch",
    "collect_inputs": "batch",
    "PreprocessOptions": "batch",
    "PreprocessReport": "batch",
}

__all__ = [
    "MammoImage",
    "CropBox",
    "MammoImageError",
    "NotAnImageError",
    "CorruptImageError",
    "MissingPixelDataError",
    "MissingDecoderError",
    "UnsupportedImageError",
    "EmptyImageError",
    "read_image",
    "sniff_format",
    "IMAGE_SUFFIXES",
    "read_dicom",
    "dicom_metadata",
    "check_decoder",
    "crop_breast",
    "detect_laterality",
    "chest_wall_side",
    "to_canonical_side",
    "LateralityResult",
    "normalize_view",
    "pair_views",
    "tile_views",
    "preprocess_files",
    "process_file",
    "collect_inputs",
    "PreprocessOptions",
    "PreprocessReport",
]

if TYPE_CHECKING:  # pragma: no cover
    from .batch import PreprocessOptions, PreprocessReport, collect_inputs, preprocess_files, process_file
    from .breast import LateralityResult, chest_wall_side, crop_breast, detect_laterality, to_canonical_side
    from .dicom import check_decoder, dicom_metadata, read_dicom
    from .io import IMAGE_SUFFIXES, read_image, sniff_format
    from .views import normalize_view, pair_views, tile_views


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mammo_hf.imaging' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
