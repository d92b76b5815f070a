"""MAM-CLIP converter: key map coverage, parity with timm ConvNeXt / BertModel, CLI, bad input."""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("timm")

from upstream_layout import (  # noqa: E402
    mam_clip_vlmodel_state,
    write_mam_clip_ckpt,
    write_mam_clip_finetuned,
    write_mammo_clip_downstream,
)

from mammo_hf.cli import main as cli_main  # noqa: E402
from mammo_hf.models._checkpoint_io import CheckpointKeyError  # noqa: E402
from mammo_hf.models.mam_clip import convert_mam_clip_original_to_hf as conv  # noqa: E402

SIZE = (128, 96)


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory):
    return write_mam_clip_ckpt(tmp_path_factory.mktemp("mam") / "pretrain_convnext_tiny.ckpt")


@pytest.fixture(scope="module")
def ftune_path(tmp_path_factory):
    return write_mam_clip_finetuned(tmp_path_factory.mktemp("mamft") / "convnext_tiny_ftune.pth")


def test_key_map_covers_every_upstream_tensor():
    sd = mam_clip_vlmodel_state()
    assert sum(k.startswith("VLModel.vision_encoder.") for k in sd) == 182  # upstream.md §3.4: tiny vision 182
    dropped = []
    out = conv.convert_state_dict(sd, dropped=dropped)
    assert len(out) + len(dropped) == len(sd)
    assert sorted(dropped) == sorted(
        ["VLModel.positional_embedding", "VLModel.ln_final.weight", "VLModel.ln_final.bias",
         "VLModel.text_encoder.pooler.dense.weight", "VLModel.text_encoder.pooler.dense.bias"]
    )  # fmt: skip
    # x @ W upstream == Linear with weight W.T
    assert torch.equal(out["text_projection.weight"], sd["VLModel.text_projection"].T)
    assert torch.equal(out["mlm_head.weight"], sd["VLModel.mlm_projection"].T)
    from mammo_hf import MamClipModel

    config = conv.build_config(sd, "convnext_tiny", "pretraining")
    assert config.use_mlm_head and not config.text_use_attention_mask and config.mlm_vocab_size == 120
    assert set(out) == set(MamClipModel(config).state_dict())
    with pytest.raises(CheckpointKeyError, match="not part of a MAM-CLIP"):
        conv.convert_state_dict({**sd, "VLModel.extra_head.weight": torch.zeros(1)})


def test_detect_variant_small_from_depths():
    import timm

    small = timm.create_model("convnext_small", pretrained=False)
    small.head.fc = torch.nn.Linear(768, 768)
    sd = {f"vision_encoder.{k}": v for k, v in small.state_dict().items()}
    assert conv.detect_variant(sd) == "convnext_small"
    sd = {k: v for k, v in sd.items() if ".blocks.26." not in k}
    with pytest.raises(CheckpointKeyError, match="matches no released MAM-CLIP variant"):
        conv.detect_variant(sd)


def test_pretraining_ckpt_parity_and_reload(ckpt_path, tmp_path):
    result = conv.convert_checkpoint(ckpt_path, tmp_path / "out", verify=True, verify_size=SIZE)
    rows = {r.name: r for r in result.parity}
    print({n: (r.max_abs_diff, r.mean_abs_diff) for n, r in rows.items()})
    assert rows["image embedding (head.fc)"].max_abs_diff <= 1e-5
    assert rows["text embedding ([CLS], projected)"].max_abs_diff <= 1e-4
    from mammo_hf import MamClipModel

    model = MamClipModel.from_pretrained(tmp_path / "out").eval()
    ref = conv.build_reference_image_encoder(
        "convnext_tiny", conv.extract_model_state_dict(conv.load_original_checkpoint(ckpt_path))
    )
    x = torch.rand(2, 3, *SIZE)
    with torch.no_grad():
        assert (model.get_image_features(pixel_values=x).pooler_output - ref(x)).abs().max() <= 1e-5
    card = (tmp_path / "out" / "README.md").read_text()
    assert "license: mit" in card and "pretrain_convnext_tiny.ckpt" in card and "arxiv:2605.19359" in card


def test_finetuned_parity(ftune_path, tmp_path):
    result = conv.convert_checkpoint(ftune_path, tmp_path / "out", verify=True, verify_size=SIZE)
    assert result.kind == "classification" and result.registry_name == "mam_clip_convnext_tiny.mammosightr_ft"
    assert {r.name for r in result.parity} == {"image embedding (head.fc)", "BI-RADS logits", "density logits"}
    assert all(r.max_abs_diff <= 1e-5 for r in result.parity)
    cfg = json.loads((tmp_path / "out" / "config.json").read_text())
    assert cfg["num_density_labels"] == 4 and len(cfg["id2label"]) == 5
    assert "CC BY-NC 4.0" in (tmp_path / "out" / "README.md").read_text()  # MammosighTR data licence note


def test_cli_wrong_variant_and_other_model(ftune_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli_main(
        ["convert", "mam-clip", "--checkpoint", str(ftune_path), "--output-dir", str(out), "--variant", "small"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--variant small was requested" in err and "\n" not in err and not out.exists()
    pth = write_mammo_clip_downstream(tmp_path / "mammo.pth", "b2")
    code = cli_main(["convert", "mam-clip", "--checkpoint", str(pth), "--output-dir", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "mammo-hf convert mammo-clip" in err and not out.exists()


def test_cli_verify_prints_figures(ftune_path, tmp_path, capsys):
    code = cli_main(
        ["convert", "mam-clip", "--checkpoint", str(ftune_path), "--output-dir", str(tmp_path / "o"), "--verify",
         "--verify-size", *map(str, SIZE)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "parity BI-RADS logits" in printed and "vs timm convnext_tiny" in printed
