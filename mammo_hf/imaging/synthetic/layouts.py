"""Raw-download layouts: synthetic phantoms written exactly as each public dataset ships them.

`write_layout("cbis_ddsm", out, patients=8)` writes a small download in the real folder nesting, file names, label
table formats, column names and value spellings of the dataset, including its known quirks (ecosystem.md §1.8), so
every builder in `mammo_hf.data.builders` is tested on the layout it will meet. Images are phantoms from
`render_view`; DICOM headers carry the obviously fake PHI of `fake_phi(i)` (to prove the builders never copy it).

`faults=True` adds bad input on top: a label row pointing at a missing image, a duplicated image id, an unknown
BI-RADS spelling (where the set has BI-RADS) and a truncated (corrupt) image. `LayoutResult.expected` gives the
breast counts a correct builder must produce.

CLI: `mammo-hf synth --layout <builder-name> --out DIR --patients N`.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .dicom import fake_phi, write_dicom, write_png
from .exams import ExamSpec, sample_exams
from .phantom import BreastSpec, render_view

__all__ = ["LAYOUTS", "LayoutResult", "write_layout"]


@dataclass
class LayoutResult:
    """What `write_layout` wrote.

    Attributes:
        path: The raw folder to pass as `--raw-dir`.
        layout: The builder name.
        expected: `{"pairs": n, "single_view": n}` a correct build must produce, plus `faults` (list of
            `(file, reason)` the build must report) and per-dataset notes.
    """

    path: Path
    layout: str
    expected: dict[str, Any] = field(default_factory=dict)


class _Tracker:
    """Counts usable CC/MLO images per breast to derive the expected pairs/single-view numbers."""

    def __init__(self) -> None:
        self.breasts: dict[str, set[str]] = {}
        self.faults: list[tuple[str, str]] = []

    def add(self, breast: str, view: str | None, ok: bool = True) -> None:
        views = self.breasts.setdefault(breast, set())
        if ok and view in ("CC", "MLO"):
            views.add(view)

    def fault(self, file: str, reason: str) -> None:
        self.faults.append((file, reason))

    def expected(self, **extra: Any) -> dict[str, Any]:
        pairs = sum(1 for v in self.breasts.values() if len(v) == 2)
        singles = sum(1 for v in self.breasts.values() if len(v) == 1)
        return {"pairs": pairs, "single_view": singles, "faults": list(self.faults), **extra}


def _pixels(breast: BreastSpec, view: str, size: tuple[int, int], bits: int = 12) -> np.ndarray:
    return render_view(breast, "MLO" if view in ("MLO", "ML") else "CC", shape=size, bits_stored=bits)


def _with_progress(exams: list[ExamSpec]) -> Any:
    """Iterate over the patients with a progress bar when there are enough of them to take a while."""
    from tqdm.auto import tqdm

    return tqdm(exams, desc="synthetic raw layout", unit="patient", disable=len(exams) <= 16)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: max(200, len(data) // 3)])


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list[Any]]]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _hex(*parts: object, n: int = 32) -> str:
    import hashlib

    return hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()[:n]


# ------------------------------------------------------------------------------------------------ RSNA
def _rsna(out: Path, exams: list[ExamSpec], size, faults: bool, phi: bool) -> LayoutResult:
    t, rows = _Tracker(), []
    header = [
        "site_id",
        "patient_id",
        "image_id",
        "laterality",
        "view",
        "age",
        "cancer",
        "biopsy",
        "invasive",
        "BIRADS",
        "implant",
        "density",
        "machine_id",
        "difficult_negative_case",
    ]
    for i, ex in enumerate(_with_progress(exams)):
        pid = 10006 + 37 * i
        site = 1 + i % 2
        # site 1 ships JPEG 2000 lossless, site 2 JPEG-LS lossless; JPEG-LS has no permissive encoder, RLE stands in
        ts = "jpeg2000" if site == 1 else "rle"
        views = [(b, v) for b, v in ex.views()]
        if i % 4 == 1:  # quirk: a second CC of the left breast, and an AT view that is not paired
            views.append((ex.left, "CC"))
            views.append((ex.left, "AT"))
        for k, (b, v) in enumerate(views):
            iid = 1_000_000 + 7919 * (i * 10 + k)
            rel = f"train_images/{pid}/{iid}.dcm"
            px = _pixels(b, v, size)
            write_dicom(
                out / rel,
                px,
                laterality=b.laterality,
                view="CC" if v == "AT" else v,
                transfer_syntax=ts,
                voi_lut_function="SIGMOID" if site == 1 else None,
                phi=fake_phi(i) if phi else None,
                uid_entropy=rel,
                manufacturer="GE MEDICAL SYSTEMS" if site == 1 else "HOLOGIC, Inc.",
            )
            birads = "" if site == 2 or b.cancer else str(min(b.birads, 2) if b.birads != 0 else 0)
            rows.append(
                [
                    site,
                    pid,
                    iid,
                    b.laterality,
                    v,
                    58,
                    b.cancer,
                    int(b.pathology != "normal"),
                    b.cancer,
                    birads,
                    0,
                    b.density if site == 1 else "",
                    49 if site == 1 else 210,
                    "False",
                ]
            )
            t.add(f"{pid}/{b.laterality}", v)
    if faults:
        b = exams[0].left
        rows.append([1, 10006, 999_999_999, "L", "CC", 58, 0, 0, 0, "", 0, "B", 49, "False"])
        t.fault("train_images/10006/999999999.dcm", "missing_image")
        rows.append(list(rows[0]))  # duplicated image id
        t.fault(f"train_images/10006/{rows[0][2]}.dcm", "duplicate_image_id")
        extra = [1, 10006, 1_999_999, "R", "MLO", 58, 0, 0, 0, "7", 0, "B", 49, "False"]
        write_dicom(
            out / "train_images/10006/1999999.dcm",
            _pixels(exams[0].right, "MLO", size),
            laterality="R",
            view="MLO",
            phi=None,
        )
        rows.append(extra)
        t.fault("train_images/10006/1999999.dcm", "unknown_birads")
        # corrupt: truncate the first MLO of patient 1 (its breast becomes single-view)
        r = next(r for r in rows if r[1] == 10006 + 37 and r[4] == "MLO")
        _truncate(out / f"train_images/{r[1]}/{r[2]}.dcm")
        t.breasts[f"{r[1]}/{r[3]}"].discard("MLO")
        t.fault(f"train_images/{r[1]}/{r[2]}.dcm", "corrupt")
    _csv(out / "train.csv", header, rows)
    _csv(
        out / "test.csv",
        ["site_id", "patient_id", "image_id", "laterality", "view", "age", "implant", "machine_id", "prediction_id"],
        [],
    )
    return LayoutResult(out, "rsna", t.expected())


# ------------------------------------------------------------------------------------------------ VinDr-Mammo
def _vindr(out: Path, exams, size, faults, phi) -> LayoutResult:
    t, rows, frows = _Tracker(), [], []
    header = [
        "study_id",
        "series_id",
        "image_id",
        "laterality",
        "view_position",
        "height",
        "width",
        "breast_birads",
        "breast_density",
        "split",
    ]
    fheader = [
        "image_id",
        "study_id",
        "series_id",
        "laterality",
        "view_position",
        "height",
        "width",
        "breast_birads",
        "breast_density",
        "finding_categories",
        "finding_birads",
        "xmin",
        "ymin",
        "xmax",
        "ymax",
        "split",
    ]
    for i, ex in enumerate(_with_progress(exams)):
        study, series = _hex("study", i), _hex("series", i)
        split = "test" if i % 5 == 4 else "training"
        views = list(ex.views())
        if i % 4 == 2:  # quirk: one breast with CC, CC (ecosystem.md §1.8)
            views.append((ex.right, "CC"))
        for k, (b, v) in enumerate(views):
            iid = _hex("image", i, k)
            rel = f"images/{study}/{iid}.dicom"
            write_dicom(
                out / rel,
                _pixels(b, v, size),
                laterality=b.laterality,
                view=v,
                photometric="MONOCHROME1" if i % 3 == 0 else "MONOCHROME2",
                phi=fake_phi(i) if phi else None,
                uid_entropy=rel,
                manufacturer="SIEMENS" if i % 2 else "IMS s.r.l.",
            )
            birads = max(1, b.birads)
            row = [
                study,
                series,
                iid,
                b.laterality,
                v,
                size[0],
                size[1],
                f"BI-RADS {birads}",
                f"DENSITY {b.density}",
                split,
            ]
            rows.append(row)
            cats = ["Mass"] if any(f.kind == "mass" for f in b.findings) else []
            cats += ["Suspicious Calcification"] if any(f.kind == "calcification" for f in b.findings) else []
            fr = [
                iid,
                study,
                series,
                b.laterality,
                v,
                size[0],
                size[1],
                f"BI-RADS {birads}",
                f"DENSITY {b.density}",
                str(cats or ["No Finding"]),
                f"BI-RADS {birads}" if cats else "",
                *(["10.5", "12.0", "40.2", "44.9"] if cats else ["", "", "", ""]),
                split,
            ]
            frows.append(fr)
            t.add(f"{study}/{b.laterality}", v)
    if faults:
        rows.append(
            [
                _hex("study", 0),
                _hex("series", 0),
                "deadbeef" * 4,
                "L",
                "CC",
                10,
                10,
                "BI-RADS 1",
                "DENSITY B",
                "training",
            ]
        )
        t.fault(f"images/{_hex('study', 0)}/{'deadbeef' * 4}.dicom", "missing_image")
        rows.append(list(rows[1]))
        t.fault(f"images/{rows[1][0]}/{rows[1][2]}.dicom", "duplicate_image_id")
        iid = _hex("unknown", 0)
        write_dicom(
            out / f"images/{_hex('study', 1)}/{iid}.dicom",
            _pixels(exams[1].left, "CC", size),
            laterality="L",
            view="CC",
            phi=None,
        )
        rows.append(
            [_hex("study", 1), _hex("series", 1), iid, "L", "CC", 10, 10, "BI-RADS 7", "DENSITY B", "training"]
        )
        t.fault(f"images/{_hex('study', 1)}/{iid}.dicom", "unknown_birads")
        r = rows[6]  # truncate one image of patient 1
        _truncate(out / f"images/{r[0]}/{r[2]}.dicom")
        t.breasts[f"{r[0]}/{r[3]}"].discard(r[4])
        t.fault(f"images/{r[0]}/{r[2]}.dicom", "corrupt")
    _csv(out / "breast-level_annotations.csv", header, rows)
    _csv(out / "finding_annotations.csv", fheader, frows)
    return LayoutResult(out, "vindr_mammo", t.expected())


# ------------------------------------------------------------------------------------------------ CBIS-DDSM
def _cbis(out: Path, exams, size, faults, phi) -> LayoutResult:
    t = _Tracker()
    tables: dict[str, list[list[Any]]] = {}
    mass_h = [
        "patient_id",
        "breast_density",
        "left or right breast",
        "image view",
        "abnormality id",
        "abnormality type",
        "mass shape",
        "mass margins",
        "assessment",
        "pathology",
        "subtlety",
        "image file path",
        "cropped image file path",
        "ROI mask file path",
    ]
    calc_h = [
        "patient_id",
        "breast density",
        "left or right breast",
        "image view",
        "abnormality id",
        "abnormality type",
        "calc type",
        "calc distribution",
        "assessment",
        "pathology",
        "subtlety",
        "image file path",
        "cropped image file path",
        "ROI mask file path",
    ]
    root = out / "CBIS-DDSM"
    written: dict[str, str] = {}

    def case(kind: str, split: str, pid: str, side: str, view: str, b: BreastSpec, i: int) -> str:
        folder = (
            f"{'Mass' if kind == 'mass' else 'Calc'}-{'Training' if split == 'train' else 'Test'}_{pid}_{side}_{view}"
        )
        study_uid, series_uid = (
            f"1.3.6.1.4.1.9590.100.1.2.{_hex(folder, 's', n=12).translate(str.maketrans('abcdef', '123456'))}",
            f"1.3.6.1.4.1.9590.100.1.2.{_hex(folder, 'r', n=12).translate(str.maketrans('abcdef', '123456'))}",
        )
        if folder not in written:  # NBIA layout: date-DDSM-<study suffix>/1.000000-full mammogram images-<suffix>
            f = (
                root
                / folder
                / f"07-20-2016-DDSM-{study_uid[-5:]}"
                / f"1.000000-full mammogram images-{series_uid[-5:]}"
            )
            write_dicom(
                f / "1-1.dcm",
                _pixels(b, view, size, bits=16),
                laterality=side[0],
                view=view,
                phi=fake_phi(i) if phi else None,
                uid_entropy=folder,
                bits_stored=16,
                extra_tags={"PatientID": folder} if not phi else None,
            )
            for n in (1,):  # ROI mask + cropped lesion (same series, swapped numbering: a known quirk)
                roi = (
                    root
                    / f"{folder}_{n}"
                    / f"08-29-2017-DDSM-{study_uid[-4:]}1"
                    / f"1.000000-ROI mask images-{series_uid[-4:]}9"
                )
                write_dicom(
                    roi / "1-1.dcm",
                    np.zeros((32, 32), np.uint16) + 255,
                    laterality=side[0],
                    view=view,
                    phi=None,
                    bits_stored=8 if False else 12,
                )
            written[folder] = f"{folder}/{study_uid}/{series_uid}/000000.dcm"
        return written[folder]

    for i, ex in enumerate(_with_progress(exams)):
        pid = f"P_{i * 3 + 1:05d}"
        split = "test" if i % 4 == 3 else "train"
        for b in ex.breasts:
            if not b.findings and i % 3:  # CBIS-DDSM has lesion cases only: most normal breasts are absent
                continue
            side = "LEFT" if b.laterality == "L" else "RIGHT"
            views = ("CC", "MLO") if i % 5 != 2 else ("CC",)  # quirk: some cases have a single view
            kinds = sorted({f.kind for f in b.findings}) or ["mass"]
            for view in views:
                for kind in kinds:
                    path = case(kind, split, pid, side, view, b, i) + "\n" * (i % 2)  # trailing newline quirk
                    path_pathology = (
                        "BENIGN_WITHOUT_CALLBACK"
                        if b.pathology != "malignant" and i % 2
                        else "BENIGN"
                        if b.pathology != "malignant"
                        else "MALIGNANT"
                    )
                    n_abn = 2 if i % 6 == 0 else 1  # several abnormalities on one image
                    for abn in range(1, n_abn + 1):
                        crop = f"{path.strip().split('/')[0]}_{abn}/1.3.6.1/1.3.6.2/000000.dcm"
                        roi = f"{path.strip().split('/')[0]}_{abn}/1.3.6.1/1.3.6.2/000001.dcm\n"
                        birads = max(2, min(5, b.birads)) if b.birads else 3
                        common = [pid, {"A": 1, "B": 2, "C": 3, "D": 4}[b.density], side, view, abn]
                        if kind == "mass":
                            row = [
                                *common,
                                "mass",
                                "IRREGULAR",
                                "SPICULATED",
                                birads,
                                path_pathology,
                                4,
                                path,
                                crop,
                                roi,
                            ]
                        else:
                            row = [
                                *common,
                                "calcification",
                                "PLEOMORPHIC",
                                "CLUSTERED",
                                birads,
                                path_pathology,
                                3,
                                path,
                                crop,
                                roi,
                            ]
                        tables.setdefault(
                            f"{'mass' if kind == 'mass' else 'calc'}_case_description_{split}_set.csv", []
                        ).append(row)
                    t.add(f"{pid}/{b.laterality}", view)
    if faults:
        rows = tables.setdefault("mass_case_description_train_set.csv", [])
        rows.append(
            [
                "P_09999",
                2,
                "LEFT",
                "CC",
                1,
                "mass",
                "OVAL",
                "CIRCUMSCRIBED",
                3,
                "BENIGN",
                2,
                "Mass-Training_P_09999_LEFT_CC/1.3.6.1.4.1.9590.100.1.2.1/1.3.6.1.4.1.9590.100.1.2.2/000000.dcm",
                "x",
                "y",
            ]
        )
        t.fault("CBIS-DDSM/Mass-Training_P_09999_LEFT_CC", "missing_image")
        rows.append(
            [
                "P_09998",
                2,
                "LEFT",
                "CC",
                1,
                "mass",
                "OVAL",
                "CIRCUMSCRIBED",
                3,
                "PROBABLY_BENIGN",
                2,
                "Mass-Training_P_09998_LEFT_CC/1/2/000000.dcm",
                "x",
                "y",
            ]
        )
        t.fault("mass_case_description_train_set.csv", "unknown_pathology")
        first = next(iter(written.values()))
        folder = first.split("/")[0]
        dcm = next((root / folder).rglob("1-1.dcm"))
        _truncate(dcm)
        pid, side, view = folder.split("_", 1)[1].rsplit("_", 2)
        t.breasts[f"{pid}/{side[0]}"].discard(view)
        t.fault(str(dcm.relative_to(out)), "corrupt")
    header = {"mass": mass_h, "calc": calc_h}
    for name, rows in tables.items():
        _csv(out / name, header[name.split("_")[0]], rows)
    return LayoutResult(out, "cbis_ddsm", t.expected())


# ------------------------------------------------------------------------------------------------ CMMD
def _cmmd(out: Path, exams, size, faults, phi) -> LayoutResult:
    t, rows = _Tracker(), []
    for i, ex in enumerate(_with_progress(exams)):
        pid = f"D1-{i + 1:04d}" if i % 3 else f"D2-{i + 1:04d}"
        lesion = [b for b in ex.breasts if b.findings] or [ex.left]
        n = 0
        imaged = ex.breasts if pid.startswith("D2") else lesion  # D2: both breasts imaged, one row only
        folder = out / "CMMD" / pid / f"07-18-2010-NA-NA-{_hex(pid, n=5)}" / f"1.000000-NA-{_hex(pid, 's', n=5)}"
        for b in imaged:
            for v in ("CC", "MLO"):
                n += 1
                tags = {"ViewPosition": ""} if i % 2 else None  # no ViewPosition: view only in ViewCodeSequence
                write_dicom(
                    folder / f"1-{n}.dcm",
                    _pixels(b, v, size),
                    laterality=b.laterality,
                    view=v,
                    phi=fake_phi(i) if phi else None,
                    uid_entropy=f"{pid}/{n}",
                    extra_tags=tags,
                    window=(2048, 4096),
                )
                if b in lesion:
                    t.add(f"{pid}/{b.laterality}", v)
        for b in lesion:
            abn = {("calcification",): "calcification", ("mass",): "mass"}.get(
                tuple(sorted({f.kind for f in b.findings})), "both" if b.findings else "mass"
            )
            rows.append(
                [
                    pid,
                    b.laterality,
                    40 + i,
                    1,
                    abn,
                    "Malignant" if b.cancer else "Benign",
                    ("Luminal A" if b.cancer else None) if pid.startswith("D2") else None,
                ]
            )
    if faults:
        rows.append(["D1-9999", "L", 50, 1, "mass", "Benign", None])
        t.fault("CMMD_clinicaldata_revision.xlsx:D1-9999 L", "missing_image")
        rows.append(["D1-9998", "R", 50, 1, "mass", "Borderline", None])
        t.fault("CMMD_clinicaldata_revision.xlsx", "unknown_pathology")
        dcm = sorted((out / "CMMD").rglob("1-1.dcm"))[1]
        pid = dcm.relative_to(out / "CMMD").parts[0]
        dcm.write_bytes(dcm.read_bytes()[:100])  # truncated inside the header
        first_lat = next(r[1] for r in rows if r[0] == pid)
        t.breasts[f"{pid}/{first_lat}"].discard("CC")
        t.fault(str(dcm.relative_to(out)), "corrupt")
    _xlsx(
        out / "CMMD_clinicaldata_revision.xlsx",
        {"Sheet1": (["ID1", "LeftRight", "Age", "number", "abnormality", "classification", "subtype"], rows)},
    )
    return LayoutResult(out, "cmmd", t.expected())


# ------------------------------------------------------------------------------------------------ INbreast
def _inbreast(out: Path, exams, size, faults, phi) -> LayoutResult:
    t, rows = _Tracker(), []
    header = [
        "Patient ID",
        "Patient age",
        "Laterality",
        "View",
        "Acquisition date",
        "File Name",
        "ACR",
        "Bi-Rads",
        "Mass ",
        "Micros",
        "Distortion",
        "Asymmetry",
        "Findings Notes (in Portuguese)",
        "Lesion Annotation Status",
        "Pectoral Muscle Annotation",
        "Other Notes",
    ]
    sub = {4: ["4a", "4b", "4c"]}
    for i, ex in enumerate(_with_progress(exams)):
        phash = _hex("inbreast", i, n=16)
        for k, (b, v) in enumerate(ex.views()):
            fid = 20586908 + 1000 * i + k
            fname = f"{fid}_{phash}_MG_{b.laterality}_{'ML' if v == 'MLO' else v}_ANON.dcm"
            write_dicom(
                out / "AllDICOMs" / fname,
                _pixels(b, v, size, bits=14),
                laterality=b.laterality,
                view=v,
                bits_stored=14,
                phi=fake_phi(i) if phi else None,
                uid_entropy=fname,
                extra_tags={"ViewPosition": ""},
            )  # INbreast headers lack the view
            birads = max(1, b.birads)
            bir = sub[4][i % 3] if birads == 4 else (birads if i % 2 else str(birads))
            masses = "X" if any(f.kind == "mass" for f in b.findings) else None
            micros = "X" if any(f.kind == "calcification" for f in b.findings) else None
            rows.append(
                [
                    "removed",
                    "removed",
                    b.laterality,
                    v,
                    200900 + (i % 12) + 1,
                    float(fid),
                    {"A": 1, "B": 2, "C": 3, "D": 4}[b.density],
                    bir,
                    masses,
                    micros,
                    None,
                    None,
                    "nódulo" if masses else None,
                    "OK",
                    "OK" if v == "MLO" else None,
                    None,
                ]
            )
            t.add(f"{phash}/{b.laterality}", v)
    if faults:
        rows.append(
            [
                "removed",
                "removed",
                "L",
                "CC",
                200901,
                99999999.0,
                2,
                "2",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ]
        )
        t.fault("AllDICOMs/99999999_*.dcm", "missing_image")
        rows.append(list(rows[0]))
        t.fault(str(rows[0][5]), "duplicate_image_id")
        ph = _hex("inbreast", 1, n=16)
        write_dicom(
            out / "AllDICOMs" / f"30000001_{ph}_MG_L_CC_ANON.dcm",
            _pixels(exams[1].left, "CC", size),
            laterality="L",
            view="CC",
            phi=None,
        )
        rows.append(
            [
                "removed",
                "removed",
                "L",
                "CC",
                200901,
                30000001.0,
                2,
                "4d",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ]
        )
        t.fault("AllDICOMs/30000001_*.dcm", "unknown_birads")
        target = sorted((out / "AllDICOMs").glob(f"*_{_hex('inbreast', 2, n=16)}_MG_R_CC_ANON.dcm"))[0]
        _truncate(target)
        t.breasts[f"{_hex('inbreast', 2, n=16)}/R"].discard("CC")
        t.fault(str(target.relative_to(out)), "corrupt")
    rows += [
        [None] * 5 + [None, None, None, None, None, None, None, None, None, None, None],
        ["Total", None, None, None, None, None, None, None, None, None, None, None, None, None, None, None],
    ]
    rows[-2][7] = len(rows)  # summary rows as in the original sheet (no File Name)
    try:
        import xlwt
    except ImportError:  # a known variant: a ';'-separated CSV export
        with open(out / "INbreast.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=";")
            w.writerow(header)
            w.writerows([["" if c is None else c for c in r] for r in rows])
    else:
        wb = xlwt.Workbook()
        ws = wb.add_sheet("Sheet1")
        for c, h in enumerate(header):
            ws.write(0, c, h)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
        wb.save(str(out / "INbreast.xls"))
    return LayoutResult(out, "inbreast", t.expected())


# ------------------------------------------------------------------------------------------------ KAU-BCMD
def _kau(out: Path, exams, size, faults, phi) -> LayoutResult:
    from PIL import Image

    t, sheet = _Tracker(), []
    base = out / "KAU-BCMD Dataset"
    bins = {"A": "0%-25%", "B": "26%-50%", "C": "51%-75%", "D": ">75%"}
    for i, ex in enumerate(_with_progress(exams)):
        patient = f"2018_BC{5421 + 17 * i:06d}"
        for b, v in ex.views():
            birads = {0: 1, 1: 1, 2: 1, 3: 3, 4: 4, 5: 5, 6: 5}[b.birads]
            stem = f"{patient}_{v}_{b.laterality}"
            shown = stem.replace("BC", "BC ", 1) if i == 1 else stem  # quirk: a stray space in a stem
            px = _pixels(b, v, size, bits=8).astype(np.uint8)
            f = base / f"BIRAD {birads}" / f"{shown}.jpg"
            f.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(px).save(f, quality=95)
            sheet.append(
                [
                    f"BIRAD {birads}\\{shown}.jpg",
                    40 + i,
                    "Right" if b.laterality == "R" else "Left",
                    v,
                    bins[b.density],
                    f"BI-RADS {birads}",
                ]
            )
            t.add(f"{patient}/{b.laterality}", v)
            if i == 2 and v == "CC" and b.laterality == "L":  # quirk: same stem in two BI-RADS folders
                g = base / f"BIRAD {1 if birads != 1 else 3}" / f"{stem}.jpg"
                g.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(px).save(g, quality=95)
                t.fault(str(g.relative_to(out)), "duplicate_image_id")
    (base / "BIRAD 1" / "._2018_BC005421_CC_R.jpg").write_bytes(b"\x00\x05\x16\x07AppleDouble")
    if faults:
        bad = base / "BIRAD 4" / f"2018_BC{5421:06d}_MLO_L.jpg"
        if not bad.exists():
            bad = next(iter(sorted((base).rglob("*_MLO_L.jpg"))))
        _truncate(bad)
        p = bad.stem.replace(" ", "").rsplit("_", 2)[0]
        t.breasts[f"{p}/L"].discard("MLO")
        t.fault(str(bad.relative_to(out)), "corrupt")
        (base / "BIRAD 5" / "scan0001.jpg").write_bytes(
            (base / "BIRAD 5").iterdir().__next__().read_bytes() if any((base / "BIRAD 5").glob("*.jpg")) else b"x"
        )
        t.fault("KAU-BCMD Dataset/BIRAD 5/scan0001.jpg", "bad_file_name")
    _xlsx(
        out / "KAU-BCMD Dataset" / "correctSheetlast.xlsx",
        {
            "tabel ": (["BI-RADS", "Count"], [["BI-RADS 1", 0]]),
            "correctSheet": (
                [
                    "Image path",
                    "Patient age ",
                    "Breast  type",
                    "Breast view",
                    "Percentage of\n grandular tissue(density)",
                    "Assesment",
                ],
                sheet,
            ),
        },
    )
    return LayoutResult(out, "kau_bcmd", t.expected())


# ------------------------------------------------------------------------------------------------ MammosighTR
def _mammosightr(out: Path, exams, size, faults, phi) -> LayoutResult:
    t, entries = _Tracker(), []
    for i, ex in enumerate(_with_progress(exams)):
        pid = str(100235 + 13 * i)
        for b, v in ex.views():
            if i % 5 == 3 and (b.laterality, v) == ("R", "MLO"):
                continue  # 840 patients have only 3 views
            fname = f"{b.laterality}{v}.png"
            write_png(out / "all_pngs" / pid / fname, _pixels(b, v, size, bits=8).astype(np.uint8))
            birads = {3: 2, 6: 5}.get(b.birads, b.birads)  # TEKNOFEST labels are {0, 1, 2, 4, 5}
            entries.append(
                {
                    "patient_id": pid,
                    "image_filename": fname,
                    "relative_path": f"all_pngs/{pid}/{fname}",
                    "view": v,
                    "laterality": b.laterality,
                    "birads": birads,
                    "birads_label": f"BI-RADS {birads}",
                    "breast_composition": b.density,
                    "findings_locations": ["SOL MEME" if b.laterality == "L" else "SAĞ MEME"] if b.findings else [],
                    "patient_birads": f"Kategori {max({3: 2, 6: 5}.get(x.birads, x.birads) for x in ex.breasts)}",
                }
            )
            t.add(f"{pid}/{b.laterality}", v)
    if faults:
        entries.append(
            {
                **entries[0],
                "image_filename": "LCC.png",
                "relative_path": "all_pngs/999999/LCC.png",
                "patient_id": "999999",
            }
        )
        t.fault("all_pngs/999999/LCC.png", "missing_image")
        entries.append(dict(entries[1]))
        t.fault(entries[1]["relative_path"], "duplicate_image_id")
        write_png(out / "all_pngs/888888/LCC.png", _pixels(exams[0].left, "CC", size, bits=8).astype(np.uint8))
        entries.append(
            {
                **entries[0],
                "patient_id": "888888",
                "relative_path": "all_pngs/888888/LCC.png",
                "birads": "Kategori 3b",
                "birads_label": "?",
            }
        )
        t.fault("all_pngs/888888/LCC.png", "unknown_birads")
        e = entries[5]
        _truncate(out / e["relative_path"])
        t.breasts[f"{e['patient_id']}/{e['laterality']}"].discard(e["view"])
        t.fault(e["relative_path"], "corrupt")
    (out / "metadata_image_level.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False))
    return LayoutResult(out, "mammosightr", t.expected())


# ------------------------------------------------------------------------------------------------ atlas
def _atlas(out: Path, exams, size, faults, phi) -> LayoutResult:
    from PIL import Image

    pairs = []
    for i, ex in enumerate(_with_progress(exams)):
        b = ex.left if ex.left.findings else ex.right
        for k, v in enumerate(("CC", "MLO")):
            rel = f"images/page_{i + 10:03d}_fig_{k + 1}.png"
            px = (_pixels(b, v, size, bits=8)).astype(np.uint8)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.stack([px] * 3, -1)).save(out / rel)  # PDF figures come out as RGB
            kinds = " and ".join(sorted({f.kind for f in b.findings})) or "no suspicious finding"
            pairs.append(
                {
                    "image": rel,
                    "caption": f"{v} view of the {'left' if b.laterality == 'L' else 'right'} "
                    f"breast, density {b.density}: {kinds}. BI-RADS {b.birads}.",
                }
            )
    n_ok = len(pairs)
    faults_list = []
    if faults:
        pairs.append(dict(pairs[0]))
        faults_list.append((pairs[0]["image"], "duplicate_pair"))
        pairs.append({"image": "images/missing.png", "caption": "missing"})
        faults_list.append(("images/missing.png", "missing_image"))
        pairs.append({"image": pairs[1]["image"], "caption": "  "})
        faults_list.append((pairs[1]["image"], "empty_caption"))
        (out / "images/corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
        pairs.append({"image": "images/corrupt.png", "caption": "a corrupt figure"})
        faults_list.append(("images/corrupt.png", "corrupt"))
    (out / "atlas_pairs.json").write_text(json.dumps(pairs, indent=1))
    return LayoutResult(out, "atlas", {"pairs": n_ok, "single_view": 0, "faults": faults_list})


LAYOUTS: dict[str, Callable[..., LayoutResult]] = {
    "rsna": _rsna,
    "vindr_mammo": _vindr,
    "cbis_ddsm": _cbis,
    "cmmd": _cmmd,
    "inbreast": _inbreast,
    "kau_bcmd": _kau,
    "mammosightr": _mammosightr,
    "atlas": _atlas,
}


def write_layout(
    layout: str,
    out: str | os.PathLike,
    *,
    patients: int = 8,
    image_size: tuple[int, int] = (128, 96),
    seed: int = 0,
    faults: bool = False,
    phi: bool = True,
) -> LayoutResult:
    """Write a synthetic raw download of `layout` (a builder name) under `out`.

    Args:
        layout: One of `LAYOUTS` (`"pooled"` writes the six public sets into sub-folders).
        out: Output folder (created).
        patients: Synthetic patients (>= 4 so every quirk appears).
        image_size: `(H, W)` of every image.
        seed: Sampling seed.
        faults: Also write bad input (missing image, duplicate id, unknown BI-RADS, corrupt file).
        phi: Put fake PHI in every DICOM header.

    Returns:
        A `LayoutResult` (path + the counts a correct builder must produce).

    Example:
        >>> import tempfile
        >>> res = write_layout("mammosightr", tempfile.mkdtemp(), patients=4, image_size=(64, 48))
        >>> sorted(p.name for p in (res.path / "all_pngs").iterdir())[:1], res.expected["pairs"]
        (['100235'], 7)
    """
    name = layout.replace("-", "_")
    if patients < 4:
        raise ValueError(f"patients must be >= 4 so every quirk of the layout appears, got {patients}")
    root = Path(out)
    if name == "pooled":
        from ...data.builders import SIX_DATASETS

        parts = {
            n: write_layout(
                n, root / n, patients=patients, image_size=image_size, seed=seed + k, faults=faults, phi=phi
            )
            for k, n in enumerate(SIX_DATASETS)
        }
        exp = {
            "pairs": sum(p.expected["pairs"] for p in parts.values()),
            "single_view": sum(p.expected["single_view"] for p in parts.values()),
            "faults": [(f"{n}/{f}", r) for n, p in parts.items() for f, r in p.expected["faults"]],
            "parts": {n: p.expected for n, p in parts.items()},
        }
        return LayoutResult(root, "pooled", exp)
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {sorted(LAYOUTS) + ['pooled']}")
    root.mkdir(parents=True, exist_ok=True)
    exams = sample_exams(patients, seed=seed, cancer_rate=0.4, benign_rate=0.3)
    return LAYOUTS[name](root, exams, tuple(image_size), faults, phi)
