"""`read_image`: one entry point for DICOM, PNG (8/16-bit), TIFF, JPEG and JPEG 2000, sniffed from the content.

The format is decided from the first bytes (the `DICM` marker at offset 128, a bare DICOM header starting with
group 0002/0008, or the PNG/TIFF/JPEG/JP2 signatures), never from the file extension: mammography archives are full
of extension-less DICOMs and `.png` files that are something else.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np

from .errors import CorruptImageError, EmptyImageError, MammoImageError, NotAnImageError, UnsupportedImageError
from .image import MammoImage

__all__ = ["ImageSource", "sniff_format", "read_image", "IMAGE_SUFFIXES"]

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | np.ndarray

# Suffixes `mammo-hf preprocess` considers when scanning a folder (content is still sniffed; files without a
# suffix are always considered because DICOM archives often have none).
IMAGE_SUFFIXES = (".dcm", ".dicom", ".dic", ".ima", ".png", ".tif", ".tiff", ".jpg", ".jpeg", ".jp2", ".j2k")

_HEAD_BYTES = 512
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jpeg2000"),
    (b"\xff\x4f\xff\x51", "jpeg2000"),
)
# Colour files whose channels differ by at most this much (in 8-bit units) are grey images saved as RGB; JPEG's
# chroma subsampling leaves a few units of noise on such images.
_GRAY_TOLERANCE = {"jpeg": 3, "jpeg2000": 3}


def sniff_format(head: bytes) -> str | None:
    r"""Identify the format from the first bytes: `"dicom"`, `"dicom-raw"` (no preamble), `"png"`, `"tiff"`,
    `"jpeg"`, `"jpeg2000"` or `None`.

    Example:
        >>> png = b"\x89PNG\r\n\x1a\n" + bytes(8)
        >>> sniff_format(png), sniff_format(bytes(128) + b"DICM"), sniff_format(b"hello")
        ('png', 'dicom', None)
    """
    head = bytes(head[:_HEAD_BYTES])
    if head[128:132] == b"DICM":
        return "dicom"
    for signature, fmt in _SIGNATURES:
        if head.startswith(signature):
            return fmt
    # A DICOM stream without the 128-byte preamble (PS3.10 7.1 makes it optional for media other than files, and
    # old archives omit it): starts with a group 0x0002 or 0x0008 tag, explicit VR letters or a small length.
    if len(head) >= 8 and head[0:2] in (b"\x02\x00", b"\x08\x00") and head[3:4] == b"\x00":
        vr = head[4:6]
        implicit_length = int.from_bytes(head[4:8], "little")
        if (vr.isalpha() and vr.isupper()) or implicit_length < 1024:
            return "dicom-raw"
    return None


def _read_head(source: Any) -> bytes:
    with open(source, "rb") as fh:
        return fh.read(_HEAD_BYTES)


def _label(source: Any, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return getattr(source, "name", None) or "<bytes>"


def _from_array(arr: np.ndarray, *, output: str, name: str, fmt: str, steps: list[str], **meta: Any) -> MammoImage:
    """Min-max normalise a decoded 2-D array into a MammoImage."""
    if arr.ndim != 2:
        raise UnsupportedImageError(f"expected a 2-D grayscale image, got shape {arr.shape}", path=name)
    if arr.size == 0:
        raise EmptyImageError(f"zero-size image {arr.shape}", path=name, reason="zero_size")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise CorruptImageError("the image contains NaN/inf values", path=name, reason="corrupt")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    lo, hi = arr.min(), arr.max()
    if lo == hi:
        raise EmptyImageError(f"constant image (every pixel is {lo})", path=name, reason="constant")
    out = np.subtract(arr, lo, dtype=np.float32)
    out *= np.float32(1.0 / (float(hi) - float(lo)))
    steps = [*steps, "normalize:minmax"]
    if output == "uint16":
        out = np.clip(out * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    return MammoImage(pixels=out, source_format=fmt, steps=steps, **meta)


def _read_pil(source: Any, *, fmt: str, output: str, name: str) -> MammoImage:
    from PIL import Image, UnidentifiedImageError

    from .dicom import MAX_PIXELS

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we apply our own MAX_PIXELS below
            im = Image.open(source)
    except Image.DecompressionBombError as err:
        raise UnsupportedImageError(f"image too large ({err})", path=name, reason="too_large") from err
    except UnidentifiedImageError as err:
        raise CorruptImageError(f"{fmt.upper()} header could not be parsed", path=name, reason="corrupt") from err
    except (OSError, SyntaxError, ValueError) as err:
        raise CorruptImageError(f"{fmt.upper()} header could not be parsed ({err})", path=name) from err
    try:
        width, height = im.size
        if width == 0 or height == 0:
            raise EmptyImageError(f"zero-size image ({height} x {width})", path=name, reason="zero_size")
        if width * height > MAX_PIXELS:
            raise UnsupportedImageError(
                f"{height} x {width} pixels exceeds the {MAX_PIXELS:,}-pixel limit", path=name, reason="too_large"
            )
        if getattr(im, "n_frames", 1) > 1:
            raise UnsupportedImageError(
                f"multi-page {fmt.upper()} ({im.n_frames} frames); only single 2-D images are supported",
                path=name,
                reason="multi_frame",
            )
        try:
            im.load()
        except (OSError, SyntaxError, ValueError, EOFError) as err:
            reason = "truncated" if "truncated" in str(err).lower() or isinstance(err, EOFError) else "corrupt"
            raise CorruptImageError(
                f"{fmt.upper()} data is truncated or corrupt ({err})", path=name, reason=reason
            ) from err
        mode = im.mode
        steps = [f"decode:{fmt}({mode})"]
        photometric = "MONOCHROME2"
        if mode in ("L", "I;16", "I;16L", "I;16B", "I;16N", "F"):
            arr = np.asarray(im)
            bits = {"L": 8, "F": 32}.get(mode, 16)
        elif mode == "I":
            arr = np.asarray(im)
            if arr.min() < 0 or arr.max() > 65535:
                raise UnsupportedImageError(
                    "32-bit integer image; mammograms are 8 to 16 bits", path=name, reason="bit_depth"
                )
            arr, bits = arr.astype(np.uint16), 16
        elif mode == "1":
            raise UnsupportedImageError("1-bit (bilevel) image", path=name, reason="bit_depth")
        elif mode in ("RGB", "RGBA", "LA", "P", "PA", "CMYK", "YCbCr", "RGBX", "LAB", "HSV"):
            rgb = np.asarray(im.convert("RGB"))
            spread = int((rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)).max())
            if spread > _GRAY_TOLERANCE.get(fmt, 0):
                raise UnsupportedImageError(
                    f"colour image ({mode}, channels differ by up to {spread}); mammograms are grayscale",
                    path=name,
                    reason="colour",
                )
            arr = rgb.mean(axis=2, dtype=np.float32) if spread else rgb[..., 0]
            bits, photometric = 8, mode
            steps.append("gray_from_rgb")
        else:
            raise UnsupportedImageError(
                f"unsupported {fmt.upper()} pixel mode {mode!r}", path=name, reason="bit_depth"
            )
    finally:
        im.close()
    return _from_array(
        np.ascontiguousarray(arr),
        output=output,
        name=name,
        fmt=fmt,
        steps=steps,
        photometric=photometric,
        bits_stored=bits,
    )


def read_image(
    source: ImageSource,
    *,
    voi: str = "auto",
    output: str = "float32",
    invert_monochrome1: bool = True,
    window_index: int = 0,
    name: str | None = None,
) -> MammoImage:
    """Read a mammogram (DICOM, PNG 8/16-bit, TIFF, JPEG, JPEG 2000) into a :class:`MammoImage`.

    DICOM goes through decode → Modality LUT/rescale → VOI LUT/window → MONOCHROME1 inversion → normalisation
    (see :func:`mammo_hf.imaging.dicom.read_dicom`); other formats are decoded with Pillow (colour files are
    accepted only when their channels are equal) and min-max normalised. Every applied step is listed in `steps`.

    Args:
        source: A path (`str`/`Path`), raw bytes, a binary file object, or a 2-D numpy array.
        voi: DICOM VOI transform: `"auto"` (VOI LUT Sequence, else the window from the tags, else none), `"none"`,
            `"window"` (force a linear window from the tags) or `"sigmoid"` (force a sigmoid window). Formats
            without VOI tags accept `"auto"`/`"none"` only.
        output: `"float32"` (in `[0, 1]`) or `"uint16"` (`round(65535 * x)`).
        invert_monochrome1: Invert DICOM MONOCHROME1 images so bright = dense tissue.
        window_index: Which VOI LUT/window pair to use when the DICOM holds several.
        name: Label used in error messages (defaults to the path, or `"<bytes>"`).

    Returns:
        A `MammoImage` with 2-D `pixels` and non-identifying metadata only.

    Raises:
        MammoImageError: A subclass naming the problem: `NotAnImageError`, `CorruptImageError` (truncated, bad
            header, size mismatch), `MissingPixelDataError`, `MissingDecoderError` (names the transfer syntax and
            the extra to install), `UnsupportedImageError` (colour, multi-frame, bit depth, too large),
            `EmptyImageError` (zero-size or constant).
        FileNotFoundError: `source` is a path that does not exist.

    Example:
        >>> import io, numpy as np
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.fromarray(np.array([[0, 1000], [3000, 4000]], np.uint16)).save(buf, "PNG")
        >>> img = read_image(buf.getvalue())
        >>> img.source_format, img.pixels.dtype.name, float(img.pixels.max()), img.steps
        ('png', 'float32', 1.0, ['decode:png(I;16)', 'normalize:minmax'])
    """
    if output not in ("float32", "uint16"):
        raise ValueError(f"output must be 'float32' or 'uint16', got {output!r}")
    if voi not in ("auto", "none", "window", "sigmoid"):
        raise ValueError(f"voi must be 'auto', 'none', 'window' or 'sigmoid', got {voi!r}")
    label = _label(source, name)

    if isinstance(source, np.ndarray):
        return _from_array(source, output=output, name=name or "<array>", fmt="array", steps=[])
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        head, reader_source = data[:_HEAD_BYTES], io.BytesIO(data)
        size = len(data)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory; pass a file (or use `mammo-hf preprocess`)")
        head, reader_source = _read_head(path), path
        size = path.stat().st_size
    elif hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("file objects passed to read_image must be opened in binary mode")
        head, reader_source, size = bytes(data[:_HEAD_BYTES]), io.BytesIO(data), len(data)
    else:
        raise TypeError(f"read_image expects a path, bytes, a binary file object or an array, not {type(source)}")

    if size == 0:
        raise EmptyImageError("empty file (0 bytes)", path=label, reason="empty_file")
    fmt = sniff_format(head)
    if fmt is None:
        raise NotAnImageError(
            "not a DICOM, PNG, TIFF, JPEG or JPEG 2000 file (unrecognised content signature)", path=label
        )
    if fmt.startswith("dicom"):
        from .dicom import read_dicom

        return read_dicom(
            reader_source,
            voi=voi,  # type: ignore[arg-type]
            output=output,  # type: ignore[arg-type]
            invert_monochrome1=invert_monochrome1,
            window_index=window_index,
            force=fmt == "dicom-raw",
            name=label,
        )
    if voi in ("window", "sigmoid"):
        raise UnsupportedImageError(
            f"voi={voi!r} needs DICOM window tags; {fmt.upper()} files have none (use voi='auto' or 'none')",
            path=label,
            reason="no_window",
        )
    try:
        return _read_pil(reader_source, fmt=fmt, output=output, name=label)
    except MammoImageError:
        raise
    except MemoryError:
        raise
    except Exception as err:  # anything else Pillow can throw on hostile input
        raise CorruptImageError(
            f"{fmt.upper()} could not be decoded ({type(err).__name__}: {err})", path=label
        ) from err
