"""MammosighTR (TEKNOFEST 2023), the BI-RADS set released with MAM-CLIP.

Raw layout (MAM-CLIP data card, papers.md §3.5): `metadata_image_level.json` and
`all_pngs/<patient_id>/{LCC,LMLO,RCC,RMLO}.png` (840 patients have only 3 views; those breasts go to the
single-view table). BI-RADS labels are {0, 1, 2, 4, 5} ("Kategori N" pushed to breasts by finding laterality),
`breast_composition` A-D. No biopsy: `cancer` is the BI-RADS >= 4 proxy (BI-RADS 0 gives none).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..labels import UnknownLabelError, is_missing, parse_birads, parse_density
from .base import (
    BreastBuilder,
    BreastRecord,
    ImageRef,
    ScanResult,
    SourceInfo,
    normalise_laterality,
    normalise_view,
)

__all__ = ["MammosighTRBuilder"]

_FILE_VIEWS = {"LCC": ("L", "CC"), "LMLO": ("L", "MLO"), "RCC": ("R", "CC"), "RMLO": ("R", "MLO")}


class MammosighTRBuilder(BreastBuilder):
    """`mammo-hf build mammosightr --raw-dir mammosightr/ --output-dir out/mammosightr`."""

    info = SourceInfo(
        name="mammosightr",
        full_name="MammosighTR (TEKNOFEST 2023 AI in Health)",
        licence="cc-by-nc-4.0",
        licence_note="Creative Commons Attribution-NonCommercial 4.0: redistribution allowed for non-commercial "
        "use with attribution.",
        redistributable=True,
        homepage="https://github.com/igulluk/MAM-CLIP",
        access="open: Google Drive all_pngs.zip linked from the MAM-CLIP data card (also "
        "gulluk/mammosightr-preprocessed)",
        citation=(
            "@article{koc2025mammosightr,\n  title = {MammosighTR: Nationwide Breast Cancer Screening Mammogram "
            "Dataset "
            "with BI-RADS Annotations for Artificial Intelligence Applications},\n  author = {Ko{\\c{c}}, Ural and "
            "others},\n  journal = {Radiology: Artificial Intelligence},\n  volume = {7},\n  number = {6},\n  pages = "
            "{e240841},\n  year = {2025},\n  doi = {10.1148/ryai.240841}\n}"
        ),
        expected_layout="metadata_image_level.json and all_pngs/<patient_id>/{LCC,LMLO,RCC,RMLO}.png",
    )

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        meta_path = self.require_file(raw, "metadata_image_level.json")
        pngs = raw / "all_pngs"
        self.require_dir(pngs)
        data = json.loads(meta_path.read_text())
        entries = data if isinstance(data, list) else next((v for v in data.values() if isinstance(v, list)), [])
        result = ScanResult()
        breasts: dict[tuple[str, str], BreastRecord] = {}
        used: set[str] = set()
        for i, e in enumerate(entries):
            where = f"{meta_path.name}:entry {i}"
            pid = str(e.get("patient_id", "")).strip()
            fname = str(e.get("image_filename") or "").strip()
            rel = str(e.get("relative_path") or f"all_pngs/{pid}/{fname}").replace("\\", "/")
            if not pid or not fname:
                result.skip(where, "bad_label_row", "patient_id/image_filename missing")
                continue
            if rel in used:
                result.skip(rel, "duplicate_image_id", where)
                continue
            used.add(rel)
            file_lat, file_view = _FILE_VIEWS.get(Path(fname).stem.upper(), (None, None))
            try:
                lat = normalise_laterality(e.get("laterality")) or file_lat
                birads, detail = parse_birads(
                    e.get("birads") if not is_missing(e.get("birads")) else e.get("birads_label")
                )
                density = parse_density(e.get("breast_composition"))
            except UnknownLabelError as err:
                result.skip(rel, err.reason, f"{where}: {err}")
                continue
            view = normalise_view(e.get("view")) or file_view
            if lat is None or view is None:
                result.skip(rel, "unknown_view", where)
                continue
            path = raw / rel
            if not path.is_file():
                result.skip(rel, "missing_image", f"{where} points at a file that is not in the download")
                continue
            rec = breasts.get((pid, lat))
            if rec is None:
                rec = breasts[(pid, lat)] = BreastRecord(
                    source="mammosightr",
                    patient_id=pid,
                    study_id=pid,
                    laterality=lat,
                    birads=birads,
                    birads_detail=detail,
                    density=density,
                )
                loc = e.get("findings_locations")
                if loc:
                    rec.extra["findings_locations"] = loc
                if not is_missing(e.get("patient_birads")):
                    rec.extra["patient_birads"] = str(e.get("patient_birads"))
                result.records.append(rec)
            elif birads is not None and (rec.birads is None or birads > rec.birads):
                result.warnings["birads_differs_between_views"] += 1
                rec.birads, rec.birads_detail = birads, detail
            rec.images.append(ImageRef(str(path), rel, view, ()))
        for png in sorted(pngs.rglob("*.png")):
            rel = png.relative_to(raw).as_posix()
            if rel not in used:
                result.skip(rel, "no_label_row", f"not listed in {meta_path.name}")
        return result
