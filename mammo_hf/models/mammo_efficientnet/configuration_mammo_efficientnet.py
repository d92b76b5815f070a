# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Configuration of the supervised dual-view CNN baseline (any timm backbone, default `efficientnet_b4`)."""

from __future__ import annotations

from typing import Any, Literal

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

__all__ = ["MammoEfficientNetConfig"]

_VIEW_FUSION_MODES = ("tile", "mean", "concat")


@strict
class MammoEfficientNetConfig(PreTrainedConfig):
    r"""
    Configuration of [`MammoEfficientNetForImageClassification`], the supervised CNN baseline of the seed paper
    (EfficientNet-B4 on concatenated CC|MLO images: `view_fusion="tile"` reproduces that input; `"mean"` and
    `"concat"` run the backbone on each view).

    Args:
        backbone (`str`, *optional*, defaults to `"efficientnet_b4"`):
            Any `timm.create_model` architecture name. It is always built with `pretrained=False` (weights come from
            the saved checkpoint; to start from ImageNet weights use
            `MammoEfficientNetForImageClassification.from_timm_pretrained`).
        backbone_kwargs (`dict`, *optional*):
            Extra `timm.create_model` kwargs (e.g. `{"drop_path_rate": 0.2}`); `num_classes=0, global_pool=""` are
            always set (the head and pooling are ours, so per-view pooling and Grad-CAM work).
        num_channels (`int`, *optional*, defaults to 3):
            Input channels (`in_chans`).
        num_views, view_names, view_fusion:
            Dual-view input contract, as in [`MammoClipConfig`]; default `"tile"` (the paper's concatenated input).
        classifier_dropout (`float`, *optional*, defaults to 0.4):
            Dropout before the head (timm's efficientnet_b4 default `drop_rate`).

    Example:
    >>> from mammo_hf import MammoEfficientNetConfig
    >>> MammoEfficientNetConfig(num_labels=2).backbone
    'efficientnet_b4'
    """

    model_type = "mammo_efficientnet"

    backbone: str = "efficientnet_b4"
    backbone_kwargs: dict[str, Any] | None = None
    num_channels: int = 3
    num_views: int = 2
    view_names: list[str] | tuple[str, ...] = ("CC", "MLO")
    view_fusion: Literal["tile", "mean", "concat"] = "tile"
    classifier_dropout: float = 0.4
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        self.view_names = list(self.view_names)
        self.backbone_kwargs = dict(self.backbone_kwargs or {})
        reserved = {"pretrained", "num_classes", "global_pool", "in_chans"} & set(self.backbone_kwargs)
        if reserved:
            raise ValueError(f"backbone_kwargs may not set {sorted(reserved)}: they are fixed by the wrapper/config")
        if self.view_fusion not in _VIEW_FUSION_MODES:
            raise ValueError(f"view_fusion must be one of {_VIEW_FUSION_MODES}, got {self.view_fusion!r}")
        if len(self.view_names) != self.num_views:
            raise ValueError(f"view_names {self.view_names} must have num_views={self.num_views} entries")


MammoEfficientNetConfig.register_for_auto_class()
