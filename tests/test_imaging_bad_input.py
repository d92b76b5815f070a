"""Bad input: every failure is a specific MammoImageError subclass with a clear message, fast, never a hang."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import make_uint16_breast
from PIL import Image

from mammo_hf.imaging import (
    CorruptImageError,
    EmptyImageError,
    MammoImageError,
    MissingPixelDataError,
    NotAnImageError,
    UnsupportedImageError,
    read_image,
)
from mammo_hf.imaging.synthetic import write_dicom


def _dicom(tmp_path: Path, **kw) -> Path:
    px = make_uint16_breast(64, 48) >> 4
    return write_dicom(tmp_path / "x.dcm", px, laterality="L", view="CC", bits_stored=12, window=None, **kw).path


def _edit(path: Path, **changes) -> bytes:
    ds = pydicom.dcmread(path)
    for key, value in changes.items():
        if value is None:
            delattr(ds, key)
        else:
            setattr(ds, key, value)
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def _raises(data, cls, reason=None, match=None, **kw):
    start = time.perf_counter()
    with pytest.raises(cls, match=match) as info:
        read_image(data, **kw)
    assert time.perf_counter() - start < 5.0
    assert isinstance(info.value, MammoImageError)
    if reason:
        assert info.value.reason == reason, str(info.value)
    return info.value


def test_truncated_dicom(tmp_path):
    data = _dicom(tmp_path).read_bytes()
    err = _raises(data[: len(data) - 1000], CorruptImageError, "truncated", match="truncated")
    assert "bytes" in str(err)
    _raises(data[:200], CorruptImageError)  # cut inside the header


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.dcm"
    path.write_text("patient notes, not an image")
    err = _raises(path, NotAnImageError, "not_an_image")
    assert str(path) in str(err)
    _raises(b"%PDF-1.4 whatever", NotAnImageError)
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "missing.dcm")


def test_empty_file(tmp_path):
    (tmp_path / "empty.dcm").write_bytes(b"")
    _raises(tmp_path / "empty.dcm", EmptyImageError, "empty_file")


def test_dicom_without_pixel_data(tmp_path):
    _raises(_edit(_dicom(tmp_path), PixelData=None), MissingPixelDataError, "no_pixel_data", match="Pixel Data")


def test_zero_size_and_constant(tmp_path):
    path = _dicom(tmp_path)
    _raises(_edit(path, Rows=0), EmptyImageError, "zero_size")
    ds = pydicom.dcmread(path)
    ds.PixelData = np.full((64, 48), 100, np.uint16).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf)
    _raises(buf.getvalue(), EmptyImageError, "constant", match="constant")
    _raises(np.zeros((0, 5)), EmptyImageError, "zero_size")
    img = io.BytesIO()
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(img, "PNG")
    _raises(img.getvalue(), EmptyImageError, "constant")


def test_window_outside_data_is_reported(tmp_path):
    data = _edit(_dicom(tmp_path), WindowCenter=60000, WindowWidth=10)
    _raises(data, EmptyImageError, "constant", match="voi='none'")


def test_bad_bit_depths(tmp_path):
    path = _dicom(tmp_path)
    _raises(_edit(path, BitsStored=17), UnsupportedImageError, "bit_depth", match="BitsStored=17")
    _raises(_edit(path, BitsAllocated=32, BitsStored=32), UnsupportedImageError, "bit_depth", match="32")
    _raises(_edit(path, BitsAllocated=1, BitsStored=1), UnsupportedImageError, "bit_depth")


def test_colour_and_multiframe(tmp_path):
    path = _dicom(tmp_path)
    _raises(_edit(path, PhotometricInterpretation="RGB", SamplesPerPixel=3), UnsupportedImageError, "colour")
    _raises(_edit(path, PhotometricInterpretation="PALETTE COLOR"), UnsupportedImageError, "colour")
    _raises(_edit(path, NumberOfFrames=2), UnsupportedImageError, "multi_frame", match="tomosynthesis")
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[4:8, 4:8] = 50
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    _raises(buf.getvalue(), UnsupportedImageError, "colour")
    frames = [Image.fromarray((np.arange(64).reshape(8, 8) * i).astype(np.uint8)) for i in (1, 2)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    _raises(buf.getvalue(), UnsupportedImageError, "multi_frame")


def test_pixel_length_mismatch(tmp_path):
    path = _dicom(tmp_path)
    _raises(_edit(path, Rows=65), CorruptImageError, "truncated", match="64 x 48|65 x 48")
    _raises(_edit(path, Rows=32), CorruptImageError, "size_mismatch", match="2 frames")


def test_pathological_header_is_rejected_before_allocating(tmp_path):
    path = _dicom(tmp_path)
    start = time.perf_counter()
    _raises(_edit(path, Rows=60000, Columns=60000), UnsupportedImageError, "too_large")
    _raises(_edit(path, Rows=10000, Columns=10000), CorruptImageError, "truncated")
    assert time.perf_counter() - start < 2.0


def test_compressed_with_mismatched_rows(tmp_path):
    px = make_uint16_breast(64, 48) >> 4
    res = write_dicom(
        tmp_path / "j.dcm", px, laterality="L", view="CC", bits_stored=12, window=None, transfer_syntax="jpeg2000"
    )
    assert res.transfer_syntax == "jpeg2000"
    _raises(_edit(res.path, Rows=4000, Columns=4000), CorruptImageError, "size_mismatch", match="codestream")
    data = bytearray(res.path.read_bytes())
    data[-200:-10] = bytes(190)  # damage the codestream body
    try:
        img = read_image(bytes(data))
        assert img.pixels.shape == (64, 48)  # J2K decoders may conceal damage: then it must still be an image
    except MammoImageError:
        pass


def test_truncated_png_and_bad_header():
    buf = io.BytesIO()
    Image.fromarray((np.arange(4096).reshape(64, 64) % 251).astype(np.uint8)).save(buf, "PNG")
    data = buf.getvalue()
    _raises(data[: len(data) // 2], CorruptImageError)
    _raises(data[:20], CorruptImageError)


def test_forced_window_without_tags(tmp_path):
    path = _dicom(tmp_path)
    _raises(path, UnsupportedImageError, "no_window", voi="window")
    buf = io.BytesIO()
    Image.fromarray(make_uint16_breast()).save(buf, "PNG")
    _raises(buf.getvalue(), UnsupportedImageError, "no_window", voi="sigmoid")


def test_invalid_window_falls_back_in_auto_mode(tmp_path):
    data = _edit(_dicom(tmp_path), WindowCenter=100, WindowWidth=0)
    img = read_image(data)
    assert img.steps[1].startswith("voi:none(invalid window")
    _raises(data, UnsupportedImageError, "bad_window", voi="window")


def test_bad_arguments_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="voi"):
        read_image(_dicom(tmp_path), voi="bogus")
    with pytest.raises(ValueError, match="output"):
        read_image(_dicom(tmp_path), output="float64")
    with pytest.raises(TypeError):
        read_image(12345)
