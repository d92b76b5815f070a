"""Mammo-CLIP: dual-view EfficientNet + BERT, CLIP / multi-view losses, classifier, processor, loading, Grad-CAM."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import tiny_bert_tokenizer, tiny_mammo_clip_config, tiny_pixel_values
from model_checks import assert_all_params_get_grad, calibrate_batchnorm, drop_tensor, reshape_tensor

from mammo_hf import MammoClipConfig, MammoClipForImageClassification, MammoClipModel, MammoClipProcessor
from mammo_hf.models.mammo_clip.dual_view import multi_view_clip_loss, tile_views


def _model(seed=0, cls=MammoClipModel, **overrides):
    torch.manual_seed(seed)
    model = cls(tiny_mammo_clip_config(**overrides))
    pv = tiny_pixel_values(batch=4, seed=99)
    if cls is MammoClipModel:
        return calibrate_batchnorm(model, input_ids=torch.tensor([[2, 5, 3]] * 4), pixel_values=pv)
    return calibrate_batchnorm(model, pv)


def _text(texts=("no mass", "suspicious calcification")):
    return tiny_bert_tokenizer()(list(texts), padding=True, return_tensors="pt")


def test_presets_reproduce_upstream_encoder_settings():
    b5, b2 = MammoClipConfig(), MammoClipConfig.from_preset("b2")
    assert (b5.vision_config.hidden_dim, b5.vision_config.depthwise_padding) == (2048, [13, 27])
    assert (b2.vision_config.hidden_dim, b2.vision_config.depthwise_padding) == (1408, [5, 8, 16])
    for cfg in (b5, b2):
        assert cfg.vision_config.batch_norm_eps == 1e-3 and cfg.vision_config.batch_norm_momentum == 0.01
        assert cfg.text_config.vocab_size == 28996 and cfg.projection_dim == 512
        assert cfg.logit_scale_init_value == pytest.approx(2.65926, abs=1e-5) and cfg.text_pooling == "eos"
    with pytest.raises(ValueError, match="variant"):
        MammoClipConfig.from_preset("v2")
    with pytest.raises(ValueError, match="view_fusion"):
        MammoClipConfig(view_fusion="max")


def test_forward_shapes_loss_and_tuple_output():
    model = _model()
    text = _text()
    out = model(**text, pixel_values=tiny_pixel_values(), return_loss=True)
    assert out.logits_per_image.shape == (2, 2) and out.logits_per_text.shape == (2, 2)
    assert out.image_embeds.shape == (2, 16) and out.per_view_image_embeds.shape == (2, 2, 16)
    torch.testing.assert_close(out.image_embeds.norm(dim=-1), torch.ones(2))
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert model.logit_scale.item() == pytest.approx(2.65926, abs=1e-5)
    tup = model(**text, pixel_values=tiny_pixel_values(), return_dict=False)
    assert isinstance(tup, tuple) and torch.equal(tup[0], out.logits_per_image)
    assert model.text_model.config._attn_implementation == "sdpa"


def test_eos_pooling_reads_sep_and_ignores_padding():
    model = _model()
    tok = tiny_bert_tokenizer()
    short = tok(["no mass"], return_tensors="pt")
    padded = tok(["no mass"], padding="max_length", max_length=12, return_tensors="pt")
    a = model.get_text_features(**short).pooler_output
    b = model.get_text_features(**padded).pooler_output
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    hidden = model.text_model(**short).last_hidden_state
    torch.testing.assert_close(a, model.text_projection(hidden[:, -1]))  # [SEP] is the last token


@pytest.mark.parametrize("fusion", ["tile", "mean", "concat"])
def test_each_view_fusion(fusion):
    pv = tiny_pixel_values()
    clip = _model(view_fusion=fusion)
    out = clip(**_text(), pixel_values=pv)
    assert out.image_embeds.shape == (2, 16) and out.per_view_image_embeds.shape == (2, 2, 16)
    clf = _model(cls=MammoClipForImageClassification, view_fusion=fusion)
    res = clf(pv)
    assert res.logits.shape == (2, 3) and res.per_view_logits.shape == (2, 2, 3)
    if fusion == "mean":
        torch.testing.assert_close(res.per_view_logits.mean(1), res.logits)
    elif fusion == "concat":
        torch.testing.assert_close(res.per_view_logits.sum(1), res.logits)
        assert clf.classifier.in_features == 2 * 128
        # the learned fusion starts as the mean of the views
        per_view = clip.get_image_features(pv)
        torch.testing.assert_close(per_view.pooler_output, per_view.per_view_embeds.mean(1), atol=1e-6, rtol=1e-5)
    else:  # tile == the single-image model on the side-by-side image
        tiled = tile_views(pv)
        torch.testing.assert_close(res.logits, clf(tiled).logits)
        assert clip.get_image_features(tiled).pooler_output.shape == (2, 16)


def test_single_view_rule():
    pv = tiny_pixel_values(views=1)[:, 0]  # (B, 3, H, W)
    out = _model(cls=MammoClipForImageClassification)(pv)
    assert out.per_view_logits.shape == (2, 1, 3)
    with pytest.raises(ValueError, match="concat"):
        _model(cls=MammoClipForImageClassification, view_fusion="concat")(pv)
    with pytest.raises(ValueError, match="pixel_values must have shape"):
        _model(cls=MammoClipForImageClassification)(torch.randn(3, 64, 32))


def test_every_parameter_gets_a_gradient():
    model = _model().train()
    text = _text()
    assert_all_params_get_grad(model, model(**text, pixel_values=tiny_pixel_values(), return_loss=True).loss)
    concat = _model(view_fusion="concat").train()
    assert_all_params_get_grad(concat, concat(**text, pixel_values=tiny_pixel_values(), return_loss=True).loss)
    clf = _model(cls=MammoClipForImageClassification).train()
    assert_all_params_get_grad(clf, clf(tiny_pixel_values(), labels=torch.tensor([0, 2])).loss)


def test_multi_view_loss_matches_the_upstream_formula():
    model = _model(loss_type="multi_view")  # eval: no dropout, so t2 can be recomputed below
    text, pair = _text(), _text(("mass", "no suspicious calcification"))
    out = model(
        **text,
        pixel_values=tiny_pixel_values(),
        pair_input_ids=pair.input_ids,
        pair_attention_mask=pair.attention_mask,
        return_loss=True,
    )
    i1, i2 = out.per_view_image_embeds.unbind(1)
    t1 = out.text_embeds
    t2 = F.normalize(model.get_text_features(**pair).pooler_output, dim=-1)
    s = model.logit_scale.exp()
    ce = lambda m: F.cross_entropy(m, torch.arange(2))  # noqa: E731
    i2t = torch.stack([ce(s * i @ t.t()) for i in (i1, i2) for t in (t1, t2)]).mean()
    t2i = torch.stack([ce(s * t @ i.t()) for i in (i1, i2) for t in (t1, t2)]).mean()
    expected = (i2t + t2i) / 2 + 1.0 * (ce(s * i1 @ i2.t()) + ce(s * i2 @ i1.t())) / 2
    expected = expected + 0.5 * (ce(s * t1 @ t2.t()) + ce(s * t2 @ t1.t())) / 2
    torch.testing.assert_close(out.loss, expected)
    assert torch.isfinite(multi_view_clip_loss([i1], [t1], model.logit_scale))


def test_batch_equivalence():
    model = _model(cls=MammoClipForImageClassification)
    pv = tiny_pixel_values(batch=3)
    batched = model(pv).logits
    single = torch.cat([model(pv[i : i + 1]).logits for i in range(3)])
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=1e-4)
    clip, text = _model(), _text()
    emb = clip.get_text_features(**text).pooler_output
    one = clip.get_text_features(**{k: v[:1] for k, v in text.items()}).pooler_output
    torch.testing.assert_close(emb[:1], one, atol=1e-5, rtol=1e-4)


def test_save_reload_through_auto_classes_is_bit_identical(tmp_path):
    from transformers import AutoConfig, AutoModel, AutoModelForImageClassification

    model, text, pv = _model(), _text(), tiny_pixel_values()
    model.save_pretrained(tmp_path / "clip")
    assert (tmp_path / "clip" / "model.safetensors").exists()
    assert type(AutoConfig.from_pretrained(tmp_path / "clip")) is MammoClipConfig
    reloaded = AutoModel.from_pretrained(tmp_path / "clip").eval()
    assert type(reloaded) is MammoClipModel
    a, b = model(**text, pixel_values=pv), reloaded(**text, pixel_values=pv)
    assert torch.equal(a.logits_per_image, b.logits_per_image) and torch.equal(a.image_embeds, b.image_embeds)

    clf = _model(cls=MammoClipForImageClassification, view_fusion="concat")
    clf.save_pretrained(tmp_path / "clf")
    auto_map = AutoConfig.from_pretrained(tmp_path / "clf").auto_map
    assert {"AutoModel", "AutoModelForImageClassification", "AutoConfig"} <= set(auto_map)
    again = AutoModelForImageClassification.from_pretrained(tmp_path / "clf").eval()
    assert torch.equal(clf(pv).logits, again(pv).logits)


def test_missing_or_mismatched_tensor_fails_loudly(tmp_path):
    _model().save_pretrained(tmp_path / "a")
    name = drop_tensor(tmp_path / "a", "visual_projection.bias")
    with pytest.raises(ValueError, match="missing tensors.*visual_projection.bias"):
        MammoClipModel.from_pretrained(tmp_path / "a")
    assert MammoClipModel.from_pretrained(tmp_path / "a", strict=False) is not None  # explicit opt-out
    _model().save_pretrained(tmp_path / "b")
    reshape_tensor(tmp_path / "b", "text_projection.weight")
    with pytest.raises(Exception, match="(?i)size|shape|mismatch"):
        MammoClipModel.from_pretrained(tmp_path / "b")
    assert name == "visual_projection.bias"


def test_classifier_from_clip_checkpoint_initialises_only_the_head(tmp_path):
    clip = _model()
    clip.save_pretrained(tmp_path)
    clf, info = MammoClipForImageClassification.from_pretrained(tmp_path, output_loading_info=True)
    assert set(info["missing_keys"]) == {"classifier.weight", "classifier.bias"}
    for key, value in clip.vision_model.state_dict().items():
        assert torch.equal(clf.vision_model.state_dict()[key], value), key


def test_gradient_checkpointing_gives_the_same_loss_and_grads():
    pv, labels = tiny_pixel_values(), torch.tensor([1, 2])
    cfg = dict(cls=MammoClipForImageClassification, classifier_dropout=0.0)
    ref, ckpt = _model(**cfg).train(), _model(**cfg).train()
    ckpt.activation_checkpointing_enable()
    for model in (ref, ckpt):
        for m in model.modules():  # deterministic: no dropout; BN uses batch statistics either way
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
    loss_ref, loss_ckpt = ref(pv, labels=labels).loss, ckpt(pv, labels=labels).loss
    loss_ref.backward()
    loss_ckpt.backward()
    torch.testing.assert_close(loss_ref, loss_ckpt)
    torch.testing.assert_close(ref.classifier.weight.grad, ckpt.classifier.weight.grad)
    stem = "vision_model.embeddings.convolution.weight"
    torch.testing.assert_close(dict(ref.named_parameters())[stem].grad, dict(ckpt.named_parameters())[stem].grad)


def test_zero_shot_with_default_prompts():
    model, tok = _model(), tiny_bert_tokenizer()
    probs = model.zero_shot(tiny_pixel_values(), tokenizer=tok, per_view=True)
    assert set(probs) >= {"mass", "malignancy", "density", "mass/per_view"}
    assert probs["mass"].shape == (2, 2) and probs["density"].shape == (2, 4)
    assert probs["mass/per_view"].shape == (2, 2, 2)
    torch.testing.assert_close(probs["density"].sum(-1), torch.ones(2))
    with pytest.raises(ValueError, match="tokenizer"):
        model.zero_shot(tiny_pixel_values())


def test_grad_cam_per_view_and_mapping_to_the_original():
    model = _model(cls=MammoClipForImageClassification)
    out = model.get_cam(
        tiny_pixel_values(),
        target=1,
        crop_boxes=[[(10, 5, 74, 37), None]] * 2,
        original_sizes=[[(100, 60), (64, 32)]] * 2,
        flipped=[[True, False]] * 2,
    )
    assert out.cams.shape == (2, 2, 64, 32) and out.targets.tolist() == [1, 1]
    assert 0.0 <= out.cams.min() and out.cams.max() <= 1.0
    full = out.original_cams[0][0]
    assert full.shape == (100, 60) and full[:10].abs().sum() == 0 and full[74:].abs().sum() == 0
    torch.testing.assert_close(out.original_cams[0][1], out.cams[0, 1])
    tile = _model(cls=MammoClipForImageClassification, view_fusion="tile").get_cam(tiny_pixel_values())
    assert tile.cams.shape == (2, 2, 64, 32)


def test_processor_round_trip(tmp_path):
    import numpy as np
    from transformers import AutoProcessor

    from mammo_hf import MammoImageProcessor

    processor = MammoClipProcessor(
        MammoImageProcessor.from_preset("mammo_clip", size={"height": 64, "width": 32}), tiny_bert_tokenizer()
    )
    image = np.random.default_rng(0).integers(0, 4096, (120, 80), dtype=np.uint16)
    batch = processor(images=[{"CC": image, "MLO": image}], text=["No mass"], return_tensors="pt")
    assert batch["pixel_values"].shape == (1, 2, 3, 64, 32) and batch["input_ids"].tolist() == [[2, 5, 6, 3]]
    processor.save_pretrained(tmp_path)
    again = AutoProcessor.from_pretrained(tmp_path)
    assert type(again) is MammoClipProcessor
    batch2 = again(images=[{"CC": image, "MLO": image}], text=["No mass"], return_tensors="pt")
    assert all(torch.equal(batch[k], batch2[k]) for k in batch)
    assert again.image_processor.image_mean == pytest.approx(0.3089279)
    out = _model()(**batch2)
    assert out.logits_per_image.shape == (1, 1)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["b2", "b5"])
def test_real_size_presets_run_at_native_resolution(variant):
    torch.manual_seed(0)
    config = MammoClipConfig.from_preset(variant, text_config=dict(vocab_size=28996, num_hidden_layers=1))
    model = MammoClipModel(config).eval()
    with torch.inference_mode():
        out = model.get_image_features(torch.randn(1, 2, 3, 1520, 912))
    assert out.pooler_output.shape == (1, 512)
    assert out.last_hidden_state.shape == (2, config.vision_config.hidden_dim, 48, 29)  # upstream §1.2 table
