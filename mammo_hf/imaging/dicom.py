"""DICOM reading: decode → Modality LUT/rescale → VOI LUT/window → MONOCHROME1 inversion → float32 `[0, 1]`/uint16.

The order follows DICOM PS3.3 C.11 (the grayscale pipeline: Modality LUT, then VOI LUT, then Presentation LUT) and
C.7.6.3.1.2 (MONOCHROME1 means "minimum value displayed white", so the inversion is a presentation step that comes
*after* the VOI transform; cornerstone3D fixed exactly this ordering bug in PR #2215).

Design choices, all recorded in `MammoImage.steps` so train/inference mismatches are visible:

* Every value-to-value step (rescale, VOI window/LUT, inversion, normalisation) is composed into **one lookup table
  over the stored-value domain** (at most 65,536 entries, computed in float64) and applied with a single gather.
  That is exact, costs the same for a sigmoid as for a linear window, and never builds float64 full-size images.
  The purely affine case (no VOI) skips the table and does one fused float32 subtract/scale.
* Uncompressed pixel data is wrapped with `np.frombuffer` (no copy) after checking its length against
  Rows × Columns × BitsAllocated, so a pathological header (huge Rows/Columns) is rejected *before* anything is
  allocated. Compressed data goes through pydicom's decoder plugins after the same header checks and a comparison
  of the codestream's own SIZ/SOF dimensions with Rows/Columns.
* Only a whitelist of non-identifying attributes (laterality, view, photometric, manufacturer, spacing, bits) is
  ever copied out of the dataset. Nothing from the Patient/Study/Equipment-institution modules is read.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from .errors import (
    CorruptImageError,
    EmptyImageError,
    MammoImageError,
    MissingDecoderError,
    MissingPixelDataError,
    NotAnImageError,
    UnsupportedImageError,
)
from .image import MammoImage
from .views import normalize_view, view_from_code

__all__ = [
    "VOIMode",
    "OutputMode",
    "MAX_PIXELS",
    "read_dicom",
    "dicom_metadata",
    "decode_stored_values",
    "check_decoder",
    "window_lut",
]

VOIMode = Literal["auto", "none", "window", "sigmoid"]
OutputMode = Literal["float32", "uint16"]

# Largest frame we agree to decode. Full-field digital mammograms are at most ~4,096 × 5,200 (≈ 21 M pixels, e.g.
# Hologic/GE/Siemens detectors); 2**27 (134 M) leaves a wide margin while refusing headers that would make a decoder
# allocate gigabytes.
MAX_PIXELS = 2**27

_INSTALL_HINT = 'pip install "mammo-hf[dicom]"'
# Transfer syntaxes for which, besides python-gdcm (in `[dicom]`), the only pylibjpeg decoder is the GPL-3.0
# pylibjpeg-libjpeg (pydicom plugin table): JPEG Extended (12-bit), JPEG Lossless and JPEG Lossless SV1.
_GPL_ONLY_ALTERNATIVE = {
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
}
_PATIENT_ORIENTATION_LETTERS = set("LRAPHF")


def _pydicom():
    try:
        import pydicom
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise MissingDecoderError(
            f"reading DICOM needs pydicom; install it with `{_INSTALL_HINT}`", reason="missing_decoder"
        ) from err
    return pydicom


# --------------------------------------------------------------------------------------------------------------
# Header parsing helpers (defensive: fuzzed/hand-edited headers hold anything)
# --------------------------------------------------------------------------------------------------------------
def _get(ds: Any, keyword: str, default: Any = None) -> Any:
    """`ds.<keyword>` that never raises (malformed values are treated as absent)."""
    try:
        value = ds.get(keyword, default)
    except Exception:
        return default
    return default if value is None or value == "" else value


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return value[0] if len(value) else None
    return value


def _as_int(ds: Any, keyword: str, default: int | None = None, *, name: str | None = None) -> int | None:
    value = _first(_get(ds, keyword, None))
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise CorruptImageError(
            f"invalid {keyword} value in the DICOM header", path=name, reason="bad_header"
        ) from err


def _as_floats(value: Any) -> list[float]:
    if value is None:
        return []
    values = list(value) if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            return []
    return out


def _clean_str(value: Any, max_len: int = 64) -> str | None:
    value = _first(value)
    if value is None:
        return None
    text = str(value).strip()
    return text[:max_len] or None


# --------------------------------------------------------------------------------------------------------------
# Metadata (whitelist only)
# --------------------------------------------------------------------------------------------------------------
def _laterality_from_orientation(orientation: Any) -> str | None:
    r"""Breast laterality from PatientOrientation (0020,0020), e.g. `A\R` (left CC) or `P\FL` (right MLO).

    PS3.3 C.8.11.7.1.1 (digital mammography): the first value is the row direction (A/P: towards nipple or chest
    wall), the second the column direction, which for CC/MLO views points from lateral to *medial*; medial is towards
    the contralateral side, so `...\R`/`...\FR` is a left breast and `...\L`/`...\FL` a right one. A value without
    an L/R component in the column direction (e.g. a true lateral `A\F`) gives no answer.
    """
    try:
        values = [str(v).strip().upper() for v in orientation]
    except TypeError:
        values = [str(orientation).strip().upper()]
    if len(values) != 2 or not all(v and set(v) <= _PATIENT_ORIENTATION_LETTERS for v in values):
        return None
    column = values[1]
    if ("L" in column) == ("R" in column):
        return None
    return "R" if "L" in column else "L"


def dicom_metadata(ds: Any) -> dict[str, Any]:
    """Non-identifying metadata of a DICOM dataset, read from a fixed whitelist of attributes.

    Laterality comes from ImageLaterality (0020,0062), then Laterality (0020,0060), then PatientOrientation
    (0020,0020); view from ViewPosition (0018,5101), else ViewCodeSequence (0054,0220), normalised with
    :func:`~mammo_hf.imaging.views.normalize_view` (`ML` → `MLO`; the code as found is kept in `raw_view`).

    Returns:
        A dict with `laterality`, `laterality_source`, `view`, `raw_view`, `photometric`, `manufacturer`,
        `pixel_spacing` and `bits_stored` (any of them `None` when absent).

    Example:
        >>> from pydicom import Dataset
        >>> ds = Dataset(); ds.ImageLaterality = "R"; ds.ViewPosition = "ML"; ds.PatientName = "DOE^JANE"
        >>> meta = dicom_metadata(ds)
        >>> meta["laterality"], meta["view"], meta["raw_view"], "DOE^JANE" in str(meta)
        ('R', 'MLO', 'ML', False)
    """
    laterality, source = None, None
    for keyword in ("ImageLaterality", "Laterality"):
        value = (_clean_str(_get(ds, keyword)) or "").upper()
        if value in ("L", "R"):
            laterality, source = value, keyword
            break
    if laterality is None:
        orientation = _get(ds, "PatientOrientation")
        if orientation is not None:
            laterality = _laterality_from_orientation(orientation)
            source = "PatientOrientation" if laterality else None

    raw_view = _clean_str(_get(ds, "ViewPosition"), 16)
    if raw_view is None:
        try:
            items = _get(ds, "ViewCodeSequence") or []
            item = items[0] if len(items) else None
        except Exception:
            item = None
        if item is not None:
            raw_view = view_from_code(
                _clean_str(_get(item, "CodeValue")),
                _clean_str(_get(item, "CodeMeaning"), 128),
                _clean_str(_get(item, "CodingSchemeDesignator")),
            )
    spacing = _as_floats(_get(ds, "PixelSpacing")) or _as_floats(_get(ds, "ImagerPixelSpacing"))
    bits_stored = None
    try:
        bits_stored = _as_int(ds, "BitsStored")
    except MammoImageError:
        pass
    return {
        "laterality": laterality,
        "laterality_source": source,
        "view": normalize_view(raw_view),
        "raw_view": raw_view,
        "photometric": (_clean_str(_get(ds, "PhotometricInterpretation"), 16) or "").upper() or None,
        "manufacturer": _clean_str(_get(ds, "Manufacturer")),
        "pixel_spacing": (spacing[0], spacing[1]) if len(spacing) >= 2 else None,
        "bits_stored": bits_stored,
    }


# --------------------------------------------------------------------------------------------------------------
# Decoders
# --------------------------------------------------------------------------------------------------------------
def _decoder_for(uid: str):
    from pydicom.pixels import get_decoder

    return get_decoder(uid)


def check_decoder(transfer_syntax_uid: str, *, name: str | None = None) -> None:
    """Raise :class:`MissingDecoderError` when no installed pydicom plugin decodes `transfer_syntax_uid`.

    The message names the transfer syntax (UID and name), the plugins pydicom reports as missing, and the extra to
    install (`mammo-hf[dicom]`; `mammo-hf[dicom-gpl]` is mentioned only where the sole non-gdcm decoder is GPL).

    Example:
        >>> check_decoder("1.2.840.10008.1.2.1")  # Explicit VR Little Endian: always decodable
    """
    from pydicom.uid import UID

    uid = UID(str(transfer_syntax_uid))
    label = f"{uid.name} ({uid})" if uid.name and uid.name != str(uid) else str(uid)
    try:
        decoder = _decoder_for(uid)
    except NotImplementedError as err:
        raise MissingDecoderError(
            f"no pydicom decoder exists for transfer syntax {label}", path=name, reason="missing_decoder"
        ) from err
    if decoder.is_available:
        return
    missing = "; ".join(decoder.missing_dependencies) or "no plugin registered"
    hint = f"install the DICOM decoders with `{_INSTALL_HINT}` (pylibjpeg, -openjpeg, -rle and python-gdcm)"
    if str(uid) in _GPL_ONLY_ALTERNATIVE:
        hint += ', or, where python-gdcm cannot be installed, `pip install "mammo-hf[dicom-gpl]"` (GPL-3.0 libjpeg)'
    raise MissingDecoderError(
        f"no decoder installed for transfer syntax {label} (missing: {missing}); {hint}",
        path=name,
        reason="missing_decoder",
    )


def _codestream_shape(fragment: bytes) -> tuple[int, int] | None:
    """(rows, columns) declared inside a JPEG 2000 (SIZ) or JPEG/JPEG-LS (SOF) codestream, if parseable."""
    from pydicom.pixels.utils import _get_jpg_parameters

    data = bytes(fragment[:65536])
    offset = 0
    if data.startswith(b"\x00\x00\x00\x0c\x6a\x50\x20\x20"):  # JP2 wrapper: find the jp2c box
        offset = data.find(b"\xff\x4f\xff\x51")
        if offset < 0:
            return None
    if data[offset : offset + 4] == b"\xff\x4f\xff\x51" and len(data) >= offset + 24:
        # ISO/IEC 15444-1 A.5.1: Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4) after the SIZ marker.
        xsiz, ysiz, xosiz, yosiz = (
            int.from_bytes(data[offset + 8 + 4 * i : offset + 12 + 4 * i], "big") for i in range(4)
        )
        return ysiz - yosiz, xsiz - xosiz
    info = _get_jpg_parameters(data)
    if "height" in info and "width" in info:
        return int(info["height"]), int(info["width"])
    return None


def decode_stored_values(ds: Any, *, name: str | None = None) -> np.ndarray:
    """Validate the Image Pixel module of `ds` and return its stored values as a 2-D integer array.

    Uncompressed data is returned as a read-only view on the dataset's bytes (no copy); compressed data is decoded
    with pydicom's plugins. Raises a specific :class:`MammoImageError` subclass for every problem (missing pixel
    data, unsupported colour/multi-frame/bit depth, truncated or oversized pixel data, missing decoder, corrupt
    codestream).

    Example:
        >>> import numpy as np
        >>> from pydicom import Dataset
        >>> from pydicom.uid import ExplicitVRLittleEndian
        >>> ds = Dataset(); ds.set_pixel_data(np.arange(12, dtype=np.uint16).reshape(3, 4), "MONOCHROME2", 12)
        >>> decode_stored_values(ds).shape
        (3, 4)
    """
    if "PixelData" not in ds:
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            raise UnsupportedImageError("float pixel data is not a mammogram format", path=name, reason="bit_depth")
        if _last_element_truncated(ds):
            raise CorruptImageError(
                "the DICOM file is truncated (it ends inside the header, before the Pixel Data)",
                path=name,
                reason="truncated",
            )
        raise MissingPixelDataError(
            "the DICOM has no Pixel Data (7FE0,0010) element (not an image object, or cut right after the header)",
            path=name,
        )

    rows, cols = _as_int(ds, "Rows", name=name), _as_int(ds, "Columns", name=name)
    if rows is None or cols is None:
        raise CorruptImageError("Rows/Columns are missing from the DICOM header", path=name, reason="bad_header")
    if rows <= 0 or cols <= 0:
        raise EmptyImageError(f"zero-size image ({rows} x {cols})", path=name, reason="zero_size")
    samples = _as_int(ds, "SamplesPerPixel", 1, name=name)
    photometric = (_clean_str(_get(ds, "PhotometricInterpretation"), 16) or "MONOCHROME2").upper()
    if samples != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise UnsupportedImageError(
            f"colour image ({photometric}, {samples} samples per pixel); mammograms are MONOCHROME1/2",
            path=name,
            reason="colour",
        )
    frames = _as_int(ds, "NumberOfFrames", 1, name=name) or 1
    if frames != 1:
        raise UnsupportedImageError(
            f"multi-frame DICOM ({frames} frames, e.g. tomosynthesis); only 2-D mammograms are supported",
            path=name,
            reason="multi_frame",
        )
    bits_allocated = _as_int(ds, "BitsAllocated", name=name)
    bits_stored = _as_int(ds, "BitsStored", bits_allocated, name=name)
    pixel_rep = _as_int(ds, "PixelRepresentation", 0, name=name)
    # PS3.3 C.8.11.7 (Digital Mammography X-Ray Image module): Bits Allocated 8 or 16, Bits Stored 6 to 16.
    if bits_allocated not in (8, 16):
        raise UnsupportedImageError(
            f"BitsAllocated={bits_allocated}; mammograms use 8 or 16 bits", path=name, reason="bit_depth"
        )
    if bits_stored is None or not 1 <= bits_stored <= bits_allocated:
        raise UnsupportedImageError(
            f"BitsStored={bits_stored} is inconsistent with BitsAllocated={bits_allocated}",
            path=name,
            reason="bit_depth",
        )
    if pixel_rep not in (0, 1):
        raise CorruptImageError(f"PixelRepresentation={pixel_rep} (must be 0 or 1)", path=name, reason="bad_header")
    if rows * cols > MAX_PIXELS:
        raise UnsupportedImageError(
            f"{rows} x {cols} pixels exceeds the {MAX_PIXELS:,}-pixel limit (mammography.dicom.MAX_PIXELS)",
            path=name,
            reason="too_large",
        )

    meta = getattr(ds, "file_meta", None)
    tsyntax = str(_get(meta, "TransferSyntaxUID", "") or "") if meta is not None else ""
    from pydicom.uid import UID

    uid = UID(tsyntax or "1.2.840.10008.1.2.1")
    if not uid.is_transfer_syntax or uid.is_private:
        raise UnsupportedImageError(
            f"unknown or private transfer syntax UID {str(uid)[:64]!r}", path=name, reason="bad_header"
        )
    try:
        elem = ds["PixelData"]
        raw = elem.value
    except Exception as err:
        raise CorruptImageError(f"unreadable Pixel Data ({type(err).__name__})", path=name, reason="corrupt") from err
    if raw is None or len(raw) == 0:
        raise MissingPixelDataError("the Pixel Data element is empty", path=name)

    itemsize = bits_allocated // 8
    expected = rows * cols * itemsize
    if not uid.is_encapsulated:
        if len(raw) < expected:
            raise CorruptImageError(
                f"pixel data is truncated: {len(raw):,} bytes but Rows x Columns x BitsAllocated "
                f"({rows} x {cols} x {bits_allocated}) needs {expected:,}",
                path=name,
                reason="truncated",
            )
        if len(raw) > expected + expected % 2:  # one trailing pad byte keeps an odd-length value even (PS3.5 7.1)
            hint = f" (exactly {len(raw) // expected} frames' worth)" if len(raw) % expected == 0 else ""
            raise CorruptImageError(
                f"pixel data has {len(raw):,} bytes but Rows x Columns x BitsAllocated "
                f"({rows} x {cols} x {bits_allocated}) is {expected:,}{hint}",
                path=name,
                reason="size_mismatch",
            )
        if uid.is_little_endian or not uid.is_transfer_syntax:
            dtype = np.dtype(f"<{'ui'[pixel_rep]}{itemsize}")
            arr = np.frombuffer(raw, dtype=dtype, count=rows * cols).reshape(rows, cols)
            if bits_stored < bits_allocated:
                arr = _correct_unused_bits(arr, bits_stored, signed=bool(pixel_rep))
            return arr
        # Explicit VR Big Endian (retired): let pydicom byte-swap.
        return _pydicom_pixel_array(ds, name)

    check_decoder(uid, name=name)
    try:
        from pydicom.encaps import generate_frames

        first = next(generate_frames(raw, number_of_frames=1))
    except Exception as err:
        raise CorruptImageError(
            f"encapsulated pixel data is malformed ({type(err).__name__})", path=name, reason="corrupt"
        ) from err
    shape = _codestream_shape(first) if uid != "1.2.840.10008.1.2.5" else None
    if shape is not None and shape != (rows, cols):
        raise CorruptImageError(
            f"the {uid.name} codestream is {shape[0]} x {shape[1]} but Rows x Columns is {rows} x {cols}",
            path=name,
            reason="size_mismatch",
        )
    return _pydicom_pixel_array(ds, name)


def _last_element_truncated(ds: Any) -> bool:
    """True when pydicom stopped at end-of-file (the last value is shorter than its declared length)."""
    try:
        if not len(ds._dict):  # only (part of) the file meta header was read: the data set is missing
            return True
        raw = ds._dict[max(ds._dict)]
        length, value = getattr(raw, "length", None), getattr(raw, "value", None)
        if length is None or length == 0xFFFFFFFF or not isinstance(value, (bytes, bytearray)):
            return False
        return len(value) < length
    except Exception:
        return False


def _correct_unused_bits(arr: np.ndarray, bits_stored: int, *, signed: bool) -> np.ndarray:
    """Ignore the bits above BitsStored (PS3.5 8.1.1: their content is undefined, e.g. burnt-in overlays)."""
    if signed:
        shift = arr.dtype.itemsize * 8 - bits_stored
        return (arr << shift) >> shift  # arithmetic shift sign-extends
    if int(arr.max()) >> bits_stored:  # only copy when high bits are actually set
        return arr & np.asarray((1 << bits_stored) - 1, dtype=arr.dtype)
    return arr


def _pydicom_pixel_array(ds: Any, name: str | None) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = ds.pixel_array
    except MammoImageError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # Rust decoders (pylibjpeg-rle) raise pyo3 PanicException, a BaseException
        raise CorruptImageError(
            f"the pixel data could not be decoded ({type(err).__name__}: {str(err)[:200]})",
            path=name,
            reason="corrupt",
        ) from err
    if arr.ndim != 2:
        raise UnsupportedImageError(f"decoded pixel array has shape {arr.shape}, expected 2-D", path=name)
    return arr


# --------------------------------------------------------------------------------------------------------------
# Value transforms (built as a LUT over the stored-value domain)
# --------------------------------------------------------------------------------------------------------------
def window_lut(values: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """DICOM VOI window function mapped to `[0, 1]` (PS3.3 C.11.2.1.2 LINEAR, C.11.2.1.3.2 LINEAR_EXACT, C.11.2.1.3.1
    SIGMOID), in float64.

    Equal to `pydicom.pixels.apply_windowing` rescaled from its `[y_min, y_max]` output range to `[0, 1]`.

    Example:
        >>> window_lut(np.array([0.0, 50.0, 100.0]), center=50.0, width=101.0).round(3).tolist()
        [0.005, 0.505, 1.0]
        >>> window_lut(np.array([0.0, 50.0, 100.0]), center=50.0, width=100.0, function="LINEAR_EXACT").tolist()
        [0.0, 0.5, 1.0]
    """
    x = np.asarray(values, dtype=np.float64)
    function = function.upper()
    if function == "LINEAR":
        if width < 1:
            raise ValueError("Window Width must be >= 1 for LINEAR")
        c, w = center - 0.5, width - 1.0
        if w == 0:  # width 1: a hard threshold at the centre
            return (x > c).astype(np.float64)
    elif function == "LINEAR_EXACT":
        if width <= 0:
            raise ValueError("Window Width must be > 0 for LINEAR_EXACT")
        c, w = center, width
    elif function == "SIGMOID":
        if width <= 0:
            raise ValueError("Window Width must be > 0 for SIGMOID")
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
    else:
        raise ValueError(f"unknown VOI LUT function {function!r}")
    return np.clip((x - c) / w + 0.5, 0.0, 1.0)


def _domain(dtype: np.dtype) -> np.ndarray:
    """Every stored value of `dtype`, ordered so that `lut[_index(arr)]` looks each pixel up."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "ui" or dtype.itemsize > 2:
        raise UnsupportedImageError(f"decoded pixel dtype {dtype} is not an 8/16-bit integer", reason="bit_depth")
    unsigned = np.arange(2 ** (8 * dtype.itemsize), dtype=f"u{dtype.itemsize}")
    return unsigned.view(f"{dtype.kind}{dtype.itemsize}").astype(np.float64)


def _index(arr: np.ndarray) -> np.ndarray:
    return arr.view(f"u{arr.dtype.itemsize}") if arr.dtype.kind == "i" else arr


_GATHER_ROWS = 64  # rows per gather block: numpy casts indices to intp, so keep that temporary in cache


def _index_lut(arr: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """One gather over the whole image: `lut[value]` for every pixel (reinterpreting signed values as unsigned).

    Done in row blocks: `lut[arr]` on a 3328 x 2560 image first builds a 68 MB intp index; blocks keep it in L2 and
    are ~1.5x faster.
    """
    index = _index(arr)
    out = np.empty(arr.shape, dtype=lut.dtype)
    for row in range(0, arr.shape[0], _GATHER_ROWS):
        np.take(lut, index[row : row + _GATHER_ROWS], out=out[row : row + _GATHER_ROWS])
    return out


def _affine_clip(arr: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """`clip(arr * scale + offset, 0, 1)` in float32, two passes: the linear window without a table (2x faster)."""
    out = np.multiply(arr, np.float32(scale), dtype=np.float32)
    out += np.float32(offset)
    return np.clip(out, 0.0, 1.0, out=out)


def _finalize(unit: np.ndarray, output: OutputMode) -> np.ndarray:
    """Cast a `[0, 1]` LUT/array to the requested output dtype."""
    if output == "uint16":
        return np.clip(unit * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    return unit.astype(np.float32, copy=False)


def _voi_choice(ds: Any, voi: VOIMode, window_index: int, name: str | None) -> tuple[str, Any, int]:
    """Decide which VOI transform applies: ('lut', None, i) | ('window', (c, w, fn), i) | ('none', why, 0)."""
    lut_index = None
    try:
        seq = _get(ds, "VOILUTSequence") or []
        if len(seq):
            i = min(window_index, len(seq) - 1)
            desc = _get(seq[i], "LUTDescriptor")
            if desc is not None and len(desc) == 3 and _get(seq[i], "LUTData") is not None:
                lut_index = i
    except Exception:
        lut_index = None
    centers = _as_floats(_get(ds, "WindowCenter"))
    widths = _as_floats(_get(ds, "WindowWidth"))
    window, win_index = None, 0
    if centers and widths:
        win_index = min(window_index, len(centers) - 1, len(widths) - 1)
        window = (centers[win_index], widths[win_index])
    function = (_clean_str(_get(ds, "VOILUTFunction"), 16) or "LINEAR").upper()

    if voi == "none":
        return "none", "requested", 0
    if voi == "auto":
        if lut_index is not None:
            return "lut", None, lut_index
        if window is None:
            return "none", "no VOI tags", 0
        if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
            return "none", f"unknown VOILUTFunction {function}", 0
        return "window", (*window, function), win_index
    if window is None:
        raise UnsupportedImageError(
            f"voi={voi!r} needs WindowCenter/WindowWidth, which this DICOM lacks; use voi='auto' or 'none'",
            path=name,
            reason="no_window",
        )
    if voi == "window":
        return "window", (*window, "LINEAR_EXACT" if function == "LINEAR_EXACT" else "LINEAR"), win_index
    if voi == "sigmoid":
        return "window", (*window, "SIGMOID"), win_index
    raise ValueError(f"voi must be 'auto', 'none', 'window' or 'sigmoid', got {voi!r}")


def _modality(ds: Any, name: str | None) -> tuple[str, Callable[[np.ndarray], np.ndarray] | None]:
    """The Modality LUT stage (PS3.3 C.11.1) as a function on float64 values, or None for the identity."""
    try:
        has_lut_seq = bool(_get(ds, "ModalityLUTSequence"))
    except Exception:
        has_lut_seq = False
    if has_lut_seq:
        from pydicom.pixels import apply_modality_lut

        def fn(values: np.ndarray) -> np.ndarray:
            domain = np.clip(values, -(2**31), 2**31 - 1).astype(np.int64)
            return np.asarray(apply_modality_lut(domain, ds), dtype=np.float64)

        return "modality_lut", fn
    slope_values = _as_floats(_get(ds, "RescaleSlope"))
    intercept_values = _as_floats(_get(ds, "RescaleIntercept"))
    slope = slope_values[0] if slope_values else 1.0
    intercept = intercept_values[0] if intercept_values else 0.0
    if not (np.isfinite(slope) and np.isfinite(intercept)):
        raise CorruptImageError("non-finite RescaleSlope/RescaleIntercept", path=name, reason="bad_header")
    if slope == 1.0 and intercept == 0.0:
        return "", None
    return f"rescale:{slope:g}x{intercept:+g}", lambda v: v * slope + intercept


def _minmax_path(
    stored: np.ndarray,
    extremes: tuple[Any, Any],
    modality: Callable[[np.ndarray], np.ndarray] | None,
    *,
    affine: bool,
    invert: bool,
    output: OutputMode,
    name: str | None,
) -> np.ndarray:
    """No VOI: per-image min-max of the Modality LUT output, then the optional MONOCHROME1 inversion."""
    lo_raw, hi_raw = extremes
    if (modality is None or affine) and output == "float32":
        # An affine rescale keeps the extremes, so min-max over the stored integers is the same map; a negative slope
        # mirrors it (and MONOCHROME1 mirrors it again). One fused float32 pass, no float64 image.
        mirrored = False
        if modality is not None:
            y0, y1 = float(modality(np.array(0.0))), float(modality(np.array(1.0)))
            if y0 == y1:
                raise EmptyImageError("RescaleSlope is 0: constant image", path=name, reason="constant")
            mirrored = y1 < y0
        out = np.subtract(stored, lo_raw, dtype=np.float32)
        out *= np.float32(1.0 / (float(hi_raw) - float(lo_raw)))
        if invert != mirrored:
            np.subtract(np.float32(1.0), out, out=out)
        return out
    # uint16 output (exact rounding) or a non-linear Modality LUT: one float64 table over the stored values.
    values = _domain(stored.dtype)
    if modality is not None:
        values = modality(values)
    if modality is None or affine:  # monotonic: the extremes of the data map to the extremes of the output
        lo, hi = sorted((float(values[_index(np.array([lo_raw]))[0]]), float(values[_index(np.array([hi_raw]))[0]])))
    else:  # an arbitrary Modality LUT: look only at the values that occur
        present = np.bincount(_index(stored).ravel(), minlength=values.shape[0]) > 0
        lo, hi = float(values[present].min()), float(values[present].max())
    if lo == hi:
        raise EmptyImageError("the Modality LUT maps every pixel to one value", path=name, reason="constant")
    unit = (values - lo) / (hi - lo)
    if invert:
        unit = 1.0 - unit
    return _index_lut(stored, _finalize(unit, output))


def _voi_lut_unit(ds: Any, values: np.ndarray, index: int, name: str | None) -> np.ndarray:
    """Apply VOI LUT Sequence item `index` to `values`, scaled by the LUT's own output range to `[0, 1]`."""
    from pydicom.pixels import apply_voi

    try:
        item = ds.VOILUTSequence[index]
        entries, first_map = int(item.LUTDescriptor[0]) or 2**16, int(item.LUTDescriptor[1])
        domain = np.clip(np.round(values), -(2**31), 2**31 - 1).astype(np.int64)
        mapped = np.asarray(apply_voi(domain, ds, index=index), dtype=np.float64)
        table = np.asarray(apply_voi(np.arange(first_map, first_map + entries), ds, index=index), dtype=np.float64)
    except Exception as err:
        raise CorruptImageError(
            f"the VOI LUT Sequence is malformed ({type(err).__name__})", path=name, reason="bad_header"
        ) from err
    lo, hi = float(table.min()), float(table.max())
    if lo == hi:
        raise EmptyImageError("the VOI LUT is constant", path=name, reason="constant")
    return (mapped - lo) / (hi - lo)


def _transform(
    ds: Any,
    stored: np.ndarray,
    *,
    voi: VOIMode,
    output: OutputMode,
    invert: bool,
    window_index: int,
    name: str | None,
) -> tuple[np.ndarray, list[str]]:
    steps: list[str] = []
    extremes = (stored.min(), stored.max())
    if extremes[0] == extremes[1]:
        raise EmptyImageError(f"constant image (every pixel is {stored.flat[0]})", path=name, reason="constant")
    modality_step, modality = _modality(ds, name)
    if modality_step:
        steps.append(modality_step)
    kind, detail, index = _voi_choice(ds, voi, window_index, name)

    unit = None
    if kind != "none":
        values = _domain(stored.dtype)
        if modality is not None:
            values = modality(values)
        if kind == "lut":
            unit = _voi_lut_unit(ds, values, index, name)
            steps.append(f"voi:lut[{index}]")
        else:
            center, width, function = detail
            try:
                unit = window_lut(values, center, width, function)
                steps.append(f"voi:{function.lower()}(c={center:g},w={width:g})")
            except ValueError as err:
                if voi != "auto":
                    raise UnsupportedImageError(f"invalid window: {err}", path=name, reason="bad_window") from err
                kind, detail = "none", f"invalid window: {err}"
            else:
                # LINEAR/LINEAR_EXACT after an affine (or no) rescale is one affine map + clip: skip the table.
                c, w = (center - 0.5, width - 1.0) if function == "LINEAR" else (center, width)
                rescale = modality is None or modality_step.startswith("rescale")
                if function in ("LINEAR", "LINEAR_EXACT") and w > 0 and rescale and output == "float32":
                    slope = 1.0 if modality is None else float(modality(np.array(1.0)) - modality(np.array(0.0)))
                    intercept = 0.0 if modality is None else float(modality(np.array(0.0)))
                    scale, offset = slope / w, (intercept - c) / w + 0.5
                    if invert:
                        scale, offset = -scale, 1.0 - offset
                        steps.append("invert:monochrome1")
                    steps.append("normalize:voi_range")
                    # monotonic map: the output is constant iff both data extremes land on the same value
                    ends = np.clip(np.array(extremes, dtype=np.float64) * scale + offset, 0.0, 1.0)
                    if ends[0] == ends[1]:
                        raise EmptyImageError(
                            "the VOI window maps every pixel to the same value (window outside the data); "
                            "try voi='none'",
                            path=name,
                            reason="constant",
                        )
                    return _affine_clip(stored, scale, offset), steps
    if kind == "none":
        steps.append("voi:none" if detail == "requested" else f"voi:none({detail})")
        if invert:
            steps.append("invert:monochrome1")
        steps.append("normalize:minmax")
        affine = modality_step.startswith("rescale")
        out = _minmax_path(stored, extremes, modality, affine=affine, invert=invert, output=output, name=name)
        return out, steps

    if invert:
        unit = 1.0 - unit
        steps.append("invert:monochrome1")
    steps.append("normalize:voi_range")
    out = _index_lut(stored, _finalize(unit, output))
    if out.min() == out.max():
        raise EmptyImageError(
            "the VOI transform maps every pixel to the same value (window outside the data); try voi='none'",
            path=name,
            reason="constant",
        )
    return out, steps


# --------------------------------------------------------------------------------------------------------------
# Public reader
# --------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's value-validation warnings/log lines for the duration of a read.

    They quote element values (`Invalid value for VR PN: 'DOE^JANE'`), i.e. potential PHI, and come from lazy value
    conversion at any point of the read, not only from `dcmread`.
    """
    from pydicom import config

    previous = config.settings.reading_validation_mode
    config.settings.reading_validation_mode = config.IGNORE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        config.settings.reading_validation_mode = previous


def _dcmread(source: Any, *, name: str | None, force: bool):
    pydicom = _pydicom()
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings():
            # pydicom's value-validation warnings can quote element values (names, dates): never let them out.
            warnings.simplefilter("ignore")
            return pydicom.dcmread(source, force=force)
    except InvalidDicomError as err:
        raise NotAnImageError("not a DICOM file (no DICM preamble and no parseable header)", path=name) from err
    except (EOFError, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise CorruptImageError("the DICOM file is truncated", path=name, reason="truncated") from err
    except Exception as err:
        raise CorruptImageError(
            f"malformed DICOM header ({type(err).__name__})", path=name, reason="bad_header"
        ) from err


def read_dicom(
    source: str | os.PathLike | bytes | IO[bytes],
    *,
    voi: VOIMode = "auto",
    output: OutputMode = "float32",
    invert_monochrome1: bool = True,
    window_index: int = 0,
    force: bool = False,
    name: str | None = None,
) -> MammoImage:
    """Read a DICOM mammogram into a :class:`MammoImage` (prefer :func:`mammo_hf.imaging.read_image`).

    Args:
        source: Path, raw bytes or a binary file object.
        voi: `"auto"` (VOI LUT Sequence, else WindowCenter/Width with VOILUTFunction LINEAR/LINEAR_EXACT/SIGMOID,
            else nothing), `"window"` (force the linear window from the tags), `"sigmoid"` (force the sigmoid
            window) or `"none"` (per-image min-max of the modality values).
        output: `"float32"` in `[0, 1]` or `"uint16"` (`round(65535 * x)`).
        invert_monochrome1: Invert MONOCHROME1 images (after the VOI transform) so bright = dense.
        window_index: Which of several VOI LUTs / window pairs to use (0 = the first, pydicom's default).
        force: Parse files without the 128-byte preamble + `DICM` prefix.
        name: Label used in error messages (defaults to the path).

    Returns:
        The decoded image, its non-identifying metadata and the applied `steps`.

    Example:
        >>> import io, numpy as np
        >>> from pydicom import Dataset
        >>> from pydicom.dataset import FileMetaDataset
        >>> ds = Dataset(); ds.file_meta = FileMetaDataset()
        >>> ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2"; ds.SOPInstanceUID = "1.2.3.4"
        >>> ds.set_pixel_data(np.arange(12, dtype=np.uint16).reshape(3, 4), "MONOCHROME1", 12)
        >>> buf = io.BytesIO(); ds.save_as(buf, enforce_file_format=True)
        >>> img = read_dicom(buf.getvalue())
        >>> img.steps[1:], float(img.pixels[0, 0])
        (['voi:none(no VOI tags)', 'invert:monochrome1', 'normalize:minmax'], 1.0)
    """
    if output not in ("float32", "uint16"):
        raise ValueError(f"output must be 'float32' or 'uint16', got {output!r}")
    if voi not in ("auto", "none", "window", "sigmoid"):
        raise ValueError(f"voi must be 'auto', 'none', 'window' or 'sigmoid', got {voi!r}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        name = name or "<bytes>"
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        name = name or str(source)
        source = Path(source)
    with _quiet_pydicom():
        return _read_dicom(source, voi, output, invert_monochrome1, window_index, force, name)


def _read_dicom(source, voi, output, invert_monochrome1, window_index, force, name) -> MammoImage:
    ds = _dcmread(source, name=name, force=force)
    try:
        meta = dicom_metadata(ds)
        stored = decode_stored_values(ds, name=name)
        photometric = meta["photometric"] or "MONOCHROME2"
        invert = invert_monochrome1 and photometric == "MONOCHROME1"
        pixels, steps = _transform(
            ds, stored, voi=voi, output=output, invert=invert, window_index=window_index, name=name
        )
    except MammoImageError:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # anything a malformed header/LUT can still throw from pydicom/numpy/plugins
        raise CorruptImageError(
            f"could not interpret the DICOM header ({type(err).__name__})", path=name, reason="bad_header"
        ) from err
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    decode_step = "decode:dicom" + (f"({syntax.name})" if syntax is not None and getattr(syntax, "name", "") else "")
    return MammoImage(
        pixels=pixels,
        laterality=meta["laterality"],
        laterality_source=meta["laterality_source"],
        view=meta["view"],
        raw_view=meta["raw_view"],
        photometric=meta["photometric"],
        manufacturer=meta["manufacturer"],
        pixel_spacing=meta["pixel_spacing"],
        bits_stored=meta["bits_stored"],
        source_format="dicom",
        steps=[decode_step, *steps],
    )
