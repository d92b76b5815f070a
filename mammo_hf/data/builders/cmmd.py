"""CMMD, the Chinese Mammography Database (TCIA).

Raw layout: `CMMD_clinicaldata_revision.xlsx` (columns `ID1, LeftRight, Age, number, abnormality, classification,
subtype`; one row per breast) and the NBIA download `CMMD/<ID1>/<study folder>/<series folder>/1-1.dcm ...`.
File names carry neither laterality nor view, so both come from the DICOM header (ImageLaterality, ViewPosition /
ViewCodeSequence; ecosystem.md §1.8), read without pixel data. `classification` (Benign/Malignant) is
biopsy-confirmed. Images of a breast without a clinical row (usually the other side of a D2 case) are reported as
`no_label_row`, never guessed normal. The xlsx is read with openpyxl (pandas' default engine fails on some copies);
a `.csv` export of it is accepted too.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_pathology
from .base import (
    BreastBuilder,
    BreastRecord,
    ImageRef,
    ScanResult,
    SourceInfo,
    dicom_view_tags,
    find_column,
    normalise_laterality,
    read_table,
)

__all__ = ["CmmdBuilder"]

_ABNORMALITY = {"calcification": ["calcification"], "mass": ["mass"], "both": ["calcification", "mass"]}


class CmmdBuilder(BreastBuilder):
    """`mammo-hf build cmmd --raw-dir CMMD-download/ --output-dir out/cmmd`."""

    info = SourceInfo(
        name="cmmd",
        full_name="CMMD: The Chinese Mammography Database",
        licence="cc-by-4.0",
        licence_note="TCIA, Creative Commons Attribution 4.0: redistribution allowed with attribution.",
        redistributable=True,
        homepage="https://www.cancerimagingarchive.net/collection/cmmd/",
        access="open; download the .tcia manifest and the clinical xlsx, then use the NBIA Data Retriever",
        citation=(
            "Cui, C., Li, L., Cai, H., Fan, Z., Zhang, L., Dan, T., Li, J., Wang, J. (2021). The Chinese Mammography "
            "Database (CMMD): An online mammography database with biopsy confirmed types for machine diagnosis of "
            "breast [Data set]. The Cancer Imaging Archive. https://doi.org/10.7937/tcia.eqde-4b16"
        ),
        expected_layout="CMMD_clinicaldata_revision.xlsx and CMMD/<ID1>/.../1-N.dcm",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        table = self.require_file(
            raw, "CMMD_clinicaldata_revision.xlsx", "CMMD_clinicaldata_revision.csv", "label.csv"
        )
        root = raw / "CMMD" if (raw / "CMMD").is_dir() else raw
        rows = read_table(table, sheet="Sheet1")
        cols = list(rows[0]) if rows else []
        c_id = find_column(cols, "ID1", table=table.name)
        c_lr = find_column(cols, "LeftRight", table=table.name)
        c_cls = find_column(cols, "classification", table=table.name)
        c_abn = find_column(cols, "abnormality", required=False)
        c_sub = find_column(cols, "subtype", required=False)
        result = ScanResult()
        labels: dict[tuple[str, str], dict] = {}
        for i, row in enumerate(rows):
            where = f"{table.name}:row {i + 2}"
            pid = str(row.get(c_id) or "").strip()
            try:
                lat = normalise_laterality(row.get(c_lr))
                pathology = parse_pathology(row.get(c_cls))
            except UnknownLabelError as err:
                result.skip(where, err.reason, str(err))
                continue
            if not pid or lat is None:
                result.skip(where, "bad_label_row", "ID1/LeftRight missing")
                continue
            if (pid, lat) in labels:
                result.skip(where, "duplicate_label_row", f"{pid} {lat} listed twice; first row kept")
                continue
            abn = str(row.get(c_abn) or "").strip().lower() if c_abn else ""
            labels[(pid, lat)] = {
                "pathology": pathology,
                "findings": _ABNORMALITY.get(abn, [abn] if abn else []),
                "subtype": None if not c_sub or is_missing(row.get(c_sub)) else str(row.get(c_sub)).strip(),
            }
        self.require_dir(root)
        found: dict[tuple[str, str], list[ImageRef]] = defaultdict(list)
        for dcm in sorted(root.rglob("*.dcm")):
            rel = dcm.relative_to(root)
            pid = rel.parts[0]
            try:
                lat, view = dicom_view_tags(dcm)
            except Exception as err:  # noqa: BLE001 - an unreadable header is a counted skip
                result.skip(dcm.relative_to(raw), "corrupt", f"header unreadable: {type(err).__name__}")
                continue
            if lat is None or view is None:
                result.skip(dcm.relative_to(raw), "no_view_tags", "ImageLaterality/ViewPosition missing in the header")
                continue
            found[(pid, lat)].append(ImageRef(str(dcm), str(rel.as_posix()), view, ()))
        for key in sorted(set(found) | set(labels)):
            if key not in labels:
                for ref in found[key]:
                    result.skip(
                        Path(ref.path).relative_to(raw), "no_label_row", f"{key[0]} {key[1]} has no clinical row"
                    )
                continue
            if key not in found:
                result.skip(
                    f"{table.name}:{key[0]} {key[1]}", "missing_image", "no DICOM of this breast in the download"
                )
                continue
            lab = labels[key]
            result.records.append(
                BreastRecord(
                    source="cmmd",
                    patient_id=key[0],
                    study_id=key[0],
                    laterality=key[1],
                    images=found[key],
                    pathology=lab["pathology"],
                    findings=lab["findings"],
                    extra={"subtype": lab["subtype"]} if lab["subtype"] else {},
                )
            )
        return result
