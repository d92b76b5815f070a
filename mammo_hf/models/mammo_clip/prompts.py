# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Zero-shot prompt pairs for Mammo-CLIP, as data.

The upstream evaluator (`batmanlab/Mammo-CLIP:src/codebase/configs/zs_clip.yaml`, `base.zs_prompts`) scores each
task with a list of prompts ordered *negative first, positive second*; the probability of the finding is column 1
of the softmax over raw cosine similarities (no logit scale). The density prompts come from the EMBED evaluation
fork (`XYPB/Mammo-CLIP:configs/zs_clip_embed_density.yaml`), ordered A -> D.
"""

from __future__ import annotations

__all__ = ["MAMMO_CLIP_ZERO_SHOT_PROMPTS", "ZERO_SHOT_POSITIVE_INDEX"]

MAMMO_CLIP_ZERO_SHOT_PROMPTS: dict[str, list[str]] = {
    # VinDr-Mammo findings
    "mass": ["no mass", "mass"],
    "suspicious_calcification": ["no suspicious calcification", "suspicious calcification"],
    # RSNA screening
    "malignancy": ["no malignancy", "malignancy"],
    # BI-RADS breast composition (A, B, C, D)
    "density": ["fatty", "fatty-glandular", "dense-glandular", "dense"],
}

#: Column holding the "finding present" probability for binary tasks (upstream computes AUROC on column 1).
ZERO_SHOT_POSITIVE_INDEX: int = 1
