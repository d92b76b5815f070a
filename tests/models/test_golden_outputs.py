"""Golden outputs of seeded tiny models (tests/artifacts/<family>/): catches numerical drift across versions.

Tolerances: atol 1e-5, rtol 1e-4 (fp32 CPU; bit-exact on the machine that generated them). If a change is intended,
run `python tests/artifacts/regenerate.py` and explain the change in the commit; the artefacts' metadata records the
torch / transformers / platform they were made with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors import safe_open

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.mark.parametrize("family", ["mammo_clip", "mam_clip", "mammo_efficientnet"])
def test_golden_outputs(family):
    from transformers import AutoConfig, AutoModel

    import mammo_hf  # noqa: F401  (registers the Auto classes)

    folder = ARTIFACTS / family
    with safe_open(folder / "golden.safetensors", "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    assert {"torch", "transformers", "platform"} <= set(meta)
    assert AutoConfig.from_pretrained(folder / "model").model_type == family
    model = AutoModel.from_pretrained(folder / "model").eval()
    inputs = {k.removeprefix("input."): v for k, v in tensors.items() if k.startswith("input.")}
    with torch.no_grad():
        out = model(**inputs)
    expected = {k.removeprefix("output."): v for k, v in tensors.items() if k.startswith("output.")}
    assert expected
    for key, value in expected.items():
        torch.testing.assert_close(out[key], value, atol=1e-5, rtol=1e-4, msg=lambda m, k=key: f"{family} {k}: {m}")
