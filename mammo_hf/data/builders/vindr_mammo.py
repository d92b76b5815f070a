"""VinDr-Mammo 1.0.0 (PhysioNet).

Raw layout: `breast-level_annotations.csv`, `finding_annotations.csv`, `images/<study_id>/<image_id>.dicom`.
Labels are BI-RADS per breast (no biopsy): `cancer` uses the BI-RADS >= 4 proxy (`label_source = birads_proxy`).
`breast_birads` is spelled `"BI-RADS 4"`, `breast_density` `"DENSITY C"`, `split` `training`/`test` (the official
16,000/4,000 split is kept), `finding_categories` is a stringified Python list (ecosystem.md §1.8).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density
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

__all__ = ["VindrMammoBuilder"]

_SPLITS = {"training": "train", "train": "train", "test": "test"}


def parse_finding_categories(value) -> list[str]:
    """`"['Mass', 'Suspicious Calcification']"` -> `['Mass', 'Suspicious Calcification']` (`No Finding` dropped).

    Example:
        >>> parse_finding_categories("['No Finding']"), parse_finding_categories("['Mass', 'Asymmetry']")
        ([], ['Mass', 'Asymmetry'])
    """
    if is_missing(value):
        return []
    text = str(value).strip()
    try:
        items = ast.literal_eval(text) if text.startswith("[") else [text]
    except (ValueError, SyntaxError):
        items = [t.strip(" '\"") for t in text.strip("[]").split(",")]
    return [str(t).strip() for t in items if str(t).strip() and str(t).strip().lower() != "no finding"]


class VindrMammoBuilder(BreastBuilder):
    """`mammo-hf build vindr_mammo --raw-dir vindr-mammo/1.0.0 --output-dir out/vindr`."""

    info = SourceInfo(
        name="vindr_mammo",
        full_name="VinDr-Mammo",
        licence="other",
        licence_note="PhysioNet Restricted Health Data License 1.5.0 (credentialed access + DUA); no redistribution.",
        redistributable=False,
        homepage="https://physionet.org/content/vindr-mammo/1.0.0/",
        access="PhysioNet credentialed account, CITI training, signed data use agreement",
        citation=(
            "@article{nguyen2023vindr,\n  title = {VinDr-Mammo: A large-scale benchmark dataset for computer-aided "
            "diagnosis in full-field digital mammography},\n  author = {Nguyen, Hieu T. and others},\n  journal = "
            "{Scientific Data},\n  volume = {10},\n  pages = {277},\n  year = {2023},\n  doi = "
            "{10.1038/s41597-023-02100-7}\n}"
        ),
        expected_layout="breast-level_annotations.csv, finding_annotations.csv, images/<study_id>/<image_id>.dicom",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        table = self.require_file(raw, "breast-level_annotations.csv")
        images = raw / "images"
        self.require_dir(images)
        result = ScanResult()
        findings: dict[str, list[str]] = defaultdict(list)
        try:
            find_table = self.require_file(raw, "finding_annotations.csv")
        except RawDataError:
            find_table = None
            result.warnings["finding_annotations_missing"] += 1
        if find_table is not None:
            frows = read_table(find_table)
            if frows:
                fc = list(frows[0])
                c_iid = find_column(fc, "image_id", table="finding_annotations.csv")
                c_cat = find_column(fc, "finding_categories", table="finding_annotations.csv")
                for r in frows:
                    findings[str(r.get(c_iid)).strip()].extend(parse_finding_categories(r.get(c_cat)))
        rows = read_table(table)
        cols = list(rows[0]) if rows else []
        name = "breast-level_annotations.csv"
        c = {
            k: find_column(cols, k, table=name)
            for k in (
                "study_id",
                "image_id",
                "laterality",
                "view_position",
                "breast_birads",
                "breast_density",
                "split",
            )
        }
        breasts: dict[tuple[str, str], BreastRecord] = {}
        seen: set[str] = set()
        for i, row in enumerate(rows):
            where = f"{name}:row {i + 2}"
            study, iid = str(row.get(c["study_id"]) or "").strip(), str(row.get(c["image_id"]) or "").strip()
            if not study or not iid:
                result.skip(where, "bad_label_row", "study_id/image_id missing")
                continue
            rel = f"images/{study}/{iid}.dicom"
            if iid in seen:
                result.skip(rel, "duplicate_image_id", where)
                continue
            seen.add(iid)
            try:
                lat = normalise_laterality(row.get(c["laterality"]))
                birads, detail = parse_birads(row.get(c["breast_birads"]))
                density = parse_density(row.get(c["breast_density"]))
            except UnknownLabelError as err:
                result.skip(rel, err.reason, f"{where}: {err}")
                continue
            split_raw = str(row.get(c["split"]) or "").strip().lower()
            if split_raw not in _SPLITS:
                result.skip(rel, "unknown_split", f"{where}: split {split_raw!r}")
                continue
            path = raw / rel
            if not path.is_file():
                alt = path.with_suffix(".dcm")  # some mirrors rename .dicom -> .dcm
                if not alt.is_file():
                    result.skip(rel, "missing_image", f"{where} points at a file that is not in the download")
                    continue
                path = alt
            rec = breasts.get((study, lat))
            if rec is None:
                rec = breasts[(study, lat)] = BreastRecord(
                    source="vindr_mammo",
                    patient_id=study,
                    study_id=study,
                    laterality=lat,
                    birads=birads,
                    birads_detail=detail,
                    density=density,
                    official_split=_SPLITS[split_raw],
                )
                result.records.append(rec)
            elif (rec.birads, rec.density) != (birads, density):
                result.warnings["labels_disagree_within_breast"] += 1
                if birads is not None and (rec.birads is None or birads > rec.birads):
                    rec.birads, rec.birads_detail = birads, detail
            rec.images.append(ImageRef(str(path), iid, normalise_view(row.get(c["view_position"])) or "?", ()))
            rec.findings.extend(findings.get(iid, []))
        return result
