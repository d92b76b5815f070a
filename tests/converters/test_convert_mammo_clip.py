"""Mammo-CLIP converter: key map coverage, parity with efficientnet-pytorch / BertModel, CLI, bad input."""

from __future__ import annotations

import json
import time

import pytest
import torch

pytest.importorskip("efficientnet_pytorch")

from upstream_layout import (  # noqa: E402  (tests/converters is on sys.path under pytest's rootdir import mode)
    mammo_clip_model_state,
    parity_input,
    write_mam_clip_finetuned,
    write_mammo_clip_downstream,
    write_mammo_clip_tar,
)

from mammo_hf.cli import main as cli_main  # noqa: E402
from mammo_hf.models._checkpoint_io import CheckpointKeyError, VariantMismatchError  # noqa: E402
from mammo_hf.models.mammo_clip import convert_mammo_clip_original_to_hf as conv  # noqa: E402

SIZE = (256, 160)  # small, and at this size static != dynamic SAME padding in B2 block 5 and B2/B5 stage-4 convs


@pytest.fixture(scope="module")
def b2_tar(tmp_path_factory):
    return write_mammo_clip_tar(tmp_path_factory.mktemp("b2") / "b2-model-best-epoch-10.tar", "b2")


def test_key_map_covers_every_upstream_tensor():
    for variant, n_image in (("b2", 506), ("b5", 852)):
        sd = mammo_clip_model_state(variant)
        assert sum(k.startswith("image_encoder.") for k in sd) == n_image  # upstream.md §1.2 tensor counts
        dropped = []
        out = conv.convert_state_dict(sd, dropped=dropped)
        assert len(out) + len(dropped) == len(sd)
        assert dropped == [
            "text_encoder.text_encoder.pooler.dense.weight",
            "text_encoder.text_encoder.pooler.dense.bias",
        ]
        config = conv.build_config(sd, variant, "pretraining")
        from mammo_hf import MammoClipModel

        assert set(out) == set(MammoClipModel(config).state_dict())


def test_detect_variant_and_kind():
    sd = mammo_clip_model_state("b2")
    assert conv.detect_variant(sd) == "b2" and conv.detect_kind(sd) == "pretraining"
    broken = {k: v for k, v in sd.items() if "_blocks.22." not in k}
    with pytest.raises(CheckpointKeyError, match="22 blocks"):
        conv.detect_variant(broken)
    with pytest.raises(CheckpointKeyError, match="not part of a Mammo-CLIP checkpoint"):
        conv.convert_state_dict({**sd, "vision_encoder.stem.0.weight": torch.zeros(1)})


@pytest.mark.parametrize("variant", ["b2", "b5"])
def test_pretraining_parity_small(tmp_path, variant):
    tar = write_mammo_clip_tar(tmp_path / f"{variant}.tar", variant)
    result = conv.convert_checkpoint(tar, tmp_path / "out", verify=True, verify_size=SIZE)
    assert result.variant == variant and result.kind == "pretraining"
    rows = {r.name: r for r in result.parity}
    assert rows["image features (pooled)"].max_abs_diff <= 1e-4
    assert rows["image embedding (projected)"].max_abs_diff <= 1e-4
    assert rows["text embedding (eos-pooled, projected)"].max_abs_diff <= 1e-5
    print(variant, {n: (r.max_abs_diff, r.mean_abs_diff) for n, r in rows.items()})

    if variant == "b5":
        return  # the reload + padding-sensitivity checks below are the same code path; B2 keeps the suite fast
    # the saved folder reloads to the same features, and the reference really is sensitive to the padding
    from mammo_hf import MammoClipModel

    model = MammoClipModel.from_pretrained(tmp_path / "out").eval()
    assert model.config.vision_config.depthwise_padding == {"b2": [5, 8, 16], "b5": [13, 27]}[variant]
    sd = conv.extract_model_state_dict(conv.load_original_checkpoint(tar))[0]
    ref = conv.build_reference_image_encoder(variant, sd)
    x = parity_input(SIZE)
    with torch.no_grad():
        expected = conv.reference_image_features(ref, x)
        got = model.get_image_features(pixel_values=x).per_view_features[:, 0]
        assert (got - expected).abs().max() <= 1e-4
        model.vision_model.config.depthwise_padding = []  # dynamic-SAME-like padding must NOT match upstream
        wrong = MammoClipModel(model.config).eval()
        wrong.load_state_dict(model.state_dict())
        assert (wrong.get_image_features(pixel_values=x).per_view_features[:, 0] - expected).abs().max() > 1e-2


def test_eos_pooling_follows_padding(b2_tar, tmp_path):
    conv.convert_checkpoint(b2_tar, tmp_path / "out")
    from transformers import BertModel

    from mammo_hf import MammoClipModel

    model = MammoClipModel.from_pretrained(tmp_path / "out").eval()
    sd = conv.extract_model_state_dict(conv.load_original_checkpoint(b2_tar))[0]
    bert = BertModel(model.config.text_config, add_pooling_layer=True).eval()
    bert.load_state_dict({k[26:]: v for k, v in sd.items() if k.startswith("text_encoder.text_encoder.")})
    ids = torch.tensor([[2, 10, 11, 12, 3, 0, 0], [2, 20, 21, 22, 23, 24, 3]])
    mask = (ids != 0).long()
    with torch.no_grad():
        hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        sep = hidden[torch.arange(2), mask.sum(-1) - 1]  # [SEP] positions 4 and 6
        ref = sep @ sd["text_projection.projection.weight"].T + sd["text_projection.projection.bias"]
        ours = model.get_text_features(input_ids=ids, attention_mask=mask).pooler_output
    assert (ours - ref).abs().max() <= 1e-5
    # [CLS] pooling is different and must not accidentally agree
    assert (hidden[:, 0] - sep).abs().max() > 1e-3


def test_downstream_classifier_parity(tmp_path):
    pth = write_mammo_clip_downstream(tmp_path / "vindr_density_ft.pth", "b2", n_class=4)
    with pytest.raises(VariantMismatchError):
        conv.convert_checkpoint(pth, tmp_path / "bad", registry_name="mammo_clip_b5.vindr_density_ft_fold0")
    assert not (tmp_path / "bad").exists()
    result = conv.convert_checkpoint(pth, tmp_path / "out", verify=True, verify_size=SIZE)
    assert result.kind == "classification"
    assert all(r.max_abs_diff <= 1e-4 for r in result.parity), result.parity
    cfg = json.loads((tmp_path / "out" / "config.json").read_text())
    assert cfg["num_labels"] == 4 if "num_labels" in cfg else len(cfg["id2label"]) == 4
    assert cfg["problem_type"] == "single_label_classification"


def test_cli_end_to_end_with_tokenizer(b2_tar, tmp_path, capsys):
    from transformers import BertTokenizerFast

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "no", "mass", "calcification"]))
    tok_dir = tmp_path / "bio_clinicalbert"
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(tok_dir)
    out = tmp_path / "mammo-clip-b2"
    code = cli_main(
        ["convert", "mammo-clip", "--checkpoint", str(b2_tar), "--output-dir", str(out), "--variant", "b2",
         "--tokenizer", str(tok_dir), "--verify", "--verify-size", *map(str, SIZE)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "parity image features (pooled)" in printed and "max abs diff" in printed
    files = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "preprocessor_config.json", "README.md"} <= files
    assert "tokenizer_config.json" in files or "tokenizer.json" in files
    card = (out / "README.md").read_text()
    assert "license: cc-by-nc-sa-4.0" in card and "apache-2.0" not in card.split("---")[1]
    assert "b2-model-best-epoch-10.tar" in card and "mammo-hf convert mammo-clip" in card
    assert "efficientnet-pytorch 0.7.1" in card and "Research use only" in card
    pre = json.loads((out / "preprocessor_config.json").read_text())
    assert pre["size"] == {"height": 1520, "width": 912} and abs(pre["image_mean"] - 0.3089279) < 1e-9
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mammo-clip-b2")]  # no temp dir left


def _write(path, data):
    path.write_bytes(data)
    return path


def _cli_error(args, capsys):
    code = cli_main(["convert", *args])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    ("make", "flags", "needle"),
    [
        (lambda p: _write(p, b"<!DOCTYPE html><html>quota exceeded</html>"), [], "HTML"),
        (lambda p: _write(p, b"PK\x03\x04" + b"\x00" * 100), [], "download it again"),
        (lambda p: write_mammo_clip_tar(p, "b2"), ["--variant", "b5"], "--variant b5 was requested"),
        (lambda p: write_mam_clip_finetuned(p), [], "mammo-hf convert mam-clip"),
    ],
    ids=["html", "truncated", "wrong-variant", "other-model"],
)
def test_cli_bad_input(tmp_path, capsys, make, flags, needle):
    ckpt = make(tmp_path / "ckpt.tar")
    out = tmp_path / "out"
    code, err = _cli_error(["mammo-clip", "--checkpoint", str(ckpt), "--output-dir", str(out), *flags], capsys)
    assert code == 2
    assert err.startswith("error: ") and needle in err and "\n" not in err and "Traceback" not in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["ckpt.tar"]


def test_cli_extracted_tar_and_unknown_keys(b2_tar, tmp_path, capsys):
    import zipfile

    with zipfile.ZipFile(b2_tar) as zf:
        zf.extractall(tmp_path / "unzipped")
    code, err = _cli_error(
        ["mammo-clip", "--checkpoint", str(tmp_path / "unzipped"), "--output-dir", str(tmp_path / "o")], capsys
    )
    assert code == 2 and "issues/10" in err

    sd = mammo_clip_model_state("b2")
    sd["image_encoder._fc.weight"] = torch.zeros(1, 1408)  # a tensor upstream never had
    odd = write_mammo_clip_tar(tmp_path / "odd.tar", model_state=sd)
    code, err = _cli_error(["mammo-clip", "--checkpoint", str(odd), "--output-dir", str(tmp_path / "o")], capsys)
    assert code == 2 and "image_encoder._fc.weight" in err and "--allow-partial" in err
    code = cli_main(
        ["convert", "mammo-clip", "--checkpoint", str(odd), "--output-dir", str(tmp_path / "o"), "--allow-partial"]
    )
    assert code == 0 and (tmp_path / "o" / "model.safetensors").exists()


def test_verify_says_when_reference_is_missing(b2_tar, tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_effnet(name, *args, **kwargs):
        if name.startswith("efficientnet_pytorch"):
            raise ImportError("No module named 'efficientnet_pytorch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_effnet)
    code = cli_main(
        ["convert", "mammo-clip", "--checkpoint", str(b2_tar), "--output-dir", str(tmp_path / "o"), "--verify"]
    )
    printed = capsys.readouterr().out
    assert code == 0 and "parity NOT checked" in printed and "efficientnet-pytorch is not installed" in printed
    assert "parity NOT checked" in (tmp_path / "o" / "README.md").read_text()


@pytest.mark.slow
def test_b2_full_resolution_parity(tmp_path):
    """B2 at 1520×912, where upstream's static padding differs from dynamic SAME (upstream.md §1.2 table)."""
    tar = write_mammo_clip_tar(tmp_path / "b2.tar", "b2", calib_size=(1520, 912))
    start = time.perf_counter()
    result = conv.convert_checkpoint(tar, tmp_path / "out", verify=True, verify_size=(1520, 912))
    rows = {r.name: r for r in result.parity}
    print("B2 1520x912", {n: (r.max_abs_diff, r.mean_abs_diff) for n, r in rows.items()}, time.perf_counter() - start)
    assert rows["image features (pooled)"].max_abs_diff <= 1e-4
