import datasets
import pytest

from mammo_hf.data.features import BIRADS_NAMES, breast_features
from mammo_hf.data.labels import (
    UnknownLabelError,
    apply_label_policy,
    get_label_policy,
    malignancy_label,
    parse_birads,
    parse_density,
    parse_pathology,
    worst_pathology,
)
from mammo_hf.data.splits import assign_splits, patient_split


@pytest.mark.parametrize(
    "value,expected",
    [
        ("BI-RADS 4", (4, "4")),
        ("BI-RADS 5", (5, "5")),
        ("4a", (4, "4a")),
        ("4C", (4, "4c")),
        (2.0, (2, "2")),
        ("0", (0, "0")),
        ("Kategori 5", (5, "5")),
        ("BIRAD 3", (3, "3")),
        ("Bi-Rads 6", (6, "6")),
        (float("nan"), (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_birads_spellings(value, expected):
    assert parse_birads(value) == expected


@pytest.mark.parametrize("value", ["7", "BI-RADS 7", "4d", "3a", "probably benign", 4.5, -1])
def test_parse_birads_rejects_unknown(value):
    with pytest.raises(UnknownLabelError) as err:
        parse_birads(value)
    assert err.value.reason == "unknown_birads"


def test_parse_density_and_pathology():
    assert [parse_density(v) for v in ("DENSITY A", "d", 3, 4.0, "0%-25%", ">75%", "26%-50%", None)] == [
        "A",
        "D",
        "C",
        "D",
        "A",
        "D",
        "B",
        None,
    ]
    with pytest.raises(UnknownLabelError):
        parse_density(0)
    assert parse_pathology("BENIGN_WITHOUT_CALLBACK") == "benign"
    assert parse_pathology("Malignant") == "malignant"
    with pytest.raises(UnknownLabelError):
        parse_pathology("PROBABLY_BENIGN")
    assert worst_pathology(["benign", "malignant", None]) == "malignant"


def test_malignancy_policy_priority_and_sources():
    assert malignancy_label(pathology="malignant", birads=1) == (1, "biopsy")
    assert malignancy_label(cancer=0, birads=5, cancer_source="screening_outcome") == (0, "screening_outcome")
    assert malignancy_label(birads=3) == (0, "birads_proxy")
    assert malignancy_label(birads=4) == (1, "birads_proxy")
    assert malignancy_label(birads=0) == (None, "none")


def test_apply_label_policies_on_schema_rows():
    feats = breast_features()
    rows = []
    for b, d, c in [("1", "A", 0), ("2", "B", 0), ("4", "C", 1), ("0", None, None), (None, "D", None)]:
        row = dict.fromkeys(feats)
        row.update(birads=b, density=d, cancer=c)
        rows.append(row)
    ds = datasets.Dataset.from_list(rows, features=feats)
    b3 = apply_label_policy(ds, "birads3")
    assert b3["label"] == [0, 1, 2] and b3.features["label"].names == ["negative", "benign", "suspicious"]
    rec = apply_label_policy(ds, "birads3-recall")
    assert rec["label"] == [1, 1, 2, 0]
    assert apply_label_policy(ds, "malignancy")["label"] == [0, 0, 1]
    assert apply_label_policy(ds, "density")["label"] == [0, 1, 2, 3]
    assert get_label_policy("birads").names == BIRADS_NAMES
    with pytest.raises(ValueError, match="unknown label policy"):
        get_label_policy("nope")


def test_patient_split_is_deterministic_order_independent_and_disjoint():
    ids = [f"P{i:05d}" for i in range(2000)]
    a = {p: patient_split(p, source="x", seed=3) for p in ids}
    b = {p: patient_split(p, source="x", seed=3) for p in reversed(ids)}
    assert a == b
    counts = {s: sum(1 for v in a.values() if v == s) for s in ("train", "validation", "test")}
    assert 1500 < counts["train"] < 1700 and 150 < counts["validation"] < 250 and 150 < counts["test"] < 250
    assert {p: patient_split(p, source="x", seed=4) for p in ids} != a  # the seed matters
    # official splits: test stays test, train is divided; a patient in both goes to test
    got = assign_splits([("p1", "train"), ("p1", "test"), ("p2", "test")] + [(f"q{i}", "train") for i in range(200)])
    assert got["p1"] == "test" and got["p2"] == "test"
    assert {got[f"q{i}"] for i in range(200)} == {"train", "validation"}
    with pytest.raises(ValueError):
        patient_split("x", fractions=(0.5, 0.5, 0.5))
