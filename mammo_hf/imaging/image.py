"""`MammoImage`: pixels plus the non-identifying metadata the rest of the package needs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

__all__ = ["MammoImage", "CropBox"]

# (top, left, bottom, right) in pixel coordinates of the image *before* the crop; bottom/right exclusive.
CropBox = tuple[int, int, int, int]


@dataclass
class MammoImage:
    """A decoded mammogram.

    Only non-identifying metadata is ever stored here: nothing from the DICOM patient/study/institution modules
    (names, IDs, dates, accession numbers) is copied, so anything derived from a `MammoImage` is PHI-free.

    Attributes:
        pixels: 2-D array `(height, width)`, `float32` in `[0, 1]` or `uint16`, bright = dense tissue.
        laterality: `"L"`, `"R"` or `None` when unknown.
        view: Normalised view code (`"CC"`, `"MLO"`, `"ML"`, ...) or `None`.
        photometric: Original photometric interpretation (`"MONOCHROME1"`, `"MONOCHROME2"`, `"RGB"`, ...).
        manufacturer: Device manufacturer (not identifying, useful for vendor-shift analysis).
        pixel_spacing: `(row_mm, col_mm)` or `None`.
        bits_stored: Bits stored per pixel in the source file.
        source_format: `"dicom"`, `"png"`, `"tiff"`, `"jpeg"` or `"array"`.
        original_shape: `(height, width)` of the decoded image before any crop/flip.
        crop_box: Box of the breast crop in original coordinates, `None` if not cropped.
        flipped: Whether the image was flipped horizontally to the canonical side.
        steps: Ordered list of the processing steps applied (e.g. `["rescale", "voi:window", "invert"]`).
        laterality_source: Where `laterality` came from (`"ImageLaterality"`, `"Laterality"`,
            `"PatientOrientation"`, `"pixels"`, `"user"`) or `None`.
        raw_view: The view code as found in the source before normalisation (e.g. `"ML"` for `view="MLO"`).

    Example:
        >>> import numpy as np
        >>> img = MammoImage(pixels=np.zeros((4, 3), dtype=np.float32), laterality="L", view="CC")
        >>> img.shape
        (4, 3)
    """

    pixels: np.ndarray
    laterality: str | None = None
    view: str | None = None
    photometric: str | None = None
    manufacturer: str | None = None
    pixel_spacing: tuple[float, float] | None = None
    bits_stored: int | None = None
    source_format: str = "array"
    original_shape: tuple[int, int] | None = None
    crop_box: CropBox | None = None
    flipped: bool = False
    steps: list[str] = field(default_factory=list)
    laterality_source: str | None = None
    raw_view: str | None = None

    def __post_init__(self) -> None:
        if self.original_shape is None:
            self.original_shape = tuple(int(s) for s in self.pixels.shape[:2])  # type: ignore[assignment]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.pixels.shape)

    def with_pixels(self, pixels: np.ndarray, step: str | None = None, **changes: Any) -> MammoImage:
        """Return a copy with new pixels (and optional field changes), appending `step` to `steps`."""
        steps = list(self.steps) + ([step] if step else [])
        return replace(self, pixels=pixels, steps=steps, **changes)

    def metadata(self) -> dict[str, Any]:
        """Non-identifying metadata as a JSON-friendly dict (everything except the pixels)."""
        meta = asdict(replace(self, pixels=np.empty((0,))))
        meta.pop("pixels")
        return meta
