"""RSNA Screening Mammography Breast Cancer Detection (Kaggle 2022-23).

Raw layout (Kaggle download): `train.csv` + `train_images/<patient_id>/<image_id>.dcm` (JPEG 2000 and JPEG-LS
lossless DICOMs; the `dicom` extra's python-gdcm/pylibjpeg-openjpeg decode both). `cancer` is per image but is a
breast-level outcome, so rows are grouped by `(patient_id, laterality)` (ecosystem.md §1.8); several CC/MLO images
per breast are common (the lowest `image_id` is used, the others reported), AT/LM/ML/LMO views are reported unused.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density
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

__all__ = ["RsnaBuilder"]


def _int_str(value) -> str | None:
    if is_missing(value):
        return None
    try:
        return str(int(float(value)))
    except (TypeError, ValueError):
        return None


class RsnaBuilder(BreastBuilder):
    """`mammo-hf build rsna --raw-dir rsna-breast-cancer-detection/ --output-dir out/rsna`."""

    info = SourceInfo(
        name="rsna",
        full_name="RSNA Screening Mammography Breast Cancer Detection",
        licence="other",
        licence_note="Kaggle competition rules: non-commercial research and education only; no redistribution.",
        redistributable=False,
        homepage="https://www.kaggle.com/competitions/rsna-breast-cancer-detection/data",
        access="Kaggle account + accepted competition rules; `kaggle competitions download -c "
        "rsna-breast-cancer-detection`",
        citation=(
            "@misc{rsna-breast-cancer-detection,\n  author = {Chris Carr and others},\n  title = {RSNA Screening "
            "Mammography Breast Cancer Detection},\n  year = {2022},\n  publisher = {Kaggle},\n  url = "
            "{https://kaggle.com/competitions/rsna-breast-cancer-detection}\n}"
        ),
        expected_layout="train.csv and train_images/<patient_id>/<image_id>.dcm",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        table = self.require_file(raw, "train.csv")
        images = raw / "train_images"
        self.require_dir(images)
        rows = read_table(table)
        cols = list(rows[0]) if rows else []
        c_pid, c_iid = (
            find_column(cols, "patient_id", table="train.csv"),
            find_column(cols, "image_id", table="train.csv"),
        )
        c_lat, c_view = (
            find_column(cols, "laterality", table="train.csv"),
            find_column(cols, "view", table="train.csv"),
        )
        c_cancer = find_column(cols, "cancer", table="train.csv")
        c_birads = find_column(cols, "BIRADS", required=False)
        c_density = find_column(cols, "density", required=False)
        extra_cols = [
            c
            for c in ("site_id", "machine_id", "implant", "biopsy", "invasive", "difficult_negative_case")
            if c in cols
        ]
        result = ScanResult()
        breasts: dict[tuple[str, str], BreastRecord] = {}
        per_breast: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
        seen: set[str] = set()
        for i, row in enumerate(rows):
            where = f"train.csv:row {i + 2}"
            pid, iid = _int_str(row.get(c_pid)), _int_str(row.get(c_iid))
            if pid is None or iid is None:
                result.skip(where, "bad_label_row", "patient_id/image_id missing or not an integer")
                continue
            rel = f"train_images/{pid}/{iid}.dcm"
            if iid in seen:
                result.skip(rel, "duplicate_image_id", f"{where}: image_id {iid} listed twice")
                continue
            seen.add(iid)
            try:
                lat = normalise_laterality(row.get(c_lat))
                birads, detail = parse_birads(row.get(c_birads)) if c_birads else (None, None)
                density = parse_density(row.get(c_density)) if c_density else None
            except UnknownLabelError as err:
                result.skip(rel, err.reason, f"{where}: {err}")
                continue
            if lat is None:
                result.skip(rel, "unknown_laterality", where)
                continue
            if not (raw / rel).is_file():
                result.skip(rel, "missing_image", f"{where} points at a file that is not in the download")
                continue
            key = (pid, lat)
            rec = breasts.setdefault(
                key,
                BreastRecord(
                    source="rsna", patient_id=pid, study_id=pid, laterality=lat, cancer_source="screening_outcome"
                ),
            )
            rec.images.append(ImageRef(str(raw / rel), iid, normalise_view(row.get(c_view)) or "?", (int(iid),)))
            agg = per_breast[key]
            if not is_missing(row.get(c_cancer)):
                agg["cancer"].append(int(float(row[c_cancer])))
            if birads is not None:
                agg["birads"].append((birads, detail))
            if density is not None:
                agg["density"].append(density)
            for c in extra_cols:
                if not is_missing(row.get(c)):
                    v = _int_str(row.get(c))
                    agg[c].append(v if v is not None else str(row[c]))
        for key, rec in breasts.items():
            agg = per_breast[key]
            rec.cancer = max(agg["cancer"]) if agg["cancer"] else None
            if agg["birads"]:
                rec.birads, rec.birads_detail = max(agg["birads"])
            if agg["density"]:
                rec.density = sorted(agg["density"])[0]
                if len(set(agg["density"])) > 1:
                    result.warnings["density_disagrees_within_breast"] += 1
            rec.extra = {
                c: sorted(set(agg[c])) if c == "machine_id" else (max(agg[c]) if agg[c] else None) for c in extra_cols
            }
            result.records.append(rec)
        return result
