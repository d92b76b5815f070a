"""Safe loading of upstream checkpoints: restricted unpickler, omegaconf stubs, bad-input errors, atomic output."""

from __future__ import annotations

import os
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest
import torch

from mammo_hf.models._checkpoint_io import (
    CheckpointNotFoundError,
    ExtractedArchiveError,
    NotACheckpointError,
    OutputExistsError,
    TruncatedCheckpointError,
    UnsafeCheckpointError,
    atomic_output_dir,
    load_original_checkpoint,
)


@pytest.fixture
def fake_omegaconf(monkeypatch):
    """A stand-in `omegaconf` package (module path and class names as in omegaconf 2.3) so that pickles written
    here reference `omegaconf.dictconfig.DictConfig` / `omegaconf.listconfig.ListConfig` / `omegaconf.nodes.AnyNode`
    exactly like the released checkpoints, without omegaconf being installed."""
    pkg = types.ModuleType("omegaconf")
    pkg.__path__ = []
    mods = {}
    for sub, cls_names in {
        "dictconfig": ["DictConfig"],
        "listconfig": ["ListConfig"],
        "nodes": ["AnyNode", "StringNode"],
        "base": ["ContainerMetadata", "Metadata"],
    }.items():
        mod = types.ModuleType(f"omegaconf.{sub}")
        for name in cls_names:
            cls = type(name, (), {"__module__": f"omegaconf.{sub}"})
            setattr(mod, name, cls)
        mods[f"omegaconf.{sub}"] = mod
        setattr(pkg, sub, mod)
    monkeypatch.setitem(sys.modules, "omegaconf", pkg)
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    return mods


def _node(mods, sub, cls, **state):
    obj = getattr(mods[f"omegaconf.{sub}"], cls)()
    obj.__dict__.update(state)
    return obj


def test_omegaconf_nodes_become_plain_containers(tmp_path, fake_omegaconf, monkeypatch):
    import typing

    meta = _node(fake_omegaconf, "base", "ContainerMetadata", ref_type=typing.Any, element_type=typing.Any)
    scale = _node(
        fake_omegaconf,
        "listconfig",
        "ListConfig",
        _metadata=meta,
        _parent=None,
        _content=[
            _node(fake_omegaconf, "nodes", "AnyNode", _val=0.8),
            _node(fake_omegaconf, "nodes", "AnyNode", _val=1.2),
        ],
    )
    cfg = _node(
        fake_omegaconf,
        "dictconfig",
        "DictConfig",
        _metadata=meta,
        _content={"name": _node(fake_omegaconf, "nodes", "StringNode", _val="clip_custom"), "scale": scale},
    )
    path = tmp_path / "b5-model-best-epoch-7.tar"
    torch.save(
        {
            "model": {"w": torch.arange(4.0)},
            "config": {"model": cfg, "transform": {"affine_scale": scale}},
            "epoch": 7,
            "train_loss": torch.tensor(1.5),
            "predictions": np.arange(3.0),
            "auroc": np.float64(0.5),
        },
        path,
    )
    # The loader must not need omegaconf: remove the fake package before loading.
    for name in [m for m in sys.modules if m == "omegaconf" or m.startswith("omegaconf.")]:
        monkeypatch.delitem(sys.modules, name)
    ckpt = load_original_checkpoint(path)
    assert ckpt["config"]["model"] == {"name": "clip_custom", "scale": [0.8, 1.2]}
    assert ckpt["config"]["transform"]["affine_scale"] == [0.8, 1.2]
    assert ckpt["epoch"] == 7 and torch.equal(ckpt["model"]["w"], torch.arange(4.0))
    np.testing.assert_array_equal(ckpt["predictions"], np.arange(3.0))
    assert float(ckpt["auroc"]) == 0.5


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch):
    path = tmp_path / "evil.pth"
    torch.save({"model": {"w": torch.ones(1)}, "payload": _Evil()}, path)
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    with pytest.raises(UnsafeCheckpointError, match=r"(posix|os)\.system"):
        load_original_checkpoint(path)
    assert calls == []


def test_malicious_eval_in_legacy_format_is_refused(tmp_path):
    class _Eval:
        def __reduce__(self):
            return (eval, ("1+1",))

    path = tmp_path / "evil_legacy.pth"
    torch.save({"x": _Eval()}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match=r"(__builtin__|builtins)\.eval"):
        load_original_checkpoint(path)


def test_trust_pickle_loads_plain(tmp_path):
    path = tmp_path / "plain.pth"
    torch.save({"w": torch.ones(2)}, path)
    assert torch.equal(load_original_checkpoint(path, trust_pickle=True)["w"], torch.ones(2))


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        (b"", TruncatedCheckpointError, "empty"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1650000000\n", NotACheckpointError, "LFS"),
        (b"<!DOCTYPE html><html><body>Google Drive can't scan</body></html>", NotACheckpointError, "HTML"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, NotACheckpointError, "not a PyTorch checkpoint"),
    ],
)
def test_not_a_checkpoint(tmp_path, content, error, match):
    path = tmp_path / "model.tar"
    path.write_bytes(content)
    with pytest.raises(error, match=match):
        load_original_checkpoint(path)


def test_truncated_download(tmp_path):
    full = tmp_path / "full.tar"
    torch.save({"model": {"w": torch.randn(256, 256)}}, full)
    cut = tmp_path / "b5-model-best-epoch-7.tar"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(TruncatedCheckpointError, match="download it again"):
        load_original_checkpoint(cut)


def test_zip_extracted_tar_issue_10(tmp_path):
    full = tmp_path / "b2-model-best-epoch-10.tar"
    torch.save({"model": {"w": torch.ones(3)}}, full)
    out = tmp_path / "extracted"
    with zipfile.ZipFile(full) as zf:
        zf.extractall(out)
    # the directory the user got, the pickle inside it, and the archive folder itself: all explained
    inner = next(out.iterdir())
    for candidate in (out, inner, inner / "data.pkl"):
        with pytest.raises(ExtractedArchiveError, match="issues/10"):
            load_original_checkpoint(candidate)


def test_zip_of_other_files_and_safetensors(tmp_path):
    z = tmp_path / "Downstream_evalualtion_b5_fold0.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("fold0/mass_ft.pth", b"x")
    with pytest.raises(NotACheckpointError, match="extract it"):
        load_original_checkpoint(z)
    from safetensors.torch import save_file

    st = tmp_path / "model.safetensors"
    save_file({"w": torch.ones(2)}, str(st))
    with pytest.raises(NotACheckpointError, match="safetensors"):
        load_original_checkpoint(st)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointNotFoundError):
        load_original_checkpoint(tmp_path / "nope.tar")


def test_atomic_output_dir(tmp_path):
    out = tmp_path / "converted"
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "model.safetensors").write_bytes(b"partial")
        raise RuntimeError("boom")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with atomic_output_dir(out) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(OutputExistsError):
        with atomic_output_dir(out):
            pass
    with atomic_output_dir(out, overwrite=True) as tmp:
        (tmp / "b").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["converted"]


def test_protocol_0_reconstructor_refused():
    # copyreg._reconstructor is allowed only for our inert stubs, never to build an arbitrary class.
    import io

    from mammo_hf.models._checkpoint_io import _RestrictedUnpickler

    blob = b"ccopyreg\n_reconstructor\n(cos\nsystem\nc__builtin__\nobject\nNtR."
    with pytest.raises(UnsafeCheckpointError, match="os.system"):
        _RestrictedUnpickler(io.BytesIO(blob)).load()
    assert pickle.loads(pickle.dumps([1, 2])) == [1, 2]  # sanity: plain pickles are untouched by the module
