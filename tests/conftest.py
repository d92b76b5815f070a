"""Shared, offline test factories: tiny configs, synthetic 16-bit images and DICOMs, a local fake Hub.

Sections are owned by subsystem; keep factories small and deterministic (seeded).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

# Tests never reach the network: the real Hub is unreachable anyway, make it explicit and fast-failing.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TESTS_DIR = Path(__file__).parent
REPO_ROOT = TESTS_DIR.parent
sys.path.insert(0, str(TESTS_DIR))  # makes tests/fake_hub.py importable as `fake_hub`


# ----------------------------------------------------------------------------------------------------------------
# Pixels: synthetic 16-bit arrays (numpy only, no phantom generator needed)
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def make_uint16_breast(height: int = 96, width: int = 64, side: str = "L", seed: int = 0) -> np.ndarray:
    """A cheap breast-like uint16 image: a bright half-ellipse against the chest wall on `side`, dark background."""
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx = 0.0 if side == "L" else width - 1.0
    inside = ((xx - cx) / (0.8 * width)) ** 2 + ((yy - height / 2) / (0.45 * height)) ** 2 <= 1.0
    img = np.zeros((height, width), np.float32)
    img[inside] = 20000 + 20000 * r.random(int(inside.sum()))
    img += 300 * r.random((height, width))
    return img.astype(np.uint16)


@pytest.fixture
def uint16_breast() -> np.ndarray:
    return make_uint16_breast()


# ----------------------------------------------------------------------------------------------------------------
# Remote code: run a snippet in a clean interpreter where mammo_hf is NOT importable (as for a Hub user)
# ----------------------------------------------------------------------------------------------------------------
# The editable install puts mammo_hf on every path, so removing sys.path entries is not enough: a meta-path finder
# refuses the package outright, exactly like an environment where it was never installed.
HIDE_MAMMO_HF_PRELUDE = """
import importlib.abc, sys
class _HideMammoHf(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "mammo_hf" or name.startswith("mammo_hf."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)")
        return None
sys.meta_path.insert(0, _HideMammoHf())
for _m in [m for m in sys.modules if m == "mammo_hf" or m.startswith("mammo_hf.")]:
    del sys.modules[_m]
try:
    import mammo_hf
    raise SystemExit("mammo_hf must not be importable here")
except ModuleNotFoundError:
    pass
"""


def run_without_mammo_hf(code: str, cwd, timeout: int = 300):
    """Run `code` in a fresh interpreter (cwd=`cwd`, own HF_HOME) where `import mammo_hf` fails."""
    import subprocess
    import textwrap

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HF_HOME"] = str(Path(cwd) / "hf_home")
    return subprocess.run(
        [sys.executable, "-c", HIDE_MAMMO_HF_PRELUDE + textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ----------------------------------------------------------------------------------------------------------------
# Synthetic mammograms and DICOMs (owner: mammo_hf.imaging.synthetic)
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def synthetic_view():
    """`synthetic_view(laterality="L", view="CC", shape=(256, 208), density="B", bits_stored=12, findings=(), seed=0)`
    -> uint16 phantom (memoised per arguments for the session; treat the result as read-only)."""
    from mammo_hf.imaging.synthetic import BreastSpec, render_view

    cache: dict = {}

    def make(laterality="L", view="CC", shape=(256, 208), density="B", bits_stored=12, findings=(), seed=0):
        key = (laterality, view, tuple(shape), density, bits_stored, tuple(findings), seed)
        if key not in cache:
            breast = BreastSpec(laterality=laterality, density=density, findings=tuple(findings), seed=seed)
            cache[key] = render_view(breast, view, shape=tuple(shape), bits_stored=bits_stored)
            cache[key].setflags(write=False)
        return cache[key]

    return make


@pytest.fixture
def synthetic_dicom_factory(tmp_path, synthetic_view):
    """`synthetic_dicom_factory(name="x.dcm", *, laterality="L", view="CC", shape=(256, 208), density="B",
    seed=0, pixels=None, **write_dicom_kwargs) -> Path`: a phantom MG DICOM (fake PHI) under tmp_path.

    Any `write_dicom` keyword works: photometric, bits_stored, transfer_syntax, window, voi_lut_function,
    voi_lut_sequence, rescale, presentation_intent, manufacturer, phi, extra_tags, ...
    """
    from mammo_hf.imaging.synthetic import write_dicom

    def make(name="x.dcm", *, laterality="L", view="CC", shape=(256, 208), density="B", seed=0, pixels=None, **kw):
        bits = kw.get("bits_stored") or 12
        kw.setdefault("bits_stored", bits)
        render_as = "CC" if view in ("CC", "XCCL") else "MLO"  # ML/LM look like an MLO for pixel purposes
        px = pixels if pixels is not None else synthetic_view(laterality, render_as, shape, density, bits, (), seed)
        return write_dicom(tmp_path / name, px, laterality=laterality, view=view, **kw).path

    return make


@pytest.fixture(scope="session")
def synthetic_exam_dir(tmp_path_factory):
    """A session-wide synthetic exam folder: 3 patients (12 views, 256x208), DICOM + PNG, mixed encodings,
    labels.csv. Returns the `SyntheticManifest` (`.root`, `.labels_csv`, `.records`, `.exams`). Read-only."""
    from mammo_hf.imaging.synthetic import generate_exams

    root = tmp_path_factory.mktemp("synthetic_exams")
    return generate_exams(
        root, num_patients=3, seed=0, image_size=(256, 208), formats="both", cancer_rate=0.34, progress=False
    )


# ----------------------------------------------------------------------------------------------------------------
# Tiny model configs (owner: mammo_hf.models) — seconds-fast, offline, deterministic
# ----------------------------------------------------------------------------------------------------------------
TINY_BERT = dict(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (
    "no mass suspicious calcification malignancy fatty dense glandular - bi rads 1 2 3 4 5 : negative benign "
    "finding probably abnormality highly suggestive of the breasts are almost entirely there scattered areas "
    "fibroglandular density heterogeneously extremely malignant spiculated left right breast"
).split()


def tiny_mammo_clip_config(**overrides):
    """Mammo-CLIP with a 7-block EfficientNet (width/depth 0.1, hidden 128) and a 1-layer BERT; input ~64x32."""
    from mammo_hf import MammoClipConfig

    kwargs = dict(
        vision_config=dict(
            width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=128, depthwise_padding=[3], dropout_rate=0.1
        ),
        text_config=dict(TINY_BERT),
        projection_dim=16,
        num_labels=3,
    )
    kwargs.update(overrides)
    return MammoClipConfig(**kwargs)


def tiny_mam_clip_config(**overrides):
    """MAM-CLIP with a 2-stage ConvNeXt (8/16 channels) and a 1-layer BERT (hidden 16); input ~64x48."""
    from mammo_hf import MamClipConfig

    kwargs = dict(
        vision_config=dict(depths=[1, 1], hidden_sizes=[8, 16], num_stages=2, layer_norm_eps=1e-6),
        text_config=dict(TINY_BERT, hidden_size=16, intermediate_size=32),
        projection_dim=16,
        fusion_num_heads=2,
        mlm_vocab_size=TINY_BERT["vocab_size"],
        num_labels=5,
    )
    kwargs.update(overrides)
    return MamClipConfig(**kwargs)


def tiny_mammo_efficientnet_config(**overrides):
    """The CNN baseline on timm's `test_efficientnet` (a few k parameters)."""
    from mammo_hf import MammoEfficientNetConfig

    kwargs = dict(backbone="test_efficientnet", num_labels=2)
    kwargs.update(overrides)
    return MammoEfficientNetConfig(**kwargs)


def tiny_bert_tokenizer(do_lower_case: bool = True):
    """A BertTokenizerFast over TINY_VOCAB, built in memory (no files, no Hub)."""
    from transformers import BertTokenizerFast

    return BertTokenizerFast(vocab={t: i for i, t in enumerate(TINY_VOCAB)}, do_lower_case=do_lower_case)


def tiny_pixel_values(batch: int = 2, views: int = 2, height: int = 64, width: int = 32, seed: int = 0):
    import torch

    return torch.randn(batch, views, 3, height, width, generator=torch.Generator().manual_seed(seed))
