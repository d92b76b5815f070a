"""`mammo-hf evaluate` end to end on a tiny MammoClip classifier + a tiny unified dataset, and `mammo-hf compare`."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from mammo_hf.commands import compare, evaluate, run_command
from mammo_hf.evaluation import PredictionTable, ScoreRecord, load_metrics


def _cli(argv: list[str]) -> int:
    # The two commands under test, registered exactly as mammo_hf.cli does (independent of the other commands).
    parser = argparse.ArgumentParser(prog="mammo-hf")
    sub = parser.add_subparsers(dest="command")
    evaluate.register(sub)
    compare.register(sub)
    return run_command(parser.parse_args(argv))


def test_commands_are_listed_and_help_documents_every_option(capsys):
    from mammo_hf.cli import COMMANDS, main

    assert "evaluate" in COMMANDS and "compare" in COMMANDS
    for name, must in (("evaluate", ["--model", "--dataset", "--bootstrap", "--threshold", "--predictions"]),
                       ("compare", ["--output-dir", "--no-paper", "--metrics"])):  # fmt: skip
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])  # through the real `mammo-hf` dispatcher
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert all(opt in text for opt in must), name


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    import torch

    from mammo_hf import MammoClipConfig, MammoClipForImageClassification, MammoImageProcessor

    torch.manual_seed(0)
    config = MammoClipConfig(
        vision_config=dict(width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=128, depthwise_padding=[]),
        text_config=dict(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=37),
        num_labels=2, view_fusion="concat",
    )  # fmt: skip
    out = tmp_path_factory.mktemp("tiny_model")
    MammoClipForImageClassification(config).eval().save_pretrained(out)
    MammoImageProcessor(size={"height": 64, "width": 32}).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_dataset_dir(tmp_path_factory):
    import datasets
    from conftest import make_uint16_breast

    feats = datasets.Features(
        {
            "source": datasets.Value("string"),
            "patient_id": datasets.Value("string"),
            "study_id": datasets.Value("string"),
            "laterality": datasets.Value("string"),
            "cc": datasets.Image(),
            "mlo": datasets.Image(),
            "cancer": datasets.ClassLabel(names=["negative", "positive"]),
            "density": datasets.ClassLabel(names=["A", "B", "C", "D"]),
            "label_source": datasets.Value("string"),
            "split": datasets.Value("string"),
        }
    )
    rows = []
    for i in range(10):
        lat = "LR"[i % 2]
        rows.append(
            {
                "source": "synthetic",
                "patient_id": f"P{i // 2:03d}",
                "study_id": f"S{i // 2:03d}",
                "laterality": lat,
                "cc": make_uint16_breast(96, 64, lat, seed=i),
                "mlo": None if i == 9 else make_uint16_breast(96, 64, lat, seed=100 + i),  # one breast lacks MLO
                "cancer": None if i == 8 else int(i in (1, 2, 5)),  # one breast without a label
                "density": i % 4,
                "label_source": "biopsy",
                "split": "test",
            }
        )
    ds = datasets.Dataset.from_list(rows, features=feats)
    out = tmp_path_factory.mktemp("tiny_ds")
    datasets.DatasetDict({"test": ds}).save_to_disk(str(out))
    return out


def test_evaluate_end_to_end(tiny_model_dir, tiny_dataset_dir, tmp_path, capsys):
    out = tmp_path / "run"
    code = _cli(["evaluate", "--model", str(tiny_model_dir), "--dataset", str(tiny_dataset_dir), "--split", "test",
                 "--batch-size", "3", "--bootstrap", "50", "--seed", "1", "--output-dir", str(out), "--quiet",
                 "--run-name", "tiny-clip", "--strategy", "LP", "--device", "cpu"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    m = load_metrics(out)
    # 10 breasts: 1 without a label, 1 without its MLO view (both patient P004) -> 8 scored, skips counted
    assert m["n"] == 8 and m["n_patients"] == 4 and m["n_positive"] == 3
    assert m["info"]["skipped"] == {"no malignancy label": 1, "missing MLO view": 1}
    assert m["info"]["run_name"] == "tiny-clip" and m["info"]["model_type"] == "mammo_clip"
    assert m["bootstrap"]["n_resamples"] == 50 and m["threshold"]["value"] == 0.5
    assert 0.0 <= m["metrics"]["roc_auc"]["value"] <= 1.0
    table = PredictionTable.read_parquet(out / "predictions.parquet")
    assert len(table) == 8 and {"score_cc", "score_mlo", "label_source"} <= set(table.frame.columns)
    assert ((table.scores >= 0) & (table.scores <= 1)).all()
    for png in ("roc.png", "pr.png", "reliability.png", "confusion_matrix.png"):
        assert (out / png).stat().st_size > 1000
    assert "roc_auc" in printed and "skipped 2 rows" in printed

    # --max-samples, reuse of the stored threshold, and the same seed -> the same intervals
    out2 = tmp_path / "run2"
    assert _cli(["evaluate", "--model", str(tiny_model_dir), "--dataset", str(tiny_dataset_dir), "--quiet",
                 "--max-samples", "4", "--bootstrap", "0", "--threshold", str(out), "--output-dir", str(out2),
                 "--no-plots"]) == 0  # fmt: skip
    m2 = load_metrics(out2)
    assert m2["n"] == 4 and m2["metrics"]["f1"]["lower"] is None and not (out2 / "roc.png").exists()

    # re-score the saved predictions (the path a VLM run takes) -> identical metrics with the same seed
    out3 = tmp_path / "run3"
    assert _cli(["evaluate", "--predictions", str(out / "predictions.parquet"), "--bootstrap", "50", "--seed", "1",
                 "--output-dir", str(out3), "--no-plots"]) == 0  # fmt: skip
    assert load_metrics(out3)["metrics"] == m["metrics"]

    # multi-class task with a binary head: a one-line error, exit code 2
    capsys.readouterr()
    assert _cli(["evaluate", "--model", str(tiny_model_dir), "--dataset", str(tiny_dataset_dir), "--quiet",
                 "--task", "density", "--output-dir", str(tmp_path / "bad")]) == 2  # fmt: skip
    assert "num_labels" in capsys.readouterr().err


def test_evaluate_and_compare_errors_are_one_line(tmp_path, capsys):
    assert _cli(["evaluate", "--model", "x"]) == 2
    assert "--dataset are required" in capsys.readouterr().err
    assert _cli(["evaluate", "--predictions", "p.parquet", "--threshold", "banana"]) == 2
    assert "cannot parse threshold" in capsys.readouterr().err
    assert _cli(["evaluate", "--predictions", str(tmp_path / "none.parquet")]) == 2
    assert "cannot read predictions" in capsys.readouterr().err
    assert _cli(["compare", str(tmp_path / "missing")]) == 2
    assert "no metrics.json" in capsys.readouterr().err
    assert _cli(["compare", "--no-paper"]) == 2
    capsys.readouterr()


def test_evaluate_missing_model_folder_is_one_line(tiny_dataset_dir, tmp_path, capsys):
    assert _cli(["evaluate", "--model", str(tmp_path / "no_model"), "--dataset", str(tiny_dataset_dir)]) == 2
    err = capsys.readouterr().err
    assert "model folder" in err and "does not exist" in err and "Traceback" not in err


def test_compare_renders_markdown_and_png(tmp_path, capsys):
    rng = np.random.default_rng(0)
    runs = []
    for name, strategy, shift in (("EfficientNet-B4", "supervised", 0.3), ("MammoCLIP", "LP", 0.15)):
        scores = np.clip(0.35 + shift * (np.arange(40) % 2) + 0.15 * rng.normal(size=40), 0, 1)
        recs = [ScoreRecord(f"p{i}", f"s{i}", "L", "x", i % 2, float(scores[i])) for i in range(40)]
        table = PredictionTable.from_records(recs)
        table.to_parquet(tmp_path / f"{name}.parquet")
        run_dir = tmp_path / name
        argv = ["evaluate", "--predictions", str(tmp_path / f"{name}.parquet"), "--run-name", name,
                "--strategy", strategy, "--bootstrap", "100", "--output-dir", str(run_dir), "--no-plots"]  # fmt: skip
        assert _cli(argv) == 0
        runs.append(str(run_dir))
    capsys.readouterr()
    assert _cli(["compare", *runs, "--output-dir", str(tmp_path / "cmp")]) == 0
    md = capsys.readouterr().out
    lines = md.splitlines()
    assert lines[0] == "| Model | Strategy | Precision | Recall | F1 | ROC-AUC | Source |"
    assert lines[2].startswith("| EfficientNet-B4 | supervised | 0.") and "[" in lines[2]
    assert lines[3].startswith("| MammoCLIP | LP | 0.")
    assert "| EfficientNet-B4 | supervised | n/r | n/r | 0.5810 | n/r | published [1] |" in md
    assert "| SmolVLM (quantized, Idefics3) | SFT | n/r | n/r | 0.5101 | 0.6304 | published [1] |" in md
    assert (tmp_path / "cmp" / "comparison.png").stat().st_size > 5000
    assert (tmp_path / "cmp" / "comparison.md").read_text() == md.split("\nwrote ")[0]
    rows = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [r["origin"] for r in rows[:2]] == ["ours", "ours"]
    assert _cli(["compare", *runs, "--labels", "only-one"]) == 2
