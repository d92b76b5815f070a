"""`mammo-hf preprocess`: PNGs, manifest.csv and skipped.csv with reasons, --strict, --num-proc and the timeout."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import make_uint16_breast
from PIL import Image

from mammo_hf.cli import build_parser, main
from mammo_hf.imaging import batch
from mammo_hf.imaging.synthetic import FAKE_PHI, PHI_MARKERS, write_dicom


@pytest.fixture
def input_dir(tmp_path) -> Path:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    px_l = make_uint16_breast(96, 64, side="L") >> 4
    px_r = make_uint16_breast(96, 64, side="R", seed=1) >> 4
    write_dicom(root / "a_cc.dcm", px_l, laterality="L", view="CC", bits_stored=12, window=None, phi=FAKE_PHI)
    write_dicom(
        root / "sub" / "b_mlo",
        px_r,
        laterality="R",
        view="ML",
        bits_stored=12,
        photometric="MONOCHROME1",
        window=(1800.0, 3000.0),
        phi=FAKE_PHI,
    )  # no extension, MONOCHROME1, windowed
    Image.fromarray(make_uint16_breast(96, 64, side="R", seed=2)).save(root / "c.png")
    (root / "notes.dcm").write_text("not an image")
    data = (root / "a_cc.dcm").read_bytes()
    (root / "sub" / "cut.dcm").write_bytes(data[: len(data) // 2])
    (root / "readme.txt").write_text("ignored: not an image suffix")
    return root


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_option_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["preprocess"]
    for action in sub._actions:
        if action.dest != "help":
            assert action.help, action.dest


def test_preprocess_end_to_end(input_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        ["preprocess", "--input", str(input_dir), "--output-dir", str(out), "--size", "48x32", "--no-progress"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "processed 3 of 5" in printed and "not_an_image: 1" in printed and "truncated: 1" in printed

    rows = _read_csv(out / "manifest.csv")
    assert [r["source"] for r in rows] == ["a_cc.dcm", "c.png", "sub/b_mlo"]
    assert [r["output"] for r in rows] == ["a_cc.png", "c.png", "sub/b_mlo.png"]
    by_source = {r["source"]: r for r in rows}
    mlo = by_source["sub/b_mlo"]
    assert (mlo["laterality"], mlo["view"], mlo["raw_view"], mlo["photometric"]) == ("R", "MLO", "ML", "MONOCHROME1")
    assert "invert:monochrome1" in mlo["steps"] and "voi:linear" in mlo["steps"] and "resize:48x32" in mlo["steps"]
    assert mlo["flipped"] == "True"  # right breast: chest wall moved to the left
    assert by_source["a_cc.dcm"]["flipped"] == "False"
    for row in rows:
        png = Image.open(out / row["output"])
        assert png.mode == "I;16" and png.size == (32, 48)
        arr = np.asarray(png)
        assert int(arr.max()) - int(arr.min()) > 20000  # real contrast survived VOI, crop and resize
        # chest wall on the left after the canonical flip
        assert arr[:, :16].astype(float).sum() > arr[:, 16:].astype(float).sum()
        assert int(row["crop_bottom"]) - int(row["crop_top"]) <= int(row["original_height"])

    skipped = _read_csv(out / "skipped.csv")
    assert {(r["file"], r["reason"]) for r in skipped} == {("notes.dcm", "not_an_image"), ("sub/cut.dcm", "truncated")}
    assert all(r["message"] for r in skipped)

    # no PHI anywhere in the outputs
    blob = (out / "manifest.csv").read_text() + (out / "skipped.csv").read_text() + printed
    for png in out.rglob("*.png"):
        blob += png.read_bytes().decode("latin-1")
    for marker in PHI_MARKERS:
        assert marker not in blob


def test_strict_exit_code_and_missing_input(input_dir, tmp_path, capsys):
    args = ["preprocess", "-i", str(input_dir), "-o", str(tmp_path / "o"), "--no-progress", "--strict"]
    assert main(args) == 1
    good = tmp_path / "good"
    good.mkdir()
    Image.fromarray(make_uint16_breast()).save(good / "x.png")
    assert main(["preprocess", "-i", str(good), "-o", str(tmp_path / "o2"), "--no-progress", "--strict"]) == 0
    assert main(["preprocess", "-i", str(tmp_path / "nope"), "-o", str(tmp_path / "o3")]) == 2
    assert "input not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["preprocess", "-i", str(good), "-o", str(tmp_path / "o4"), "--size", "big"])


def test_no_crop_keeps_full_size_and_output_dir_inside_input_is_ignored(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    Image.fromarray(make_uint16_breast(96, 64)).save(root / "x.png")
    args = ["preprocess", "-i", str(root), "-o", str(root / "out"), "--no-crop", "--side", "none", "--no-progress"]
    assert main(args) == 0
    rows = _read_csv(root / "out" / "manifest.csv")
    assert len(rows) == 1 and (rows[0]["height"], rows[0]["width"], rows[0]["crop_top"]) == ("96", "64", "")
    assert main(args) == 0  # a second run does not pick up its own outputs
    assert len(_read_csv(root / "out" / "manifest.csv")) == 1


def test_name_clashes_get_suffixes(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    Image.fromarray(make_uint16_breast()).save(root / "x.png")
    Image.fromarray(make_uint16_breast(seed=3)).save(root / "x.tif")
    report = batch.preprocess_files([root], tmp_path / "out", progress=False)
    assert report.processed == 2
    assert sorted(r["output"] for r in _read_csv(report.manifest_path)) == ["x.png", "x__2.png"]


def test_a_slow_file_times_out_without_stopping_the_batch(tmp_path, monkeypatch):
    root = tmp_path / "in"
    root.mkdir()
    for name in ("a.png", "slow.png", "z.png"):
        Image.fromarray(make_uint16_breast()).save(root / name)
    real = batch.process_file

    def sometimes_slow(path, *args, **kwargs):
        if Path(path).name == "slow.png":
            while True:  # a pathological file: never returns on its own
                time.sleep(0.01)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "process_file", sometimes_slow)
    start = time.perf_counter()
    report = batch.preprocess_files([root], tmp_path / "out", batch.PreprocessOptions(timeout=0.5), progress=False)
    assert time.perf_counter() - start < 10
    assert report.processed == 2 and dict(report.reasons) == {"timeout": 1}
    assert _read_csv(report.skipped_path)[0]["file"] == "slow.png"


def test_num_proc_matches_serial(input_dir, tmp_path):
    opts = batch.PreprocessOptions(size=(48, 32))
    serial = batch.preprocess_files([input_dir], tmp_path / "s", opts, progress=False)
    parallel = batch.preprocess_files([input_dir], tmp_path / "p", opts, num_proc=2, progress=False)
    assert (parallel.processed, parallel.skipped, parallel.reasons) == (
        serial.processed,
        serial.skipped,
        serial.reasons,
    )
    rows_s, rows_p = _read_csv(serial.manifest_path), _read_csv(parallel.manifest_path)
    assert rows_s == rows_p
    for row in rows_s:
        np.testing.assert_array_equal(
            np.asarray(Image.open(tmp_path / "s" / row["output"])),
            np.asarray(Image.open(tmp_path / "p" / row["output"])),
        )


def test_time_limit_preserves_an_outer_alarm():
    import signal

    previous = signal.signal(signal.SIGALRM, lambda *a: None)
    signal.setitimer(signal.ITIMER_REAL, 100.0)
    try:
        with batch._time_limit(5.0):
            pass
        assert 90.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100.0  # re-armed, e.g. pytest-timeout's
        with pytest.raises(batch._FileTimeout), batch._time_limit(0.05):
            time.sleep(1.0)
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 90.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
