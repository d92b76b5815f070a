"""Exceptions raised by the pixel pipeline.

Every failure to read or interpret an image surfaces as a subclass of :class:`MammoImageError`, never as a bare
pydicom/PIL/numpy traceback, so callers (builders, the CLI, the Space) can count and report skips with a reason.
"""

from __future__ import annotations

__all__ = [
    "MammoImageError",
    "NotAnImageError",
    "CorruptImageError",
    "MissingPixelDataError",
    "MissingDecoderError",
    "UnsupportedImageError",
    "EmptyImageError",
]


class MammoImageError(ValueError):
    """Base class of every error raised while reading or preprocessing a mammogram.

    Attributes:
        path: The file (or `"<bytes>"`) that failed, when known.
        reason: A short machine-friendly reason used in skip reports (e.g. `"truncated"`).
    """

    reason: str = "unreadable"

    def __init__(self, message: str, *, path: str | None = None, reason: str | None = None) -> None:
        self.path = path
        if reason is not None:
            self.reason = reason
        super().__init__(f"{path}: {message}" if path else message)


class NotAnImageError(MammoImageError):
    """The input is neither a DICOM file nor an image format we read (PNG, TIFF, JPEG)."""

    reason = "not_an_image"


class CorruptImageError(MammoImageError):
    """The file looks like a DICOM/image but is truncated or its pixel data cannot be decoded."""

    reason = "corrupt"


class MissingPixelDataError(MammoImageError):
    """A DICOM dataset without a Pixel Data element (e.g. a structured report or a stripped header)."""

    reason = "no_pixel_data"


class MissingDecoderError(MammoImageError):
    """A compressed transfer syntax whose decoder plugin is not installed; the message names the extra."""

    reason = "missing_decoder"


class UnsupportedImageError(MammoImageError):
    """A well-formed image we deliberately do not handle (colour, multi-frame, odd bit depth, ...)."""

    reason = "unsupported"


class EmptyImageError(MammoImageError):
    """A zero-size image, or one with a single constant value (nothing to normalise)."""

    reason = "empty"
