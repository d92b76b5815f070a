# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""MAM-CLIP as transformers models: dual-view ConvNeXt image tower, PubMedBERT text tower, optional fusion/MLM head.

Re-implemented from the description of `igulluk/MAM-CLIP:train/files/model.py` (`VLModel`) in the project's reference
notes; weights map onto `transformers.ConvNextModel` / `BertModel` key layouts (upstream.md §6.3).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertModel, ConvNextModel, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPoolingAndCrossAttentions
from transformers.utils import ModelOutput, can_return_tuple

from .configuration_mam_clip import MamClipConfig
from .dual_view import (
    DualViewCamOutput,
    StrictLoadingMixin,
    clip_loss,
    compute_grad_cam,
    fuse_view_embeddings,
    map_cams_to_original,
    per_view_contributions,
    prepare_views,
    run_zero_shot,
    split_tiled_features,
    tile_views,
)

__all__ = [
    "MamClipForImageClassification",
    "MamClipImageClassifierOutput",
    "MamClipModel",
    "MamClipOutput",
    "MamClipPreTrainedModel",
    "MamClipVisionOutput",
]


@dataclass
class MamClipVisionOutput(ModelOutput):
    r"""
    Image-tower output of MAM-CLIP (`get_image_features`).

    Args:
        pooler_output (`torch.FloatTensor` of shape `(batch_size, projection_dim)`):
            Fused embedding after `visual_projection` (not normalised).
        per_view_embeds (`torch.FloatTensor` of shape `(batch_size, num_views, projection_dim)`):
            Embedding of each view (not normalised).
        per_view_features (`torch.FloatTensor` of shape `(batch_size, num_views, hidden_size)`):
            Pooled + LayerNorm-ed ConvNeXt features of each view (timm `head.norm` output).
        last_hidden_state (`torch.FloatTensor`):
            Last ConvNeXt feature map, `(batch_size * num_views, 768, h, w)` (or tiled `(batch_size, 768, h, w')`).
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            Embedding and per-stage feature maps.
    """

    pooler_output: torch.FloatTensor | None = None
    per_view_embeds: torch.FloatTensor | None = None
    per_view_features: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class MamClipOutput(ModelOutput):
    r"""
    Output of [`MamClipModel`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*):
            `contrastive_loss + mlm_loss_weight * mlm_loss` (with `return_loss=True`; MLM only with `mlm_labels`).
        contrastive_loss (`torch.FloatTensor`, *optional*), mlm_loss (`torch.FloatTensor`, *optional*):
            The two terms.
        logits_per_image (`torch.FloatTensor` of shape `(image_batch_size, text_batch_size)`):
            Scaled cosine similarities.
        logits_per_text (`torch.FloatTensor` of shape `(text_batch_size, image_batch_size)`):
            Transpose of `logits_per_image`.
        text_embeds (`torch.FloatTensor` of shape `(text_batch_size, projection_dim)`):
            L2-normalised text embeddings.
        image_embeds (`torch.FloatTensor` of shape `(image_batch_size, projection_dim)`):
            L2-normalised fused image embeddings.
        per_view_image_embeds (`torch.FloatTensor` of shape `(image_batch_size, num_views, projection_dim)`):
            L2-normalised per-view embeddings.
        mlm_logits (`torch.FloatTensor` of shape `(batch_size, sequence_length, mlm_vocab_size)`, *optional*):
            Fusion-module MLM predictions (with `use_mlm_head` and `mlm_labels`).
        text_model_output, vision_model_output:
            Tower outputs.
    """

    loss: torch.FloatTensor | None = None
    contrastive_loss: torch.FloatTensor | None = None
    mlm_loss: torch.FloatTensor | None = None
    logits_per_image: torch.FloatTensor | None = None
    logits_per_text: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None
    image_embeds: torch.FloatTensor | None = None
    per_view_image_embeds: torch.FloatTensor | None = None
    mlm_logits: torch.FloatTensor | None = None
    text_model_output: BaseModelOutputWithPoolingAndCrossAttentions | None = None
    vision_model_output: MamClipVisionOutput | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(
            self[k] if k not in ("text_model_output", "vision_model_output") else getattr(self, k).to_tuple()
            for k in self.keys()
        )


@dataclass
class MamClipImageClassifierOutput(ModelOutput):
    r"""
    Output of [`MamClipForImageClassification`].

    Args:
        loss (`torch.FloatTensor`, *optional*):
            Sum of the BI-RADS loss (`labels`) and the density loss (`density_labels`), whichever are given.
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`):
            Fused BI-RADS (main head) logits.
        per_view_logits (`torch.FloatTensor` of shape `(batch_size, num_views, num_labels)`):
            Per-view logits (see `MammoClipImageClassifierOutput`).
        density_logits (`torch.FloatTensor` of shape `(batch_size, num_density_labels)`, *optional*):
            Fused density logits.
        per_view_density_logits (`torch.FloatTensor`, *optional*):
            Per-view density logits, `(batch_size, num_views, num_density_labels)`.
        image_embeds (`torch.FloatTensor`):
            Fused features fed to the heads.
        per_view_features (`torch.FloatTensor` of shape `(batch_size, num_views, projection_dim)`):
            Per-view features (after `visual_projection`).
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            Encoder feature maps.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    per_view_logits: torch.FloatTensor | None = None
    density_logits: torch.FloatTensor | None = None
    per_view_density_logits: torch.FloatTensor | None = None
    image_embeds: torch.FloatTensor | None = None
    per_view_features: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None


class MamClipFusionBlock(nn.Module):
    """Pre-LayerNorm transformer block in the OpenCLIP `ResidualAttentionBlock` layout upstream uses (so the keys
    `attn.in_proj_weight`, `ln_1`, `mlp.c_fc`, `mlp.c_proj`, `ln_2` map 1:1).
    """

    def __init__(self, width: int, heads: int, mlp_ratio: float, eps: float = 1e-5):
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width, eps=eps)
        self.mlp = nn.Sequential(
            OrderedDict(
                [("c_fc", nn.Linear(width, hidden)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(hidden, width))]
            )
        )

    def forward(self, hidden_states: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        normed = self.ln_1(hidden_states)
        hidden_states = (
            hidden_states + self.attn(normed, normed, normed, key_padding_mask=key_padding_mask, need_weights=False)[0]
        )
        return hidden_states + self.mlp(self.ln_2(hidden_states))


class MamClipFusionModule(nn.Module):
    def __init__(self, config: MamClipConfig):
        super().__init__()
        width = config.text_config.hidden_size
        self.resblocks = nn.ModuleList(
            [
                MamClipFusionBlock(width, config.fusion_num_heads, config.fusion_mlp_ratio)
                for _ in range(config.fusion_num_layers)
            ]
        )

    def forward(self, hidden_states: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.resblocks:
            hidden_states = block(hidden_states, key_padding_mask)
        return hidden_states


class MamClipPreTrainedModel(StrictLoadingMixin, PreTrainedModel):
    config: MamClipConfig
    config_class = MamClipConfig
    base_model_prefix = "mam_clip"
    main_input_name = "pixel_values"
    input_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _no_split_modules = ["ConvNextLayer", "BertLayer", "MamClipFusionBlock"]
    _family_auto_map = {
        "AutoConfig": "configuration_mam_clip.MamClipConfig",
        "AutoModel": "modeling_mam_clip.MamClipModel",
        "AutoModelForZeroShotImageClassification": "modeling_mam_clip.MamClipModel",
        "AutoModelForImageClassification": "modeling_mam_clip.MamClipForImageClassification",
    }

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.MultiheadAttention):
            init.xavier_uniform_(module.in_proj_weight)
            init.zeros_(module.in_proj_bias)
            init.zeros_(module.out_proj.bias)
        elif isinstance(module, MamClipModel):
            init.constant_(module.logit_scale, self.config.logit_scale_init_value)
            # upstream: text_projection ~ N(0, width^-0.5) (OpenCLIP convention); img_special_token zeros
            init.normal_(module.text_projection.weight, std=self.config.text_config.hidden_size**-0.5)
            if module.img_special_token is not None:
                init.zeros_(module.img_special_token)
        else:
            super()._init_weights(module)

    def _convnext_feature_map(
        self, pixel_values: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """Last ConvNeXt feature map (ConvNextModel's forward minus pooling), with per-stage checkpointing."""
        hidden = self.vision_model.embeddings(pixel_values)
        all_hidden = (hidden,) if output_hidden_states else None
        checkpointing = self.gradient_checkpointing and self.training
        for stage in self.vision_model.encoder.stages:
            hidden = self._gradient_checkpointing_func(stage.__call__, hidden) if checkpointing else stage(hidden)
            if output_hidden_states:
                all_hidden += (hidden,)
        return hidden, all_hidden

    def _encode_views(
        self, pixel_values: torch.Tensor, output_hidden_states: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """-> (feature map, per-view embeddings `(B, V, D)`, fused embedding, hidden states), after `head.norm` and
        `visual_projection` (timm: global average pool -> LayerNorm -> fc).
        """
        batch_size, num_views = pixel_values.shape[:2]
        norm = self.vision_model.layernorm
        if self.config.view_fusion == "tile":
            feature_map, hidden = self._convnext_feature_map(tile_views(pixel_values), output_hidden_states)
            per_view = self.visual_projection(norm(split_tiled_features(feature_map, num_views)))
            fused = self.visual_projection(norm(feature_map.mean(dim=(-2, -1))))  # == the single-image model
        else:
            feature_map, hidden = self._convnext_feature_map(pixel_values.flatten(0, 1), output_hidden_states)
            pooled = norm(feature_map.mean(dim=(-2, -1)))
            per_view = self.visual_projection(pooled).view(batch_size, num_views, -1)
            fused = fuse_view_embeddings(per_view, self.config.view_fusion)
        return feature_map, per_view, fused, hidden


class MamClipModel(MamClipPreTrainedModel):
    r"""
    MAM-CLIP: ConvNeXt image tower (+ 768 -> 768 `visual_projection`, timm's replaced `head.fc`) run on each view,
    PubMedBERT text tower with `[CLS]` pooling and a bias-free 768x768 `text_projection`, `logit_scale`; optionally
    the pretraining-only fusion transformer + MLM head (`config.use_mlm_head`).

    `pixel_values`: `(batch_size, num_views, 3, height, width)` (views in `config.view_names` order), or 4-D for one
    view per sample; upstream trained at 1024x768 (H x W), min-max to [0, 1] only (no mean/std).

    Example:
    >>> import torch
    >>> from mammo_hf import MamClipConfig, MamClipModel
    >>> config = MamClipConfig(
    ...     vision_config=dict(depths=[1, 1], hidden_sizes=[8, 16], num_stages=2, layer_norm_eps=1e-6),
    ...     text_config=dict(vocab_size=99, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    ...                      intermediate_size=32), projection_dim=16, use_mlm_head=True, fusion_num_heads=2,
    ...     mlm_vocab_size=99)
    >>> model = MamClipModel(config).eval()
    >>> ids = torch.tensor([[2, 7, 4, 3]])
    >>> out = model(input_ids=ids, pixel_values=torch.randn(1, 2, 3, 64, 48), mlm_labels=ids, return_loss=True)
    >>> out.mlm_logits.shape, out.loss.ndim
    (torch.Size([1, 4, 99]), 0)
    """

    def __init__(self, config: MamClipConfig):
        super().__init__(config)
        self.vision_model = ConvNextModel(config.vision_config)
        self.text_model = BertModel(config.text_config, add_pooling_layer=False)  # pooler unused upstream
        self.visual_projection = nn.Linear(config.vision_config.hidden_sizes[-1], config.projection_dim)
        self.text_projection = nn.Linear(config.text_config.hidden_size, config.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))
        if config.use_mlm_head:
            self.img_special_token = nn.Parameter(torch.zeros(1, 1, config.text_config.hidden_size))
            self.fusion_module = MamClipFusionModule(config)
            self.mlm_head = nn.Linear(config.text_config.hidden_size, config.mlm_vocab_size, bias=False)
        else:
            self.img_special_token = None
            self.fusion_module = None
            self.mlm_head = None
        self.gradient_checkpointing = False
        self.post_init()

    @can_return_tuple
    def get_image_features(
        self, pixel_values: torch.Tensor, output_hidden_states: bool | None = None, **kwargs: Any
    ) -> MamClipVisionOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views (`MammoImageProcessor.from_preset("mam_clip")`).
            output_hidden_states (`bool`, *optional*):
                Also return the stage feature maps.
            **kwargs: Ignored (API compatibility).

        Returns:
            [`MamClipVisionOutput`]; `pooler_output` is the fused projected embedding (not normalised).
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        feature_map, per_view, fused, hidden = self._encode_views(pixel_values, bool(output_hidden_states))
        return MamClipVisionOutput(
            pooler_output=fused,
            per_view_embeds=per_view,
            per_view_features=per_view,
            last_hidden_state=feature_map,
            hidden_states=hidden,
        )

    def _run_text(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions:
        if not self.config.text_use_attention_mask:
            # upstream VLModel.encode_text calls BERT with input_ids only: pad tokens are attended
            attention_mask = token_type_ids = None
        return self.text_model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            return_dict=True,
            **kwargs,
        )

    @can_return_tuple
    def get_text_features(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`):
                PubMedBERT token ids, `[CLS]` first.
            attention_mask (`torch.Tensor`, *optional*):
                Used unless `config.text_use_attention_mask=False` (upstream behaviour).
            token_type_ids (`torch.Tensor`, *optional*):
                As `attention_mask`.
            **kwargs: Passed to the BERT tower.

        Returns:
            The BERT output whose `pooler_output` is the projected `[CLS]` embedding (not normalised).
        """
        outputs = self._run_text(input_ids, attention_mask, token_type_ids, **kwargs)
        # upstream takes the first position where input_ids == [CLS] (id 2): position 0 with the BERT tokenizer
        outputs.pooler_output = self.text_projection(outputs.last_hidden_state[:, 0])
        return outputs

    def _mlm_logits(
        self, text_hidden: torch.Tensor, image_embeds: torch.Tensor, attention_mask: torch.Tensor | None
    ) -> torch.Tensor:
        batch_size = text_hidden.shape[0]
        if image_embeds.shape[0] != batch_size:
            raise ValueError(
                f"MLM fusion pairs texts with images one to one: got {batch_size} texts and "
                f"{image_embeds.shape[0]} images"
            )
        tokens = torch.cat(
            [text_hidden, self.img_special_token.expand(batch_size, -1, -1), image_embeds[:, None]], dim=1
        )
        key_padding_mask = None
        if self.config.text_use_attention_mask and attention_mask is not None:
            extra = attention_mask.new_ones(batch_size, 2)
            key_padding_mask = torch.cat([attention_mask, extra], dim=1) == 0
        fused = self.fusion_module(tokens, key_padding_mask)[:, :-2]  # drop the image token and the image feature
        return self.mlm_head(fused)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        mlm_labels: torch.LongTensor | None = None,
        return_loss: bool | None = None,
        output_hidden_states: bool | None = None,
        **kwargs: Any,
    ) -> MamClipOutput:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(text_batch_size, sequence_length)`):
                Captions (for MLM pretraining: the *masked* captions; upstream also uses them for the contrastive
                term).
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            attention_mask (`torch.Tensor`, *optional*):
                Text mask (ignored when `config.text_use_attention_mask=False`).
            token_type_ids (`torch.Tensor`, *optional*):
                Text segment ids.
            mlm_labels (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
                MLM targets (`config.mlm_ignore_index` elsewhere); needs `config.use_mlm_head`.
            return_loss (`bool`, *optional*):
                Return `contrastive + mlm_loss_weight * mlm`.
            output_hidden_states (`bool`, *optional*):
                Return tower hidden states.
            **kwargs: Passed to the BERT tower.
        """
        vision_outputs = self.get_image_features(pixel_values, output_hidden_states=output_hidden_states)
        text_outputs = self.get_text_features(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_hidden_states=output_hidden_states,
            **kwargs,
        )
        image_embeds = F.normalize(vision_outputs.pooler_output, dim=-1)
        per_view_embeds = F.normalize(vision_outputs.per_view_embeds, dim=-1)
        text_embeds = F.normalize(text_outputs.pooler_output, dim=-1)
        logits_per_text = self.logit_scale.exp() * text_embeds @ image_embeds.t()
        logits_per_image = logits_per_text.t()

        mlm_logits = mlm_loss = None
        if mlm_labels is not None:
            if self.fusion_module is None:
                raise ValueError("mlm_labels given but the model has no MLM head: build it with use_mlm_head=True")
            mlm_logits = self._mlm_logits(text_outputs.last_hidden_state, image_embeds, attention_mask)
            mlm_loss = F.cross_entropy(
                mlm_logits.transpose(1, 2), mlm_labels, ignore_index=self.config.mlm_ignore_index
            )

        loss = contrastive = None
        if return_loss:
            contrastive = clip_loss(logits_per_text)
            loss = contrastive if mlm_loss is None else contrastive + self.config.mlm_loss_weight * mlm_loss

        return MamClipOutput(
            loss=loss,
            contrastive_loss=contrastive,
            mlm_loss=mlm_loss,
            logits_per_image=logits_per_image,
            logits_per_text=logits_per_text,
            text_embeds=text_embeds,
            image_embeds=image_embeds,
            per_view_image_embeds=per_view_embeds,
            mlm_logits=mlm_logits,
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
        use_logit_scale: bool = True,
        max_length: int = 100,
    ) -> dict[str, torch.Tensor]:
        r"""
        Zero-shot probabilities per task (softmax over scaled cosine similarities, CLIP style).

        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            prompts (`dict[str, list[str]]`, *optional*):
                Task -> prompts; defaults to `prompts.MAM_CLIP_ZERO_SHOT_PROMPTS` (BI-RADS, density, malignancy).
            tokenizer (*optional*):
                A BERT tokenizer or a [`MamClipProcessor`].
            per_view (`bool`, *optional*, defaults to `False`):
                Also return `"<task>/per_view"` probabilities `(batch_size, num_views, num_prompts)`.
            use_logit_scale (`bool`, *optional*, defaults to `True`):
                Multiply similarities by `logit_scale.exp()` before the softmax.
            max_length (`int`, *optional*, defaults to 100):
                Prompts are padded to this length (upstream context length; needed when
                `text_use_attention_mask=False`).

        Returns:
            `dict[str, torch.FloatTensor]`: task -> probabilities `(batch_size, num_prompts)`.
        """
        from .prompts import MAM_CLIP_ZERO_SHOT_PROMPTS

        return run_zero_shot(
            self,
            pixel_values,
            MAM_CLIP_ZERO_SHOT_PROMPTS if prompts is None else prompts,
            tokenizer,
            per_view=per_view,
            use_logit_scale=use_logit_scale,
            padding="max_length",
            truncation=True,
            max_length=max_length,
        )


class MamClipForImageClassification(MamClipPreTrainedModel):
    r"""
    MAM-CLIP image tower with a BI-RADS head (`classifier`, `config.num_labels`, 5 in the released fine-tuned
    checkpoints) and a breast-density head (`density_classifier`, `config.num_density_labels`, 4). Both read the
    768-d output of `visual_projection` (timm `model(x)` with the replaced `head.fc`), as the released
    `convnext_*_ftune.pth` (`birads_layer.0`, `density_layer.0`) suggest; the fine-tuning script is unpublished.

    Example:
    >>> import torch
    >>> from mammo_hf import MamClipConfig, MamClipForImageClassification
    >>> config = MamClipConfig(
    ...     vision_config=dict(depths=[1, 1], hidden_sizes=[8, 16], num_stages=2, layer_norm_eps=1e-6),
    ...     text_config=dict(vocab_size=99, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
    ...                      intermediate_size=32), projection_dim=16, num_labels=5)
    >>> out = MamClipForImageClassification(config).eval()(torch.randn(2, 2, 3, 64, 48))
    >>> out.logits.shape, out.density_logits.shape
    (torch.Size([2, 5]), torch.Size([2, 4]))
    """

    _new_head_prefixes = ("classifier.", "density_classifier.")

    def __init__(self, config: MamClipConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.vision_model = ConvNextModel(config.vision_config)
        self.visual_projection = nn.Linear(config.vision_config.hidden_sizes[-1], config.projection_dim)
        width = config.projection_dim * (config.num_views if config.view_fusion == "concat" else 1)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(width, config.num_labels)
        self.density_classifier = nn.Linear(width, config.num_density_labels) if config.num_density_labels else None
        self.gradient_checkpointing = False
        self.post_init()

    def _heads(self, pixel_values: torch.Tensor, output_hidden_states: bool = False) -> dict[str, Any]:
        feature_map, per_view, fused, hidden = self._encode_views(pixel_values, output_hidden_states)
        fusion = self.config.view_fusion
        if fusion == "concat":
            fused = per_view.flatten(1)
        out = {
            "feature_map": feature_map,
            "per_view": per_view,
            "fused": fused,
            "hidden": hidden,
            "logits": self.classifier(self.dropout(fused)),
            "per_view_logits": per_view_contributions(self.classifier, self.dropout(per_view), fusion),
            "density_logits": None,
            "per_view_density_logits": None,
        }
        if self.density_classifier is not None:
            out["density_logits"] = self.density_classifier(self.dropout(fused))
            out["per_view_density_logits"] = per_view_contributions(
                self.density_classifier, self.dropout(per_view), fusion
            )
        return out

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.FloatTensor | None = None,
        labels: torch.Tensor | None = None,
        density_labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        **kwargs: Any,
    ) -> MamClipImageClassifierOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views; 4-D is one view per sample (not with `view_fusion="concat"`).
            labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
                BI-RADS class indices for the main head (loss by `config.problem_type`).
            density_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
                Density class indices (0-3 for A-D); cross-entropy.
            output_hidden_states (`bool`, *optional*):
                Return the stage feature maps.
            **kwargs: Passed to the loss function.
        """
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        out = self._heads(pixel_values, bool(output_hidden_states))
        loss = None
        if labels is not None:
            loss = self.loss_function(labels, out["logits"], self.config, **kwargs)
        if density_labels is not None:
            if out["density_logits"] is None:
                raise ValueError("density_labels given but num_density_labels=0 (no density head)")
            density_loss = F.cross_entropy(out["density_logits"], density_labels)
            loss = density_loss if loss is None else loss + density_loss
        return MamClipImageClassifierOutput(
            loss=loss,
            logits=out["logits"],
            per_view_logits=out["per_view_logits"],
            density_logits=out["density_logits"],
            per_view_density_logits=out["per_view_density_logits"],
            image_embeds=out["fused"],
            per_view_features=out["per_view"],
            hidden_states=out["hidden"],
        )

    def get_cam(
        self,
        pixel_values: torch.Tensor,
        target: int | Sequence[int] | torch.Tensor | None = None,
        head: str = "birads",
        crop_boxes: Sequence[Sequence[Sequence[int] | None]] | None = None,
        original_sizes: Sequence[Sequence[Sequence[int]]] | None = None,
        flipped: Sequence[Sequence[bool]] | None = None,
    ) -> DualViewCamOutput:
        r"""
        Per-view Grad-CAM on the last ConvNeXt stage output.

        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_views, 3, height, width)`):
                Preprocessed views.
            target (`int` or sequence, *optional*):
                Class to explain; defaults to each sample's arg-max.
            head (`str`, *optional*, defaults to `"birads"`):
                `"birads"` (main head) or `"density"`.
            crop_boxes (*optional*):
                Per sample and view `(top, left, bottom, right)` (from `MammoImageProcessor(return_geometry=True)`).
            original_sizes (*optional*):
                Per sample and view `(height, width)`; when given, `original_cams` is filled.
            flipped (*optional*):
                Per sample and view: whether preprocessing mirrored the view.

        Returns:
            [`DualViewCamOutput`] with `cams` `(batch_size, num_views, height, width)` in [0, 1].
        """
        if head not in ("birads", "density"):
            raise ValueError(f"head must be 'birads' or 'density', got {head!r}")
        if head == "density" and self.density_classifier is None:
            raise ValueError("this model has no density head (num_density_labels=0)")
        pixel_values = prepare_views(pixel_values, self.config.view_fusion, self.config.num_views)
        key = "logits" if head == "birads" else "density_logits"

        def encode(pv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            out = self._heads(pv)
            return out["feature_map"], out[key]

        out = compute_grad_cam(encode, pixel_values, self.config.view_fusion, target)
        if original_sizes is not None:
            out.original_cams = map_cams_to_original(out.cams, crop_boxes, original_sizes, flipped)
        return out


MamClipModel.register_for_auto_class("AutoModel")
MamClipForImageClassification.register_for_auto_class("AutoModelForImageClassification")
