"""PredictionTable, view -> breast -> exam aggregation, per-source, metrics.json, plots, model-index and compare."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from mammo_hf.evaluation import (
    MetricWarning,
    PredictionTable,
    ScoreRecord,
    Threshold,
    aggregate,
    comparison_markdown,
    comparison_rows,
    evaluate_predictions,
    load_metrics,
    metrics_to_eval_results,
    per_source,
    two_token_probability,
    write_comparison,
    write_evaluation,
)
from mammo_hf.evaluation.paper_results import PAPER_RESULTS


def _view_table() -> PredictionTable:
    R = ScoreRecord
    return PredictionTable.from_records(
        [
            # patient 1, exam s1: left breast positive (views 0.8 / 0.4), right negative (0.2 / 0.1)
            R("p1", "s1", "L", "rsna", 1, 0.8, view="CC"),
            R("p1", "s1", "L", "rsna", 1, 0.4, view="MLO"),
            R("p1", "s1", "R", "rsna", 0, 0.2, view="CC"),
            R("p1", "s1", "R", "rsna", 0, 0.1, view="MLO"),
            # patient 2 (another source, same id string): one breast, both views negative
            R("p1", "s9", "L", "vindr", 0, 0.3, view="CC"),
            R("p1", "s9", "L", "vindr", 0, 0.5, view="MLO"),
        ]
    )


def test_aggregation_on_hand_built_table():
    views = _view_table()
    assert views.level == "view" and len(views) == 6
    breasts = aggregate(views, "breast")  # default mean
    b = breasts.frame.set_index(["source", "study_id", "laterality"])
    assert b.loc[("rsna", "s1", "L"), "score"] == pytest.approx(0.6)
    assert b.loc[("rsna", "s1", "R"), "score"] == pytest.approx(0.15)
    assert b.loc[("vindr", "s9", "L"), "score"] == pytest.approx(0.4)
    assert b.loc[("rsna", "s1", "L"), "score_cc"] == pytest.approx(0.8)  # per-view scores kept side by side
    assert b.loc[("rsna", "s1", "L"), "score_mlo"] == pytest.approx(0.4)
    assert breasts.level == "breast" and breasts.info["aggregation"] == {"breast": "mean"}
    assert aggregate(views, "breast", "max").frame.set_index(["source", "laterality", "study_id"]).loc[
        ("rsna", "R", "s1"), "score"
    ] == pytest.approx(0.2)
    exams = aggregate(breasts, "exam")  # default max over breasts, label = any positive
    e = exams.frame.set_index(["source", "study_id"])
    assert e.loc[("rsna", "s1"), "score"] == pytest.approx(0.6) and e.loc[("rsna", "s1"), "label"] == 1
    assert e.loc[("vindr", "s9"), "label"] == 0 and len(exams) == 2
    # view -> exam directly: mean over views, then max over breasts
    assert aggregate(views, "exam").scores.tolist() == pytest.approx(exams.scores.tolist())
    # patients are unique within a source only: groups keep them apart
    assert len(set(breasts.groups)) == 2
    assert per_source(breasts, lambda t: len(t)) == {"rsna": 2, "vindr": 1}
    with pytest.raises(ValueError, match="down to breast"):
        aggregate(exams, "breast")
    with pytest.raises(ValueError, match="method"):
        aggregate(views, "breast", "median")


def test_aggregation_rejects_inconsistent_labels_and_multiclass_max():
    bad = PredictionTable.from_records(
        [ScoreRecord("p", "s", "L", "x", 1, 0.5, view="CC"), ScoreRecord("p", "s", "L", "x", 0, 0.5, view="MLO")]
    )
    with pytest.raises(ValueError, match="different labels"):
        aggregate(bad, "breast")
    mc = PredictionTable.from_records(
        [
            ScoreRecord("p", "s", "L", "x", 2, probabilities=[0.2, 0.2, 0.6], view="CC"),
            ScoreRecord("p", "s", "L", "x", 2, probabilities=[0.4, 0.2, 0.4], view="MLO"),
        ],
        task="birads3",
        class_names=["negative", "benign", "suspicious"],
    )
    assert aggregate(mc, "breast").probabilities.tolist() == [pytest.approx([0.3, 0.2, 0.5])]
    with pytest.raises(ValueError, match="only defined for binary"):
        aggregate(mc, "breast", "max")
    with pytest.raises(ValueError, match="exam-level"):
        aggregate(mc, "exam")


def test_prediction_table_validation_and_parquet_roundtrip(tmp_path):
    t = _view_table()
    t.info["model"] = "tiny"
    back = PredictionTable.read_parquet(t.to_parquet(tmp_path / "p.parquet"))
    assert back.level == "view" and back.info == {"model": "tiny"} and back.scores.tolist() == t.scores.tolist()
    with pytest.raises(ValueError, match="probabilities in"):
        PredictionTable.from_records([ScoreRecord("p", "s", "L", "x", 1, 3.2)])
    with pytest.raises(ValueError, match="class indices"):
        PredictionTable.from_records([ScoreRecord("p", "s", "L", "x", 2, 0.2)])
    with pytest.raises(ValueError, match="missing columns"):
        PredictionTable(t.frame.drop(columns=["patient_id"]), level="view")
    with pytest.raises(ValueError, match="expected 3"):
        PredictionTable.from_records([ScoreRecord("p", "s", "L", "x", 1, probabilities=[0.5, 0.5])], class_names="abc")
    # VLM path: NaN scores are allowed in the table, counted and dropped at evaluation
    nan = PredictionTable.from_records(
        [ScoreRecord(f"p{i}", "s", "L", "x", i % 2, None if i == 0 else 0.5) for i in range(6)]
    )
    assert nan.count_missing_scores() == 1
    with pytest.warns(MetricWarning, match="dropped 1 rows"):
        assert evaluate_predictions(nan, n_bootstrap=0)["n_missing_scores"] == 1
    assert two_token_probability([0.0, 5.0, -800.0], [0.0, 0.0, 0.0]).tolist() == pytest.approx([0.5, 0.99330714, 0.0])


def _breast_table(n_patients: int = 40, seed: int = 0) -> PredictionTable:
    rng = np.random.default_rng(seed)
    recs = []
    for i in range(n_patients):
        for lat in "LR":
            y = int(rng.random() < 0.3)
            s = float(np.clip(0.3 + 0.35 * y + rng.normal(0, 0.18), 0, 1))
            recs.append(ScoreRecord(f"p{i}", f"s{i}", lat, "rsna" if i % 2 else "vindr", y, s))
    return PredictionTable.from_records(recs, info={"model": "runs/tiny", "split": "test", "dataset": "data/x"})


def test_evaluate_predictions_writes_report_plots_and_model_index(tmp_path):
    table = _breast_table()
    result = evaluate_predictions(table, threshold=0.5, n_bootstrap=200, seed=0)
    assert result["n"] == 80 and result["n_patients"] == 40 and result["level"] == "breast"
    roc = result["metrics"]["roc_auc"]
    assert roc["lower"] <= roc["value"] <= roc["upper"] and roc["n_resamples"] == 200
    assert result["threshold"] == Threshold(0.5).to_dict()
    assert {"youden", "max_f1", "sensitivity_90", "specificity_90"} <= set(result["thresholds"])
    assert set(result["per_source"]) == {"rsna", "vindr"} and result["levels"]["exam"]["n"] == 40
    assert sum(map(sum, result["confusion_matrix"])) == 80
    written = write_evaluation(table, result, tmp_path / "run")
    for name in ("metrics", "predictions", "roc", "pr", "reliability", "confusion_matrix"):
        assert written[name].is_file() and written[name].stat().st_size > 1000, name
    assert written["roc"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded = load_metrics(tmp_path / "run")
    assert loaded["metrics"]["f1"] == json.loads(json.dumps(result["metrics"]["f1"]))
    # reuse the stored threshold on another run
    youden = Threshold.from_dict(loaded["thresholds"]["youden"])
    again = evaluate_predictions(_breast_table(seed=1), threshold=youden, n_bootstrap=0)
    assert again["threshold"]["value"] == youden.value and again["threshold"]["method"] == "youden"
    # threshold chosen on the evaluated data: allowed, with a warning that it is optimistic
    with pytest.warns(MetricWarning, match="optimistic"):
        evaluate_predictions(table, threshold="sensitivity:0.9", n_bootstrap=0)

    from huggingface_hub import ModelCard, ModelCardData

    with pytest.raises(ValueError, match="source_url"):
        metrics_to_eval_results(tmp_path / "run", dataset_type="org/mammo-rsna", source_name="mammo-hf")
    results = metrics_to_eval_results(
        tmp_path / "run", dataset_type="org/mammo-rsna", source_name="mammo-hf", source_url="https://example.org/run"
    )
    by_type = {r.metric_type: r for r in results}
    assert set(by_type) == {"roc_auc", "pr_auc", "f1", "precision", "recall", "specificity", "pf1"}
    assert by_type["roc_auc"].metric_value == pytest.approx(round(roc["value"], 4))
    assert by_type["roc_auc"].dataset_split == "test"
    assert by_type["f1"].metric_args["threshold"] == 0.5 and "ci_lower" in by_type["f1"].metric_args
    card = ModelCard.from_template(ModelCardData(model_name="tiny", eval_results=results, license="apache-2.0"))
    card.save(tmp_path / "README.md")
    reloaded = ModelCard.load(tmp_path / "README.md").data.eval_results
    assert {r.metric_type for r in reloaded} == set(by_type)


def test_multiclass_evaluation_and_one_class_warning(tmp_path):
    rng = np.random.default_rng(0)
    recs = []
    for i in range(30):
        y = int(rng.integers(0, 3))
        p = rng.dirichlet([1, 1, 1])
        p[y] += 1
        recs.append(ScoreRecord(f"p{i}", "s", "L", "x", y, probabilities=(p / p.sum()).tolist()))
    mc = PredictionTable.from_records(recs, task="birads3", class_names=["negative", "benign", "suspicious"])
    result = evaluate_predictions(mc, n_bootstrap=30)
    assert result["kind"] == "multiclass" and "threshold" not in result
    assert result["metrics"]["macro_f1"]["lower"] <= result["metrics"]["macro_f1"]["value"]
    written = write_evaluation(mc, result, tmp_path / "mc")
    assert written["confusion_matrix"].stat().st_size > 1000 and "roc" not in written
    assert {r.metric_type for r in metrics_to_eval_results(result, dataset_type="x")} >= {
        "macro_f1",
        "kappa_quadratic",
    }

    one = PredictionTable.from_records([ScoreRecord(f"p{i}", "s", "L", "x", 0, 0.1 * i) for i in range(5)])
    with pytest.warns(MetricWarning, match="only one class"):
        r = evaluate_predictions(one, n_bootstrap=20)
    assert r["metrics"]["roc_auc"]["value"] is None  # NaN is written as null
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        assert write_evaluation(one, r, tmp_path / "one")["roc"].stat().st_size > 1000


def test_comparison_markdown_and_png(tmp_path):
    table = _breast_table()
    table.info.update(run_name="EfficientNet-B4", strategy="supervised")
    result = evaluate_predictions(table, n_bootstrap=100)
    rows = comparison_rows([result])
    ours, published = rows[0], rows[1:]
    assert ours["origin"] == "ours" and ours["model"] == "EfficientNet-B4" and ours["f1"]["lower"] is not None
    published_f1 = {(r["model"], r["strategy"]): r["f1"]["value"] for r in published if r["f1"]}
    assert published_f1[("EfficientNet-B4", "supervised")] == 0.5810
    assert published_f1[("MammoCLIP", "LP")] == 0.4755
    assert published_f1[("SmolVLM (quantized, Idefics3)", "SFT")] == 0.5101
    md = comparison_markdown(rows)
    assert "| Model | Strategy | Precision | Recall | F1 | ROC-AUC | Source |" in md
    assert "| MammoCLIP | LP | n/r | n/r | 0.4755 | 0.6906 | published [1] |" in md
    assert "0.6304" in md and "https://www.clinmedkaz.org" in md and "ours (breast level, n=80)" in md
    assert all(r.source.url.startswith("https://") for r in PAPER_RESULTS)
    written = write_comparison(rows, tmp_path / "cmp")
    assert written["png"].stat().st_size > 5000 and written["markdown"].read_text() == md
    assert not math.isnan(json.loads(written["json"].read_text())[0]["f1"]["value"])
