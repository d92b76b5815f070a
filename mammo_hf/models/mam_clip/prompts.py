# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Zero-shot prompt sets for MAM-CLIP, as data.

MAM-CLIP publishes no zero-shot prompts (its evaluation fine-tunes BI-RADS heads). These follow the atlas captions it
was pretrained on: the ACR BI-RADS assessment categories and breast-composition categories, in class order.
"""

from __future__ import annotations

__all__ = ["MAM_CLIP_ZERO_SHOT_PROMPTS"]

MAM_CLIP_ZERO_SHOT_PROMPTS: dict[str, list[str]] = {
    "birads": [
        "bi-rads 1: negative",
        "bi-rads 2: benign finding",
        "bi-rads 3: probably benign finding",
        "bi-rads 4: suspicious abnormality",
        "bi-rads 5: highly suggestive of malignancy",
    ],
    "density": [
        "the breasts are almost entirely fatty",
        "there are scattered areas of fibroglandular density",
        "the breasts are heterogeneously dense",
        "the breasts are extremely dense",
    ],
    "malignancy": ["benign findings", "malignant mass"],
}
