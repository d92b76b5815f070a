# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Mammo-CLIP as transformers models: dual-view EfficientNet image tower, BERT text tower, biased projections.

Re-implemented (not copied) from the description of `batmanlab/Mammo-CLIP:src/codebase/breastclip/model/clip.py`
in the project's reference notes. Weights map 1:1 onto `transformers.EfficientNetModel` / `BertModel` key layouts
(see `convert_mammo_clip_original_to_hf.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertModel, EfficientNetModel, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPoolingAndCrossAttentions
from transformers.utils import ModelOutput, can_return_tuple

from .configuration_mammo_clip import MammoClipConfig
from .dual_view import (
    DualViewCamOutput,
    StrictLoadingMixin,
    clip_loss,
    compute_grad_cam,
    fuse_features,
    fuse_view_embeddings,
    init_mean_fusion_,
    map_cams_to_original,
    multi_view_clip_loss,
    per_view_contributions,
    prepare_views,
    run_zero_shot,
    split_tiled_features,
    tile_views,
)

__all__ = [
    "MammoClipForImageClassification",
    "MammoClipImageClassifierOutput",
    "MammoClipModel",
    "MammoClipOutput",
    "MammoClipPreTrainedModel",
    "MammoClipVisionOutput",
]


@dataclass
class MammoClipVisionOutput(ModelOutput):
    r"""
    Image-tower output of Mammo-CLIP (`get_image_features`).

    Args:
        pooler_output (`torch.FloatTensor` of shape `(batch_size, projection_dim)`):
            Fused, projected (not normalised) image embedding; same role as in `CLIPModel.get_image_features`.
        per_view_embeds (`torch.FloatTensor` of shape `(batch_size, num_views, projection_dim)`):
            Projected (not normalised) embedding of each view.
        per_view_features (`torch.FloatTensor` of shape `(batch_size, num_views, hidden_dim)`):
            Globally pooled encoder features of each view, before projection.
        last_hidden_state (`torch.FloatTensor`):
            Last feature map: `(batch_size * num_views, hidden_dim, h, w)`, or `(batch_size, hidden_dim, h, w')` for
            `view_fusion="tile"`.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            Stem and per-block feature maps, with `output_hidden_states=True`.
    """

    pooler_output: torch.FloatTensor | None = None
    per_view_embeds: torch.FloatTensor | None = None
    per_view_features: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class MammoClipOutput(ModelOutput):
    r"""
    Output of [`MammoClipModel`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*):
            Contrastive loss (with `return_loss=True`): CLIP loss, or the multi-view loss for `loss_type="multi_view"`.
        logits_per_image (`torch.FloatTensor` of shape `(image_batch_size, text_batch_size)`):
            `logit_scale.exp()` times the cosine similarity of fused image and text embeddings.
        logits_per_text (`torch.FloatTensor` of shape `(text_batch_size, image_batch_size)`):
            Transpose of `logits_per_image`.
        text_embeds (`torch.FloatTensor` of shape `(text_batch_size, projection_dim)`):
            L2-normalised text embeddings.
        image_embeds (`torch.FloatTensor` of shape `(image_batch_size, projection_dim)`):
            L2-normalised fused image embeddings.
        per_view_image_embeds (`torch.FloatTensor` of shape `(image_batch_size, num_views, projection_dim)`):
            L2-normalised embedding of each view.
        text_model_output (`BaseModelOutputWithPoolingAndCrossAttentions`):
            Output of the BERT text tower.
        vision_model_output (`MammoClipVisionOutput`):
            Output of the image tower.
    """

    loss: torch.FloatTensor | None = None
    logits_per_image: torch.FloatTensor | None = None
    logits_per_text: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None
    image_embeds: torch.FloatTensor | None = None
    per_view_image_embeds: torch.FloatTensor | None = None
    text_model_output: BaseModelOutputWithPoolingAndCrossAttentions | None = None
    vision_model_output: MammoClipVisionOutput | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(
            self[k] if k not in ("text_model_output", "vision_model_output") else getattr(self, k).to_tuple()
            for k in self.keys()
        )


@dataclass
class MammoClipImageClassifierOutput(ModelOutput):
    r"""
    Output of the dual-view image classifiers.

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*):
            Classification loss when `labels` are given (`self.loss_function`, i.e. by `config.problem_type`).
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`):
            Fused (breast-level) logits.
        per_view_logits (`torch.FloatTensor` of shape `(batch_size, num_views, num_labels)`):
            Per-view logits: the head on each view's features (`mean`, `tile`; their mean is `logits`) or each
            view's additive contribution (`concat`; their sum is `logits`).
        image_embeds (`torch.FloatTensor` of shape `(batch_size, hidden)`):
            Fused features fed to the head.
        per_view_features (`torch.FloatTensor` of shape `(batch_size, num_views, hidden_dim)`):
            Pooled features of each view.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            Encoder feature maps, with `output_hidden_states=True`.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    per_view_logits: torch.FloatTensor | None = None
    image_embeds: torch.FloatTensor | None = None
    per_view_features: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None


class MammoClipPreTrainedModel(StrictLoadingMixin, PreTrainedModel):
    config: MammoClipConfig
    config_class = MammoClipConfig
    base_model_prefix = "mammo_clip"
    main_input_name = "pixel_values"
    input_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _no_split_modules = ["EfficientNetBlock", "BertLayer"]
    _family_auto_map = {
        "AutoConfig": "configuration_mammo_clip.MammoClipConfig",
        "AutoModel": "modeling_mammo_clip.MammoClipModel",
        "AutoModelForZeroShotImageClassification": "modeling_mammo_clip.MammoClipModel",
        "AutoModelForImageClassification": "modeling_mammo_clip.MammoClipForImageClassification",
    }

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        # Towers (EfficientNetModel, BertModel) are PreTrainedModels and initialise themselves; this covers our heads.
        std = self.config.text_config.initializer_range * self.config.initializer_factor
        if isinstance(module, nn.Linear):
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, MammoClipModel):
            init.constant_(module.logit_scale, self.config.logit_scale_init_value)
            if module.view_fusion_projection is not None:
                weight = torch.empty_like(module.view_fusion_projection.weight)
                init_mean_fusion_(weight, self.config.num_views)
                init.copy_(module.view_fusion_projection.weight, weight)
                init.zeros_(module.view_fusion_projection.bias)
        else:
            super()._init_weights(module)

    # -- image tower shared by the CLIP model and the classifier ------------------------------------------------------
    def _efficientnet_feature_map(
        self, pixel_values: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """Last feature map of `EfficientNetModel` (its forward minus the pooler), with activation checkpointing.

        The pooler is skipped on purpose: `EfficientNetModel.pooler` is `AvgPool2d(hidden_dim)`, global only while the
        map is at most `hidden_dim` pixels per side; per-view / tiled pooling is done by the caller.
        """
        vision = self.vision_model
        hidden = vision.embeddings(pixel_values)
        all_hidden = (hidden,) if output_hidden_states else None
        checkpointing = self.gradient_checkpointing and self.training
        for block in vision.encoder.blocks:
            hidden = self._gradient_checkpointing_func(block.__call__, hidden) if checkpointing else block(hidden)
            if output_hidden_states:
                all_hidden += (hidden,)
        encoder = vision.encoder
        hidden = encoder.top_activation(encoder.top_bn(encoder.top_conv(hidden)))
        return hidden, all_hidden

    def _encode_views(
        self, pixel_values: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """`(B, V, C, H, W)` -> (feature map, per-view pooled features `(B, V, hidden_dim)`, hidden states)."""
        batch_size, num_views = pixel_values.shape[:2]
        if self.config.view_fusion == "tile":
            feature_map, hidden = self._efficientnet_feature_map(tile_views(pixel_values), output_hidden_states)
            per_view = split_tiled_features(feature_map, num_views)
        else:
            feature_map, hidden = self._efficientnet_feature_map(pixel_values.flatten(0, 1), output_hidden_states)
            per_view = feature_map.mean(dim=(-2, -1)).view(batch_size, num_views, -1)
        return feature_map, per_view, hidden


class MammoClipModel(MammoClipPreTrainedModel):
    r"""
    Mammo-CLIP: an EfficientNet image tower run on each view of a breast examination, a BERT text tower, biased linear
    projections to `projection_dim`, and a learnable `logit_scale`.

    `pixel_values` has shape `(batch_size, num_views, 3, height, width)` with views in `config.view_names` order
    (`("CC", "MLO")`); a 4-D `(batch_size, 3, height, width)` tensor is one view per sample. Any input size works (the
    static padding does not depend on it); the released models were trained at 1520x912 (H x W).

    Example:
    >>> import torch
    >>> from transformers import BertConfig
    >>> from mammo_hf import MammoClipConfig, MammoClipModel
    >>> config = MammoClipConfig(
    ...     vision_config=dict(width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=128, depthwise_padding=[]),
    ...     text_config=BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
    ...                            intermediate_size=37), projection_dim=16)
    >>> model = MammoClipModel(config).eval()
    >>> out = model(input_ids=torch.tensor([[2, 5, 3]]), pixel_values=torch.randn(1, 2, 3, 64, 32))
    >>> out.logits_per_image.shape, out.per_view_image_embeds.shape
    (torch.Size([1, 1]), torch.Size([1, 2, 16]))
    """

    def __init__(self, config: MammoClipConfig):
        super().__init__(config)
        self.vision_model = EfficientNetModel(config.vision_config)
        # Bio_ClinicalBERT is loaded upstream *with* its pooler, which is never used: we build BertModel without it
        # so that every parameter is trained (the converter drops `pooler.*`).
        self.text_model = BertModel(config.text_config, add_pooling_layer=False)
        self.visual_projection = nn.Linear(config.vision_config.hidden_dim, config.projection_dim)
        self.text_projection = nn.Linear(config.text_config.hidden_size, config.projection_dim)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))
        # "concat" needs an embedding of the text's width: a learned (V * P -> P) map initialised to the view mean.
        self.view_fusion_projection = (
            nn.Linear(config.num_views * config.projection_dim, config.projection_dim)
            if config.view_fusion == "concat"
            else None
        )
        self.gradient_checkpointing = False
        self.post_init()

    def _fuse(self, per_view_embeds: torch.Tensor) -> torch.Tensor:
        fused = fuse_view_embeddings(per_view_embeds, self.config.view_fusion)
        return self.view_fusion_projection(fused) if self.view_fusion_projection is not None else fused

    @can_return_tuple
    def get_image_features(
        self, pixel_values: torch.Tensor, output_hidden_states: bool | None = None, **kwargs: Any
    ) -> MammoClipVisionOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views (`MammoImageProcessor`, Mammo-CLIP preset); 4-D input is one view per sample.
            output_hidden_states (`bool`, *optional*):
                Also return the stem and per-block feature maps.
            **kwargs: Ignored (API compatibility).

        Returns:
            [`MammoClipVisionOutput`] whose `pooler_output` is the fused projected embedding (not normalised).
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        feature_map, per_view, hidden = self._encode_views(pixel_values, bool(output_hidden_states))
        per_view_embeds = self.visual_projection(per_view)
        if self.config.view_fusion == "tile":  # one tiled image: exactly the single-image model's embedding
            fused = self.visual_projection(fuse_features(feature_map, per_view, "tile"))
        else:
            fused = self._fuse(per_view_embeds)
        return MammoClipVisionOutput(
            pooler_output=fused,
            per_view_embeds=per_view_embeds,
            per_view_features=per_view,
            last_hidden_state=feature_map,
            hidden_states=hidden,
        )

    def _pool_text(self, last_hidden_state: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        if attention_mask is None:
            attention_mask = torch.ones(last_hidden_state.shape[:2], device=last_hidden_state.device, dtype=torch.long)
        if self.config.text_pooling == "eos":
            # upstream `encode_text`: the row-wise last attended token, i.e. [SEP] with right padding
            index = attention_mask.sum(-1) - 1
            return last_hidden_state[torch.arange(len(index), device=index.device), index]
        if self.config.text_pooling == "bos":
            return last_hidden_state[:, 0]
        mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
        return (last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    @can_return_tuple
    def get_text_features(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`):
                Token ids from the Bio_ClinicalBERT tokenizer (right padding: `"eos"` pooling relies on it).
            attention_mask (`torch.Tensor`, *optional*):
                Padding mask; also decides the `"eos"` position.
            token_type_ids (`torch.Tensor`, *optional*):
                Segment ids.
            position_ids (`torch.Tensor`, *optional*):
                Position ids.
            **kwargs: Passed to the BERT tower (e.g. `output_hidden_states`).

        Returns:
            The BERT output whose `pooler_output` is the pooled, projected text embedding (not normalised).
        """
        outputs = self.text_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            return_dict=True,
            **kwargs,
        )
        outputs.pooler_output = self.text_projection(self._pool_text(outputs.last_hidden_state, attention_mask))
        return outputs

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        pair_input_ids: torch.LongTensor | None = None,
        pair_attention_mask: torch.Tensor | None = None,
        return_loss: bool | None = None,
        output_hidden_states: bool | None = None,
        **kwargs: Any,
    ) -> MammoClipOutput:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(text_batch_size, sequence_length)`):
                Tokenised texts (reports or prompts).
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            attention_mask (`torch.Tensor`, *optional*):
                Text padding mask.
            token_type_ids (`torch.Tensor`, *optional*):
                Text segment ids.
            position_ids (`torch.Tensor`, *optional*):
                Text position ids.
            pair_input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
                A second text per sample (upstream: another report section or its back-translation), used by the
                multi-view loss's t2t term.
            pair_attention_mask (`torch.Tensor`, *optional*):
                Mask of `pair_input_ids`.
            return_loss (`bool`, *optional*):
                Compute the contrastive loss (image `i` matches text `i`).
            output_hidden_states (`bool`, *optional*):
                Return tower hidden states.
            **kwargs: Passed to the BERT tower.
        """
        vision_outputs = self.get_image_features(pixel_values, output_hidden_states=output_hidden_states)
        text_outputs = self.get_text_features(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            output_hidden_states=output_hidden_states,
            **kwargs,
        )
        image_embeds = F.normalize(vision_outputs.pooler_output, dim=-1)
        per_view_embeds = F.normalize(vision_outputs.per_view_embeds, dim=-1)
        text_embeds = F.normalize(text_outputs.pooler_output, dim=-1)

        logits_per_text = self.logit_scale.exp() * text_embeds @ image_embeds.t()
        logits_per_image = logits_per_text.t()

        loss = None
        if return_loss:
            if self.config.loss_type == "multi_view":
                texts = [text_embeds]
                if pair_input_ids is not None:
                    pair = self.get_text_features(input_ids=pair_input_ids, attention_mask=pair_attention_mask)
                    texts.append(F.normalize(pair.pooler_output, dim=-1))
                loss = multi_view_clip_loss(
                    list(per_view_embeds.unbind(1)),
                    texts,
                    self.logit_scale,
                    i2i_weight=self.config.i2i_weight,
                    t2t_weight=self.config.t2t_weight,
                )
            else:
                loss = clip_loss(logits_per_text)

        return MammoClipOutput(
            loss=loss,
            logits_per_image=logits_per_image,
            logits_per_text=logits_per_text,
            text_embeds=text_embeds,
            image_embeds=image_embeds,
            per_view_image_embeds=per_view_embeds,
            text_model_output=text_outputs,
            vision_model_output=vision_outputs,
        )

    @torch.no_grad()
    def zero_shot(
        self,
        pixel_values: torch.Tensor,
        prompts: Mapping[str, Sequence[str]] | None = None,
        tokenizer: Any = None,
        per_view: bool = False,
        use_logit_scale: bool = False,
        max_length: int = 256,
    ) -> dict[str, torch.Tensor]:
        r"""
        Zero-shot class probabilities per task, as the upstream evaluator computes them.

        Each task's prompts are tokenised together (`padding="longest"`, `truncation=True`, `max_length=256`) and
        the probabilities are the softmax over **raw** cosine similarities between the image and prompt embeddings
        (no logit scale, `batmanlab/Mammo-CLIP:src/codebase/breastclip/evaluator.py`), so they are flat by design;
        rank them (AUROC) rather than thresholding at 0.5. `use_logit_scale=True` gives CLIP-style sharper
        probabilities instead.

        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            prompts (`dict[str, list[str]]`, *optional*):
                Task -> prompts (negative first for binary tasks). Defaults to
                `prompts.MAMMO_CLIP_ZERO_SHOT_PROMPTS` (mass, suspicious calcification, malignancy, density).
            tokenizer (*optional*):
                A BERT tokenizer, or a [`MammoClipProcessor`] (its tokenizer is used).
            per_view (`bool`, *optional*, defaults to `False`):
                Also return `"<task>/per_view"` probabilities of shape `(batch_size, num_views, num_prompts)`.
            use_logit_scale (`bool`, *optional*, defaults to `False`):
                Multiply the cosine similarities by `logit_scale.exp()` before the softmax.
            max_length (`int`, *optional*, defaults to 256):
                Prompt truncation length.

        Returns:
            `dict[str, torch.FloatTensor]`: task -> probabilities of shape `(batch_size, num_prompts)`.
        """
        from .prompts import MAMMO_CLIP_ZERO_SHOT_PROMPTS

        return run_zero_shot(
            self,
            pixel_values,
            MAMMO_CLIP_ZERO_SHOT_PROMPTS if prompts is None else prompts,
            tokenizer,
            per_view=per_view,
            use_logit_scale=use_logit_scale,
            padding="longest",
            truncation=True,
            max_length=max_length,
        )


class MammoClipForImageClassification(MammoClipPreTrainedModel):
    r"""
    Mammo-CLIP image tower + dropout + linear head on the pooled (pre-projection) features, as the upstream linear
    probe / fine-tune (`breastclip/Classifiers/models/breast_clip_classifier.py`: `classification_head` on the
    2048-d B5 pooled features, encoder dropout 0.4 before it).

    Loading a [`MammoClipModel`] checkpoint initialises `classifier` (the only tensors allowed to be missing) and
    ignores the text tower. For a linear probe freeze `vision_model`; note that upstream kept the encoder in
    `train()` mode while probing, so its BatchNorm statistics moved.

    Example:
    >>> import torch
    >>> from mammo_hf import MammoClipConfig, MammoClipForImageClassification
    >>> config = MammoClipConfig(
    ...     vision_config=dict(width_coefficient=0.1, depth_coefficient=0.1, hidden_dim=128, depthwise_padding=[]),
    ...     text_config=dict(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
    ...                      intermediate_size=37), num_labels=2, view_fusion="concat")
    >>> model = MammoClipForImageClassification(config).eval()
    >>> out = model(torch.randn(2, 2, 3, 64, 32))
    >>> out.logits.shape, out.per_view_logits.shape
    (torch.Size([2, 2]), torch.Size([2, 2, 2]))
    """

    _new_head_prefixes = ("classifier.",)

    def __init__(self, config: MammoClipConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.vision_model = EfficientNetModel(config.vision_config)
        hidden = config.vision_config.hidden_dim
        in_features = hidden * config.num_views if config.view_fusion == "concat" else hidden
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.vision_config.dropout_rate if dropout is None else dropout)
        self.classifier = nn.Linear(in_features, config.num_labels)
        self.gradient_checkpointing = False
        self.post_init()

    def _classify(
        self, pixel_values: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, Any]:
        feature_map, per_view, hidden = self._encode_views(pixel_values, output_hidden_states)
        fused = fuse_features(feature_map, per_view, self.config.view_fusion)
        logits = self.classifier(self.dropout(fused))
        per_view_logits = per_view_contributions(self.classifier, self.dropout(per_view), self.config.view_fusion)
        return feature_map, per_view, fused, logits, per_view_logits, hidden

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.FloatTensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        **kwargs: Any,
    ) -> MammoClipImageClassifierOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views; 4-D input is one view per sample (not allowed with `view_fusion="concat"`).
            labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
                Breast-level labels; the loss follows `config.problem_type` (for a single-logit BCE head set
                `problem_type="multi_label_classification"`, as upstream used BCE-with-logits).
            output_hidden_states (`bool`, *optional*):
                Return the encoder feature maps.
            **kwargs: Passed to the loss function.
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        _, per_view, fused, logits, per_view_logits, hidden = self._classify(pixel_values, bool(output_hidden_states))
        loss = self.loss_function(labels, logits, self.config, **kwargs) if labels is not None else None
        return MammoClipImageClassifierOutput(
            loss=loss,
            logits=logits,
            per_view_logits=per_view_logits,
            image_embeds=fused,
            per_view_features=per_view,
            hidden_states=hidden,
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
        Per-view Grad-CAM on the last EfficientNet feature map (`vision_model.encoder.top_activation` output).

        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            target (`int` or sequence, *optional*):
                Class to explain; defaults to each sample's arg-max.
            crop_boxes (*optional*):
                Per sample and view `(top, left, bottom, right)` (from `MammoImageProcessor(return_geometry=True)`).
            original_sizes (*optional*):
                Per sample and view `(height, width)`; when given, `original_cams` holds the maps pasted back into the
                original images (what the demo overlays).
            flipped (*optional*):
                Per sample and view: whether preprocessing mirrored the view.

        Returns:
            [`DualViewCamOutput`] with `cams` of shape `(batch_size, num_views, height, width)` in [0, 1].
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)

        def encode(pv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            feature_map, _, _, logits, _, _ = self._classify(pv)
            return feature_map, logits

        out = compute_grad_cam(encode, pixel_values, self.config.view_fusion, target)
        if original_sizes is not None:
            out.original_cams = map_cams_to_original(out.cams, crop_boxes, original_sizes, flipped)
        return out


MammoClipModel.register_for_auto_class("AutoModel")
MammoClipForImageClassification.register_for_auto_class("AutoModelForImageClassification")
