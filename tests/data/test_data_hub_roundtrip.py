"""push_to_hub -> load_dataset round trip against the local fake Hub; the licence gate of push-dataset."""

import json
import subprocess
import sys
import textwrap

import pytest

from mammo_hf.imaging.synthetic.layouts import write_layout

fake_hub = pytest.importorskip("fake_hub")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import datasets
    from mammo_hf.cli import main

    out, restricted = sys.argv[1], sys.argv[2]
    result = {}
    result["public_restricted_rc"] = main(["push-dataset", restricted, "user/vindr"])
    result["rc"] = main(["push-dataset", out, "user/cbis"])
    local = datasets.load_from_disk(out)
    remote = datasets.load_dataset("user/cbis")
    def rows(dd):
        acc = {}
        for split, ds in dd.items():
            ds = ds.cast_column("cc", datasets.Image(decode=False)).cast_column("mlo", datasets.Image(decode=False))
            for r in ds:
                acc[r["breast_id"]] = [split, r["cc"]["bytes"].hex(), r["mlo"]["bytes"].hex(), r["birads"],
                                       r["pathology"], r["cancer"], r["cc_meta"]]
        return acc
    result["same"] = rows(local) == rows(remote)
    result["n"] = len(rows(remote))
    result["features_equal"] = all(local[s].features == remote[s].features for s in local)
    sv = datasets.load_dataset("user/cbis", "single_view")
    result["single_view"] = sum(len(v) for v in sv.values())
    print("RESULT" + json.dumps(result))
    """
)


def test_push_then_load_dataset_returns_same_rows(tmp_path):
    from mammo_hf.data.build import BuildConfig, build_dataset

    res = write_layout("cbis_ddsm", tmp_path / "raw", patients=6, image_size=(96, 64))
    out = tmp_path / "out"
    build_dataset("cbis_ddsm", res.path, out, BuildConfig())
    vres = write_layout("vindr_mammo", tmp_path / "vraw", patients=4, image_size=(64, 48))
    vout = tmp_path / "vout"
    build_dataset("vindr_mammo", vres.path, vout, BuildConfig())

    hub, server, url = fake_hub.start(tmp_path / "hub")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(out), str(vout)],
            env=fake_hub.hub_env(url, tmp_path / "cache"),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(line[0][len("RESULT") :])
    assert result["public_restricted_rc"] == 2 and "push with --private" in proc.stderr
    assert not hub.repo_dir("dataset", "user/vindr").exists() or not hub.files("dataset", "user/vindr")
    assert result["rc"] == 0 and result["same"] and result["features_equal"]
    assert result["n"] == res.expected["pairs"] and result["single_view"] == res.expected["single_view"]
    files = hub.files("dataset", "user/cbis")
    assert any(f.startswith("data/") and f.endswith(".parquet") for f in files)
    assert {"README.md", "skipped.csv", "build_report.json"} <= set(files)
    card = (hub.repo_dir("dataset", "user/cbis") / "README.md").read_text()
    assert "license: cc-by-3.0" in card and "configs:" in card and "single_view" in card and "## Citation" in card
