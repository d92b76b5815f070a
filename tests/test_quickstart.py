"""The main job, end to end on synthetic data: outputs exist, nothing is lost, no PHI anywhere in the outputs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mammo_hf.imaging.synthetic import PHI_MARKERS
from mammo_hf.quickstart import QuickstartConfig, run_quickstart


def _phi_hits(paths: list[Path], extra_text: str = "") -> list[str]:
    hits = []
    markers = [m.encode() for m in PHI_MARKERS]
    for path in paths:
        data = path.read_bytes()
        hits += [f"{path}: {m.decode()}" for m in markers if m in data]
    hits += [f"<console>: {m.decode()}" for m in markers if m in extra_text.encode()]
    return hits


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quickstart")
    config = QuickstartConfig(output_dir=out, patients=2, seed=5, image_size=(192, 160), model_size=(64, 32))
    return run_quickstart(config)


def test_every_stage_ran_and_nothing_was_lost(quickstart_run):
    out = quickstart_run.output_dir
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stages"]["synth"]["images"] == 8
    pixels = summary["stages"]["pixels"]
    assert pixels["breasts"] == 4 and pixels["processed"] + pixels["skipped"] >= 4
    assert pixels["processed"] == 4 and pixels["skipped"] == 0
    assert pixels["pixel_values_shape"] == [4, 2, 3, 64, 32]
    assert pixels["applied_steps"]["decode"] == 8 and pixels["applied_steps"]["voi"] == 8
    with (out / "skipped.csv").open() as handle:
        assert next(csv.reader(handle)) == ["file", "reason", "message"]
    preview = Image.open(out / "preview.png")
    assert preview.width > 100 and preview.height > 100
    assert (out / "processor" / "preprocessor_config.json").is_file()


def test_no_phi_in_any_output(quickstart_run):
    out = quickstart_run.output_dir
    raw = out / "raw"
    # raw DICOMs carry fake PHI on purpose: prove the markers are really there, then that nothing else has them
    assert _phi_hits(sorted(raw.rglob("*.dcm")))
    outputs = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".dcm"]
    assert (raw / "labels.csv") in outputs
    assert _phi_hits(outputs) == []


def test_cli_runs_prints_summary_and_leaks_no_phi(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "mammo_hf.cli",
        "quickstart",
        "--output-dir",
        str(tmp_path / "qs"),
        "--patients",
        "1",
        "--image-size",
        "160x128",
        "--model-size",
        "64x32",
        "--preview",
        "1",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "quickstart finished" in result.stdout and "pixels" in result.stdout
    assert _phi_hits([], result.stdout + result.stderr) == []


def test_bad_arguments_give_one_line_errors(tmp_path):
    cmd = [sys.executable, "-m", "mammo_hf.cli", "quickstart", "--output-dir", str(tmp_path), "--patients", "0"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--patients must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr
    result = subprocess.run(cmd[:-2] + ["--image-size", "big"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "HxW" in result.stderr
