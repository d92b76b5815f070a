"""MAM-CLIP: dual-view ConvNeXt + BERT, [CLS] pooling, upstream no-mask mode, fusion/MLM pretraining, heads."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_bert_tokenizer, tiny_mam_clip_config, tiny_pixel_values
from model_checks import assert_all_params_get_grad, drop_tensor

from mammo_hf import MamClipConfig, MamClipForImageClassification, MamClipModel, MamClipProcessor


def _model(seed=0, cls=MamClipModel, **overrides):
    torch.manual_seed(seed)
    return cls(tiny_mam_clip_config(**overrides)).eval()


def _pv(batch=2):
    return tiny_pixel_values(batch=batch, height=64, width=48)


def test_presets():
    tiny, small = MamClipConfig.from_preset("tiny"), MamClipConfig.from_preset("small")
    assert tiny.vision_config.depths == [3, 3, 9, 3] and small.vision_config.depths == [3, 3, 27, 3]
    assert tiny.vision_config.layer_norm_eps == 1e-6 and tiny.text_config.vocab_size == 30522
    assert (tiny.num_labels, tiny.num_density_labels, tiny.projection_dim) == (5, 4, 768)
    with pytest.raises(ValueError, match="projection_dim"):
        MamClipConfig(projection_dim=512, use_mlm_head=True)


def test_forward_and_bias_free_text_projection():
    model = _model()
    tok = tiny_bert_tokenizer()(["no mass", "bi-rads 4"], padding=True, return_tensors="pt")
    out = model(**tok, pixel_values=_pv(), return_loss=True)
    assert out.logits_per_image.shape == (2, 2) and out.per_view_image_embeds.shape == (2, 2, 16)
    assert model.text_projection.bias is None and model.visual_projection.bias is not None
    assert out.mlm_logits is None and torch.isfinite(out.loss)
    hidden = model.text_model(**tok).last_hidden_state
    torch.testing.assert_close(model.get_text_features(**tok).pooler_output, model.text_projection(hidden[:, 0]))
    assert isinstance(model(**tok, pixel_values=_pv(), return_dict=False), tuple)


def test_upstream_no_mask_mode_depends_on_padding_and_default_does_not():
    tok = tiny_bert_tokenizer()
    short = tok(["no mass"], return_tensors="pt")
    long = tok(["no mass"], padding="max_length", max_length=20, return_tensors="pt")
    masked, upstream = _model(), _model(text_use_attention_mask=False)
    torch.testing.assert_close(
        masked.get_text_features(**short).pooler_output,
        masked.get_text_features(**long).pooler_output,
        atol=1e-5,
        rtol=1e-5,
    )
    a = upstream.get_text_features(**short).pooler_output
    b = upstream.get_text_features(**long).pooler_output
    assert not torch.allclose(a, b, atol=1e-4)  # pad tokens are attended, exactly as upstream


def test_mlm_pretraining_loss_and_gradients():
    model = _model(use_mlm_head=True).train()
    tok = tiny_bert_tokenizer()(["no mass", "bi-rads 4 suspicious"], padding=True, return_tensors="pt")
    labels = tok.input_ids.clone()
    labels[tok.attention_mask == 0] = -100
    out = model(**tok, pixel_values=_pv(), mlm_labels=labels, return_loss=True)
    assert out.mlm_logits.shape == (*tok.input_ids.shape, 99)
    torch.testing.assert_close(out.loss, out.contrastive_loss + 0.5 * out.mlm_loss)
    assert_all_params_get_grad(model, out.loss)
    with pytest.raises(ValueError, match="use_mlm_head"):
        _model()(**tok, pixel_values=_pv(), mlm_labels=labels)


@pytest.mark.parametrize("fusion", ["tile", "mean", "concat"])
def test_heads_and_view_fusion(fusion):
    model = _model(cls=MamClipForImageClassification, view_fusion=fusion)
    out = model(_pv(), labels=torch.tensor([0, 4]), density_labels=torch.tensor([1, 3]))
    assert out.logits.shape == (2, 5) and out.density_logits.shape == (2, 4)
    assert out.per_view_logits.shape == (2, 2, 5) and out.per_view_density_logits.shape == (2, 2, 4)
    if fusion == "mean":
        torch.testing.assert_close(out.per_view_logits.mean(1), out.logits)
    if fusion == "concat":
        torch.testing.assert_close(out.per_view_density_logits.sum(1), out.density_logits)
    model.train()
    assert_all_params_get_grad(
        model, model(_pv(), labels=torch.tensor([0, 4]), density_labels=torch.tensor([1, 3])).loss
    )
    cam = model.eval().get_cam(_pv(), head="density")
    assert cam.cams.shape == (2, 2, 64, 48)


def test_batch_equivalence_and_save_reload(tmp_path):
    from transformers import AutoModel, AutoModelForImageClassification

    model = _model(cls=MamClipForImageClassification)
    pv = _pv(3)
    torch.testing.assert_close(
        model(pv).logits, torch.cat([model(pv[i : i + 1]).logits for i in range(3)]), atol=1e-5, rtol=1e-4
    )
    model.save_pretrained(tmp_path / "clf")
    again = AutoModelForImageClassification.from_pretrained(tmp_path / "clf").eval()
    assert torch.equal(model(pv).density_logits, again(pv).density_logits)
    clip = _model(use_mlm_head=True)
    clip.save_pretrained(tmp_path / "clip")
    tok = tiny_bert_tokenizer()(["no mass"], return_tensors="pt")
    reloaded = AutoModel.from_pretrained(tmp_path / "clip").eval()
    assert type(reloaded) is MamClipModel
    assert torch.equal(
        clip(**tok, pixel_values=pv).logits_per_image, reloaded(**tok, pixel_values=pv).logits_per_image
    )
    drop_tensor(tmp_path / "clf", "density_classifier.weight")
    with pytest.raises(ValueError, match="density_classifier.weight"):
        AutoModelForImageClassification.from_pretrained(tmp_path / "clf")


def test_processor_pads_to_100_and_round_trips(tmp_path):
    import numpy as np
    from transformers import AutoProcessor

    from mammo_hf import MammoImageProcessor

    proc = MamClipProcessor(
        MammoImageProcessor.from_preset("mam_clip", size={"height": 64, "width": 48}), tiny_bert_tokenizer()
    )
    image = np.random.default_rng(1).integers(0, 65535, (90, 70), dtype=np.uint16)
    batch = proc(images=(image, image), text="no mass", return_tensors="pt")
    assert batch["input_ids"].shape == (1, 100) and batch["pixel_values"].shape == (1, 2, 3, 64, 48)
    assert (
        0.0 <= float(batch["pixel_values"].min()) and float(batch["pixel_values"].max()) <= 1.0 + 1e-6
    )  # min-max only
    proc.save_pretrained(tmp_path)
    again = AutoProcessor.from_pretrained(tmp_path)
    assert type(again) is MamClipProcessor
    assert all(
        torch.equal(batch[k], again(images=(image, image), text="no mass", return_tensors="pt")[k]) for k in batch
    )
    probs = _model().zero_shot(batch["pixel_values"], tokenizer=again)
    assert probs["birads"].shape == (1, 5)


@pytest.mark.slow
def test_convnext_tiny_preset_runs_at_native_resolution():
    torch.manual_seed(0)
    config = MamClipConfig.from_preset("tiny", text_config=dict(num_hidden_layers=1))
    model = MamClipForImageClassification(config).eval()
    with torch.inference_mode():
        out = model(torch.randn(1, 2, 3, 1024, 768))
    assert out.logits.shape == (1, 5) and out.density_logits.shape == (1, 4)
