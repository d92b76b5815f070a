"""MammoImageProcessor: input structures, 16-bit handling, presets, geometry, save/load and remote code."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
import torch
from conftest import make_uint16_breast, run_without_mammo_hf
from PIL import Image

from mammo_hf import MammoImageProcessor
from mammo_hf.image_processing_mammo import PRESETS
from mammo_hf.imaging.image import MammoImage

SIZE = {"height": 48, "width": 32}


@pytest.fixture
def processor() -> MammoImageProcessor:
    return MammoImageProcessor(size=SIZE)


def test_input_structures_give_batch_views_channels_h_w(processor):
    cc, mlo = make_uint16_breast(seed=1), make_uint16_breast(seed=2)
    assert processor(cc)["pixel_values"].shape == (1, 1, 3, 48, 32)
    assert processor((cc, mlo))["pixel_values"].shape == (1, 2, 3, 48, 32)
    assert processor({"CC": cc, "MLO": mlo})["pixel_values"].shape == (1, 2, 3, 48, 32)
    assert processor([{"cc": cc, "mlo": mlo}] * 3)["pixel_values"].shape == (3, 2, 3, 48, 32)
    assert processor([cc, mlo])["pixel_values"].shape == (2, 1, 3, 48, 32)  # a list is a batch of single views


def test_dict_and_tuple_agree_and_view_order_is_cc_then_mlo(processor):
    cc, mlo = make_uint16_breast(seed=1), make_uint16_breast(seed=2)
    by_dict = processor({"MLO": mlo, "CC": cc})["pixel_values"]
    by_tuple = processor((cc, mlo))["pixel_values"]
    assert torch.equal(by_dict, by_tuple)
    assert torch.equal(by_dict[0, 0], processor(cc)["pixel_values"][0, 0])
    assert not torch.equal(by_dict[0, 0], by_dict[0, 1])


def test_every_image_type_gives_the_same_tensor(tmp_path, processor):
    arr = make_uint16_breast(seed=3)
    png = tmp_path / "view.png"
    Image.fromarray(arr).save(png)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    reference = processor(arr)["pixel_values"]
    inputs = [
        Image.fromarray(arr),  # PIL I;16
        torch.from_numpy(arr.astype(np.int32)),
        MammoImage(pixels=arr),
        str(png),
        png,
        buf.getvalue(),
    ]
    for image in inputs:
        # paths and bytes go through read_image (min-max to [0, 1] float32 first): equal up to float rounding
        assert torch.allclose(processor(image)["pixel_values"], reference, atol=1e-5), type(image)


def test_16_bit_range_is_kept_not_clipped_to_8_bit():
    arr = np.zeros((40, 40), np.uint16)
    arr[:, :20] = 1000
    arr[:, 20:] = 60000
    p = MammoImageProcessor(
        size={"height": 40, "width": 40},
        do_crop=False,
        do_flip=False,
        do_minmax=False,
        do_normalize=False,
        num_channels=1,
    )
    out = p(arr, return_tensors="np")["pixel_values"][0, 0, 0]
    assert out[:, :10].mean() == pytest.approx(1000 / 65535, rel=1e-4)
    assert out[:, 30:].mean() == pytest.approx(60000 / 65535, rel=1e-4)
    p8 = MammoImageProcessor(
        size={"height": 40, "width": 40}, do_crop=False, do_flip=False, do_minmax=False, do_normalize=False
    )
    out8 = p8(np.full((40, 40), 255, np.uint8), return_tensors="np")["pixel_values"]
    assert out8.max() == pytest.approx(1.0)


def test_minmax_then_scalar_normalisation_matches_formula():
    arr = np.tile(np.linspace(0, 4095, 64, dtype=np.float32), (64, 1)).astype(np.uint16)
    p = MammoImageProcessor.from_preset("mammo_clip", size={"height": 64, "width": 64}, do_crop=False, do_flip=False)
    out = p(arr, return_tensors="np")["pixel_values"][0, 0]
    mean, std = PRESETS["mammo_clip"]["image_mean"], PRESETS["mammo_clip"]["image_std"]
    assert out.min() == pytest.approx((0 - mean) / std, abs=1e-5)
    assert out.max() == pytest.approx((1 - mean) / std, abs=1e-5)
    assert np.array_equal(out[0], out[1]) and np.array_equal(out[1], out[2])  # gray replicated to 3 channels


def test_presets_reproduce_each_family_contract():
    clip = MammoImageProcessor.from_preset("mammo_clip")
    assert clip.size == {"height": 1520, "width": 912} and clip.resample == "box"
    assert (clip.image_mean, clip.image_std) == (0.3089279, 0.25053555408335154)
    mam = MammoImageProcessor.from_preset("mam_clip")
    assert mam.size == {"height": 1024, "width": 768} and mam.do_minmax and not mam.do_normalize
    out = mam(make_uint16_breast(), size={"height": 32, "width": 24}, return_tensors="np")["pixel_values"]
    assert out.min() >= 0.0 and out.max() <= 1.0 and out.max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown preset"):
        MammoImageProcessor.from_preset("resnet")


def test_crop_and_flip_to_canonical_side_with_geometry(processor):
    left = make_uint16_breast(96, 64, side="L", seed=4)
    right = np.ascontiguousarray(left[:, ::-1])
    out = processor((left, right), return_geometry=True, return_tensors="np")
    assert out["flipped"].tolist() == [[False, True]]
    np.testing.assert_allclose(out["pixel_values"][0, 0], out["pixel_values"][0, 1], atol=1e-5)
    top, left_col, bottom, right_col = out["crop_boxes"][0, 0]
    assert left_col == 0 and right_col < 64 and bottom - top < 96  # cropped to the breast, chest wall at x=0
    assert out["original_sizes"].tolist() == [[[96, 64], [96, 64]]]
    # the flipped view's crop box is in its own (unflipped) coordinates: chest wall on the right
    assert out["crop_boxes"][0, 1][3] == 64


def test_heatmap_maps_back_through_crop_and_flip(processor):
    right = np.ascontiguousarray(make_uint16_breast(96, 64, side="L", seed=5)[:, ::-1])
    out = processor(right, return_geometry=True, return_tensors="np")
    heat = np.zeros((48, 32), np.float32)
    heat[:, :4] = 1.0  # chest-wall edge of the processed (flipped) view
    geometry = out["original_sizes"][0, 0], out["crop_boxes"][0, 0], out["flipped"][0, 0]
    mapped = processor.map_to_original(heat, *geometry)
    assert mapped.shape == (96, 64)
    cols = mapped.sum(axis=0)
    assert cols[-4:].sum() > 0 and cols[:4].sum() == 0  # it lands on the original's chest wall (right side)


def test_overrides_per_call_and_bad_arguments(processor):
    arr = make_uint16_breast()
    assert processor(arr, size={"height": 20, "width": 10})["pixel_values"].shape[-2:] == (20, 10)
    with pytest.raises(ValueError, match="missing view"):
        processor({"CC": arr})
    with pytest.raises(ValueError, match="one image per view"):
        processor((arr, arr, arr))
    with pytest.raises(ValueError, match="2-D"):
        processor(np.zeros((0, 5), np.uint16))
    with pytest.raises(ValueError, match="unsupported input type"):
        processor([{"CC": arr, "MLO": arr}, 3])
    with pytest.raises(TypeError, match="unexpected keyword"):
        processor(arr, sizes=3)
    with pytest.raises(ValueError, match="resample"):
        MammoImageProcessor(resample="cubic-ish")
    with pytest.raises(ValueError, match="scalar"):
        MammoImageProcessor(image_mean=[0.1, 0.2, 0.3])


def test_constant_image_does_not_divide_by_zero(processor):
    out = processor(np.full((30, 20), 7, np.uint16), return_tensors="np")["pixel_values"]
    assert np.isfinite(out).all()


def test_save_and_reload_is_exact(tmp_path, processor):
    processor.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "preprocessor_config.json").read_text())
    assert saved["image_processor_type"] == "MammoImageProcessor"
    assert saved["auto_map"]["AutoImageProcessor"] == "image_processing_mammo.MammoImageProcessor"
    assert {"image_processing_mammo.py", "mammo_pixels.py"} <= set(os.listdir(tmp_path))
    reloaded = MammoImageProcessor.from_pretrained(tmp_path)
    assert reloaded.to_dict() == processor.to_dict()
    arr = make_uint16_breast(seed=9)
    assert torch.equal(reloaded((arr, arr))["pixel_values"], processor((arr, arr))["pixel_values"])


def test_auto_image_processor_resolves_our_class_after_import(tmp_path):
    from transformers import AutoImageProcessor

    MammoImageProcessor.from_preset("mam_clip").save_pretrained(tmp_path)
    loaded = AutoImageProcessor.from_pretrained(tmp_path)  # no trust_remote_code: the package's class is used
    assert type(loaded) is MammoImageProcessor
    loaded_dict = {k: v for k, v in loaded.to_dict().items() if k != "auto_map"}  # auto_map is added on save
    assert loaded_dict == MammoImageProcessor.from_preset("mam_clip").to_dict()


def test_remote_code_loads_without_mammo_hf(tmp_path, processor):
    """A user without mammo-hf installed loads the processor through trust_remote_code and gets the same tensor."""
    save_dir = tmp_path / "proc"
    processor.save_pretrained(save_dir)
    arr = make_uint16_breast(seed=11)
    np.save(tmp_path / "x.npy", arr)
    expected = processor((arr, arr), return_tensors="np")["pixel_values"]
    np.save(tmp_path / "expected.npy", expected)
    result = run_without_mammo_hf(
        f"""
        import numpy as np
        from transformers import AutoImageProcessor
        p = AutoImageProcessor.from_pretrained({str(save_dir)!r}, trust_remote_code=True)
        assert type(p).__module__.startswith("transformers_modules"), type(p).__module__
        x = np.load({str(tmp_path / "x.npy")!r})
        out = p((x, x), return_tensors="np")["pixel_values"]
        assert np.array_equal(out, np.load({str(tmp_path / "expected.npy")!r}))
        print("REMOTE-OK")
        """,
        cwd=tmp_path,
    )
    assert "REMOTE-OK" in result.stdout, result.stderr[-3000:]
