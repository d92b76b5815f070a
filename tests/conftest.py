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
