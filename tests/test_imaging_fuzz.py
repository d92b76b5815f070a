"""Fuzz: randomly mutated synthetic DICOMs either load or raise a MammoImageError, quickly, without leaking PHI."""

from __future__ import annotations

import io
import time
import warnings
from collections import Counter

import numpy as np
import pydicom
import pytest
from conftest import make_uint16_breast

from mammo_hf.imaging import MammoImage, MammoImageError, read_image
from mammo_hf.imaging.synthetic import FAKE_PHI, PHI_MARKERS, write_dicom

NUM_CASES = 600
PER_FILE_SECONDS = 5.0

_BASES = [
    {"transfer_syntax": "explicit"},
    {"transfer_syntax": "implicit", "photometric": "MONOCHROME1", "window": (1800.0, 2000.0)},
    {"transfer_syntax": "explicit", "window": (1800.0, 2000.0), "voi_lut_sequence": True, "rescale": (1.5, -20.0)},
    {"transfer_syntax": "explicit", "window": (1800.0, 2000.0), "voi_lut_function": "SIGMOID"},
    {"transfer_syntax": "rle"},
    {"transfer_syntax": "jpeg2000"},
]
_NUMERIC_TAGS = {
    "Rows": [0, 1, 47, 65, 65535],
    "Columns": [0, 1, 49, 65535],
    "BitsAllocated": [0, 1, 8, 12, 32, 64],
    "BitsStored": [0, 1, 8, 17, 40],
    "HighBit": [0, 99],
    "PixelRepresentation": [1, 2],
    "SamplesPerPixel": [0, 3],
    "NumberOfFrames": [0, 2, "x"],
    "WindowCenter": [-1e30, 0, "nan"],
    "WindowWidth": [0, -5, 1e-9, 1e30],
    "RescaleSlope": [0, -1, 1e300, "inf"],
    "RescaleIntercept": [1e300, "-inf"],
    "PhotometricInterpretation": ["RGB", "YBR_FULL", "", "MONOCHROME3"],
}


def _base_files(tmp_path) -> list[bytes]:
    px = make_uint16_breast(64, 48) >> 4  # 12-bit
    out = []
    for i, kw in enumerate(_BASES):
        kw = {"window": None, **kw}
        res = write_dicom(tmp_path / f"base{i}.dcm", px, laterality="L", view="CC", bits_stored=12, **kw)
        out.append(res.path.read_bytes())
    return out


def _mutate(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "length", "truncate", "chunk", "delete_tag", "tag_value"])
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(int(rng.integers(1, 24))):
            pos = int(rng.integers(0, 700)) if rng.random() < 0.6 else int(rng.integers(0, len(buf)))
            buf[min(pos, len(buf) - 1)] ^= int(rng.integers(1, 256))
    elif kind == "length":  # overwrite what may be a length field with an extreme value
        pos = int(rng.integers(132, min(len(buf) - 4, 1200)))
        value = int(rng.choice([0, 1, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, int(rng.integers(0, 2**32))]))
        width = int(rng.choice([2, 4]))
        buf[pos : pos + width] = (value & (2 ** (8 * width) - 1)).to_bytes(width, "little")
    elif kind == "truncate":
        buf = buf[: int(rng.integers(0, len(buf)))]
    elif kind == "chunk":
        pos = int(rng.integers(0, len(buf)))
        if rng.random() < 0.5:
            del buf[pos : pos + int(rng.integers(1, 64))]
        else:
            buf[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data))
            if kind == "delete_tag":
                keyword = rng.choice([e.keyword for e in ds if e.keyword])
                delattr(ds, str(keyword))
            else:
                keyword = str(rng.choice(list(_NUMERIC_TAGS)))
                values = _NUMERIC_TAGS[keyword]
                value = values[int(rng.integers(0, len(values)))]
                try:
                    setattr(ds, keyword, value)
                except Exception:  # pydicom validates some values on assignment: write the raw text instead
                    if keyword not in ds:
                        return _mutate(data, rng)
                    ds[keyword].value = str(value)
            out = io.BytesIO()
            try:
                ds.save_as(out)
            except Exception:  # pydicom refuses to write it: fall back to a byte flip
                return _mutate(data, rng)
        kind = f"{kind}:{keyword}"
        buf = bytearray(out.getvalue())
    return kind, bytes(buf)


def test_fuzzed_dicoms_load_or_raise_mammo_image_error(tmp_path):
    rng = np.random.default_rng(1234)
    bases = _base_files(tmp_path)
    outcomes: Counter = Counter()
    start_all = time.perf_counter()
    for case in range(NUM_CASES):
        base = bases[case % len(bases)]
        kind, data = _mutate(base, rng)
        start = time.perf_counter()
        try:
            img = read_image(data, voi=str(rng.choice(["auto", "none", "window", "sigmoid"])))
        except MammoImageError as err:
            outcomes[f"error:{err.reason}"] += 1
            message = str(err)
            assert message and type(err).__name__ != "MammoImageError" or err.reason
            for marker in PHI_MARKERS:  # error messages never quote identifying values
                assert marker not in message, (case, kind, message)
        except Exception as err:  # pragma: no cover - the failure we are hunting
            pytest.fail(f"case {case} ({kind}): {type(err).__name__}: {err} leaked out of read_image")
        else:
            outcomes["loaded"] += 1
            assert isinstance(img, MammoImage) and img.pixels.ndim == 2 and img.pixels.dtype == np.float32
            assert np.isfinite(img.pixels).all()
            assert float(img.pixels.min()) >= 0.0 and float(img.pixels.max()) <= 1.0
            text = str(img.metadata())
            assert not any(v in text for v in FAKE_PHI.values())
        elapsed = time.perf_counter() - start
        assert elapsed < PER_FILE_SECONDS, f"case {case} ({kind}) took {elapsed:.1f} s"
    assert time.perf_counter() - start_all < 60
    # the corpus exercises both outcomes and several distinct error reasons
    assert outcomes["loaded"] >= 10, outcomes
    assert sum(v for k, v in outcomes.items() if k.startswith("error:")) >= 50, outcomes
    assert len([k for k in outcomes if k.startswith("error:")]) >= 5, outcomes
