"""Regenerate the model golden artefacts: `python tests/artifacts/regenerate.py`.

For each family a seeded tiny model is saved under `tests/artifacts/<family>/model/` (config.json +
model.safetensors, so the test does not depend on torch's RNG), with `golden.safetensors` holding the inputs and
the reference outputs, and metadata recording torch / transformers / platform. Regenerate only after an intended
numerical change, and say why in the commit message.
"""

from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "models"))

from conftest import (  # noqa: E402
    tiny_bert_tokenizer,
    tiny_mam_clip_config,
    tiny_mammo_clip_config,
    tiny_mammo_efficientnet_config,
)
from model_checks import calibrate_batchnorm  # noqa: E402


def golden_cases():
    """family -> (model, inputs dict, callable returning the named outputs)."""
    from mammo_hf import MamClipModel, MammoClipModel, MammoEfficientNetForImageClassification

    text = dict(tiny_bert_tokenizer()(["no mass", "suspicious calcification"], padding=True, return_tensors="pt"))
    gen = torch.Generator().manual_seed(1234)
    cases = {}

    torch.manual_seed(0)
    clip = MammoClipModel(tiny_mammo_clip_config())
    pv = torch.randn(2, 2, 3, 64, 32, generator=gen)
    calibrate_batchnorm(clip, pixel_values=pv, **text)
    cases["mammo_clip"] = (clip, {"pixel_values": pv, **text})

    torch.manual_seed(0)
    mam = MamClipModel(tiny_mam_clip_config(use_mlm_head=True)).eval()
    cases["mam_clip"] = (mam, {"pixel_values": torch.randn(2, 2, 3, 64, 48, generator=gen), **text})

    torch.manual_seed(0)
    eff = MammoEfficientNetForImageClassification(tiny_mammo_efficientnet_config())
    pv = torch.randn(2, 2, 3, 64, 48, generator=gen)
    calibrate_batchnorm(eff, pv)
    cases["mammo_efficientnet"] = (eff, {"pixel_values": pv})
    return cases


def outputs_of(model, inputs) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        out = model(**inputs)
    keys = ("logits_per_image", "image_embeds", "per_view_image_embeds", "text_embeds", "logits", "per_view_logits")
    return {k: out[k] for k in keys if k in out and out[k] is not None}


def main() -> None:
    meta = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    for family, (model, inputs) in golden_cases().items():
        folder = HERE / family
        shutil.rmtree(folder / "model", ignore_errors=True)
        model.eval().save_pretrained(folder / "model")
        for code in (folder / "model").glob("*.py"):  # the package classes are used, not stale code copies
            code.unlink()
        tensors = {f"input.{k}": v.contiguous() for k, v in inputs.items()}
        tensors.update({f"output.{k}": v.contiguous() for k, v in outputs_of(model, inputs).items()})
        save_file(tensors, folder / "golden.safetensors", metadata=meta)
        print(f"wrote {folder.relative_to(HERE.parent.parent)} ({', '.join(sorted(tensors))})")


if __name__ == "__main__":
    main()
