# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Mammo-CLIP configuration (EfficientNet-B2/B5 image tower + Bio_ClinicalBERT-shaped text tower)."""

from __future__ import annotations

import copy
from typing import Any, Literal

from huggingface_hub.dataclasses import strict
from transformers import BertConfig, EfficientNetConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

__all__ = ["MAMMO_CLIP_TEXT_DEFAULTS", "MAMMO_CLIP_VISION_PRESETS", "MammoClipConfig"]

# The released checkpoints use a vendored copy of lukemelas' EfficientNet-PyTorch, NOT timm
# (batmanlab/Mammo-CLIP:src/codebase/breastclip/model/modules/__init__.py): `tf_efficientnet_b5_ns-detect` -> B5 and,
# misleadingly, `tf_efficientnetv2-detect` -> B2 (not EfficientNetV2). Its convs use *static* TF-"SAME" padding
# computed for the nominal image size (260 / 456), not the real 1520x912 input. transformers' EfficientNetModel pads
# input-size independently too and reproduces the checkpoints to <=1e-6 when the stride-2 depthwise convs whose
# static pad is symmetric are listed in `depthwise_padding` (reference upstream.md §1.2 table, §6.2).
# BatchNorm: eps 1e-3 and *torch* momentum 0.01 (upstream `bn_mom = 1 - 0.99`); transformers passes
# `batch_norm_momentum` to nn.BatchNorm2d unchanged, so its default 0.99 would nearly replace the running statistics
# at every training step.
MAMMO_CLIP_VISION_PRESETS: dict[str, dict[str, Any]] = {
    "b2": {
        "width_coefficient": 1.1,
        "depth_coefficient": 1.2,
        "image_size": 260,  # nominal size the static padding was computed for
        "dropout_rate": 0.3,
        "drop_connect_rate": 0.2,
        "hidden_dim": 1408,  # round_filters(1280 * 1.1)
        "depthwise_padding": [5, 8, 16],
        "batch_norm_eps": 1e-3,
        "batch_norm_momentum": 0.01,
    },
    "b5": {
        "width_coefficient": 1.6,
        "depth_coefficient": 2.2,
        "image_size": 456,
        "dropout_rate": 0.4,
        "drop_connect_rate": 0.2,
        "hidden_dim": 2048,  # round_filters(1280 * 1.6)
        "depthwise_padding": [13, 27],
        "batch_norm_eps": 1e-3,
        "batch_norm_momentum": 0.01,
    },
}

# emilyalsentzer/Bio_ClinicalBERT shape (a cased BERT-base; the pooler is unused upstream and not built here).
MAMMO_CLIP_TEXT_DEFAULTS: dict[str, Any] = {
    "vocab_size": 28996,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
}

_VIEW_FUSION_MODES = ("tile", "mean", "concat")


@strict
class MammoClipConfig(PreTrainedConfig):
    r"""
    Configuration of [`MammoClipModel`] and [`MammoClipForImageClassification`] (Mammo-CLIP, Ghosh et al., MICCAI
    2024), re-implemented with `transformers.EfficientNetModel` and `transformers.BertModel`.

    Defaults reproduce the released B5 checkpoint (`b5-model-best-epoch-7.tar`); `MammoClipConfig.from_preset("b2")`
    gives the B2 one.

    Args:
        vision_config (`dict` or `EfficientNetConfig`, *optional*):
            Image tower; defaults to the B5 preset of `MAMMO_CLIP_VISION_PRESETS` (static-padding reproduction).
        text_config (`dict` or `BertConfig`, *optional*):
            Text tower; defaults to the Bio_ClinicalBERT shape (vocab 28996).
        projection_dim (`int`, *optional*, defaults to 512):
            Width of the joint embedding. Both projections are `nn.Linear` **with bias** (upstream
            `LinearProjectionHead`), which is why `CLIPModel` cannot be reused.
        logit_scale_init_value (`float`, *optional*, defaults to 2.6592600):
            Initial `logit_scale` = log(1 / 0.07); upstream never clamps it.
        text_pooling (`str`, *optional*, defaults to `"eos"`):
            `"eos"`: hidden state at `attention_mask.sum(-1) - 1` (the `[SEP]` with right padding, upstream
            default); `"bos"`: token 0; `"mean"`: masked mean.
        num_views (`int`, *optional*, defaults to 2):
            Views per breast examination, in the order of `view_names`.
        view_names (`list[str]`, *optional*, defaults to `["CC", "MLO"]`):
            View order of the second axis of `pixel_values`.
        view_fusion (`str`, *optional*, defaults to `"mean"`):
            `"mean"`, `"concat"` or `"tile"` (see `dual_view.VIEW_FUSION_MODES`). For the CLIP model `"concat"` adds
            a `view_fusion_projection` (`num_views * projection_dim -> projection_dim`) initialised to the mean.
        loss_type (`str`, *optional*, defaults to `"clip"`):
            `"clip"`: symmetric CLIP loss on the fused image embedding; `"multi_view"`: upstream multi-view
            supervision over per-view image embeddings and up to two texts (see `multi_view_clip_loss`).
        i2i_weight (`float`, *optional*, defaults to 1.0):
            Weight of the image-image term of the multi-view loss (upstream 1.0).
        t2t_weight (`float`, *optional*, defaults to 0.5):
            Weight of the text-text term of the multi-view loss (upstream 0.5).
        classifier_dropout (`float`, *optional*):
            Dropout before the classification head; defaults to `vision_config.dropout_rate` (upstream encoder
            dropout, 0.4 for B5, active while fine-tuning or linear probing).

    Example:
    >>> from mammo_hf import MammoClipConfig
    >>> config = MammoClipConfig.from_preset("b2")
    >>> config.vision_config.depthwise_padding, config.projection_dim
    ([5, 8, 16], 512)
    """

    model_type = "mammo_clip"
    sub_configs_defaults = {
        "vision_config": SubConfigSpec(EfficientNetConfig, init_kwargs=MAMMO_CLIP_VISION_PRESETS["b5"]),
        "text_config": SubConfigSpec(BertConfig, init_kwargs=MAMMO_CLIP_TEXT_DEFAULTS),
    }

    vision_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    projection_dim: int = 512
    logit_scale_init_value: float = 2.6592600
    text_pooling: Literal["eos", "bos", "mean"] = "eos"
    num_views: int = 2
    view_names: list[str] | tuple[str, ...] = ("CC", "MLO")
    view_fusion: Literal["tile", "mean", "concat"] = "mean"
    loss_type: Literal["clip", "multi_view"] = "clip"
    i2i_weight: float = 1.0
    t2t_weight: float = 0.5
    classifier_dropout: float | None = None
    initializer_factor: float = 1.0

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        self.view_names = list(self.view_names)
        if self.view_fusion not in _VIEW_FUSION_MODES:
            raise ValueError(f"view_fusion must be one of {_VIEW_FUSION_MODES}, got {self.view_fusion!r}")
        if len(self.view_names) != self.num_views:
            raise ValueError(f"view_names {self.view_names} must have num_views={self.num_views} entries")

    @classmethod
    def from_preset(cls, variant: str = "b5", **kwargs: Any) -> MammoClipConfig:
        """Config of a released upstream variant: `"b5"` (default) or `"b2"`; `kwargs` override top-level fields."""
        if variant not in MAMMO_CLIP_VISION_PRESETS:
            raise ValueError(
                f"Unknown Mammo-CLIP variant {variant!r}; choose one of {list(MAMMO_CLIP_VISION_PRESETS)}"
            )
        kwargs.setdefault("vision_config", copy.deepcopy(MAMMO_CLIP_VISION_PRESETS[variant]))
        kwargs.setdefault("text_config", dict(MAMMO_CLIP_TEXT_DEFAULTS))
        return cls(**kwargs)


MammoClipConfig.register_for_auto_class()
