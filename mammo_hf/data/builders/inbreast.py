"""INbreast (INESC TEC / Universidade do Porto).

Raw layout: `INbreast.xls` (or a `;`-separated `INbreast.csv` copy) and `AllDICOMs/<File Name>_<patient hash>_MG_
<L|R>_<CC|ML>_ANON.dcm`. Quirks (ecosystem.md §1.8): `File Name` parses as a float (cast to an int string), the two
trailing summary rows have no file name, `Patient ID`/`Patient age` hold `"removed"`, the DICOM headers lack
patient/view information so the join is on the file name and the patient is the anonymised hash in it, BI-RADS is
`1, 2, 3, 4a, 4b, 4c, 5, 6` (collapsed to 4 in `birads`, kept in `birads_detail`), `ACR` density is 1-4. No biopsy
label: `cancer` is the BI-RADS >= 4 proxy. The acquisition date is never copied; it only enters a hashed study id.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density
from ..splits import hash_id
from .base import (
    BreastBuilder,
    BreastRecord,
    ImageRef,
    ScanResult,
    SourceInfo,
    find_column,
    normalise_laterality,
    normalise_view,
    read_table,
)

__all__ = ["INbreastBuilder"]

_NAME_RE = re.compile(r"^(\d+)_([0-9a-fA-F]+)_MG_([LR])_([A-Z]+)_ANON\.dcm$", re.I)
_FINDING_COLS = {
    "mass": "mass",
    "micros": "calcification",
    "distortion": "architectural distortion",
    "asymmetry": "asymmetry",
}


class INbreastBuilder(BreastBuilder):
    """`mammo-hf build inbreast --raw-dir INbreast/ --output-dir out/inbreast`."""

    info = SourceInfo(
        name="inbreast",
        full_name="INbreast",
        licence="other",
        licence_note="Released on request by INESC TEC / Universidade do Porto for research only; no redistribution.",
        redistributable=False,
        homepage="https://doi.org/10.1016/j.acra.2011.09.014",
        access="request from the authors (INESC TEC, Breast Research Group); the original site is largely offline",
        citation=(
            "@article{moreira2012inbreast,\n  title = {INbreast: toward a full-field digital mammographic database},"
            "\n  author = {Moreira, In{\\^e}s C. and Amaral, Igor and Domingues, In{\\^e}s and Cardoso, Ant{\\'o}nio "
            "and Cardoso, Maria Jo{\\~a}o and Cardoso, Jaime S.},\n  journal = {Academic Radiology},\n  volume = "
            "{19},\n  number = {2},\n  pages = {236--248},\n  year = {2012}\n}"
        ),
        expected_layout="INbreast.xls (or INbreast.csv) and AllDICOMs/<id>_<hash>_MG_<L|R>_<CC|ML>_ANON.dcm",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        table = self.require_file(raw, "INbreast.xls", "INbreast.csv", "INbreast.xlsx")
        dicom_dir = raw / "AllDICOMs"
        self.require_dir(dicom_dir)
        by_id: dict[str, Path] = {}
        result = ScanResult()
        for f in sorted(dicom_dir.glob("*.dcm")):
            m = _NAME_RE.match(f.name)
            if m is None:
                result.skip(f.relative_to(raw), "bad_file_name", "not <id>_<hash>_MG_<L|R>_<view>_ANON.dcm")
                continue
            by_id[m.group(1)] = f
        rows = read_table(table)
        cols = list(rows[0]) if rows else []
        c_lat = find_column(cols, "Laterality", table=table.name)
        c_view = find_column(cols, "View", table=table.name)
        c_file = find_column(cols, "File Name", table=table.name)
        c_acr = find_column(cols, "ACR", required=False)
        c_bir = find_column(cols, "Bi-Rads", "BIRADS", table=table.name)
        c_date = find_column(cols, "Acquisition date", required=False)
        finding_cols = {f: find_column(cols, c, required=False) for c, f in _FINDING_COLS.items()}
        used: set[str] = set()
        breasts: dict[tuple[str, str, str], BreastRecord] = {}
        for i, row in enumerate(rows):
            where = f"{table.name}:row {i + 2}"
            raw_name = row.get(c_file)
            try:
                fid = str(int(float(str(raw_name).strip())))
            except (TypeError, ValueError):
                result.warnings["summary_rows_ignored"] += 1  # the two trailing summary rows have no file name
                continue
            if fid in used:
                result.skip(where, "duplicate_image_id", f"File Name {fid} listed twice")
                continue
            try:
                lat = normalise_laterality(row.get(c_lat))
                birads, detail = parse_birads(row.get(c_bir))
                density = parse_density(row.get(c_acr)) if c_acr else None
            except UnknownLabelError as err:
                result.skip(f"AllDICOMs/{fid}_*.dcm", err.reason, f"{where}: {err}")
                used.add(fid)
                continue
            path = by_id.get(fid)
            if path is None:
                result.skip(f"AllDICOMs/{fid}_*.dcm", "missing_image", f"{where} points at a file that is not there")
                continue
            used.add(fid)
            m = _NAME_RE.match(path.name)
            patient = m.group(2).lower()
            if lat is None:
                lat = m.group(3).upper()
            elif lat != m.group(3).upper():
                result.warnings["laterality_table_vs_filename_mismatch"] += 1
            view = normalise_view(row.get(c_view)) or normalise_view(m.group(4))
            if view == "ML":  # INbreast file names say ML for its MLO acquisitions; the table says MLO
                view = "MLO"
            date = "" if c_date is None or is_missing(row.get(c_date)) else str(row.get(c_date)).strip()
            study = hash_id("inbreast", patient, date, length=12) if date else patient
            rec = breasts.get((patient, study, lat))
            if rec is None:
                rec = breasts[(patient, study, lat)] = BreastRecord(
                    source="inbreast", patient_id=patient, study_id=study, laterality=lat
                )
                result.records.append(rec)
            if birads is not None and (
                rec.birads is None
                or birads > rec.birads
                or (birads == rec.birads and (detail or "") > (rec.birads_detail or ""))
            ):
                rec.birads, rec.birads_detail = birads, detail
            if density is not None and rec.density is None:
                rec.density = density
            for finding, col in finding_cols.items():
                if col and not is_missing(row.get(col)) and str(row.get(col)).strip().upper() in ("X", "1", "YES"):
                    rec.findings.append(finding)
            rec.images.append(ImageRef(str(path), fid, view or "?", ()))
        for fid, path in sorted(by_id.items()):
            if fid not in used:
                result.skip(path.relative_to(raw), "no_label_row", f"File Name {fid} not in {table.name}")
        return result
