# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Supervised dual-view CNN baseline on any timm backbone (default `efficientnet_b4`), as a transformers model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import timm
import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.utils import ModelOutput, can_return_tuple

from .configuration_mammo_efficientnet import MammoEfficientNetConfig
from .dual_view import (
    DualViewCamOutput,
    StrictLoadingMixin,
    compute_grad_cam,
    fuse_features,
    map_cams_to_original,
    per_view_contributions,
    prepare_views,
    split_tiled_features,
    tile_views,
)

__all__ = [
    "MammoEfficientNetForImageClassification",
    "MammoEfficientNetImageClassifierOutput",
    "MammoEfficientNetPreTrainedModel",
]


@dataclass
class MammoEfficientNetImageClassifierOutput(ModelOutput):
    r"""
    Output of [`MammoEfficientNetForImageClassification`].

    Args:
        loss (`torch.FloatTensor`, *optional*):
            Loss by `config.problem_type` when `labels` are given.
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`):
            Fused (breast-level) logits.
        per_view_logits (`torch.FloatTensor` of shape `(batch_size, num_views, num_labels)`):
            Per-view logits (`mean`/`tile`: head on each view's features; `concat`: each view's additive contribution).
        image_embeds (`torch.FloatTensor`):
            Fused pooled features fed to the head.
        per_view_features (`torch.FloatTensor` of shape `(batch_size, num_views, num_features)`):
            Pooled features of each view.
        last_hidden_state (`torch.FloatTensor`):
            The backbone's last feature map (`forward_features`).
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    per_view_logits: torch.FloatTensor | None = None
    image_embeds: torch.FloatTensor | None = None
    per_view_features: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None


class MammoEfficientNetPreTrainedModel(StrictLoadingMixin, PreTrainedModel):
    config: MammoEfficientNetConfig
    config_class = MammoEfficientNetConfig
    base_model_prefix = "mammo_efficientnet"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    supports_gradient_checkpointing = True
    _family_auto_map = {
        "AutoConfig": "configuration_mammo_efficientnet.MammoEfficientNetConfig",
        "AutoModel": "modeling_mammo_efficientnet.MammoEfficientNetForImageClassification",
        "AutoModelForImageClassification": "modeling_mammo_efficientnet.MammoEfficientNetForImageClassification",
    }

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        # Only our head: timm initialises its backbone in its own way (as transformers' TimmWrapper does).
        if isinstance(module, nn.Linear) and module is getattr(self, "classifier", None):
            init.normal_(module.weight, mean=0.0, std=self.config.initializer_range)
            init.zeros_(module.bias)

    def _set_gradient_checkpointing(self, enable: bool = True, *args: Any, **kwargs: Any) -> None:
        self.timm_model.set_grad_checkpointing(enable)


class MammoEfficientNetForImageClassification(MammoEfficientNetPreTrainedModel):
    r"""
    Any timm backbone (default `efficientnet_b4`) + dropout + linear head, dual-view: `"tile"` (default) encodes the
    CC|MLO side-by-side image, as in the seed paper's EfficientNet-B4 baseline; `"mean"`/`"concat"` share the backbone
    across views. Weights are saved under `timm_model.*` (transformers' `TimmWrapperModel` layout) and `classifier.*`.

    Example:
    >>> import torch
    >>> from mammo_hf import MammoEfficientNetConfig, MammoEfficientNetForImageClassification
    >>> config = MammoEfficientNetConfig(backbone="test_efficientnet", num_labels=2)
    >>> model = MammoEfficientNetForImageClassification(config).eval()
    >>> out = model(torch.randn(1, 2, 3, 64, 48))
    >>> out.logits.shape, out.per_view_logits.shape
    (torch.Size([1, 2]), torch.Size([1, 2, 2]))
    """

    _new_head_prefixes = ("classifier.",)

    def __init__(self, config: MammoEfficientNetConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.timm_model = timm.create_model(
            config.backbone,
            pretrained=False,  # offline by design; see from_timm_pretrained
            num_classes=0,
            global_pool="",
            in_chans=config.num_channels,
            **config.backbone_kwargs,
        )
        features = self.timm_model.num_features
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(
            features * (config.num_views if config.view_fusion == "concat" else 1), config.num_labels
        )
        self.post_init()

    @classmethod
    def from_timm_pretrained(
        cls, config: MammoEfficientNetConfig, checkpoint: str | None = None
    ) -> MammoEfficientNetForImageClassification:
        r"""
        A new classifier whose backbone starts from timm weights.

        Args:
            config ([`MammoEfficientNetConfig`]):
                The model configuration.
            checkpoint (`str`, *optional*):
                A local `.safetensors` / `.pth` / `.bin` state dict of the timm model (e.g. downloaded beforehand;
                `module.` / `state_dict` wrappers and classifier tensors are stripped), or a Hub id such as
                `"timm/efficientnet_b4.ra2_in1k"` (needs network). `None` uses timm's default pretrained tag
                (network).

        Returns:
            The model; every backbone tensor must be present in the source, otherwise a `ValueError` is raised.
        """
        model = cls(config)
        if checkpoint is not None and os.path.isfile(checkpoint):
            if checkpoint.endswith(".safetensors"):
                from safetensors.torch import load_file

                state = load_file(checkpoint)
            else:
                state = torch.load(checkpoint, map_location="cpu", weights_only=True)
            for key in ("state_dict", "model"):
                if isinstance(state, dict) and isinstance(state.get(key), dict):
                    state = state[key]
            state = {k.removeprefix("module."): v for k, v in state.items()}
        else:
            overlay = {"hf_hub_id": checkpoint} if checkpoint else None
            source = timm.create_model(
                config.backbone,
                pretrained=True,
                pretrained_cfg_overlay=overlay,
                num_classes=0,
                global_pool="",
                in_chans=config.num_channels,
                **config.backbone_kwargs,
            )
            state = source.state_dict()
        own = model.timm_model.state_dict()
        state = {k: v for k, v in state.items() if k in own}
        missing = sorted(set(own) - set(state))
        if missing:
            raise ValueError(f"{checkpoint or config.backbone} lacks backbone tensors {missing[:10]} ({len(missing)})")
        model.timm_model.load_state_dict(state, strict=True)
        return model

    def _features(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch_size, num_views = pixel_values.shape[:2]
        if self.config.view_fusion == "tile":
            feature_map = self.timm_model.forward_features(tile_views(pixel_values))
            return feature_map, split_tiled_features(feature_map, num_views)
        feature_map = self.timm_model.forward_features(pixel_values.flatten(0, 1))
        return feature_map, feature_map.mean(dim=(-2, -1)).view(batch_size, num_views, -1)

    def _classify(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feature_map, per_view = self._features(pixel_values)
        fused = fuse_features(feature_map, per_view, self.config.view_fusion)
        logits = self.classifier(self.dropout(fused))
        per_view_logits = per_view_contributions(self.classifier, self.dropout(per_view), self.config.view_fusion)
        return feature_map, per_view, fused, logits, per_view_logits

    @can_return_tuple
    def forward(
        self, pixel_values: torch.FloatTensor | None = None, labels: torch.Tensor | None = None, **kwargs: Any
    ) -> MammoEfficientNetImageClassifierOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views (CC, MLO); 4-D is one view per sample (not with `view_fusion="concat"`).
            labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
                Breast-level labels; the loss follows `config.problem_type`.
            **kwargs: Passed to the loss function.
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        feature_map, per_view, fused, logits, per_view_logits = self._classify(pixel_values)
        loss = self.loss_function(labels, logits, self.config, **kwargs) if labels is not None else None
        return MammoEfficientNetImageClassifierOutput(
            loss=loss,
            logits=logits,
            per_view_logits=per_view_logits,
            image_embeds=fused,
            per_view_features=per_view,
            last_hidden_state=feature_map,
        )

    def get_cam(
        self,
        pixel_values: torch.Tensor,
        target: int | Sequence[int] | torch.Tensor | None = None,
        crop_boxes: Sequence[Sequence[Sequence[int] | None]] | None = None,
        original_sizes: Sequence[Sequence[Sequence[int]]] | None = None,
        flipped: Sequence[Sequence[bool]] | None = None,
    ) -> DualViewCamOutput:
        r"""
        Per-view Grad-CAM on the backbone's last feature map (`timm_model.forward_features`).

        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            target (`int` or sequence, *optional*):
                Class to explain; defaults to each sample's arg-max.
            crop_boxes (*optional*):
                Per sample and view `(top, left, bottom, right)` (from `MammoImageProcessor(return_geometry=True)`).
            original_sizes (*optional*):
                Per sample and view `(height, width)`; when given, `original_cams` is filled.
            flipped (*optional*):
                Per sample and view: whether preprocessing mirrored the view.

        Returns:
            [`DualViewCamOutput`] with `cams` `(batch_size, num_views, height, width)` in [0, 1].
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)

        def encode(pv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            feature_map, _, _, logits, _ = self._classify(pv)
            return feature_map, logits

        out = compute_grad_cam(encode, pixel_values, self.config.view_fusion, target)
        if original_sizes is not None:
            out.original_cams = map_cams_to_original(out.cams, crop_boxes, original_sizes, flipped)
        return out


MammoEfficientNetForImageClassification.register_for_auto_class("AutoModelForImageClassification")
