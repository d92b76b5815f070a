"""The main job, end to end on synthetic data: every stage runs, nothing is lost, no PHI anywhere in the outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mammo_hf.imaging.synthetic import PHI_MARKERS
from mammo_hf.quickstart import QuickstartConfig, run_quickstart


def _phi_hits(paths: list[Path], extra_text: str = "") -> list[str]:
    markers = [m.encode() for m in PHI_MARKERS]
    hits = [f"{path}: {m.decode()}" for path in paths for m in markers if m in path.read_bytes()]
    return hits + [f"<console>: {m.decode()}" for m in markers if m in extra_text.encode()]


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quickstart") / "qs"
    config = QuickstartConfig(
        output_dir=out, patients=8, seed=3, image_size=(192, 160), model_size=(64, 32), epochs=1, bootstrap=50
    )
    return run_quickstart(config)


def test_every_stage_ran_and_nothing_was_lost(quickstart_run):
    out = quickstart_run.output_dir
    summary = json.loads((out / "summary.json").read_text())
    stages = summary["stages"]
    assert list(stages) == ["synth", "build", "pixels", "train", "evaluate", "save"]
    rows = stages["build"]["rows"]
    # every expected CC+MLO pair of the raw download is in exactly one split
    assert sum(rows.values()) == stages["synth"]["expected_pairs"] and rows["test"] > 0
    assert stages["pixels"]["pixel_values_shape"][1:] == [2, 3, 64, 32] and stages["pixels"]["stored_mode"] == "I;16"
    assert stages["train"]["steps"] > 0 and stages["train"]["first_loss"] is not None
    assert stages["evaluate"]["test_breasts"] == rows["test"] and stages["evaluate"]["skipped"] == {}
    assert stages["save"]["reload_bit_identical"] is True
    assert {"model.safetensors", "config.json", "preprocessor_config.json"} <= set(stages["save"]["files"])
    metrics = json.loads((out / "evaluation" / "metrics.json").read_text())
    assert metrics and (out / "evaluation" / "predictions.parquet").is_file()
    assert Image.open(out / "preview.png").width > 100


def test_no_phi_in_any_output(quickstart_run):
    out = quickstart_run.output_dir
    dicoms = sorted((out / "raw").rglob("*.dcm"))
    assert _phi_hits(dicoms)  # the raw DICOMs carry fake PHI on purpose: the scan really detects it
    outputs = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".dcm"]
    assert any(p.suffix == ".arrow" for p in outputs) and any(p.suffix == ".safetensors" for p in outputs)
    assert _phi_hits(outputs) == []


def test_stop_after_and_refusing_a_foreign_folder(tmp_path):
    result = run_quickstart(
        QuickstartConfig(output_dir=tmp_path / "qs", patients=4, image_size=(128, 96), stop_after="pixels", preview=1)
    )
    assert list(result.summary["stages"]) == ["synth", "build", "pixels"]
    assert not (tmp_path / "qs" / "model").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a quickstart output folder"):
        run_quickstart(QuickstartConfig(output_dir=foreign, patients=4, stop_after="synth"))
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_cli_runs_prints_summary_and_leaks_no_phi(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "mammo_hf.cli",
        "quickstart",
        "--output-dir",
        str(tmp_path / "qs"),
        "--patients",
        "4",
        "--image-size",
        "128x96",
        "--model-size",
        "64x32",
        "--preview",
        "1",
        "--stop-after",
        "build",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "quickstart finished" in result.stdout and "build" in result.stdout
    assert _phi_hits([], result.stdout + result.stderr) == []


def test_bad_arguments_give_one_line_errors(tmp_path):
    cmd = [sys.executable, "-m", "mammo_hf.cli", "quickstart", "--output-dir", str(tmp_path), "--patients", "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--patients must be at least 4" in result.stderr
    assert "Traceback" not in result.stderr
    result = subprocess.run(cmd[:-2] + ["--image-size", "big"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "HxW" in result.stderr
