"""Every builder on its faithful raw-layout fixture (with fake PHI and injected bad input)."""

import csv
import shutil
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import pytest

from mammo_hf.data.build import BuildConfig, BuildError, build_dataset
from mammo_hf.data.builders import RawDataError, get_builder
from mammo_hf.data.features import atlas_features, breast_features
from mammo_hf.imaging.synthetic import PHI_MARKERS
from mammo_hf.imaging.synthetic.layouts import write_layout

BREAST_BUILDERS = ["rsna", "vindr_mammo", "cbis_ddsm", "cmmd", "inbreast", "kau_bcmd", "mammosightr"]
# a truncated file may surface as any of the reader's decode-failure reasons
CORRUPT = {"corrupt", "truncated", "not_an_image", "unreadable"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = {}

    def get(name):
        if name not in cache:
            root = tmp_path_factory.mktemp(name)
            res = write_layout(name, root / "raw", patients=6, image_size=(128, 96), faults=True)
            report = build_dataset(name, res.path, root / "out", BuildConfig(shard_size=4))
            cache[name] = (res, root / "out", report)
        return cache[name]

    return get


def _skips(out: Path) -> list[dict]:
    with open(out / "skipped.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", BREAST_BUILDERS)
def test_builder_output_matches_fixture(name, built):
    res, out, report = built(name)
    dd = datasets.load_from_disk(str(out))
    assert isinstance(dd, datasets.DatasetDict) and set(dd) <= {"train", "validation", "test"}
    assert sum(len(v) for v in dd.values()) == res.expected["pairs"]
    singles = datasets.load_from_disk(str(out / "single_view")) if (out / "single_view").exists() else {}
    assert sum(len(v) for v in dict(singles).values()) == res.expected["single_view"]
    feats = breast_features()
    patients = {}
    for split, ds in dd.items():
        assert ds.features == feats
        light = ds.select_columns(["source", "patient_id", "breast_id", "laterality", "split", "cc_meta", "mlo_meta"])
        for row in light:
            assert row["source"] == name and row["split"] == split and row["laterality"] in ("L", "R")
            assert row["cc_meta"]["view"] == "CC" and row["mlo_meta"]["view"] == "MLO"
            assert len(row["cc_meta"]["crop_box"]) == 4
            patients.setdefault(row["patient_id"], set()).add(split)
        img = ds[0]["cc"]
        assert img.mode == "I;16"  # 16-bit stays 16-bit
    assert all(len(s) == 1 for s in patients.values()), "a patient straddles two splits"
    ids = [b for ds in dd.values() for b in ds["breast_id"]]
    assert len(ids) == len(set(ids))
    # every injected fault is reported with its reason
    reasons = Counter(s["reason"] for s in _skips(out))
    want = Counter("corrupt" if r == "corrupt" else r for _, r in res.expected["faults"])
    got = Counter("corrupt" if r in CORRUPT else r for r in reasons.elements())
    for reason, n in want.items():
        assert got[reason] >= n, (reason, dict(reasons))
    assert report.skipped == dict(sorted(reasons.items()))
    card = (out / "README.md").read_text()
    info = get_builder(name).info
    assert info.licence in card and "mammo-hf build" in card and "## Counts" in card


def test_single_view_side_table_keeps_breasts(built):
    res, out, _ = built("mammosightr")  # 3-view patients
    sv = datasets.load_from_disk(str(out / "single_view"))
    rows = [r for ds in sv.values() for r in ds.select_columns(["cc_meta", "mlo_meta"])]
    assert len(rows) == res.expected["single_view"] == 2
    assert all((r["cc_meta"]["view"] is None) != (r["mlo_meta"]["view"] is None) for r in rows)
    assert any(r["mlo_meta"]["view"] is None for r in rows)  # a 3-view patient's breast without MLO


def test_stored_pixels_equal_reader_crop(built):
    from mammo_hf.imaging import read_image

    res, out, _ = built("vindr_mammo")
    ds = datasets.load_from_disk(str(out))["train"]
    row = ds[0]
    meta = row["cc_meta"]
    study = row["study_id"]
    src = read_image(res.path / "images" / study / f"{meta['image_id']}.dicom", output="uint16").pixels
    top, left, bottom, right = meta["crop_box"]
    assert np.array_equal(np.asarray(row["cc"]), src[top:bottom, left:right])
    assert (meta["original_height"], meta["original_width"]) == src.shape


def test_labels_follow_policies(built):
    _, out, _ = built("cbis_ddsm")
    ds = datasets.concatenate_datasets(list(datasets.load_from_disk(str(out)).values()))
    assert set(ds["label_source"]) == {"biopsy"}
    assert set(ds["pathology"]) <= {1, 2} and set(ds["cancer"]) <= {0, 1}  # lesion cases only: no normals
    _, out, _ = built("inbreast")
    ds = datasets.concatenate_datasets(list(datasets.load_from_disk(str(out)).values()))
    assert set(ds["label_source"]) <= {"birads_proxy", "none"}
    assert {d for d in ds["birads_detail"] if d and d.startswith("4")} <= {"4a", "4b", "4c"}
    _, out, _ = built("rsna")
    ds = datasets.concatenate_datasets(list(datasets.load_from_disk(str(out)).values()))
    assert set(ds["label_source"]) == {"screening_outcome"}


def test_no_phi_in_any_output(built):
    hits = []
    for name in BREAST_BUILDERS:
        _, out, _ = built(name)
        for f in out.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                hits += [(str(f), m) for m in PHI_MARKERS if m.encode() in data]
    assert not hits


def test_strict_turns_problem_skips_into_failure(built, tmp_path):
    res, _, _ = built("rsna")
    with pytest.raises(BuildError, match="--strict"):
        build_dataset("rsna", res.path, tmp_path / "strict", BuildConfig(strict=True))
    assert not (tmp_path / "strict").exists()
    clean = write_layout("vindr_mammo", tmp_path / "clean", patients=4, image_size=(64, 48))
    report = build_dataset("vindr_mammo", clean.path, tmp_path / "ok", BuildConfig(strict=True))
    assert report.skipped.get("extra_view_not_chosen", 0) >= 1  # by-design skips are reported, not failures


def test_missing_raw_data_errors_say_what_to_download(built, tmp_path):
    res, _, _ = built("rsna")
    raw = tmp_path / "rsna"
    shutil.copytree(res.path, raw)
    (raw / "train.csv").unlink()
    with pytest.raises(RawDataError, match="kaggle.com/competitions/rsna-breast-cancer-detection"):
        build_dataset("rsna", raw, tmp_path / "o")
    with pytest.raises(RawDataError, match="physionet.org"):
        build_dataset("vindr_mammo", tmp_path / "nope", tmp_path / "o2")
    with pytest.raises(BuildError, match="already exists"):
        build_dataset("rsna", res.path, res.path)


def test_atlas_pairs(tmp_path):
    res = write_layout("atlas", tmp_path / "raw", patients=5, image_size=(64, 48), faults=True)
    build_dataset("atlas", res.path, tmp_path / "out")
    dd = datasets.load_from_disk(str(tmp_path / "out"))
    assert set(dd) <= {"train", "validation"} and sum(len(v) for v in dd.values()) == res.expected["pairs"]
    assert dd["train"].features == atlas_features()
    raw_bytes = (res.path / dd["train"][0]["image_id"]).read_bytes()
    stored = dd["train"].cast_column("image", datasets.Image(decode=False))[0]["image"]["bytes"]
    assert stored == raw_bytes  # original bytes kept
    reasons = {r["reason"] for r in _skips(tmp_path / "out")}
    assert {r for _, r in res.expected["faults"]} <= reasons
