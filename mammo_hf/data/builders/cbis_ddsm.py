r"""CBIS-DDSM (TCIA), full mammograms only.

Raw layout: the four case-description CSVs (`mass_case_description_{train,test}_set.csv`,
`calc_case_description_{train,test}_set.csv`) and the NBIA Data Retriever download `CBIS-DDSM/<case folder>/...`.

Quirks handled (ecosystem.md §1.8):
- CSV paths say `<case>/<study UID>/<series UID>/000000.dcm` but NBIA writes
  `<case>/<date>-DDSM-<last 5 of study UID>/1.000000-full mammogram images-<last 5 of series UID>/1-1.dcm`; the file
  is matched through the case folder and the series folder (UID, UID suffix, or "full mammogram images").
- Paths may carry trailing `"\\n"`/spaces and Windows separators.
- Images with several abnormalities (several CSV rows) are aggregated: pathology = worst (malignant > benign),
  BI-RADS = max `assessment`; `BENIGN_WITHOUT_CALLBACK` is benign.
- The mass and the calc CSVs may both list the same breast view (the full image is stored once per case folder);
  one is used, the other reported as `extra_view_not_chosen`.
- The official split is lesion-level: a patient listed in both train and test goes to test (patient-level).
- `breast_density` (mass CSVs) vs `breast density` (calc CSVs); density 0 is treated as missing (counted).
- ROI masks and cropped lesions are not used (full mammograms only).
"""

from __future__ import annotations

from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density, parse_pathology, worst_pathology
from .base import (
    BreastBuilder,
    BreastRecord,
    ImageRef,
    RawDataError,
    ScanResult,
    SourceInfo,
    find_column,
    normalise_laterality,
    normalise_view,
    read_table,
)

__all__ = ["CbisDdsmBuilder", "CSV_FILES"]

CSV_FILES = (
    ("mass_case_description_train_set.csv", "train", "mass"),
    ("mass_case_description_test_set.csv", "test", "mass"),
    ("calc_case_description_train_set.csv", "train", "calcification"),
    ("calc_case_description_test_set.csv", "test", "calcification"),
)


class CbisDdsmBuilder(BreastBuilder):
    """`mammo-hf build cbis_ddsm --raw-dir manifest-ZkhPvrLo/ --output-dir out/cbis` (folder holding the CSVs and
    the `CBIS-DDSM/` image tree).
    """

    info = SourceInfo(
        name="cbis_ddsm",
        full_name="CBIS-DDSM (Curated Breast Imaging Subset of DDSM)",
        licence="cc-by-3.0",
        licence_note="TCIA, Creative Commons Attribution 3.0: redistribution allowed with attribution.",
        redistributable=True,
        homepage="https://www.cancerimagingarchive.net/collection/cbis-ddsm/",
        access="open; download the .tcia manifest and the CSVs, then use the NBIA Data Retriever",
        citation=(
            "@article{lee2017curated,\n  title = {A curated mammography data set for use in computer-aided detection "
            "and diagnosis research},\n  author = {Lee, Rebecca Sawyer and Gimenez, Francisco and Hoogi, Assaf and "
            "Miyake, Kanae Kawai and Gorovoy, Mia and Rubin, Daniel L.},\n  journal = {Scientific Data},\n  volume = "
            "{4},\n  pages = {170177},\n  year = {2017},\n  doi = {10.1038/sdata.2017.177}\n}\n"
            "Sawyer-Lee, R., Gimenez, F., Hoogi, A., Rubin, D. (2016). Curated Breast Imaging Subset of DDSM "
            "[Data set]. The Cancer Imaging Archive. https://doi.org/10.7937/K9/TCIA.2016.7O02S9CY"
        ),
        expected_layout="{mass,calc}_case_description_{train,test}_set.csv and CBIS-DDSM/<case folder>/.../1-1.dcm",
    )

    def _resolve(self, root: Path, value: str) -> tuple[Path | None, str]:
        text = str(value).strip().strip('"').replace("\\", "/").strip()
        parts = [p for p in text.split("/") if p]
        if not parts:
            return None, ""
        case = parts[0]
        direct = root / "/".join(parts)
        if direct.is_file():
            return direct, case
        case_dir = root / case
        if not case_dir.is_dir():
            return None, case
        series_uid = parts[2] if len(parts) >= 4 else ""
        best: list[tuple[int, str, Path]] = []
        for dcm in case_dir.rglob("*.dcm"):
            folder = dcm.parent.name
            if series_uid and (folder == series_uid or folder.endswith("-" + series_uid[-5:])):
                score = 0
            elif "full mammogram" in folder.lower():
                score = 1
            elif "roi mask" in folder.lower() or "cropped" in folder.lower():
                continue
            else:
                score = 2
            best.append((score, str(dcm.relative_to(case_dir)), dcm))
        if not best:
            return None, case
        best.sort()
        return best[0][2], case

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        tables = []
        for fname, split, kind in CSV_FILES:
            hits = [raw / fname] if (raw / fname).is_file() else sorted(raw.rglob(fname))
            if hits:
                tables.append((hits[0], split, kind))
        if not tables:
            raise RawDataError(self.missing_message("none of the case-description CSVs found"))
        root = raw / "CBIS-DDSM" if (raw / "CBIS-DDSM").is_dir() else raw
        result = ScanResult()
        images: dict[str, dict] = {}  # case folder -> aggregated image info
        for path, split, kind in tables:
            rows = read_table(path)
            cols = list(rows[0]) if rows else []
            c_pid = find_column(cols, "patient_id", table=path.name)
            c_den = find_column(cols, "breast_density", "breast density", required=False)
            c_lat = find_column(cols, "left or right breast", table=path.name)
            c_view = find_column(cols, "image view", table=path.name)
            c_ass = find_column(cols, "assessment", required=False)
            c_path = find_column(cols, "pathology", table=path.name)
            c_file = find_column(cols, "image file path", table=path.name)
            for i, row in enumerate(rows):
                where = f"{path.name}:row {i + 2}"
                pid = str(row.get(c_pid) or "").strip()
                if not pid or is_missing(row.get(c_file)):
                    result.skip(where, "bad_label_row", "patient_id or image file path missing")
                    continue
                try:
                    lat = normalise_laterality(row.get(c_lat))
                    pathology = parse_pathology(row.get(c_path))
                    birads, detail = parse_birads(row.get(c_ass)) if c_ass else (None, None)
                    density = None
                    if c_den and not is_missing(row.get(c_den)) and str(row.get(c_den)).strip() in ("0", "0.0"):
                        result.warnings["density_0_treated_as_missing"] += 1
                    elif c_den:
                        density = parse_density(row.get(c_den))
                except UnknownLabelError as err:
                    result.skip(where, err.reason, str(err))
                    continue
                file, case = self._resolve(root, row[c_file])
                if file is None:
                    result.skip(
                        f"{root.name}/{case}" if case else where,
                        "missing_image",
                        f"{where}: full mammogram not found in the download",
                    )
                    continue
                info = images.setdefault(
                    case,
                    {
                        "pid": pid,
                        "lat": lat,
                        "view": normalise_view(row.get(c_view)),
                        "file": file,
                        "path": [],
                        "birads": [],
                        "density": [],
                        "kind": set(),
                        "split": split,
                    },
                )
                if (info["pid"], info["lat"]) != (pid, lat):
                    result.skip(where, "conflicting_label_row", f"case {case} listed with another patient/side")
                    continue
                info["path"].append(pathology)
                if birads is not None:
                    info["birads"].append((birads, detail))
                if density is not None:
                    info["density"].append(density)
                info["kind"].add(kind)
        breasts: dict[tuple[str, str], BreastRecord] = {}
        for case in sorted(images):
            info = images[case]
            key = (info["pid"], info["lat"])
            rec = breasts.get(key)
            if rec is None:
                rec = breasts[key] = BreastRecord(
                    source="cbis_ddsm",
                    patient_id=info["pid"],
                    study_id=info["pid"],
                    laterality=info["lat"],
                    official_split=info["split"],
                )
                result.records.append(rec)
            elif info["split"] == "test":
                rec.official_split = "test"
            rec.pathology = worst_pathology([rec.pathology, *info["path"]])
            if info["birads"]:
                rec.birads, rec.birads_detail = max(
                    [*info["birads"], *([(rec.birads, rec.birads_detail)] if rec.birads is not None else [])]
                )
            if info["density"] and rec.density is None:
                rec.density = info["density"][0]
            rec.findings.extend(sorted(info["kind"]))
            rec.images.append(ImageRef(str(info["file"]), case, info["view"] or "?", ()))
        return result
