"""Base classes of the local dataset converters: source facts, breast records, view pairing, label tables.

A builder only *scans*: it reads the dataset's own label files, resolves each row to image files in the user's
download and returns `BreastRecord`s (plus `Skip`s for every row or file it cannot use, with the reason). Decoding,
cropping, encoding, sharding, resuming and atomic output are shared (`mammo_hf.data.build`).
"""

from __future__ import annotations

import abc
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..labels import UnknownLabelError, is_missing, malignancy_label

__all__ = [
    "SourceInfo",
    "ImageRef",
    "BreastRecord",
    "Skip",
    "ScanResult",
    "RawDataError",
    "BaseBuilder",
    "BreastBuilder",
    "normalise_header",
    "read_table",
    "find_column",
    "normalise_view",
    "normalise_laterality",
    "dicom_view_tags",
]


class RawDataError(FileNotFoundError):
    """The raw download is missing or incomplete; the message says what to download and from where."""


@dataclass(frozen=True)
class SourceInfo:
    """Facts about a source dataset (one table for licences: CONTRIBUTING.md).

    Attributes:
        name: Builder name (`rsna`, `vindr_mammo`, ...).
        full_name: Human name.
        licence: SPDX id where one exists (`cc-by-4.0`), else a short slug (`other`).
        licence_note: What the licence/terms allow, in one sentence.
        redistributable: Whether the *converted* data may be pushed to a public Hub repo.
        homepage: Where the user downloads the raw data.
        access: How access is granted (open, registration, credentialed DUA, ...).
        citation: BibTeX or plain-text citation to put on the dataset card.
        expected_layout: The raw files the builder reads (for error messages and the card).
    """

    name: str
    full_name: str
    licence: str
    licence_note: str
    redistributable: bool
    homepage: str
    access: str
    citation: str
    expected_layout: str


@dataclass
class ImageRef:
    """One image file of a breast. `image_id` is the dataset's own id or the path relative to the raw folder."""

    path: str
    image_id: str
    view: str
    rank: tuple = ()


@dataclass
class BreastRecord:
    """One breast of one study, with every image found for it and its labels (raw, pre-policy)."""

    source: str
    patient_id: str
    study_id: str
    laterality: str
    images: list[ImageRef] = field(default_factory=list)
    birads: int | None = None
    birads_detail: str | None = None
    density: str | None = None
    pathology: str | None = None
    cancer: int | None = None
    cancer_source: str = ""
    findings: list[str] = field(default_factory=list)
    official_split: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source}/{self.patient_id}/{self.study_id}/{self.laterality}"

    def labels(self) -> dict[str, Any]:
        """Schema label columns, with `cancer`/`label_source` from the `malignancy` policy."""
        cancer, label_source = malignancy_label(
            pathology=self.pathology, cancer=self.cancer, birads=self.birads, cancer_source=self.cancer_source
        )
        return {
            "birads": None if self.birads is None else str(self.birads),
            "birads_detail": self.birads_detail,
            "density": self.density,
            "pathology": self.pathology,
            "cancer": cancer,
            "label_source": label_source,
            "findings": sorted(set(self.findings)),
        }


@dataclass(frozen=True)
class Skip:
    """A file (or label row) not used in the output, with a machine-friendly reason and a human detail."""

    file: str
    reason: str
    detail: str = ""


@dataclass
class ScanResult:
    """What a scan found: usable records (breasts, or atlas pairs), skips, and label warnings (kept rows)."""

    records: list[Any] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)

    def skip(self, file: str | os.PathLike, reason: str, detail: str = "") -> None:
        self.skips.append(Skip(str(file), reason, detail))

    def extend(self, other: ScanResult) -> None:
        self.records.extend(other.records)
        self.skips.extend(other.skips)
        self.warnings.update(other.warnings)


def normalise_header(name: Any) -> str:
    r"""Lower-case, collapse whitespace/newlines (KAU-BCMD: `'Percentage of\\n grandular tissue(density)'`,
    `'Breast  type'`, `'Patient age '`).

    Example:
        >>> normalise_header("Percentage of\n grandular tissue(density)"), normalise_header("Breast  type")
        ('percentage of grandular tissue(density)', 'breast type')
    """
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def find_column(columns: Iterable[str], *candidates: str, required: bool = True, table: str = "") -> str | None:
    """The first of `columns` whose normalised name equals (or, for `candidates` ending in `*`, starts with) a
    normalised candidate.

    Example:
        >>> find_column(["Patient ID", "Bi-Rads"], "bi-rads", "birads")
        'Bi-Rads'
    """
    cols = list(columns)
    norm = {normalise_header(c): c for c in cols}
    for cand in candidates:
        c = normalise_header(cand)
        if c.endswith("*"):
            for k, v in norm.items():
                if k.startswith(c[:-1]):
                    return v
        elif c in norm:
            return norm[c]
    if required:
        raise RawDataError(f"{table or 'label table'}: none of the columns {list(candidates)} found (have {cols})")
    return None


def read_table(path: str | os.PathLike, sheet: str | None = None) -> list[dict[str, Any]]:
    r"""Read a CSV/XLS/XLSX label table into a list of dicts (cell values as read; nothing coerced).

    `.xlsx` goes through openpyxl directly (CMMD's xlsx is sometimes unreadable by pandas' default engine), `.xls`
    through xlrd, `.csv` through the csv module with the separator sniffed (some INbreast copies use `;`).
    Fully empty rows are dropped.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"; _ = p.write_text("a;b\n1;x\n;\n")
        >>> read_table(p)
        [{'a': '1', 'b': 'x'}]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    rows: list[list[Any]]
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb[wb.sheetnames[0]]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    elif suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        ws = book.sheet_by_name(sheet) if sheet and sheet in book.sheet_names() else book.sheet_by_index(0)
        rows = [ws.row_values(i) for i in range(ws.nrows)]
    else:
        import csv

        text = path.read_text(encoding="utf-8-sig", errors="replace")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(text.splitlines(), dialect))
    if not rows:
        return []
    header = ["" if h is None else str(h) for h in rows[0]]
    out = []
    for r in rows[1:]:
        values = list(r) + [None] * (len(header) - len(r))
        if all(is_missing(v) for v in values):
            continue
        out.append({h: v for h, v in zip(header, values) if h != ""})
    return out


_VIEW_ALIASES = {"CC": "CC", "MLO": "MLO", "ML": "ML", "LM": "LM", "LMO": "LMO", "AT": "AT", "XCCL": "XCCL"}


def normalise_view(value: Any) -> str | None:
    """Upper-case view code (`CC`, `MLO`, ...); `None` when missing.

    Example:
        >>> normalise_view(" mlo"), normalise_view("L-CC"), normalise_view(None)
        ('MLO', 'CC', None)
    """
    if is_missing(value):
        return None
    text = str(value).strip().upper()
    text = re.sub(r"^[LR][-_ ]?(?=CC|MLO|ML)", "", text)
    return _VIEW_ALIASES.get(text, text)


def normalise_laterality(value: Any) -> str | None:
    """`"L"`/`"R"` from `L`, `LEFT`, `Left`, `R`, `RIGHT`...; `None` when missing; `UnknownLabelError` otherwise.

    Example:
        >>> normalise_laterality("LEFT"), normalise_laterality("r")
        ('L', 'R')
    """
    if is_missing(value):
        return None
    text = str(value).strip().upper()
    if text in ("L", "LEFT", "LT"):
        return "L"
    if text in ("R", "RIGHT", "RT"):
        return "R"
    raise UnknownLabelError("laterality", value)


_VIEW_CODE_MEANINGS = {"cranio-caudal": "CC", "medio-lateral oblique": "MLO", "medio-lateral": "ML"}


def dicom_view_tags(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """`(laterality, view)` from a DICOM header, reading only the non-identifying view elements.

    Uses ImageLaterality/Laterality and ViewPosition, falling back to the ViewCodeSequence code meaning (CMMD's
    files carry no view in their names: ecosystem.md §1.8). Pixel data is not read.
    """
    import pydicom

    ds = pydicom.dcmread(
        path,
        stop_before_pixels=True,
        specific_tags=["ImageLaterality", "Laterality", "ViewPosition", "ViewCodeSequence"],
    )
    lat = getattr(ds, "ImageLaterality", None) or getattr(ds, "Laterality", None)
    view = normalise_view(getattr(ds, "ViewPosition", None))
    if not view and "ViewCodeSequence" in ds and len(ds.ViewCodeSequence):
        meaning = str(getattr(ds.ViewCodeSequence[0], "CodeMeaning", "")).strip().lower()
        view = _VIEW_CODE_MEANINGS.get(meaning)
    try:
        lat = normalise_laterality(lat)
    except UnknownLabelError:
        lat = None
    return lat, view


class BaseBuilder(abc.ABC):
    """A local converter from the user's download to `datasets` tables.

    Subclasses set `info` and implement `scan`; `tables()` names the output tables and their features (the first
    is the main `DatasetDict` written at the output root).
    """

    info: ClassVar[SourceInfo]

    @property
    def name(self) -> str:
        return self.info.name

    @abc.abstractmethod
    def tables(self) -> Mapping[str, Any]: ...

    @abc.abstractmethod
    def scan(self, raw_dir: Path) -> ScanResult:
        """Read the label files under `raw_dir` and resolve image files; never decodes pixels."""

    def check_raw_dir(self, raw_dir: str | os.PathLike) -> Path:
        raw = Path(raw_dir)
        if not raw.is_dir():
            raise RawDataError(self.missing_message(f"raw folder {raw} does not exist"))
        return raw

    def missing_message(self, what: str) -> str:
        i = self.info
        return (
            f"{i.full_name}: {what}. Expected layout: {i.expected_layout}. Download it from {i.homepage} ({i.access})."
        )

    def require_file(self, raw: Path, *names: str) -> Path:
        """The first of `names` (glob patterns allowed) that exists under `raw` (searched recursively)."""
        for n in names:
            p = raw / n
            if p.is_file():
                return p
        for n in names:
            hits = sorted(raw.rglob(Path(n).name))
            if hits:
                return hits[0]
        raise RawDataError(self.missing_message(f"label file {' or '.join(names)} not found under {raw}"))

    def require_dir(self, path: Path) -> Path:
        """`path` if it is a folder, else a `RawDataError` that says what to download and from where."""
        if not path.is_dir():
            raise RawDataError(self.missing_message(f"image folder {path} not found"))
        return path


class BreastBuilder(BaseBuilder):
    """A builder whose records are `BreastRecord`s written to the breast-level schema."""

    def tables(self) -> Mapping[str, Any]:
        from ..features import breast_features

        return {"default": breast_features(), "single_view": breast_features()}
