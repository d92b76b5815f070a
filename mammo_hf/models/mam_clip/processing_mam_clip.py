# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""MAM-CLIP processor: `MammoImageProcessor` (MAM-CLIP preset) + a PubMedBERT tokenizer."""

from __future__ import annotations

from typing import Any

from transformers.feature_extraction_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin

__all__ = ["MamClipProcessor"]


class MamClipProcessor(ProcessorMixin):
    r"""
    Combines a `MammoImageProcessor` (use `MammoImageProcessor.from_preset("mam_clip")`: 1024x768, per-image min-max to
    [0, 1] only, no mean/std, gray replicated to 3 channels) and a BERT tokenizer (PubMedBERT vocabulary, uncased).

    Text defaults reproduce upstream tokenisation: `padding="max_length"`, `truncation=True`, `max_length=100`
    (`VLModel.context_length`). Upstream feeds BERT without an attention mask, so with
    `MamClipConfig(text_use_attention_mask=False)` the embedding depends on this exact padding; with the default
    (masked) model the padding is harmless.

    Args:
        image_processor (`MammoImageProcessor`):
            The dual-view image processor (`pixel_values` of shape `(batch_size, num_views, 3, height, width)`).
        tokenizer (`BertTokenizer` or `BertTokenizerFast`):
            The text tokenizer.

    Example:
    >>> import numpy as np
    >>> from transformers import BertTokenizerFast
    >>> from mammo_hf import MamClipProcessor, MammoImageProcessor
    >>> vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "no", "mass"])}
    >>> processor = MamClipProcessor(
    ...     MammoImageProcessor.from_preset("mam_clip", size={"height": 64, "width": 32}),
    ...     BertTokenizerFast(vocab=vocab))
    >>> image = np.random.default_rng(0).integers(0, 4096, (120, 80), dtype=np.uint16)
    >>> batch = processor(images={"CC": image, "MLO": image}, text=["no mass"], max_length=6, return_tensors="pt")
    >>> tuple(batch["pixel_values"].shape), batch["input_ids"].tolist()
    ((1, 2, 3, 64, 32), [[2, 5, 6, 3, 0, 0]])
    """

    text_kwargs = {"padding": "max_length", "truncation": True, "max_length": 100}

    def __init__(self, image_processor: Any = None, tokenizer: Any = None, **kwargs: Any) -> None:
        super().__init__(image_processor, tokenizer, **kwargs)

    def __call__(
        self,
        images: Any = None,
        text: str | list[str] | None = None,
        return_tensors: str | None = None,
        images_kwargs: dict[str, Any] | None = None,
        **text_kwargs: Any,
    ) -> BatchFeature:
        r"""
        Args:
            images: One image, a view pair (tuple or `{"CC": ..., "MLO": ...}`), or a batch of those (see
                `MammoImageProcessor`).
            text (`str` or `list[str]`, *optional*): Reports or prompts.
            return_tensors (`str`, *optional*): `"pt"` or `"np"`.
            images_kwargs (`dict`, *optional*): Per-call overrides for the image processor (e.g.
                `{"return_geometry": True}` for heatmap mapping).
            **text_kwargs: Tokenizer overrides (`padding`, `max_length`, ...).

        Returns:
            `BatchFeature` with `pixel_values` and/or `input_ids`, `attention_mask`, `token_type_ids`.
        """
        if images is None and text is None:
            raise ValueError("MamClipProcessor needs `images`, `text` or both")
        data: dict[str, Any] = {}
        if images is not None:
            data.update(self.image_processor(images, return_tensors=return_tensors, **(images_kwargs or {})))
        if text is not None:
            options = {**self.text_kwargs, **text_kwargs}
            data.update(self.tokenizer(text, return_tensors=return_tensors, **options))
        return BatchFeature(data=data, tensor_type=return_tensors)

    @property
    def model_input_names(self) -> list[str]:
        names = list(getattr(self.tokenizer, "model_input_names", []))
        return names + [n for n in getattr(self.image_processor, "model_input_names", []) if n not in names]


MamClipProcessor.register_for_auto_class("AutoProcessor")
