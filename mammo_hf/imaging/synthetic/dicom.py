"""Writers for synthetic mammograms: valid MG DICOM files (with fake PHI) and 8/16-bit PNGs.

`write_dicom` produces files shaped like the ones the public datasets ship (RSNA: JPEG 2000 + SIGMOID VOI on GE
units, CMMD: FOR PRESENTATION with a window, CBIS-DDSM/INbreast: uncompressed, MONOCHROME1 from some vendors), so
the reader, the builders and the PHI-stripping checks can be tested end to end without any real patient data.

Pixel convention: the array handed to `write_dicom` is the image *as displayed* (bright = dense tissue) in stored
value units. MONOCHROME2 stores it unchanged; MONOCHROME1 stores `2**bits_stored - 1 - pixels`, so a correct reader
(decode -> Modality LUT -> VOI -> MONOCHROME1 inversion, DICOM PS3.3 C.7.6.3.1.2) gets the same orientation back.
Rescale slope/intercept and window tags are *written*, never baked into the stored values.

pydicom is imported inside the functions: `import mammo_hf.imaging.synthetic` stays cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FAKE_PHI",
    "PHI_MARKERS",
    "TRANSFER_SYNTAXES",
    "DicomWriteResult",
    "fake_phi",
    "available_transfer_syntaxes",
    "write_dicom",
    "write_png",
]

logger = logging.getLogger(__name__)

# Obviously fake but well-formed identifying values. Every value contains a token that never occurs by chance
# (`PHI-`, `QZX`, a leap-day study date, a 1923 birth date) so a test can grep any output (CSV, parquet, logs,
# PNG text chunks, model cards) for them and prove that nothing identifying leaked.
FAKE_PHI: dict[str, str] = {
    "PatientName": "PHI-DOE^JANE^QZX",
    "PatientID": "PHI-PID-QZX0000",
    "PatientBirthDate": "19230417",
    "StudyDate": "20040229",
    "AccessionNumber": "PHI-ACC-QZX01",
    "InstitutionName": "PHI-Quixote Memorial Hospital QZX",
    "InstitutionAddress": "PHI-1 Nowhere Lane, Qzxville",
    "ReferringPhysicianName": "PHI-REFDOC^XAVIER^QZX",
    "OperatorsName": "PHI-TECH^OLGA^QZX",
    "StudyID": "PHI-STU-QZX",
    "OtherPatientIDs": "PHI-OPID-QZX77",
}

# Substrings that identify FAKE_PHI (and every `fake_phi(i)` variant) in any text or binary output.
PHI_MARKERS: tuple[str, ...] = ("PHI-", "QZX", FAKE_PHI["PatientBirthDate"], FAKE_PHI["StudyDate"])

# Other date/time elements a real modality fills from the study date; they carry the fake date too.
_DATE_TAGS = ("SeriesDate", "AcquisitionDate", "ContentDate")

# name -> (transfer syntax UID, encoder needed)
TRANSFER_SYNTAXES: dict[str, tuple[str, bool]] = {
    "explicit": ("1.2.840.10008.1.2.1", False),
    "implicit": ("1.2.840.10008.1.2", False),
    "rle": ("1.2.840.10008.1.2.5", True),
    "jpeg2000": ("1.2.840.10008.1.2.4.90", True),
}

_SOP_CLASS = {
    # Digital Mammography X-Ray Image Storage (PS3.4 B.5)
    "FOR PRESENTATION": "1.2.840.10008.5.1.4.1.1.1.2",
    "FOR PROCESSING": "1.2.840.10008.5.1.4.1.1.1.2.1",
}

# View Code Sequence codes (SNOMED-RT "SRT" designators as written by most mammography units; PS3.16 CID 4014).
_VIEW_CODES = {
    "CC": ("R-10242", "cranio-caudal"),
    "MLO": ("R-10226", "medio-lateral oblique"),
    "ML": ("R-10224", "medio-lateral"),
    "LM": ("R-10228", "latero-medial"),
    "XCCL": ("R-1024A", "cranio-caudal exaggerated laterally"),
}

# Patient Orientation (0020,0020) for the standard display convention used by the phantom: the right breast is
# shown with its chest wall on the image's right (nipple pointing left), the left breast with its chest wall on
# the left, as on a viewing station where the two breasts hang back to back (IHE Mammography Image profile).
_ORIENTATION = {
    ("L", "CC"): ("A", "R"),
    ("R", "CC"): ("P", "L"),
    ("L", "XCCL"): ("A", "R"),
    ("R", "XCCL"): ("P", "L"),
    ("L", "MLO"): ("A", "F"),
    ("R", "MLO"): ("P", "F"),
    ("L", "ML"): ("A", "F"),
    ("R", "ML"): ("P", "F"),
    ("L", "LM"): ("A", "F"),
    ("R", "LM"): ("P", "F"),
}


@dataclass(frozen=True)
class DicomWriteResult:
    """What `write_dicom` actually wrote.

    Attributes:
        path: The written file.
        transfer_syntax: The transfer syntax name actually used (`"explicit"`, `"implicit"`, `"rle"`,
            `"jpeg2000"`).
        transfer_syntax_uid: Its UID.
        requested_transfer_syntax: The name that was asked for.
        fallback_reason: Why a compressed syntax was replaced by explicit VR little endian (missing encoder
            plugin), `None` when the request was honoured.
        photometric: `"MONOCHROME1"` or `"MONOCHROME2"`.
        bits_stored: Bits stored per pixel.
        sop_instance_uid: The SOP Instance UID written (deterministic from the content).
    """

    path: Path
    transfer_syntax: str
    transfer_syntax_uid: str
    requested_transfer_syntax: str
    fallback_reason: str | None
    photometric: str
    bits_stored: int
    sop_instance_uid: str

    @property
    def fell_back(self) -> bool:
        """Whether the requested compression could not be honoured."""
        return self.fallback_reason is not None


def fake_phi(index: int | None = None) -> dict[str, str]:
    """FAKE_PHI, optionally made unique per synthetic patient (IDs/names get a `-NNNN` suffix).

    Every value still contains the `PHI_MARKERS` tokens, so one grep finds all of them.

    Example:
        >>> fake_phi(3)["PatientID"]
        'PHI-PID-QZX0003'
    """
    phi = dict(FAKE_PHI)
    if index is None:
        return phi
    suffix = f"{int(index):04d}"
    phi["PatientID"] = f"PHI-PID-QZX{suffix}"
    phi["PatientName"] = f"PHI-DOE{suffix}^JANE^QZX"
    phi["AccessionNumber"] = f"PHI-ACC-QZX{suffix}"[:16]  # SH: 16 characters at most
    phi["OtherPatientIDs"] = f"PHI-OPID-QZX{suffix}"
    return phi


def available_transfer_syntaxes() -> dict[str, str | None]:
    """Map each supported transfer syntax name to `None` if it can be written here, else the reason it cannot.

    Example:
        >>> available_transfer_syntaxes()["explicit"] is None
        True
    """
    out: dict[str, str | None] = {}
    for name, (_, needs_encoder) in TRANSFER_SYNTAXES.items():
        out[name] = _encoder_missing_reason(name) if needs_encoder else None
    return out


def _encoder_missing_reason(name: str) -> str | None:
    try:
        from pydicom.pixels.encoders import JPEG2000LosslessEncoder, RLELosslessEncoder
    except ImportError:  # pragma: no cover - pydicom < 3
        return "pydicom>=3 is required for compression (pip install 'mammo-hf[dicom]')"
    encoder = {"rle": RLELosslessEncoder, "jpeg2000": JPEG2000LosslessEncoder}[name]
    if encoder.is_available:
        return None
    if name == "jpeg2000":
        return "no JPEG 2000 encoder: install pylibjpeg and pylibjpeg-openjpeg (pip install 'mammo-hf[dicom]')"
    return "no RLE Lossless encoder plugin available"


@contextlib.contextmanager
def _quiet_encoder_logs() -> Iterator[None]:
    # pylibjpeg-openjpeg logs "tile number 1 / 1" at INFO for every image; under the CLI's INFO logging that is
    # one useless line per file.
    log = logging.getLogger("openjpeg")
    level = log.level
    log.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        log.setLevel(level)


def _uid(*parts: object) -> str:
    from pydicom.uid import generate_uid

    # Deterministic UIDs (same content -> same file, byte for byte), under pydicom's registered UID root.
    return str(generate_uid(entropy_srcs=[str(p) for p in parts]))


def _check_pixels(pixels: np.ndarray, bits_stored: int) -> np.ndarray:
    arr = np.asarray(pixels)
    if arr.ndim != 2:
        raise ValueError(f"write_dicom expects a 2-D grayscale array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("write_dicom got an empty array")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"write_dicom expects integer pixels (uint8/uint16), got {arr.dtype}")
    if not 8 <= bits_stored <= 16:
        raise ValueError(f"bits_stored must be between 8 and 16, got {bits_stored}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= 2**bits_stored:
        raise ValueError(
            f"pixel values [{lo}, {hi}] do not fit in bits_stored={bits_stored} (0..{2**bits_stored - 1})"
        )
    return arr.astype(np.uint8 if bits_stored <= 8 else np.uint16, copy=False)


def _auto_window(
    display: np.ndarray, slope: float, intercept: float, invert_max: int | None = None
) -> tuple[float, float]:
    """A window over the breast tissue like a FOR PRESENTATION image carries, in Modality LUT output units.

    Computed on the displayed orientation (bright = dense, background near 0), then mapped to stored values
    (`invert_max - x` for MONOCHROME1) and through the rescale.
    """
    sub = display[:: max(1, display.shape[0] // 256), :: max(1, display.shape[1] // 256)].astype(np.float64)
    fg = sub[sub > sub.min() + 0.05 * (sub.max() - sub.min() + 1)]
    if fg.size < 16:
        fg = sub.ravel()
    lo, hi = np.percentile(fg, [1.0, 99.5])
    if invert_max is not None:
        lo, hi = invert_max - hi, invert_max - lo
    lo, hi = lo * slope + intercept, hi * slope + intercept
    lo, hi = min(lo, hi), max(lo, hi)
    width = max(float(hi - lo), 2.0)
    return float(round((lo + hi) / 2.0, 1)), float(round(width, 1))


def _voi_lut_item(center: float, width: float, bits_stored: int, function: str | None) -> Any:
    from pydicom.dataset import Dataset

    # A VOI LUT Sequence item equivalent to the window: one entry per input value across the window, 16-bit
    # output (PS3.3 C.11.2). Inputs outside the LUT are clamped to its first/last entry by the reader.
    # The first mapped value is written as US, so a window reaching below 0 starts the LUT at 0 instead (inputs
    # below the first entry are clamped to it, which is what the window does there anyway up to rounding).
    first = int(round(center - width / 2.0))
    last = int(round(center + width / 2.0))
    first = max(first, 0)
    n = int(min(max(last - first + 1, 2), 65535))
    x = first + np.arange(n, dtype=np.float64)
    y_max = 2**bits_stored - 1
    if function == "SIGMOID":
        y = y_max / (1.0 + np.exp(-4.0 * (x - center) / width))
    else:
        y = np.clip((x - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0) * y_max
    item = Dataset()
    # LUTDescriptor: entries, first input value mapped, bits per entry. First value is US or SS (PS3.3 C.11.1.1):
    # the element is written as US when `first` >= 0.
    # Explicit VRs: both elements have ambiguous dictionary VRs ("US or SS", "US or OW").
    item.add_new("LUTDescriptor", "US", [n, first, 16])
    lut = np.round(y).astype("<u2")
    if n <= 32767:
        item.add_new("LUTData", "US", lut.tolist())
    else:  # a US element is limited to 64 KiB in explicit VR; long LUTs go as OW bytes (both allowed, C.11.2.1.3)
        item.add_new("LUTData", "OW", lut.tobytes())
    item.LUTExplanation = f"SYNTHETIC {function or 'LINEAR'} C{center:g} W{width:g}"
    return item


def write_dicom(
    path: str | os.PathLike,
    pixels: np.ndarray,
    *,
    laterality: str,
    view: str,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    transfer_syntax: str = "explicit",
    window: tuple[float, float] | Sequence[tuple[float, float]] | str | None = "auto",
    voi_lut_function: str | None = None,
    voi_lut_sequence: bool = False,
    rescale: tuple[float, float] | None = None,
    presentation_intent: str = "FOR PRESENTATION",
    manufacturer: str = "MAMMO-HF PHANTOM",
    model_name: str = "Synthetic FFDM",
    pixel_spacing: tuple[float, float] = (0.1, 0.1),
    phi: Mapping[str, str] | None = FAKE_PHI,
    extra_tags: Mapping[str, Any] | None = None,
    uid_entropy: str | None = None,
) -> DicomWriteResult:
    """Write a valid Digital Mammography X-Ray DICOM file (Modality MG) from a 2-D integer array.

    Args:
        path: Output file; parent folders are created.
        pixels: `(rows, cols)` integer array, bright = dense (see the module docstring), values below
            `2**bits_stored`.
        laterality: `"L"` or `"R"` (ImageLaterality, and PatientOrientation with the display convention).
        view: `"CC"`, `"MLO"`, `"ML"`, `"LM"` or `"XCCL"` (ViewPosition and ViewCodeSequence).
        photometric: `"MONOCHROME2"` (stored as given) or `"MONOCHROME1"` (stored inverted).
        bits_stored: 8..16; default: the smallest of 12..16 that holds `pixels.max()` (8 for uint8 input).
            BitsAllocated is 8 for `bits_stored == 8`, else 16.
        transfer_syntax: `"explicit"`, `"implicit"`, `"rle"` (RLE Lossless, pydicom's own encoder) or
            `"jpeg2000"` (JPEG 2000 lossless through pylibjpeg-openjpeg). A compressed syntax whose encoder is
            missing falls back to `"explicit"`; the result's `fallback_reason` says why and a warning is logged.
        window: `(center, width)`, several pairs (written as multi-valued WindowCenter/Width like GE units do),
            `"auto"` (a window over the tissue, in Modality LUT units) or `None` (no window tags).
        voi_lut_function: `"LINEAR"`, `"LINEAR_EXACT"`, `"SIGMOID"` or `None` (element omitted = LINEAR).
        voi_lut_sequence: Also write a VOI LUT Sequence equivalent to the (first) window.
        rescale: `(slope, intercept)` written as RescaleSlope/Intercept (values are not changed), or `None`.
        presentation_intent: `"FOR PRESENTATION"` or `"FOR PROCESSING"` (selects the SOP class too).
        manufacturer: Manufacturer (0008,0070).
        model_name: ManufacturerModelName (0008,1090).
        pixel_spacing: `(row_mm, col_mm)`, written as PixelSpacing and ImagerPixelSpacing.
        phi: Identifying elements to write (default `FAKE_PHI`); `None` writes none of them.
        extra_tags: Any other elements by keyword (e.g. `StudyInstanceUID`, `SeriesInstanceUID`, `InstanceNumber`);
            they override the defaults.
        uid_entropy: Extra entropy for the deterministic UIDs (default: derived from the pixels and tags).

    Returns:
        A `DicomWriteResult` (the transfer syntax actually used and any fallback reason).

    Example:
        >>> import tempfile, numpy as np, pydicom
        >>> px = np.arange(64 * 48, dtype=np.uint16).reshape(64, 48)
        >>> out = write_dicom(tempfile.mkdtemp() + "/x.dcm", px, laterality="L", view="CC", bits_stored=12)
        >>> ds = pydicom.dcmread(out.path)
        >>> ds.Modality, ds.ViewPosition, ds.ImageLaterality, bool((ds.pixel_array == px).all())
        ('MG', 'CC', 'L', True)
    """
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

    laterality = str(laterality).upper()
    view = str(view).upper()
    photometric = str(photometric).upper()
    presentation_intent = str(presentation_intent).upper()
    if laterality not in ("L", "R"):
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if view not in _VIEW_CODES:
        raise ValueError(f"view must be one of {sorted(_VIEW_CODES)}, got {view!r}")
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    if transfer_syntax not in TRANSFER_SYNTAXES:
        raise ValueError(f"transfer_syntax must be one of {sorted(TRANSFER_SYNTAXES)}, got {transfer_syntax!r}")
    if presentation_intent not in _SOP_CLASS:
        raise ValueError(f"presentation_intent must be one of {sorted(_SOP_CLASS)}, got {presentation_intent!r}")
    if voi_lut_function is not None and voi_lut_function.upper() not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
        raise ValueError(f"voi_lut_function must be LINEAR, LINEAR_EXACT, SIGMOID or None, got {voi_lut_function!r}")
    voi_lut_function = voi_lut_function.upper() if voi_lut_function else None

    arr0 = np.asarray(pixels)
    if bits_stored is None:
        top = int(arr0.max()) if arr0.size else 0
        bits_stored = 8 if arr0.dtype == np.uint8 else next((b for b in (12, 14, 15, 16) if top < 2**b), 16)
    arr = _check_pixels(arr0, int(bits_stored))
    bits_stored = int(bits_stored)
    bits_allocated = 8 if bits_stored <= 8 else 16
    stored = (2**bits_stored - 1) - arr if photometric == "MONOCHROME1" else arr
    stored = np.ascontiguousarray(stored.astype(np.uint8 if bits_allocated == 8 else np.uint16))

    slope, intercept = (float(rescale[0]), float(rescale[1])) if rescale is not None else (1.0, 0.0)
    invert_max = 2**bits_stored - 1 if photometric == "MONOCHROME1" else None
    windows: list[tuple[float, float]] = []
    if isinstance(window, str):
        if window != "auto":
            raise ValueError(f"window must be (center, width), a list of pairs, 'auto' or None, got {window!r}")
        windows = [_auto_window(arr, slope, intercept, invert_max)]
    elif window is not None:
        pairs = [window] if np.isscalar(window[0]) else list(window)  # type: ignore[index]
        windows = [(float(c), float(w)) for c, w in pairs]  # type: ignore[misc]
        if any(w < 1 for _, w in windows):
            raise ValueError(f"window widths must be >= 1, got {windows}")

    digest = hashlib.sha256(stored.tobytes()).hexdigest()[:32]
    phi = dict(phi) if phi is not None else {}
    entropy = [digest, laterality, view, photometric, bits_stored, transfer_syntax, phi.get("PatientID", "")]
    entropy.append(uid_entropy or "")
    study_uid = _uid("study", phi.get("PatientID", ""), uid_entropy or digest)
    series_uid = _uid("series", study_uid, laterality, view)
    sop_uid = _uid("sop", *entropy)

    ds = Dataset()
    sop_class = _SOP_CLASS[presentation_intent]
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.Modality = "MG"
    ds.PresentationIntentType = presentation_intent
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = model_name
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientSex = "F"
    ds.BodyPartExamined = "BREAST"
    ds.ViewPosition = view
    ds.ImageLaterality = laterality
    ds.Laterality = laterality
    ds.PatientOrientation = list(_ORIENTATION[(laterality, view)])
    code_value, meaning = _VIEW_CODES[view]
    code = Dataset()
    code.CodeValue = code_value
    code.CodingSchemeDesignator = "SRT"
    code.CodeMeaning = meaning
    ds.ViewCodeSequence = DicomSequence([code])
    ds.BreastImplantPresent = "NO"
    ds.PartialView = "NO"
    ds.DetectorType = "DIRECT"
    ds.PixelSpacing = [float(pixel_spacing[0]), float(pixel_spacing[1])]
    ds.ImagerPixelSpacing = [float(pixel_spacing[0]), float(pixel_spacing[1])]
    ds.BurnedInAnnotation = "NO"
    # Sign +1: lower values = less X-ray intensity (PS3.3 C.8.11.3.1.2). MONOCHROME2 here has dense = bright =
    # less intensity at the detector, hence -1; MONOCHROME1 stores the inverse, hence +1.
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1 if photometric == "MONOCHROME2" else 1

    for keyword, value in phi.items():
        setattr(ds, keyword, value)
    if "StudyDate" in phi:
        for keyword in _DATE_TAGS:
            setattr(ds, keyword, phi["StudyDate"])

    if rescale is not None:
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleIntercept = f"{intercept:g}"
        ds.RescaleType = "US"
    if windows:
        ds.WindowCenter = [w[0] for w in windows] if len(windows) > 1 else windows[0][0]
        ds.WindowWidth = [w[1] for w in windows] if len(windows) > 1 else windows[0][1]
        names = [("NORMAL", "HARDER", "SOFTER")[i] if i < 3 else f"WINDOW{i + 1}" for i in range(len(windows))]
        ds.WindowCenterWidthExplanation = names if len(names) > 1 else names[0]
        if voi_lut_function is not None:
            ds.VOILUTFunction = voi_lut_function
    if voi_lut_sequence:
        center, width = windows[0] if windows else _auto_window(arr, slope, intercept, invert_max)
        ds.VOILUTSequence = DicomSequence([_voi_lut_item(center, width, bits_stored, voi_lut_function)])

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = (int(s) for s in stored.shape)
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "00"

    for keyword, value in (extra_tags or {}).items():
        setattr(ds, keyword, value)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "MAMMO_HF_SYNTH"
    ds.file_meta = meta

    used = transfer_syntax
    reason: str | None = None
    if TRANSFER_SYNTAXES[transfer_syntax][1]:
        reason = _encoder_missing_reason(transfer_syntax)
        if reason is None:
            try:
                # generate_instance_uid=False keeps the file deterministic (pydicom otherwise mints a new UID).
                with _quiet_encoder_logs():
                    ds.compress(TRANSFER_SYNTAXES[transfer_syntax][0], stored, generate_instance_uid=False)
            except Exception as err:  # an encoder that is installed but refuses this input
                reason = f"{transfer_syntax} encoder failed: {type(err).__name__}: {err}"
        if reason is not None:
            used = "explicit"
            logger.warning("write_dicom: %s; writing %s uncompressed instead", reason, Path(path).name)
    if used in ("explicit", "implicit"):
        ds.file_meta.TransferSyntaxUID = TRANSFER_SYNTAXES[used][0]
        ds.PixelData = stored.tobytes()
        ds["PixelData"].VR = "OB" if bits_allocated == 8 else "OW"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(path, ds, enforce_file_format=True, implicit_vr=used == "implicit", little_endian=True)
    return DicomWriteResult(
        path=path,
        transfer_syntax=used,
        transfer_syntax_uid=TRANSFER_SYNTAXES[used][0],
        requested_transfer_syntax=transfer_syntax,
        fallback_reason=reason,
        photometric=photometric,
        bits_stored=bits_stored,
        sop_instance_uid=str(ds.SOPInstanceUID),
    )


def write_png(path: str | os.PathLike, pixels: np.ndarray, *, bit_depth: int | None = None) -> Path:
    """Write a grayscale PNG, 16-bit for `uint16` input and 8-bit for `uint8` (lossless either way).

    Args:
        path: Output file; parent folders are created.
        pixels: 2-D `uint8` or `uint16` array.
        bit_depth: Force 8 or 16 bits. `uint16 -> 8` keeps the top byte of the full 16-bit range scaled by the
            array's own maximum bit length (so a 12-bit image uses the whole 8-bit range); `uint8 -> 16` scales by
            257.

    Returns:
        The written path.

    Example:
        >>> import tempfile, numpy as np
        >>> from PIL import Image
        >>> p = write_png(tempfile.mkdtemp() + "/x.png", np.full((4, 4), 4095, np.uint16))
        >>> int(np.asarray(Image.open(p)).max())
        4095
    """
    from PIL import Image

    arr = np.asarray(pixels)
    if arr.ndim != 2:
        raise ValueError(f"write_png expects a 2-D grayscale array, got shape {arr.shape}")
    if arr.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"write_png expects uint8 or uint16 pixels, got {arr.dtype}")
    if bit_depth not in (None, 8, 16):
        raise ValueError(f"bit_depth must be 8, 16 or None, got {bit_depth}")
    if bit_depth == 8 and arr.dtype == np.uint16:
        shift = max(int(arr.max()).bit_length() - 8, 0)
        arr = (arr >> shift).astype(np.uint8)
    elif bit_depth == 16 and arr.dtype == np.uint8:
        arr = arr.astype(np.uint16) * 257
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "I;16" if arr.dtype == np.uint16 else "L"
    image = Image.fromarray(np.ascontiguousarray(arr))
    if image.mode != mode:  # pragma: no cover - Pillow versions that map uint16 to "I"
        image = image.convert(mode)
    image.save(path, format="PNG")
    return path
