"""Metric layer: hand-computed values, scikit-learn agreement, vectorised bootstrap == sklearn(sample_weight), CI
coverage on simulated clustered data, and the bad-input rules."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    cohen_kappa_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from mammo_hf.evaluation import metrics as M
from mammo_hf.evaluation.metrics import MetricWarning, Threshold

# A fixed case small enough to do by hand: 3 negatives, 3 positives.
Y = np.array([0, 0, 0, 1, 1, 1])
S = np.array([0.1, 0.4, 0.7, 0.35, 0.8, 0.9])


def test_hand_computed_binary_values():
    # AUC: pairs (pos > neg) = 0.35>{0.1} 1; 0.8>{all} 3; 0.9>{all} 3 -> 7/9
    assert M.roc_auc(Y, S) == pytest.approx(7 / 9)
    m = M.threshold_metrics(Y, S, 0.5)  # predicted positive: 0.7 (neg), 0.8, 0.9 -> TP 2, FP 1, FN 1, TN 2
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["npv"] == pytest.approx(2 / 3)
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)
    # pF1: pTP = 0.35 + 0.8 + 0.9 = 2.05, pFP = 1.2 -> P = 2.05/3.25, R = 2.05/3
    p, r = 2.05 / 3.25, 2.05 / 3
    assert M.pfbeta(Y, S) == pytest.approx(2 * p * r / (p + r))
    # AP: ranks 0.9(+) 0.8(+) 0.7(-) 0.4(-) 0.35(+) 0.1(-): precision at each positive 1, 1, 3/5 -> mean
    assert M.pr_auc(Y, S) == pytest.approx((1 + 1 + 3 / 5) / 3)
    # sensitivity at specificity >= 2/3: threshold 0.8 -> sens 2/3 (threshold 0.35 gives spec 1/3 only)
    assert M.sensitivity_at_specificity(Y, S, 0.6) == pytest.approx(2 / 3)
    assert M.specificity_at_sensitivity(Y, S, 1.0) == pytest.approx(1 / 3)
    # ECE, 2 uniform bins: [0, .5): p {.1,.4,.35} y {0,0,1}: |1/3 - .85/3| * 3/6; [.5, 1]: p {.7,.8,.9} y {0,1,1}
    ece = (abs(1 - 0.85) + abs(2 - 2.4)) / 6
    assert M.expected_calibration_error(Y, S, n_bins=2) == pytest.approx(ece)


def test_agrees_with_sklearn_on_random_arrays():
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.3).astype(int)
    s = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1).round(2)  # ties on purpose
    m = M.binary_metrics(y, s, threshold=0.5)
    pred = (s >= 0.5).astype(int)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, s))
    assert m["precision"] == pytest.approx(precision_score(y, pred))
    assert m["recall"] == pytest.approx(recall_score(y, pred))
    assert m["f1"] == pytest.approx(f1_score(y, pred))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert m["brier"] == pytest.approx(brier_score_loss(y, s))
    assert m["specificity"] == pytest.approx(recall_score(1 - y, 1 - pred))


def test_vectorised_bootstrap_metrics_equal_sklearn_with_sample_weight():
    rng = np.random.default_rng(2)
    n = 80
    y = (rng.random(n) < 0.35).astype(float)
    s = rng.random(n).round(1)  # many ties
    W = rng.integers(0, 4, size=(6, n)).astype(float)
    W[0] = 1.0
    out = M._weighted_binary_metrics(y, s, W, 0.5, (0.8,), (0.8,), 10, True)
    for b, w in enumerate(W):
        assert out["roc_auc"][b] == pytest.approx(roc_auc_score(y, s, sample_weight=w))
        assert out["pr_auc"][b] == pytest.approx(average_precision_score(y, s, sample_weight=w))
        ref = M.threshold_metrics(y, s, 0.5, sample_weight=w)
        for k in ("precision", "recall", "specificity", "f1", "accuracy", "balanced_accuracy", "npv"):
            assert out[k][b] == pytest.approx(ref[k]), k
        assert out["pf1"][b] == pytest.approx(M.pfbeta(y, s, sample_weight=w))
        assert out["ece"][b] == pytest.approx(M.expected_calibration_error(y, s, sample_weight=w))
        assert out["brier"][b] == pytest.approx(brier_score_loss(y, s, sample_weight=w))
    # unit weights: the operating-point metrics equal the scikit-learn based point estimates
    point = M.binary_metrics(y, s, 0.5, specificities=(0.8,), sensitivities=(0.8,))
    for k in ("sensitivity_at_specificity_80", "specificity_at_sensitivity_80"):
        assert out[k][0] == pytest.approx(point[k]), k


def test_threshold_selection_and_roundtrip():
    t = M.select_threshold(Y, S, "youden")
    # candidates: 0.8 -> tpr 2/3 fpr 0 (J = 2/3) is the best
    assert (t.value, t.sensitivity, t.specificity) == (0.8, pytest.approx(2 / 3), 1.0)
    t = M.select_threshold(Y, S, "sensitivity", 1.0)
    assert t.value == 0.35 and t.sensitivity == 1.0 and t.specificity == pytest.approx(1 / 3)
    t = M.select_threshold(Y, S, "specificity", 1.0)
    assert t.value == 0.8
    t = M.select_threshold(Y, S, "max_f1")
    assert M.threshold_metrics(Y, S, t.value)["f1"] == pytest.approx(0.8)  # 0.35: P 3/5, R 1 -> F1 0.75; 0.8: 0.8
    assert Threshold.from_dict(t.to_dict()) == t
    with pytest.raises(ValueError, match="unknown threshold method"):
        M.select_threshold(Y, S, "magic")
    with pytest.raises(ValueError, match="only one class"):
        M.select_threshold([1, 1], [0.2, 0.3], "youden")


def test_multiclass_metrics_against_sklearn():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 90)
    p = rng.dirichlet([1, 1, 1], 90)
    p[np.arange(90), y] += 0.4
    p /= p.sum(1, keepdims=True)
    m = M.multiclass_metrics(y, p, ["negative", "benign", "suspicious"])
    pred = p.argmax(1)
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert m["kappa_quadratic"] == pytest.approx(cohen_kappa_score(y, pred, weights="quadratic"))
    assert m["roc_auc_ovr"] == pytest.approx(roc_auc_score(y, p, multi_class="ovr"))
    assert set(k for k in m if k.startswith("f1_")) == {"f1_negative", "f1_benign", "f1_suspicious"}
    ci = M.bootstrap_multiclass_metrics(y, p, np.arange(90) // 2, n_resamples=40, seed=0)
    assert ci["macro_f1"].lower <= ci["macro_f1"].value <= ci["macro_f1"].upper
    with pytest.warns(MetricWarning, match="every class present"):
        assert math.isnan(M.multiclass_metrics([0, 0, 1], [[0.6, 0.3, 0.1]] * 3)["roc_auc_ovr"])


def test_patient_bootstrap_resamples_patients_not_rows():
    groups = np.array(["a", "a", "a", "b", "c", "c"])
    W = np.concatenate(list(M.patient_bootstrap_weights(groups, 500, seed=4, chunk_size=64)))
    assert W.shape == (500, 6)
    assert (W[:, 0] == W[:, 1]).all() and (W[:, 1] == W[:, 2]).all() and (W[:, 4] == W[:, 5]).all()
    # three patients drawn per resample: the per-patient counts sum to 3
    assert (W[:, 0] + W[:, 3] + W[:, 4] == 3).all()
    # seeded: same seed -> same draws
    W2 = np.concatenate(list(M.patient_bootstrap_weights(groups, 500, seed=4, chunk_size=64)))
    assert np.array_equal(W, W2)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(5)
    y = (rng.random(200) < 0.3).astype(int)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    g = np.arange(200) // 2
    a = M.bootstrap_binary_metrics(y, s, g, 0.5, n_resamples=300, seed=7)
    b = M.bootstrap_binary_metrics(y, s, g, 0.5, n_resamples=300, seed=7)
    c = M.bootstrap_binary_metrics(y, s, g, 0.5, n_resamples=300, seed=8)
    assert a["roc_auc"] == b["roc_auc"] and a["roc_auc"].lower != c["roc_auc"].lower
    for k in ("roc_auc", "pr_auc", "f1", "precision", "recall", "pf1", "ece", "sensitivity_at_specificity_90"):
        ci = a[k]
        assert ci.lower <= ci.value <= ci.upper, k
        assert ci.n_resamples == 300 and ci.n_valid == 300
    assert a["roc_auc"].value == pytest.approx(roc_auc_score(y, s))


def test_bootstrap_ci_covers_true_auc_at_nominal_rate_on_clustered_data():
    """Binormal scores with a shared per-patient effect: 95% patient-level CIs cover the true AUC ~95% of the time."""
    d = 1.0
    sigma_patient, sigma_noise = 0.6, 0.8
    # Population AUC of (pos - neg) differences across *different* patients: var = 2 (sp^2 + sn^2)
    true_auc = norm.cdf(d / math.sqrt(2 * (sigma_patient**2 + sigma_noise**2)))
    rng = np.random.default_rng(11)
    n_sims, n_patients, covered = 150, 60, 0
    for sim in range(n_sims):
        y = (rng.random((n_patients, 2)) < 0.4).astype(int)  # 2 breasts per patient
        s = d * y + sigma_patient * rng.normal(size=(n_patients, 1)) + sigma_noise * rng.normal(size=(n_patients, 2))
        groups = np.repeat(np.arange(n_patients), 2)
        ci = M.bootstrap_binary_metrics(y.ravel(), s.ravel(), groups, 0.0, n_resamples=200, seed=sim)["roc_auc"]
        covered += ci.lower <= true_auc <= ci.upper
    rate = covered / n_sims
    # binomial sd at 0.95 over 150 sims is ~0.018; percentile bootstrap runs a little narrow at n=120 breasts
    assert 0.86 <= rate <= 0.995, rate


def test_bad_inputs_give_clear_errors_or_documented_nan():
    with pytest.raises(ValueError, match="different lengths"):
        M.roc_auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        M.binary_metrics([0, 1], [0.1, float("nan")])
    with pytest.raises(ValueError, match="zero samples"):
        M.roc_auc([], [])
    with pytest.raises(ValueError, match="0/1"):
        M.roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.pfbeta([0, 1], [0.1, 1.5])
    with pytest.raises(ValueError, match="groups has length"):
        M.bootstrap_binary_metrics([0, 1], [0.1, 0.9], ["a"], n_resamples=5)
    with pytest.raises(ValueError, match="different lengths"):
        M.multiclass_metrics([0, 1], [[0.5, 0.5]])
    # one class only: NaN + one MetricWarning, threshold metrics still defined
    with pytest.warns(MetricWarning, match="only one class"):
        m = M.binary_metrics([1, 1, 1], [0.2, 0.7, 0.9])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"])
    assert m["recall"] == pytest.approx(2 / 3) and m["precision"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        ci = M.bootstrap_binary_metrics([1, 1, 1], [0.2, 0.7, 0.9], ["a", "b", "c"], n_resamples=20)
    assert math.isnan(ci["roc_auc"].value) and ci["roc_auc"].n_valid == 0
    assert ci["roc_auc"].to_dict()["lower"] is None  # NaN -> null in metrics.json


def test_best_pf1_is_the_best_binarised_pfbeta():
    rng = np.random.default_rng(6)
    y = (rng.random(120) < 0.3).astype(int)
    s = rng.random(120).round(2)
    brute = max(M.pfbeta(y, (s >= t).astype(float)) for t in np.unique(s))
    assert M.binary_metrics(y, s)["best_pf1"] == pytest.approx(brute)
