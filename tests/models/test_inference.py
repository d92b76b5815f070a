"""Host-aware fast inference: bf16 only with native bf16, channels_last, compiled path equal to eager."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_mammo_efficientnet_config, tiny_pixel_values

from mammo_hf import MammoEfficientNetForImageClassification
from mammo_hf import inference as inf


def test_bf16_is_chosen_only_with_native_bf16(monkeypatch):
    assert inf.has_native_bf16(frozenset({"avx2", "fma"})) is False
    assert inf.has_native_bf16(frozenset({"avx512f", "avx512_bf16"})) is True
    assert inf.has_native_bf16(frozenset({"amx_bf16"})) is True
    monkeypatch.setattr(inf, "has_native_bf16", lambda flags=None: False)
    plan = inf.choose_inference_plan("cpu")
    assert (plan.dtype, plan.channels_last, plan.compile) == ("float32", True, False)
    assert "without native bf16" in plan.reason
    monkeypatch.setattr(inf, "has_native_bf16", lambda flags=None: True)
    assert inf.choose_inference_plan("cpu", compile=True).dtype == "bfloat16"


def test_optimized_model_matches_eager_fp32():
    torch.manual_seed(0)
    model = MammoEfficientNetForImageClassification(tiny_mammo_efficientnet_config()).eval()
    x = tiny_pixel_values()
    with torch.inference_mode():
        reference = model(pixel_values=x).logits
    plan = inf.InferencePlan(device="cpu", dtype="float32", channels_last=True, compile=False)
    fast, used = inf.optimize_for_inference(model, plan)
    assert used is plan and not fast.training
    conv = next(m for m in fast.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        torch.testing.assert_close(fast(pixel_values=x).logits, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_compiled_path_with_freezing_matches_eager():
    torch.manual_seed(0)
    model = MammoEfficientNetForImageClassification(tiny_mammo_efficientnet_config()).eval()
    x = tiny_pixel_values()
    with torch.inference_mode():
        reference = model(pixel_values=x).logits
        fast, _ = inf.optimize_for_inference(model, inf.InferencePlan(compile=True))
        torch.testing.assert_close(fast(pixel_values=x).logits, reference, rtol=1e-4, atol=1e-5)
