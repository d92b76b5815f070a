"""read_image: DICOM value pipeline (rescale → VOI → MONOCHROME1 → normalise), metadata whitelist, other formats."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from conftest import make_uint16_breast
from PIL import Image
from pydicom.pixels import apply_modality_lut, apply_voi, apply_windowing

from mammo_hf.imaging import MammoImage, MissingDecoderError, read_image, sniff_format
from mammo_hf.imaging.dicom import check_decoder, dicom_metadata, window_lut
from mammo_hf.imaging.synthetic import FAKE_PHI, PHI_MARKERS, write_dicom

PHI_KEYS = {
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "StudyDate",
    "AccessionNumber",
    "InstitutionName",
    "InstitutionAddress",
    "ReferringPhysicianName",
    "OperatorsName",
    "StudyID",
    "OtherPatientIDs",
}


def _px(seed: int = 0, side: str = "L", shape=(64, 48), bits: int = 12) -> np.ndarray:
    arr = make_uint16_breast(*shape, side=side, seed=seed).astype(np.float64)
    return np.round(arr / arr.max() * (2**bits - 1)).astype(np.uint16)


def _dcm(tmp_path: Path, name: str = "x.dcm", pixels=None, **kw) -> Path:
    kw.setdefault("laterality", "L")
    kw.setdefault("view", "CC")
    kw.setdefault("bits_stored", 12)
    kw.setdefault("window", None)
    pixels = _px() if pixels is None else pixels
    return write_dicom(tmp_path / name, pixels, **kw).path


def _minmax(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    return (a - a.min()) / (a.max() - a.min())


def test_import_is_light():
    import subprocess

    code = "import sys, mammo_hf.imaging as m; m.MammoImage; print('pydicom' in sys.modules, 'PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_dicom_no_voi_is_minmax_of_stored_values(tmp_path):
    px = _px()
    img = read_image(_dcm(tmp_path, pixels=px), voi="none")
    assert isinstance(img, MammoImage) and img.pixels.dtype == np.float32
    np.testing.assert_allclose(img.pixels, _minmax(px), atol=1e-6)
    assert img.steps == ["decode:dicom(Explicit VR Little Endian)", "voi:none", "normalize:minmax"]
    assert img.source_format == "dicom" and img.original_shape == (64, 48)


def test_uint16_output(tmp_path):
    px = _px()
    img = read_image(_dcm(tmp_path, pixels=px), voi="none", output="uint16")
    assert img.pixels.dtype == np.uint16 and img.pixels.min() == 0 and img.pixels.max() == 65535
    np.testing.assert_array_equal(img.pixels, np.round(_minmax(px) * 65535).astype(np.uint16))


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_matches_pydicom(tmp_path, function):
    px = _px()
    path = _dcm(tmp_path, pixels=px, window=(1800.0, 2000.0), voi_lut_function=function)
    img = read_image(path)  # auto: the tags' function
    ds = pydicom.dcmread(path)
    ref = apply_windowing(ds.pixel_array, ds)
    ref = (ref - 0) / (2**12 - 1)  # pydicom's output range for unsigned 12-bit without rescale is [0, 4095]
    np.testing.assert_allclose(img.pixels, ref, atol=1e-5)
    assert img.steps[1] == f"voi:{function.lower()}(c=1800,w=2000)"
    assert img.steps[-1] == "normalize:voi_range"


def test_forced_modes_override_the_function_tag(tmp_path):
    path = _dcm(tmp_path, window=(1800.0, 2000.0), voi_lut_function="SIGMOID")
    assert read_image(path, voi="window").steps[1].startswith("voi:linear(")
    assert read_image(path, voi="sigmoid").steps[1].startswith("voi:sigmoid(")
    assert read_image(path, voi="none").steps[1] == "voi:none"


def test_rescale_then_window_in_modality_units(tmp_path):
    px = _px()
    path = _dcm(tmp_path, pixels=px, rescale=(2.0, -100.0), window=(3500.0, 4000.0))
    img = read_image(path)
    ds = pydicom.dcmread(path)
    mod = apply_modality_lut(ds.pixel_array, ds)
    ref = apply_windowing(mod, ds)
    y_min, y_max = 0 * 2.0 - 100.0, 4095 * 2.0 - 100.0
    np.testing.assert_allclose(img.pixels, (ref - y_min) / (y_max - y_min), atol=1e-5)
    assert img.steps[1] == "rescale:2x-100"
    # without VOI an affine rescale does not change the min-max normalised image
    np.testing.assert_allclose(read_image(path, voi="none").pixels, _minmax(px), atol=1e-6)


def test_voi_lut_sequence_preferred_in_auto(tmp_path):
    path = _dcm(tmp_path, window=(1800.0, 2000.0), voi_lut_sequence=True)
    img = read_image(path)
    assert img.steps[1].startswith("voi:lut")
    ds = pydicom.dcmread(path)
    desc = ds.VOILUTSequence[0].LUTDescriptor
    table = apply_voi(np.arange(desc[1], desc[1] + (desc[0] or 65536)), ds).astype(np.float64)
    ref = (apply_voi(ds.pixel_array, ds) - table.min()) / (table.max() - table.min())
    np.testing.assert_allclose(img.pixels, ref, atol=1e-6)
    # forcing the window ignores the LUT
    assert read_image(path, voi="window").steps[1].startswith("voi:linear")


def test_monochrome1_inverted_after_voi(tmp_path):
    px = _px()
    mono2 = _dcm(tmp_path, "m2.dcm", pixels=px, window=(1800.0, 2000.0))
    mono1 = _dcm(tmp_path, "m1.dcm", pixels=px, photometric="MONOCHROME1", window=(1800.0, 2000.0))
    ds1 = pydicom.dcmread(mono1)
    assert ds1.PhotometricInterpretation == "MONOCHROME1"
    img1 = read_image(mono1)
    # the window is applied to MONOCHROME1 stored values, *then* inverted (PS3.3 C.7.6.3.1.2)
    ref = 1.0 - apply_windowing(ds1.pixel_array, ds1) / 4095.0
    np.testing.assert_allclose(img1.pixels, ref, atol=1e-5)
    assert img1.steps[-2:] == ["invert:monochrome1", "normalize:voi_range"]
    # with no VOI, MONOCHROME1 and MONOCHROME2 versions of the same image read back identical (bright = dense)
    np.testing.assert_allclose(read_image(mono1, voi="none").pixels, read_image(mono2, voi="none").pixels, atol=1e-6)
    raw = read_image(mono1, voi="none", invert_monochrome1=False)
    assert "invert:monochrome1" not in raw.steps
    np.testing.assert_allclose(raw.pixels, 1.0 - read_image(mono2, voi="none").pixels, atol=1e-6)


def test_window_lut_matches_pydicom_on_domain():
    ds = pydicom.Dataset()
    ds.PhotometricInterpretation, ds.BitsStored, ds.PixelRepresentation = "MONOCHROME2", 16, 0
    x = np.arange(0, 65536, 7, dtype=np.uint16)
    for function, (c, w) in [("LINEAR", (30000, 1)), ("LINEAR", (1000, 5000)), ("LINEAR_EXACT", (4000, 300))]:
        ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = c, w, function
        ref = apply_windowing(x, ds) / 65535.0
        np.testing.assert_allclose(window_lut(x, c, w, function), ref, atol=1e-9)


@pytest.mark.parametrize("syntax", ["implicit", "rle", "jpeg2000"])
def test_transfer_syntaxes_decode_identically(tmp_path, syntax):
    px = _px(bits=12)
    ref = read_image(_dcm(tmp_path, "ref.dcm", pixels=px), voi="none").pixels
    result = write_dicom(
        tmp_path / f"{syntax}.dcm", px, laterality="L", view="CC", bits_stored=12, window=None, transfer_syntax=syntax
    )
    assert result.transfer_syntax == syntax, result.fallback_reason
    img = read_image(result.path, voi="none")
    np.testing.assert_array_equal(img.pixels, ref)
    assert pydicom.dcmread(result.path).file_meta.TransferSyntaxUID.name in img.steps[0]


def test_signed_pixels_and_8_bit(tmp_path):
    px = _px(bits=8).astype(np.uint8)
    img = read_image(_dcm(tmp_path, pixels=px, bits_stored=8), voi="none")
    np.testing.assert_allclose(img.pixels, _minmax(px), atol=1e-6)
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1.2", "1.2.3"
    signed = (px.astype(np.int16) - 100) * 3
    ds.set_pixel_data(signed, "MONOCHROME2", 12)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    img = read_image(buf.getvalue(), voi="none")
    np.testing.assert_allclose(img.pixels, _minmax(signed), atol=1e-6)


def test_unused_high_bits_are_ignored(tmp_path):
    px = _px(bits=12)
    dirty = px | np.uint16(0x8000)  # overlay-style garbage above BitsStored=12
    ds = pydicom.dcmread(_dcm(tmp_path, pixels=px))
    ds.PixelData = dirty.tobytes()
    buf = io.BytesIO()
    ds.save_as(buf)
    np.testing.assert_allclose(read_image(buf.getvalue(), voi="none").pixels, _minmax(px), atol=1e-6)


def test_metadata_whitelist_and_no_phi(tmp_path):
    path = _dcm(
        tmp_path,
        laterality="R",
        view="ML",
        window=(1800.0, 2000.0),
        manufacturer="ACME",
        pixel_spacing=(0.07, 0.08),
        phi=FAKE_PHI,
    )
    ds = pydicom.dcmread(path)
    assert all(str(ds.get(k, "")) for k in ("PatientName", "PatientID", "InstitutionName"))  # the PHI is there...
    img = read_image(path)
    meta = img.metadata()
    assert img.laterality == "R" and img.laterality_source == "ImageLaterality"
    assert img.view == "MLO" and img.raw_view == "ML"
    assert img.manufacturer == "ACME" and img.pixel_spacing == pytest.approx((0.07, 0.08))
    assert img.bits_stored == 12 and img.photometric == "MONOCHROME2"
    # ...and none of it reaches the MammoImage: no identifying key, no identifying value
    assert not PHI_KEYS & set(meta), set(meta)
    assert not {"date", "name", "id", "accession", "institution", "birth"} & {k.lower() for k in meta}
    text = json.dumps(meta, default=str)
    for marker in PHI_MARKERS:
        assert marker not in text
    for value in FAKE_PHI.values():
        assert value not in text


def test_laterality_fallbacks_and_view_code_sequence():
    ds = pydicom.Dataset()
    ds.PatientOrientation = ["P", "L"]  # right CC (PS3.3 C.8.11.7.1.1)
    assert dicom_metadata(ds)["laterality"] == "R"
    assert dicom_metadata(ds)["laterality_source"] == "PatientOrientation"
    ds.PatientOrientation = ["A", "FR"]  # left MLO
    assert dicom_metadata(ds)["laterality"] == "L"
    ds.PatientOrientation = ["A", "F"]  # no L/R in the column direction: unknown
    assert dicom_metadata(ds)["laterality"] is None
    ds.Laterality = "R"
    assert dicom_metadata(ds)["laterality_source"] == "Laterality"
    item = pydicom.Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "399368009", "SCT", "medio-lateral oblique"
    ds.ViewCodeSequence = [item]
    assert dicom_metadata(ds)["view"] == "MLO"
    ds.ImagerPixelSpacing = [0.1, 0.1]
    assert dicom_metadata(ds)["pixel_spacing"] == (0.1, 0.1)


def test_other_formats_and_sources(tmp_path):
    px16 = _px(bits=16)
    ref = _minmax(px16)
    png16 = tmp_path / "a.png"
    Image.fromarray(px16).save(png16)
    for source in (png16, str(png16), png16.read_bytes(), io.BytesIO(png16.read_bytes())):
        img = read_image(source)
        assert img.source_format == "png" and img.bits_stored == 16
        np.testing.assert_allclose(img.pixels, ref, atol=1e-6)
    # content, not the extension, decides
    disguised = tmp_path / "really_png.dcm"
    disguised.write_bytes(png16.read_bytes())
    assert read_image(disguised).source_format == "png"

    px8 = (ref * 255).round().astype(np.uint8)
    Image.fromarray(px8).save(tmp_path / "b.png")
    assert read_image(tmp_path / "b.png").bits_stored == 8
    Image.fromarray(px16).save(tmp_path / "c.tif")
    np.testing.assert_allclose(read_image(tmp_path / "c.tif").pixels, ref, atol=1e-6)
    Image.fromarray(px8).save(tmp_path / "d.jpg", quality=95)
    jpg = read_image(tmp_path / "d.jpg")
    assert jpg.source_format == "jpeg" and np.abs(jpg.pixels - _minmax(px8)).mean() < 0.02
    # a grey image saved as RGB is accepted, with the conversion recorded
    Image.fromarray(np.stack([px8] * 3, -1)).save(tmp_path / "e.png")
    rgb = read_image(tmp_path / "e.png")
    assert "gray_from_rgb" in rgb.steps
    np.testing.assert_allclose(rgb.pixels, _minmax(px8), atol=1e-6)
    # uint16 output for PNG
    assert read_image(png16, output="uint16").pixels.dtype == np.uint16
    # arrays
    np.testing.assert_allclose(read_image(px16).pixels, ref, atol=1e-6)


def test_sniff_format():
    assert sniff_format(b"\x89PNG\r\n\x1a\n" + bytes(10)) == "png"
    assert sniff_format(b"II*\x00" + bytes(10)) == "tiff"
    assert sniff_format(b"\xff\xd8\xff\xe0" + bytes(10)) == "jpeg"
    assert sniff_format(bytes(128) + b"DICM") == "dicom"
    assert sniff_format(b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100") == "dicom-raw"
    assert sniff_format(b"%PDF-1.4") is None


def test_dicom_without_preamble(tmp_path):
    px = _px()
    data = _dcm(tmp_path, pixels=px).read_bytes()
    assert data[128:132] == b"DICM"
    raw = data[132:]  # PS3.10 stream without the preamble: starts with the (0002,xxxx) file meta group
    assert sniff_format(raw) == "dicom-raw"
    np.testing.assert_allclose(read_image(raw, voi="none").pixels, _minmax(px), atol=1e-6)
    ds = pydicom.dcmread(io.BytesIO(data))
    del ds.file_meta
    ds.preamble = None
    buf = io.BytesIO()
    ds.save_as(buf, implicit_vr=True, little_endian=True)  # bare implicit-VR dataset starting with group 0008
    assert sniff_format(buf.getvalue()) == "dicom-raw"
    np.testing.assert_allclose(read_image(buf.getvalue(), voi="none").pixels, _minmax(px), atol=1e-6)


def _disable_decoder(monkeypatch, uid: str) -> None:
    from pydicom.pixels import get_decoder

    decoder = get_decoder(uid)
    missing = {label: ("pylibjpeg>=2.0", "pylibjpeg-openjpeg>=2.0") for label in decoder._available}
    monkeypatch.setattr(decoder, "_available", {})
    monkeypatch.setattr(decoder, "_unavailable", missing)


def test_missing_decoder_names_syntax_and_extra(tmp_path, monkeypatch):
    result = write_dicom(
        tmp_path / "j2k.dcm", _px(), laterality="L", view="CC", bits_stored=12, window=None, transfer_syntax="jpeg2000"
    )
    assert result.transfer_syntax == "jpeg2000"
    _disable_decoder(monkeypatch, result.transfer_syntax_uid)
    with pytest.raises(MissingDecoderError) as info:
        read_image(result.path)
    message = str(info.value)
    assert info.value.reason == "missing_decoder"
    assert "1.2.840.10008.1.2.4.90" in message and "JPEG 2000" in message
    assert 'pip install "mammo-hf[dicom]"' in message and "dicom-gpl" not in message


def test_missing_decoder_mentions_gpl_extra_only_where_relevant(monkeypatch):
    uid = "1.2.840.10008.1.2.4.70"  # JPEG Lossless SV1: gdcm or the GPL libjpeg plugin only
    _disable_decoder(monkeypatch, uid)
    with pytest.raises(MissingDecoderError, match=r"mammo-hf\[dicom-gpl\]") as info:
        check_decoder(uid)
    assert "mammo-hf[dicom]" in str(info.value)
    check_decoder("1.2.840.10008.1.2.1")  # uncompressed never raises
