"""Resume, parallel determinism, atomic output and the pooled six-dataset build."""

import json

import datasets
import pytest

import mammo_hf.data.build as build_mod
from mammo_hf.data.build import BuildConfig, build_dataset
from mammo_hf.imaging.synthetic.layouts import write_layout


def _content(out):
    dd = datasets.load_from_disk(str(out))
    rows = {}
    for split, ds in dd.items():
        raw = ds.cast_column("cc", datasets.Image(decode=False)).cast_column("mlo", datasets.Image(decode=False))
        for r in raw:
            rows[r["breast_id"]] = (split, r["cc"]["bytes"], r["mlo"]["bytes"], r["birads"], r["cc_meta"]["crop_box"])
    return rows


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return write_layout("vindr_mammo", tmp_path_factory.mktemp("v") / "raw", patients=8, image_size=(96, 64)).path


def test_interrupted_build_resumes_without_redoing_shards(raw, tmp_path, monkeypatch):
    cfg = BuildConfig(shard_size=2)
    ref = tmp_path / "ref"
    build_dataset("vindr_mammo", raw, ref, cfg)
    calls = {"n": 0}
    real = build_mod.encode_breast

    def crashing(unit, *a, **k):
        calls["n"] += 1
        if calls["n"] == 5:  # inside the third shard
            raise KeyboardInterrupt
        return real(unit, *a, **k)

    out = tmp_path / "out"
    monkeypatch.setattr(build_mod, "encode_breast", crashing)
    with pytest.raises(KeyboardInterrupt):
        build_dataset("vindr_mammo", raw, out, cfg)
    assert not out.exists()  # never a half dataset that looks complete
    markers = sorted((tmp_path / "out.partial" / "shards").glob("*.json"))
    assert len(markers) == 2 and not list((tmp_path / "out.partial" / "shards").glob("*.tmp"))
    done_units = sum(sum(json.loads(m.read_text())["rows"].values()) for m in markers)

    calls["n"] = -(10**9)  # no more crashes; count what gets re-encoded
    seen = []
    monkeypatch.setattr(
        build_mod, "encode_breast", lambda unit, *a, **k: (seen.append(unit.key), real(unit, *a, **k))[1]
    )
    report = build_dataset("vindr_mammo", raw, out, cfg)
    assert report.shards_reused == 2 and report.shards_built >= 1
    total = sum(sum(v.values()) for v in report.rows.values())
    assert len(seen) == total - done_units
    assert _content(out) == _content(ref)
    assert not (tmp_path / "out.partial").exists()


def test_num_proc_2_gives_identical_dataset(raw, tmp_path):
    build_dataset("vindr_mammo", raw, tmp_path / "a", BuildConfig(shard_size=3, num_proc=1))
    build_dataset("vindr_mammo", raw, tmp_path / "b", BuildConfig(shard_size=3, num_proc=2))
    assert _content(tmp_path / "a") == _content(tmp_path / "b")


def test_options_change_invalidates_shards_and_overwrite(raw, tmp_path):
    out = tmp_path / "o"
    build_dataset("vindr_mammo", raw, out, BuildConfig(image_size=(64, 48)))
    ds = datasets.load_from_disk(str(out))["train"]
    assert ds[0]["cc"].size == (48, 64) and ds[0]["cc"].mode == "I;16"
    report = build_dataset("vindr_mammo", raw, out, BuildConfig(image_size=32, overwrite=True))
    assert report.shards_reused == 0
    assert max(datasets.load_from_disk(str(out))["train"][0]["cc"].size) == 32


def test_pooled_six_dataset_build(tmp_path):
    res = write_layout("pooled", tmp_path / "raw", patients=4, image_size=(64, 48))
    report = build_dataset("pooled", res.path, tmp_path / "out", BuildConfig(shard_size=8))
    dd = datasets.load_from_disk(str(tmp_path / "out"))
    sources = {s for ds in dd.values() for s in ds["source"]}
    assert sources == {"rsna", "vindr_mammo", "cbis_ddsm", "cmmd", "inbreast", "kau_bcmd"}
    assert sum(len(v) for v in dd.values()) == res.expected["pairs"]
    # official test splits are kept: every VinDr-Mammo row whose label file says "test" is in test
    import csv

    with open(res.path / "vindr_mammo" / "breast-level_annotations.csv") as fh:
        official = {r["study_id"]: r["split"] for r in csv.DictReader(fh)}
    for split, ds in dd.items():
        for src, pid in zip(ds["source"], ds["patient_id"]):
            if src == "vindr_mammo":
                assert (official[pid] == "test") == (split == "test")
    assert "pooled" in (tmp_path / "out" / "README.md").read_text()
    assert report.rows["default"]
    # a missing dataset folder is an error unless allowed
    import shutil

    from mammo_hf.data.builders import RawDataError, get_builder

    shutil.rmtree(res.path / "cmmd")
    with pytest.raises(RawDataError, match="cmmd"):
        build_dataset("pooled", res.path, tmp_path / "out2")
    rep = build_dataset(get_builder("pooled", allow_missing=True), res.path, tmp_path / "out3")
    assert "cmmd" not in rep.class_counts.get("train", {}).get("source", {})
