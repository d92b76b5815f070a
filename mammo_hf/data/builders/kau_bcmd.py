r"""KAU-BCMD, the King Abdulaziz University Breast Cancer Mammogram Dataset (v1, mammograms).

Raw layout (Kaggle/IEEE DataPort download): BI-RADS class folders `BIRAD 1/`, `BIRAD 3/`, `BIRAD 4/`, `BIRAD 5/`
holding `<year>_<patient id>_<CC|MLO>_<L|R>.jpg` (e.g. `2018_BC005421_CC_R.jpg`), and `correctSheetlast.xlsx`
(sheet `correctSheet`) with messy headers (`'Percentage of\\n grandular tissue(density)'`, `'Breast  type'`,
`'Assesment'`, `'Image path'`). BI-RADS comes from the folder (classes 1, 3, 4, 5 only); density from the sheet,
binned `0%-25%` .. `>75%` (ACR A-D), joined on the file stem. Quirks: stray spaces inside stems, macOS `._*`
resource-fork files, and a few stems present in two BI-RADS folders (the higher category is kept and the other
copy reported, the convention of public KAU-BCMD pipelines). No biopsy: `cancer` is the BI-RADS >= 4 proxy.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density
from .base import BreastBuilder, BreastRecord, ImageRef, RawDataError, ScanResult, SourceInfo, find_column, read_table

__all__ = ["KauBcmdBuilder", "parse_kau_stem"]

_FOLDER_RE = re.compile(r"^birads?\s*([0-6])$", re.I)
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".dcm")


def parse_kau_stem(stem: str) -> tuple[str, str, str] | None:
    """`'2018_BC005421_CC_R'` -> `('2018_BC005421', 'CC', 'R')`; `None` when the stem has another shape.

    Example:
        >>> parse_kau_stem("2018_BC0022 482_MLO_L")
        ('2018_BC0022482', 'MLO', 'L')
    """
    parts = stem.replace(" ", "").split("_")
    if len(parts) < 4:
        return None
    view, side = parts[-2].upper(), parts[-1].upper()
    if view not in ("CC", "MLO") or side not in ("L", "R"):
        return None
    return "_".join(parts[:-2]), view, side


class KauBcmdBuilder(BreastBuilder):
    """`mammo-hf build kau_bcmd --raw-dir KAU-BCMD/ --output-dir out/kau`."""

    info = SourceInfo(
        name="kau_bcmd",
        full_name="KAU-BCMD: King Abdulaziz University Breast Cancer Mammogram Dataset",
        licence="unknown",
        licence_note="Licence not stated by the publishers (Data 2021, 6(11):111; IEEE DataPort); treated as "
        "not redistributable until verified.",
        redistributable=False,
        homepage="https://www.mdpi.com/2306-5729/6/11/111",
        access="IEEE DataPort (DOI 10.21227/a4cs-ax02) account, or the Kaggle mirror "
        "asmaasaad/king-abdulaziz-university-mammogram-dataset",
        citation=(
            "@article{alsolami2021kau,\n  title = {King Abdulaziz University Breast Cancer Mammogram Dataset "
            "(KAU-BCMD)},\n  author = {Alsolami, Asmaa S. and Shalash, Wafaa and Alsaggaf, Wafaa and Ashoor, Sawsan "
            "and Refaat, Haneen and Elmogy, Mohammed},\n  journal = {Data},\n  volume = {6},\n  number = {11},\n  "
            "pages = {111},\n  year = {2021},\n  doi = {10.3390/data6110111}\n}"
        ),
        expected_layout="'BIRAD {1,3,4,5}/<year>_<patient>_<CC|MLO>_<L|R>.jpg' and correctSheetlast.xlsx",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        folders = sorted(d for d in raw.rglob("*") if d.is_dir() and _FOLDER_RE.match(d.name.strip()))
        if not folders:
            raise RawDataError(self.missing_message("no 'BIRAD n' class folders found"))
        result = ScanResult()
        density: dict[str, str | None] = {}
        try:
            sheet = self.require_file(raw, "correctSheetlast.xlsx")
        except RawDataError:
            sheet = None
            result.warnings["density_sheet_missing"] += 1
        if sheet is not None:
            rows = read_table(sheet, sheet="correctSheet")
            cols = list(rows[0]) if rows else []
            c_path = find_column(cols, "Image path", table=sheet.name)
            c_den = find_column(
                cols, "Percentage of grandular tissue(density)", "percentage of*", "density", required=False
            )
            for row in rows:
                if is_missing(row.get(c_path)):
                    continue
                stem = Path(str(row[c_path]).replace("\\", "/").strip()).stem.replace(" ", "")
                try:
                    density[stem] = parse_density(row.get(c_den)) if c_den else None
                except UnknownLabelError as err:
                    result.warnings[f"{err.reason}:{str(row.get(c_den)).strip()}"] += 1
                    density[stem] = None
        candidates: dict[str, list[tuple[int, Path]]] = {}
        for folder in folders:
            birads, _ = parse_birads(_FOLDER_RE.match(folder.name.strip()).group(1))
            for f in sorted(folder.iterdir()):
                if not f.is_file():
                    continue
                if f.name.startswith("._"):
                    result.skip(f.relative_to(raw), "macos_resource_fork", "AppleDouble file, not an image")
                    continue
                if f.suffix.lower() not in _IMAGE_SUFFIXES:
                    result.skip(f.relative_to(raw), "not_an_image", f"unexpected file type {f.suffix}")
                    continue
                stem = f.stem.replace(" ", "")
                candidates.setdefault(stem, []).append((birads, f))
        breasts: dict[tuple[str, str], BreastRecord] = {}
        for stem in sorted(candidates):
            items = sorted(candidates[stem], key=lambda t: (-t[0], str(t[1])))
            birads, path = items[0]
            for other_birads, other in items[1:]:
                result.skip(
                    other.relative_to(raw),
                    "duplicate_image_id",
                    f"{stem} also in BIRAD {birads}; BIRAD {other_birads} copy not used",
                )
            parsed = parse_kau_stem(stem)
            if parsed is None:
                result.skip(path.relative_to(raw), "bad_file_name", "expected <year>_<patient>_<CC|MLO>_<L|R>")
                continue
            patient, view, side = parsed
            rec = breasts.get((patient, side))
            if rec is None:
                rec = breasts[(patient, side)] = BreastRecord(
                    source="kau_bcmd",
                    patient_id=patient,
                    study_id=patient,
                    laterality=side,
                    birads=birads,
                    birads_detail=str(birads),
                )
                result.records.append(rec)
            elif birads != rec.birads:
                result.warnings["birads_differs_between_views"] += 1
                if birads > rec.birads:
                    rec.birads, rec.birads_detail = birads, str(birads)
            if stem not in density and sheet is not None:
                result.warnings["image_not_in_density_sheet"] += 1
            if rec.density is None and density.get(stem):
                rec.density = density[stem]
            rec.images.append(ImageRef(str(path), str(path.relative_to(raw).as_posix()), view, ()))
        return result
