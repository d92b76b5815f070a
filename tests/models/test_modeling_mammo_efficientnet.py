"""The timm CNN baseline: dual-view fusion modes, gradients, reload, timm weights from a local file, checkpointing."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_mammo_efficientnet_config, tiny_pixel_values
from model_checks import assert_all_params_get_grad, drop_tensor

from mammo_hf import MammoEfficientNetConfig, MammoEfficientNetForImageClassification


def _model(seed=0, **overrides):
    torch.manual_seed(seed)
    return MammoEfficientNetForImageClassification(tiny_mammo_efficientnet_config(**overrides)).eval()


def _pv(batch=2):
    return tiny_pixel_values(batch=batch, height=64, width=48)


def test_config_validation():
    assert MammoEfficientNetConfig().backbone == "efficientnet_b4"
    with pytest.raises(ValueError, match="backbone_kwargs"):
        MammoEfficientNetConfig(backbone_kwargs={"pretrained": True})
    with pytest.raises(ValueError, match="view_fusion"):
        MammoEfficientNetConfig(view_fusion="sum")


@pytest.mark.parametrize("fusion", ["tile", "mean", "concat"])
def test_fusion_shapes_and_gradients(fusion):
    model = _model(view_fusion=fusion)
    out = model(_pv(), labels=torch.tensor([0, 1]))
    assert out.logits.shape == (2, 2) and out.per_view_logits.shape == (2, 2, 2)
    if fusion == "tile":
        assert out.last_hidden_state.shape[0] == 2  # one tiled image per sample
        from mammo_hf.models.mammo_efficientnet.dual_view import tile_views

        torch.testing.assert_close(model(tile_views(_pv())).logits, out.logits)  # == single-image model
    else:
        assert out.last_hidden_state.shape[0] == 4
    model.train()
    assert_all_params_get_grad(model, model(_pv(), labels=torch.tensor([0, 1])).loss)
    assert isinstance(model.eval()(_pv(), return_dict=False), tuple)


def test_batch_equivalence_and_bit_identical_reload(tmp_path):
    from transformers import AutoModel, AutoModelForImageClassification

    model, pv = _model(view_fusion="mean"), _pv(3)
    torch.testing.assert_close(
        model(pv).logits, torch.cat([model(pv[i : i + 1]).logits for i in range(3)]), atol=1e-5, rtol=1e-4
    )
    model.save_pretrained(tmp_path)
    for auto in (AutoModel, AutoModelForImageClassification):
        again = auto.from_pretrained(tmp_path).eval()
        assert type(again) is MammoEfficientNetForImageClassification
        assert torch.equal(model(pv).logits, again(pv).logits)
    drop_tensor(tmp_path, "timm_model.conv_stem")
    with pytest.raises(ValueError, match="conv_stem"):
        MammoEfficientNetForImageClassification.from_pretrained(tmp_path)


def test_from_timm_pretrained_local_file(tmp_path):
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(1)
    source = timm.create_model("test_efficientnet", pretrained=False, num_classes=7)
    save_file({f"module.{k}": v.contiguous() for k, v in source.state_dict().items()}, tmp_path / "w.safetensors")
    model = MammoEfficientNetForImageClassification.from_timm_pretrained(
        tiny_mammo_efficientnet_config(), str(tmp_path / "w.safetensors")
    )
    assert torch.equal(model.timm_model.conv_stem.weight, source.conv_stem.weight)
    partial = {k: v for k, v in source.state_dict().items() if "conv_stem" not in k}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(ValueError, match="lacks backbone tensors"):
        MammoEfficientNetForImageClassification.from_timm_pretrained(
            tiny_mammo_efficientnet_config(), str(tmp_path / "partial.pth")
        )


def test_gradient_checkpointing_and_grad_cam():
    model = _model(view_fusion="mean", classifier_dropout=0.0).train()
    model.activation_checkpointing_enable()
    assert model.timm_model.grad_checkpointing
    assert_all_params_get_grad(model, model(_pv(), labels=torch.tensor([1, 0])).loss)
    cam = model.eval().get_cam(_pv(), original_sizes=[[(80, 60)] * 2] * 2, crop_boxes=[[(0, 0, 64, 48)] * 2] * 2)
    assert cam.cams.shape == (2, 2, 64, 48) and cam.original_cams[1][1].shape == (80, 60)


@pytest.mark.slow
def test_efficientnet_b4_dual_view_at_native_resolution():
    import timm

    size = timm.create_model("efficientnet_b4", pretrained=False).pretrained_cfg["input_size"][1:]
    model = MammoEfficientNetForImageClassification(MammoEfficientNetConfig(num_labels=2)).eval()
    with torch.inference_mode():
        out = model(torch.randn(1, 2, 3, *size))
    assert out.logits.shape == (1, 2) and out.last_hidden_state.shape[1] == 1792
