"""`trust_remote_code` loading in a clean interpreter where mammo_hf is not importable (a Hub user's view).

Each family saves a tiny model (plus its processor for the CLIP families); a subprocess started from a temp cwd with
no PYTHONPATH and mammo_hf hidden loads it through AutoModel AND AutoModelForImageClassification, recomputes the
outputs and compares them bit for bit with the in-process ones.
"""

from __future__ import annotations

import pytest
import torch
from conftest import (
    run_without_mammo_hf,
    tiny_bert_tokenizer,
    tiny_mam_clip_config,
    tiny_mammo_clip_config,
    tiny_mammo_efficientnet_config,
)


def test_shared_files_are_identical():
    """dual_view.py is duplicated per family on purpose (see mammo_hf/models/sync_shared_files.py)."""
    from mammo_hf.models.sync_shared_files import stale_copies

    assert stale_copies() == [], "run `python -m mammo_hf.models.sync_shared_files`"


CHILD = """
import json, torch
import transformers
from transformers import AutoProcessor
data = torch.load("inputs.pt")
out = {}
for key, (repo, auto_name) in json.load(open("plan.json")).items():
    model = getattr(transformers, auto_name).from_pretrained(repo, trust_remote_code=True).eval()
    assert model.__class__.__module__.startswith("transformers_modules"), model.__class__.__module__
    with torch.no_grad():
        res = model(**data[key])
    out[key] = res.logits_per_image if getattr(res, "logits_per_image", None) is not None else res.logits
    if auto_name == "AutoModelForImageClassification" and "{processor}" == "True":
        import numpy as np
        img = np.arange(120 * 80, dtype=np.uint16).reshape(120, 80)
        proc = AutoProcessor.from_pretrained(repo, trust_remote_code=True)
        assert proc.__class__.__module__.startswith("transformers_modules"), proc.__class__.__module__
        out["processor"] = proc(images=(img, img), text=["no mass"], return_tensors="pt")["pixel_values"]
torch.save(out, "outputs.pt")
print("OK", model.__class__.__module__)
"""


@pytest.mark.parametrize("family", ["mammo_clip", "mam_clip", "mammo_efficientnet"])
def test_trust_remote_code_without_the_package(family, tmp_path):
    import json

    import numpy as np

    from mammo_hf import (
        MamClipForImageClassification,
        MamClipModel,
        MamClipProcessor,
        MammoClipForImageClassification,
        MammoClipModel,
        MammoClipProcessor,
        MammoEfficientNetForImageClassification,
        MammoImageProcessor,
    )

    families = {
        "mammo_clip": (MammoClipModel, MammoClipForImageClassification, tiny_mammo_clip_config, MammoClipProcessor),
        "mam_clip": (MamClipModel, MamClipForImageClassification, tiny_mam_clip_config, MamClipProcessor),
        "mammo_efficientnet": (None, MammoEfficientNetForImageClassification, tiny_mammo_efficientnet_config, None),
    }
    base_cls, clf_cls, make_config, proc_cls = families[family]
    torch.manual_seed(0)
    pv = torch.randn(1, 2, 3, 64, 48)
    text = dict(tiny_bert_tokenizer()(["no mass"], return_tensors="pt"))
    clf = clf_cls(make_config()).eval()
    clf.save_pretrained(tmp_path / "clf")
    auto_map = json.loads((tmp_path / "clf" / "config.json").read_text())["auto_map"]
    assert {"AutoConfig", "AutoModel", "AutoModelForImageClassification"} <= set(auto_map)  # stack.md Q1.B
    plan = {"clf": [str(tmp_path / "clf"), "AutoModelForImageClassification"]}
    inputs, expected = {"clf": {"pixel_values": pv}}, {"clf": clf(pv).logits}
    if base_cls is None:  # AutoModel resolves to the classifier itself
        plan["base"] = [str(tmp_path / "clf"), "AutoModel"]
        inputs["base"], expected["base"] = inputs["clf"], expected["clf"]
    else:
        base = base_cls(make_config()).eval()
        base.save_pretrained(tmp_path / "base")
        plan["base"] = [str(tmp_path / "base"), "AutoModel"]
        inputs["base"] = {"pixel_values": pv, **text}
        expected["base"] = base(pixel_values=pv, **text).logits_per_image
        proc = proc_cls(MammoImageProcessor(size={"height": 64, "width": 48}), tiny_bert_tokenizer())
        proc.save_pretrained(tmp_path / "clf")
        img = np.arange(120 * 80, dtype=np.uint16).reshape(120, 80)
        expected["processor"] = proc(images=(img, img), text=["no mass"], return_tensors="pt")["pixel_values"]
    torch.save(inputs, tmp_path / "inputs.pt")
    (tmp_path / "plan.json").write_text(json.dumps(plan))

    result = run_without_mammo_hf(CHILD.replace("{processor}", str(proc_cls is not None)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK transformers_modules" in result.stdout
    got = torch.load(tmp_path / "outputs.pt")
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key
