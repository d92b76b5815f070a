# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""MAM-CLIP configuration (ConvNeXt image tower + PubMedBERT-shaped text tower, optional fusion/MLM head)."""

from __future__ import annotations

import copy
from typing import Any, Literal

from huggingface_hub.dataclasses import strict
from transformers import BertConfig, ConvNextConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

__all__ = ["MAM_CLIP_TEXT_DEFAULTS", "MAM_CLIP_VISION_PRESETS", "MamClipConfig"]

# igulluk/MAM-CLIP builds timm `convnext_tiny` / `convnext_small`; transformers' ConvNextModel matches them exactly
# when `layer_norm_eps=1e-6` (timm's value; the transformers default 1e-12 gives ~6e-7 differences) (upstream.md §6.3).
MAM_CLIP_VISION_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"depths": [3, 3, 9, 3], "hidden_sizes": [96, 192, 384, 768], "layer_norm_eps": 1e-6},
    "small": {"depths": [3, 3, 27, 3], "hidden_sizes": [96, 192, 384, 768], "layer_norm_eps": 1e-6},
}

# microsoft/BiomedNLP-PubMedBERT-base-uncased-abstract-fulltext: BERT-base, uncased, vocab 30522,
# [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
MAM_CLIP_TEXT_DEFAULTS: dict[str, Any] = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "pad_token_id": 0,
}

_VIEW_FUSION_MODES = ("tile", "mean", "concat")


@strict
class MamClipConfig(PreTrainedConfig):
    r"""
    Configuration of [`MamClipModel`] and [`MamClipForImageClassification`] (MAM-CLIP, Gulluk et al., atlas
    image-caption pretraining for BI-RADS classification), re-implemented with `transformers.ConvNextModel` and
    `transformers.BertModel`. Defaults: ConvNeXt-tiny; `MamClipConfig.from_preset("small")` for ConvNeXt-small.

    Args:
        vision_config (`dict` or `ConvNextConfig`, *optional*):
            Image tower (`layer_norm_eps=1e-6`). Its pooled output goes through `visual_projection`, the 768 -> 768
            linear layer (with bias) that replaced timm's `head.fc` upstream.
        text_config (`dict` or `BertConfig`, *optional*):
            Text tower (PubMedBERT shape). The text feature is the `[CLS]` hidden state (position 0).
        projection_dim (`int`, *optional*, defaults to 768):
            Joint embedding width (upstream `embed_dim`); the text projection is bias-free.
        logit_scale_init_value (`float`, *optional*, defaults to 2.6592600):
            log(1 / 0.07), never clamped upstream.
        text_use_attention_mask (`bool`, *optional*, defaults to `True`):
            `True` (our default): BERT gets the attention mask, so padding does not change the embedding. `False`
            reproduces upstream exactly: BERT sees **only** `input_ids` (padding tokens are attended) and captions are
            padded to exactly 100 tokens (the processor's default), which the released checkpoints were trained with.
        use_mlm_head (`bool`, *optional*, defaults to `False`):
            Build the pretraining-only fusion transformer (text tokens + an image token attend to each other) and MLM
            head; loss = contrastive + `mlm_loss_weight` x MLM.
        fusion_num_layers (`int`, *optional*, defaults to 1), fusion_num_heads (`int`, *optional*, defaults to 8),
        fusion_mlp_ratio (`float`, *optional*, defaults to 4.0):
            Shape of the pre-LayerNorm fusion transformer (OpenCLIP `ResidualAttentionBlock` layout).
        mlm_vocab_size (`int`, *optional*, defaults to 49408):
            Output width of the MLM head. Upstream took it from a CLIP BPE config (49408), larger than PubMedBERT's
            30522; labels are BERT ids, so the extra rows are never targets. Kept for checkpoint compatibility.
        mlm_loss_weight (`float`, *optional*, defaults to 0.5):
            Weight of the MLM loss (upstream `mlm_coeff`).
        mlm_ignore_index (`int`, *optional*, defaults to -100):
            Label value ignored by the MLM loss. Upstream ignores 0 (`[PAD]`); set 0 to reproduce its labels.
        num_views, view_names, view_fusion:
            Dual-view input contract, as in [`MammoClipConfig`].
        num_density_labels (`int`, *optional*, defaults to 4):
            Width of the breast-density head of [`MamClipForImageClassification`] (A-D); 0 disables it. The main
            head (`num_labels`, 5 in `from_preset`) is the BI-RADS head of the released fine-tuned checkpoints.
        classifier_dropout (`float`, *optional*, defaults to 0.0):
            Dropout before the heads.

    Example:
    >>> from mammo_hf import MamClipConfig
    >>> config = MamClipConfig.from_preset("tiny")
    >>> config.vision_config.layer_norm_eps, config.num_labels, config.num_density_labels
    (1e-06, 5, 4)
    """

    model_type = "mam_clip"
    sub_configs_defaults = {
        "vision_config": SubConfigSpec(ConvNextConfig, init_kwargs=MAM_CLIP_VISION_PRESETS["tiny"]),
        "text_config": SubConfigSpec(BertConfig, init_kwargs=MAM_CLIP_TEXT_DEFAULTS),
    }

    vision_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    projection_dim: int = 768
    logit_scale_init_value: float = 2.6592600
    text_use_attention_mask: bool = True
    use_mlm_head: bool = False
    fusion_num_layers: int = 1
    fusion_num_heads: int = 8
    fusion_mlp_ratio: float = 4.0
    mlm_vocab_size: int = 49408
    mlm_loss_weight: float = 0.5
    mlm_ignore_index: int = -100
    num_views: int = 2
    view_names: list[str] | tuple[str, ...] = ("CC", "MLO")
    view_fusion: Literal["tile", "mean", "concat"] = "mean"
    num_density_labels: int = 4
    classifier_dropout: float = 0.0
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        self.view_names = list(self.view_names)
        if self.view_fusion not in _VIEW_FUSION_MODES:
            raise ValueError(f"view_fusion must be one of {_VIEW_FUSION_MODES}, got {self.view_fusion!r}")
        if len(self.view_names) != self.num_views:
            raise ValueError(f"view_names {self.view_names} must have num_views={self.num_views} entries")
        if self.use_mlm_head and self.projection_dim != self.text_config.hidden_size:
            raise ValueError(
                "the fusion module mixes text hidden states with the image embedding: projection_dim "
                f"({self.projection_dim}) must equal text_config.hidden_size ({self.text_config.hidden_size})"
            )

    @classmethod
    def from_preset(cls, variant: str = "tiny", **kwargs: Any) -> MamClipConfig:
        """Config of a released variant (`"tiny"` or `"small"`), BI-RADS (5) + density (4) heads by default."""
        if variant not in MAM_CLIP_VISION_PRESETS:
            raise ValueError(f"Unknown MAM-CLIP variant {variant!r}; choose one of {list(MAM_CLIP_VISION_PRESETS)}")
        kwargs.setdefault("vision_config", copy.deepcopy(MAM_CLIP_VISION_PRESETS[variant]))
        kwargs.setdefault("text_config", dict(MAM_CLIP_TEXT_DEFAULTS))
        kwargs.setdefault("num_labels", 5)
        return cls(**kwargs)


MamClipConfig.register_for_auto_class()
