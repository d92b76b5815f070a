"""mammo_hf.imaging.synthetic: phantom realism checks, DICOM/PNG writers, exams + labels.csv, the `synth` CLI."""

from __future__ import annotations

import csv
import hashlib
import logging
import warnings

import numpy as np
import pytest

from mammo_hf.imaging.synthetic import (
    ACQUISITION_PROFILES,
    FAKE_PHI,
    PHI_MARKERS,
    BreastSpec,
    Finding,
    available_transfer_syntaxes,
    fake_phi,
    generate_exams,
    render_view,
    render_view_annotated,
    sample_exams,
    write_dicom,
    write_png,
)

pydicom = pytest.importorskip("pydicom")

SHAPE = (256, 208)
MASS = Finding("mass", depth=0.45, ml=0.4, cc=0.3, size_mm=9.0, shape="round", contrast=0.35, seed=1)
CALCS = Finding("calcification", depth=0.3, ml=-0.4, cc=-0.4, size_mm=4.0, shape="pleomorphic", count=12, seed=2)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Phantom
# ---------------------------------------------------------------------------------------------------------------
def test_render_is_deterministic_by_seed():
    b = BreastSpec(laterality="L", density="C", findings=(MASS, CALCS), seed=3)
    a1 = render_view(b, "MLO", shape=SHAPE, bits_stored=14)
    a2 = render_view(b, "MLO", shape=SHAPE, bits_stored=14)
    assert np.array_equal(a1, a2)
    other = render_view(BreastSpec(laterality="L", density="C", findings=(MASS, CALCS), seed=4), "MLO", shape=SHAPE)
    assert not np.array_equal(a1 >> 2, other)
    assert not np.array_equal(a1, render_view(b, "MLO", shape=SHAPE, bits_stored=14, seed=99))  # view noise seed


@pytest.mark.parametrize("bits", [8, 12, 14, 16])
def test_dtype_and_bit_depth_bounds(bits):
    px = render_view(
        BreastSpec(laterality="R", density="D", findings=(MASS, CALCS)), "CC", shape=SHAPE, bits_stored=bits
    )
    assert px.dtype == np.uint16 and px.shape == SHAPE
    assert int(px.max()) < 2**bits
    assert int(px.max()) > 0.5 * 2**bits  # uses the range
    # background near zero: the corner opposite the chest wall is empty
    assert float(px[:8, :8].mean()) < 0.05 * 2**bits


@pytest.mark.parametrize("laterality", ["L", "R"])
def test_chest_wall_side_follows_laterality(laterality):
    for view in ("CC", "MLO"):
        out = render_view_annotated(BreastSpec(laterality=laterality, density="B"), view, shape=SHAPE)
        left, right = out.pixels[:, :20].mean(), out.pixels[:, -20:].mean()
        # L: chest wall on the image's left; R: on the right (back-to-back hanging)
        assert (left > right) if laterality == "L" else (right > left)
        assert (out.nipple[1] > SHAPE[1] / 2) if laterality == "L" else (out.nipple[1] < SHAPE[1] / 2)


@pytest.mark.parametrize("laterality", ["L", "R"])
def test_pectoral_muscle_on_mlo_only(laterality):
    b = BreastSpec(laterality=laterality, density="A", seed=1)
    h, w = SHAPE
    cols = slice(0, w // 10) if laterality == "L" else slice(w - w // 10, w)
    corner = (slice(0, h // 10), cols)  # chest-wall / top corner
    cc = render_view_annotated(b, "CC", shape=SHAPE)
    mlo = render_view_annotated(b, "MLO", shape=SHAPE)
    assert not cc.pectoral_mask.any() and mlo.pectoral_mask[corner].mean() > 0.9
    breast_mean = mlo.pixels[mlo.breast_mask & ~mlo.pectoral_mask].mean()
    assert mlo.pixels[corner].mean() > 1.3 * breast_mean  # the muscle is brighter than (fatty) breast tissue
    assert mlo.pixels[corner].mean() > 5 * cc.pixels[corner].mean()  # CC corner is background


def test_density_ordering_a_to_d():
    fractions, means = [], []
    for density in "ABCD":
        out = render_view_annotated(BreastSpec(laterality="L", density=density, seed=7), "CC", shape=SHAPE)
        fractions.append(out.dense_fraction)
        means.append(float(out.pixels[out.breast_mask].mean()))
    assert fractions == sorted(fractions) and fractions[-1] - fractions[0] > 0.5
    assert means == sorted(means)  # measured on pixels, independently of the generator's own bookkeeping


def test_findings_consistent_between_cc_and_mlo():
    b = BreastSpec(laterality="R", density="A", findings=(MASS, CALCS), seed=5)
    shape = (512, 416)
    cc, mlo = render_view_annotated(b, "CC", shape=shape), render_view_annotated(b, "MLO", shape=shape)
    plain_cc = render_view_annotated(BreastSpec(laterality="R", density="A", seed=5), "CC", shape=shape)
    for a_cc, a_mlo in zip(cc.findings, mlo.findings):
        assert a_cc.kind == a_mlo.kind
        assert abs(a_cc.nipple_distance - a_mlo.nipple_distance) < 0.05 * a_cc.nipple_distance
    for view in (cc, mlo):
        for ann in view.findings:
            top, left, bottom, right = ann.box
            assert view.breast_mask[int(ann.center[0]), int(ann.center[1])]
            assert 0 <= top < bottom <= shape[0] and 0 <= left < right <= shape[1]
        # the mass is a denser blob: its centre is brighter than a ring around it
        y, x = (int(round(c)) for c in view.findings[0].center)
        r = 9.0 / (300.0 / shape[0])
        yy, xx = np.mgrid[: shape[0], : shape[1]]
        d = np.hypot(yy - y, xx - x)
        assert view.pixels[d < 0.5 * r].mean() > 1.15 * view.pixels[(d > 1.6 * r) & (d < 2.4 * r)].mean()
    # calcifications: tiny bright specks, absent from the same breast without findings
    top, left, bottom, right = cc.findings[1].box
    assert cc.pixels[top:bottom, left:right].max() > 1.3 * plain_cc.pixels[top:bottom, left:right].max()


def test_render_rejects_bad_input():
    b = BreastSpec(laterality="L")
    with pytest.raises(ValueError, match="view"):
        render_view(b, "AT")
    with pytest.raises(ValueError, match="bits_stored"):
        render_view(b, "CC", shape=SHAPE, bits_stored=20)
    with pytest.raises(ValueError, match="laterality"):
        BreastSpec(laterality="X")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="depth"):
        Finding("mass", depth=1.5, ml=0, cc=0, size_mm=5)


@pytest.mark.slow
def test_full_size_render_is_fast_enough():
    import time

    b = BreastSpec(laterality="L", density="C", findings=(MASS, CALCS))
    t0 = time.perf_counter()
    render_view(b, "MLO", shape=(1024, 832))
    assert time.perf_counter() - t0 < 1.0
    t0 = time.perf_counter()
    px = render_view(b, "CC", shape=(3328, 2560), bits_stored=14)
    assert px.shape == (3328, 2560) and time.perf_counter() - t0 < 8.0


# ---------------------------------------------------------------------------------------------------------------
# DICOM / PNG writers
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transfer_syntax", ["explicit", "implicit", "rle", "jpeg2000"])
@pytest.mark.parametrize("photometric,bits", [("MONOCHROME2", 12), ("MONOCHROME1", 14), ("MONOCHROME2", 16)])
def test_dicom_lossless_for_every_transfer_syntax(tmp_path, synthetic_view, transfer_syntax, photometric, bits):
    if available_transfer_syntaxes()[transfer_syntax] is not None:
        pytest.skip(available_transfer_syntaxes()[transfer_syntax])
    px = synthetic_view("R", "MLO", SHAPE, "C", bits)
    res = write_dicom(
        tmp_path / "x.dcm", px, laterality="R", view="MLO", photometric=photometric, bits_stored=bits,
        transfer_syntax=transfer_syntax,
    )  # fmt: skip
    assert res.transfer_syntax == transfer_syntax and not res.fell_back
    ds = pydicom.dcmread(res.path)
    assert ds.file_meta.TransferSyntaxUID == res.transfer_syntax_uid
    expected = px if photometric == "MONOCHROME2" else (2**bits - 1) - px  # MONOCHROME1 is stored inverted
    assert np.array_equal(ds.pixel_array, expected)
    assert ds.BitsStored == bits and ds.HighBit == bits - 1 and ds.PhotometricInterpretation == photometric


def test_monochrome1_is_stored_inverted(synthetic_dicom_factory):
    p1 = synthetic_dicom_factory("m1.dcm", photometric="MONOCHROME1", bits_stored=12)
    p2 = synthetic_dicom_factory("m2.dcm", photometric="MONOCHROME2", bits_stored=12)
    a1, a2 = pydicom.dcmread(p1).pixel_array, pydicom.dcmread(p2).pixel_array
    assert np.array_equal(a1.astype(np.int32) + a2, np.full(a1.shape, 4095))
    assert a1[:4, -4:].mean() > 4000  # background is near max in MONOCHROME1


def test_dicom_tags(synthetic_dicom_factory):
    path = synthetic_dicom_factory(
        "t.dcm", laterality="R", view="MLO", bits_stored=14, window=(8000, 6000), voi_lut_function="SIGMOID",
        voi_lut_sequence=True, rescale=(1.0, -64.0), presentation_intent="FOR PROCESSING", manufacturer="ACME",
        extra_tags={"InstanceNumber": 7},
    )  # fmt: skip
    ds = pydicom.dcmread(path)
    assert ds.Modality == "MG" and ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.2.1"
    assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.PresentationIntentType == "FOR PROCESSING"
    assert (ds.ViewPosition, ds.ImageLaterality, list(ds.PatientOrientation)) == ("MLO", "R", ["P", "F"])
    assert ds.ViewCodeSequence[0].CodeMeaning == "medio-lateral oblique"
    assert (float(ds.WindowCenter), float(ds.WindowWidth), ds.VOILUTFunction) == (8000.0, 6000.0, "SIGMOID")
    assert (float(ds.RescaleSlope), float(ds.RescaleIntercept)) == (1.0, -64.0)
    assert ds.Manufacturer == "ACME" and ds.InstanceNumber == 7
    item = ds.VOILUTSequence[0]
    assert item.LUTDescriptor[0] == len(item.LUTData) and item.LUTDescriptor[2] == 16
    from pydicom.pixels import apply_voi_lut

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply_voi_lut(ds.pixel_array, ds, prefer_lut=True)
    assert out.min() >= 0 and out.max() <= 65535 and out.std() > 0


def test_dicom_default_window_and_multi_window(tmp_path, synthetic_view):
    px = synthetic_view("L", "CC", SHAPE, "B", 12)
    ds = pydicom.dcmread(write_dicom(tmp_path / "a.dcm", px, laterality="L", view="CC").path)
    c, w = float(ds.WindowCenter), float(ds.WindowWidth)
    tissue = px[px > 400]
    assert np.percentile(tissue, 5) > c - w / 2 - 50 and np.percentile(tissue, 95) < c + w / 2 + 50
    ds = pydicom.dcmread(
        write_dicom(tmp_path / "b.dcm", px, laterality="L", view="CC", window=[(2000, 3000), (2000, 1500)]).path
    )
    assert list(ds.WindowWidth) == [3000, 1500] and len(ds.WindowCenterWidthExplanation) == 2
    ds = pydicom.dcmread(write_dicom(tmp_path / "c.dcm", px, laterality="L", view="CC", window=None).path)
    assert "WindowCenter" not in ds and "VOILUTFunction" not in ds


def test_fake_phi_in_headers(synthetic_dicom_factory):
    ds = pydicom.dcmread(synthetic_dicom_factory("phi.dcm"))
    for keyword, value in FAKE_PHI.items():
        assert str(ds.data_element(keyword).value) == value, keyword
    assert any(m in value for value in FAKE_PHI.values() for m in PHI_MARKERS)
    assert all(any(m in v for m in PHI_MARKERS) for v in fake_phi(12).values())
    assert ds.ContentDate == FAKE_PHI["StudyDate"]
    ds = pydicom.dcmread(synthetic_dicom_factory("nophi.dcm", phi=None))
    assert "PatientName" not in ds and "StudyDate" not in ds


def test_dicom_output_is_deterministic(synthetic_dicom_factory):
    a = synthetic_dicom_factory("a.dcm", transfer_syntax="rle")
    b = synthetic_dicom_factory("b.dcm", transfer_syntax="rle")
    c = synthetic_dicom_factory("c.dcm", transfer_syntax="rle", seed=1)
    assert _sha(a) == _sha(b) and _sha(a) != _sha(c)


def test_missing_encoder_falls_back_loudly(tmp_path, synthetic_view, monkeypatch, caplog):
    from mammo_hf.imaging.synthetic import dicom as dicom_mod

    monkeypatch.setattr(dicom_mod, "_encoder_missing_reason", lambda name: "no JPEG 2000 encoder: install it")
    px = synthetic_view("L", "CC", SHAPE, "B", 12)
    with caplog.at_level(logging.WARNING):
        res = write_dicom(tmp_path / "x.dcm", px, laterality="L", view="CC", transfer_syntax="jpeg2000")
    assert res.fell_back and res.transfer_syntax == "explicit" and "JPEG 2000" in res.fallback_reason
    assert "uncompressed" in caplog.text
    ds = pydicom.dcmread(res.path)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1" and np.array_equal(ds.pixel_array, px)


def test_write_dicom_rejects_bad_input(tmp_path):
    px = np.full((64, 64), 5000, np.uint16)
    with pytest.raises(ValueError, match="do not fit in bits_stored=12"):
        write_dicom(tmp_path / "x.dcm", px, laterality="L", view="CC", bits_stored=12)
    with pytest.raises(ValueError, match="laterality"):
        write_dicom(tmp_path / "x.dcm", px, laterality="B", view="CC")
    with pytest.raises(ValueError, match="transfer_syntax"):
        write_dicom(tmp_path / "x.dcm", px, laterality="L", view="CC", transfer_syntax="jpeg-ls")
    with pytest.raises(ValueError, match="2-D"):
        write_dicom(tmp_path / "x.dcm", px[None], laterality="L", view="CC")


def test_write_png_16_and_8_bit(tmp_path, synthetic_view):
    from PIL import Image

    px = synthetic_view("L", "MLO", SHAPE, "B", 12)
    with Image.open(write_png(tmp_path / "a.png", px)) as im:
        assert im.mode == "I;16" and np.array_equal(np.asarray(im), px)
    with Image.open(write_png(tmp_path / "b.png", px, bit_depth=8)) as im:
        arr = np.asarray(im)
        assert im.mode == "L" and arr.max() == px.max() >> 4
    with Image.open(write_png(tmp_path / "c.png", (px >> 4).astype(np.uint8))) as im:
        assert im.mode == "L"


# ---------------------------------------------------------------------------------------------------------------
# Exams, labels.csv, CLI
# ---------------------------------------------------------------------------------------------------------------
def test_sampled_labels_are_correlated_with_findings():
    exams = sample_exams(120, seed=3, cancer_rate=0.25)
    assert sum(e.cancer for e in exams) == 30
    breasts = [b for e in exams for b in e.breasts]
    for b in breasts:
        if b.pathology == "malignant":
            assert b.cancer == 1 and b.birads >= 4 and b.findings
            assert any(f.shape in ("spiculated", "irregular", "pleomorphic") for f in b.findings)
        elif b.pathology == "benign":
            assert b.cancer == 0 and 2 <= b.birads <= 4 and b.findings
            assert all(f.shape in ("round", "oval", "punctate") for f in b.findings)
        else:
            assert b.birads == 1 and not b.findings
    assert {b.density for b in breasts} == set("ABCD")
    assert all(e.left.density == e.right.density for e in exams)
    assert {e.profile for e in exams} == {p.name for p in ACQUISITION_PROFILES}
    assert sample_exams(5, seed=3) == sample_exams(5, seed=3) and sample_exams(5, seed=3) != sample_exams(5, seed=4)


def test_exam_dir_labels_and_headers(synthetic_exam_dir):
    m = synthetic_exam_dir
    with m.labels_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12 == len(m.records)
    assert {(r["laterality"], r["view"]) for r in rows} == {(lat, v) for lat in "LR" for v in ("CC", "MLO")}
    text = m.labels_csv.read_text()
    assert not any(marker in text for marker in PHI_MARKERS)  # anonymised ids only
    syntaxes, photometrics = set(), set()
    for row in rows:
        ds = pydicom.dcmread(m.root / row["file"])
        assert row["patient_id"] != str(ds.PatientID) and row["study_id"] != str(ds.StudyID)
        assert str(ds.PatientID).startswith("PHI-")
        assert (ds.ImageLaterality, ds.ViewPosition) == (row["laterality"], row["view"])
        assert int(ds.BitsStored) == int(row["bits_stored"])
        syntaxes.add(row["transfer_syntax"])
        photometrics.add(ds.PhotometricInterpretation)
        assert (m.root / row["png_file"]).is_file()
        assert row["cancer"] == str(int(row["pathology"] == "malignant"))
    assert len(syntaxes) >= 2 and photometrics == {"MONOCHROME1", "MONOCHROME2"}
    # both views of one patient share the study
    uids = {
        pydicom.dcmread(m.root / r["file"]).StudyInstanceUID for r in rows if r["patient_id"] == rows[0]["patient_id"]
    }
    assert len(uids) == 1


def test_generate_exams_is_deterministic(tmp_path):
    kw = dict(num_patients=2, image_size=(128, 104), formats="both", progress=False)
    a = generate_exams(tmp_path / "a", seed=5, **kw)
    b = generate_exams(tmp_path / "b", seed=5, **kw)
    c = generate_exams(tmp_path / "c", seed=6, **kw)
    files_a = sorted(p.relative_to(a.root) for p in a.root.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b.root) for p in b.root.rglob("*") if p.is_file())
    assert all(_sha(a.root / f) == _sha(b.root / f) for f in files_a)
    assert _sha(a.root / a.records[0].file) != _sha(c.root / c.records[0].file)


def test_generate_exams_no_mix_no_compression(tmp_path):
    m = generate_exams(tmp_path, num_patients=2, image_size=(128, 104), mixed=False, compression=False)
    assert {r.transfer_syntax for r in m.records} == {"explicit"}
    assert {r.photometric for r in m.records} == {"MONOCHROME2"}
    with pytest.raises(ValueError, match="formats"):
        generate_exams(tmp_path, num_patients=1, formats="jpeg")


def test_cli_synth(tmp_path, capsys):
    from mammo_hf.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["synth", "--help"])
    assert exc.value.code == 0
    assert "--cancer-rate" in capsys.readouterr().out
    out = tmp_path / "out"
    code = main(["synth", "--out", str(out), "--patients", "1", "--size", "128x104", "--format", "png", "--quiet"])
    assert code == 0
    assert "4 images, 1 patients" in capsys.readouterr().out
    assert len(list(out.rglob("*.png"))) == 4 and (out / "labels.csv").is_file()
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--out", str(out), "--size", "big"])
    assert exc.value.code == 2


def test_long_voi_lut_sequence_is_written_as_ow(tmp_path):
    # A 16-bit window wider than 32767 values does not fit a US element (64 KiB): written as OW, still applied.
    px = (np.arange(128 * 128, dtype=np.uint32) * 4 % 65536).astype(np.uint16).reshape(128, 128)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = write_dicom(
            tmp_path / "x.dcm", px, laterality="L", view="CC", bits_stored=16, window=(32768, 60000),
            voi_lut_sequence=True,
        )  # fmt: skip
    ds = pydicom.dcmread(res.path)
    assert ds.VOILUTSequence[0]["LUTData"].VR == "OW"
    from pydicom.pixels import apply_voi_lut

    out = apply_voi_lut(ds.pixel_array, ds, prefer_lut=True)
    assert np.corrcoef(out.ravel(), px.ravel())[0, 1] > 0.99


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, mammo_hf.imaging.synthetic; print(any(m in sys.modules for m in ('pydicom', 'torch', 'tqdm')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
