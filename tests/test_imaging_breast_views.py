"""Breast crop (original-coordinate boxes), laterality, canonical flip, view normalisation, pairing and tiling."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_uint16_breast

from mammo_hf import mammo_pixels as mp
from mammo_hf.imaging import (
    MammoImage,
    chest_wall_side,
    crop_breast,
    detect_laterality,
    normalize_view,
    pair_views,
    read_image,
    tile_views,
    to_canonical_side,
)


def _image(side="L") -> MammoImage:
    return read_image(make_uint16_breast(96, 64, side=side))


def test_crop_box_is_in_original_coordinates_and_contains_the_breast():
    img = _image("R")
    out = crop_breast(img, margin=0)
    top, left, bottom, right = out.crop_box
    np.testing.assert_array_equal(out.pixels, img.pixels[top:bottom, left:right])
    assert out.original_shape == (96, 64) and out.steps[-1] == f"crop:{out.crop_box}"
    mask = img.pixels > 0.3
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    assert top <= rows[0] + 2 and bottom >= rows[-1] - 1 and left <= cols[0] + 2 and right >= cols[-1] - 1
    assert right == 64  # chest wall on the right edge stays in the crop
    assert out.pixels.size < 0.8 * img.pixels.size


def test_crop_drops_a_detached_marker():
    arr = make_uint16_breast(96, 64, side="L").copy()
    arr[2:8, 54:62] = 60000  # a film label far from the breast
    out = crop_breast(read_image(arr), margin=0)
    assert out.crop_box[3] < 54


def test_crop_and_flip_compose_in_any_order():
    img = _image("R")
    a = to_canonical_side(crop_breast(img, margin=0.02), "L")
    b = crop_breast(to_canonical_side(img, "L"), margin=0.02)
    for out in (a, b):
        assert out.flipped and chest_wall_side(out) == "L"
        # invariant: pixels == flip(crop(original, crop_box))
        top, left, bottom, right = out.crop_box
        np.testing.assert_array_equal(out.pixels, mp.flip_horizontal(img.pixels[top:bottom, left:right]))
    # a second crop composes with the first
    c = crop_breast(crop_breast(img, margin=0.05), margin=0)
    top, left, bottom, right = c.crop_box
    np.testing.assert_array_equal(c.pixels, img.pixels[top:bottom, left:right])
    # heatmaps map back through the recorded geometry
    back = mp.heatmap_to_original(np.ones_like(a.pixels), img.original_shape, a.crop_box, a.flipped)
    assert back.shape == img.original_shape and back[top:bottom].sum() > 0


def test_crop_after_resize_is_refused():
    img = _image().with_pixels(np.zeros((10, 10), np.float32), step="resize:10x10(bilinear)")
    with pytest.raises(ValueError, match="before resizing"):
        crop_breast(img)


def test_detect_laterality_tags_first_then_pixels(synthetic_view):
    left = read_image(synthetic_view("L", "CC", (128, 104)))
    right = read_image(synthetic_view("R", "MLO", (128, 104)))
    assert detect_laterality(left) == ("L", "pixels")
    assert detect_laterality(right) == ("R", "pixels")
    tagged = right.with_pixels(right.pixels, laterality="L", laterality_source="ImageLaterality")
    assert detect_laterality(tagged) == ("L", "ImageLaterality")  # tags win over pixels
    flipped = to_canonical_side(right, "L")
    assert flipped.flipped and detect_laterality(flipped) == ("R", "pixels")  # a recorded flip is undone


def test_to_canonical_side(synthetic_view):
    for lat in ("L", "R"):
        img = read_image(synthetic_view(lat, "CC", (128, 104)))
        for side in ("L", "R"):
            out = to_canonical_side(img, side)
            assert chest_wall_side(out) == side
            assert out.flipped == (lat != side)
            assert ("flip:chest_wall_" + side in out.steps) == out.flipped
    img = read_image(synthetic_view("R", "CC", (128, 104)))
    by_tag = to_canonical_side(img.with_pixels(img.pixels, laterality="R"), "L", method="laterality")
    assert by_tag.flipped
    with pytest.raises(ValueError):
        to_canonical_side(img, "X")


def test_normalize_view():
    assert normalize_view("CC") == normalize_view(" cc ") == normalize_view("cranio-caudal") == "CC"
    assert normalize_view("MLO") == normalize_view("medio-lateral oblique") == normalize_view("R_MLO") == "MLO"
    assert normalize_view("ML") == "MLO"  # documented rule
    assert normalize_view("LM") == "LM" and normalize_view("LMO") == "LMO" and normalize_view("XCCL") == "XCCL"
    assert normalize_view("L-CC") == "CC" and normalize_view("left mlo") == "MLO"
    assert normalize_view("spot mag") == "SPOT MAG"
    assert normalize_view(None) is None and normalize_view("  ") is None


def _mi(view, shape=(4, 3), lat="L", raw=None):
    return MammoImage(np.zeros(shape, np.float32), laterality=lat, view=view, raw_view=raw)


def test_pair_views_is_deterministic():
    imgs = [
        _mi("MLO", (8, 6), raw="ML"),
        _mi("CC", (4, 3)),
        _mi("MLO", (4, 3), raw="MLO"),
        _mi("CC", (6, 5)),
        _mi("XCCL"),
    ]
    pair = pair_views(imgs)
    assert pair["MLO"] is imgs[2]  # a true MLO beats a mapped ML even if smaller
    assert pair["CC"] is imgs[3]  # the larger of two CCs
    assert pair_views(list(reversed(imgs)))["CC"] is imgs[3]  # order-independent when sizes differ
    ties = [_mi("CC"), _mi("CC"), _mi("MLO")]
    assert pair_views(ties)["CC"] is ties[0]  # then the first
    assert pair_views({"a": imgs[1], "b": imgs[0]})["MLO"] is imgs[0]


def test_pair_views_errors_and_laterality_filter():
    mixed = [_mi("CC", lat="L"), _mi("MLO", lat="L"), _mi("CC", lat="R"), _mi("MLO", lat="R")]
    with pytest.raises(ValueError, match="both breasts"):
        pair_views(mixed)
    right = pair_views(mixed, laterality="R")
    assert right["CC"] is mixed[2] and right["MLO"] is mixed[3]
    with pytest.raises(ValueError, match="no MLO"):
        pair_views([_mi("CC")])
    assert pair_views([_mi("CC")], require_both=False)["MLO"] is None


def test_tile_views():
    cc = _mi("CC", (40, 20))
    cc.pixels[:] = 0.25
    mlo = np.full((80, 30), 0.75, np.float32)
    tiled = tile_views(cc, mlo)
    assert tiled.shape == (80, 40 + 30) and tiled.dtype == np.float32
    np.testing.assert_allclose(tiled[:, :40], 0.25, atol=1e-6)
    np.testing.assert_allclose(tiled[:, 40:], 0.75, atol=1e-6)
    assert tile_views(cc, mlo, height=20).shape == (20, 10 + 8)
