# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Dual-view (CC + MLO) building blocks shared by every mammo-hf model family.

WHY THIS FILE EXISTS THREE TIMES: `save_pretrained` copies a model's code to the Hub so that
`AutoModel.from_pretrained(repo, trust_remote_code=True)` works for people who never installed mammo-hf.
transformers' dynamic-module loader only follows *same-folder* relative imports (`from .dual_view import ...`), so a
shared helper cannot live in a common parent package. The canonical copy is
`mammo_hf/models/mammo_clip/dual_view.py`; `mammo_hf/models/{mam_clip,mammo_efficientnet}/dual_view.py` are
byte-identical duplicates written by `python -m mammo_hf.models.sync_shared_files` and checked by
`tests/models/test_remote_code.py::test_shared_files_are_identical`. Edit the canonical copy only.

Contents: the view-fusion contract (`tile` / `mean` / `concat`), input normalisation with a single-view rule, CLIP and
multi-view contrastive losses, strict checkpoint loading (no silent random initialisation), and Grad-CAM with the
mapping back to the original image through the breast crop box. Hub-bound: imports torch and transformers only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers.utils import ModelOutput

__all__ = [
    "VIEW_FUSION_MODES",
    "DualViewCamOutput",
    "StrictLoadingMixin",
    "check_view_fusion",
    "clip_loss",
    "compute_grad_cam",
    "contrastive_loss",
    "fuse_features",
    "fuse_view_embeddings",
    "run_zero_shot",
    "init_mean_fusion_",
    "map_cam_to_original",
    "map_cams_to_original",
    "multi_view_clip_loss",
    "per_view_contributions",
    "prepare_views",
    "split_tiled_features",
    "tile_views",
]

#: How the views of one breast are combined.
#: - ``"tile"``: the views are placed side by side (CC | MLO) into one image and encoded once; this is the seed
#:   paper's "concatenated" input. Per-view features are pooled from each view's columns of the feature map.
#: - ``"mean"``: a shared encoder runs on each view; the per-view embeddings are averaged.
#: - ``"concat"``: a shared encoder runs on each view; the per-view embeddings are concatenated before the head
#:   (the head width depends on ``num_views``, so every sample must carry exactly ``num_views`` views).
VIEW_FUSION_MODES: tuple[str, ...] = ("tile", "mean", "concat")


def check_view_fusion(view_fusion: str) -> str:
    """Raise a clear error for an unknown fusion mode (used by the configs' `__post_init__`)."""
    if view_fusion not in VIEW_FUSION_MODES:
        raise ValueError(f"view_fusion must be one of {VIEW_FUSION_MODES}, got {view_fusion!r}")
    return view_fusion


def prepare_views(pixel_values: torch.Tensor | None, view_fusion: str, num_views: int) -> torch.Tensor:
    """Validate `pixel_values` and return them as `(batch_size, num_views, channels, height, width)`.

    Single-view rule: a 4-D tensor `(batch_size, channels, height, width)` means *one view per sample* and is
    treated as `num_views=1`. `"tile"` and `"mean"` accept any number of views; `"concat"` needs exactly the
    configured `num_views` (its head was built for that width), so a single view raises instead of being padded.
    """
    if pixel_values is None:
        raise ValueError("You have to specify pixel_values")
    if pixel_values.ndim == 4:
        pixel_values = pixel_values.unsqueeze(1)
    if pixel_values.ndim != 5:
        raise ValueError(
            "pixel_values must have shape (batch_size, num_views, channels, height, width) or, for a single view, "
            f"(batch_size, channels, height, width); got a {pixel_values.ndim}-D tensor of shape "
            f"{tuple(pixel_values.shape)}"
        )
    if view_fusion == "concat" and pixel_values.shape[1] != num_views:
        raise ValueError(
            f'view_fusion="concat" needs exactly num_views={num_views} views per sample (the head input is '
            f"num_views * hidden_size wide), got {pixel_values.shape[1]}; use view_fusion='mean' or 'tile' for "
            "single-view or variable-view inputs"
        )
    return pixel_values


def tile_views(pixel_values: torch.Tensor) -> torch.Tensor:
    """Place the views side by side: `(B, V, C, H, W)` -> `(B, C, H, V * W)` (view order left to right)."""
    batch_size, num_views, channels, height, width = pixel_values.shape
    return pixel_values.permute(0, 2, 3, 1, 4).reshape(batch_size, channels, height, num_views * width)


def split_tiled_features(feature_map: torch.Tensor, num_views: int) -> torch.Tensor:
    """Global-average-pool each view's columns of a tiled feature map: `(B, C, h, w)` -> `(B, V, C)`.

    The split follows the tiling of `tile_views` (equal widths; when `w` is not divisible by `V` the first chunks
    are one column wider, as in `torch.tensor_split`). Receptive fields cross the seam, so these are the features
    *located* in each view, not features of each view encoded alone.
    """
    chunks = torch.tensor_split(feature_map, num_views, dim=-1)
    return torch.stack([chunk.mean(dim=(-2, -1)) for chunk in chunks], dim=1)


def fuse_view_embeddings(per_view: torch.Tensor, view_fusion: str) -> torch.Tensor:
    """Fuse per-view embeddings `(B, V, D)`: mean -> `(B, D)`, concat -> `(B, V * D)`, tile -> mean of the
    column-pooled features, which equals global pooling of the tiled feature map up to the uneven-split weighting.
    """
    if view_fusion == "concat":
        return per_view.flatten(1)
    return per_view.mean(dim=1)


def fuse_features(feature_map: torch.Tensor, per_view: torch.Tensor, view_fusion: str) -> torch.Tensor:
    """Fused encoder features: `tile` -> global average of the tiled map (exactly the single-image model),
    `mean` -> mean of the views, `concat` -> views concatenated `(B, V * C)`.
    """
    if view_fusion == "tile":
        return feature_map.mean(dim=(-2, -1))
    return fuse_view_embeddings(per_view, view_fusion)


def per_view_contributions(classifier: nn.Linear, per_view: torch.Tensor, view_fusion: str) -> torch.Tensor:
    """Per-view logits `(B, V, num_labels)`.

    - `mean` / `tile`: the head applied to each view's features (their mean is exactly the fused logits, because the
      head is linear and the fused features are the mean).
    - `concat`: each view's additive contribution `W_v x_v + b / V` (their sum is exactly the fused logits).
    """
    if view_fusion != "concat":
        return classifier(per_view)
    num_views, hidden = per_view.shape[1], per_view.shape[2]
    weight = classifier.weight.view(classifier.out_features, num_views, hidden)
    logits = torch.einsum("bvd,ovd->bvo", per_view, weight)
    if classifier.bias is not None:
        logits = logits + classifier.bias / num_views
    return logits


# ----------------------------------------------------------------------------------------------------------------
# Contrastive losses
# ----------------------------------------------------------------------------------------------------------------
def contrastive_loss(logits: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of a square similarity matrix against the diagonal (row i matches column i)."""
    return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device), label_smoothing=label_smoothing)


def clip_loss(logits_per_text: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Symmetric CLIP loss: mean of text->image and image->text cross-entropies."""
    return (
        contrastive_loss(logits_per_text, label_smoothing) + contrastive_loss(logits_per_text.t(), label_smoothing)
    ) / 2.0


def multi_view_clip_loss(
    image_embeds: Sequence[torch.Tensor],
    text_embeds: Sequence[torch.Tensor],
    logit_scale: torch.Tensor,
    i2i_weight: float = 1.0,
    t2t_weight: float = 0.5,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Mammo-CLIP's multi-view supervision (MVS) loss, generalised to any number of image views / texts.

    Re-implemented from the description of `batmanlab/Mammo-CLIP:src/codebase/breastclip/loss/breast_clip.py`
    (reference notes §1.4): with all embeddings L2-normalised and `s = logit_scale.exp()`,
    `i2t` = mean over every (image view, text) pair of CE(s·I·Tᵀ), `t2i` likewise with texts as rows,
    `i2i` = mean over ordered pairs of different image views of CE(s·Iₐ·I_bᵀ), `t2t` likewise for texts, and
    total = (i2t + t2i) / 2 + i2i_weight · i2i + t2t_weight · t2t. Upstream uses two views (CC/MLO of one breast or
    a re-augmented image), two texts (a report section and its back-translation), i2i 1.0 and t2t 0.5.
    """
    scale = logit_scale.exp()
    i2t = torch.stack(
        [contrastive_loss(scale * i @ t.t(), label_smoothing) for i in image_embeds for t in text_embeds]
    )
    t2i = torch.stack(
        [contrastive_loss(scale * t @ i.t(), label_smoothing) for i in image_embeds for t in text_embeds]
    )
    loss = (i2t.mean() + t2i.mean()) / 2.0
    if len(image_embeds) > 1 and i2i_weight:
        pairs = [(a, b) for a in range(len(image_embeds)) for b in range(len(image_embeds)) if a != b]
        i2i = torch.stack([contrastive_loss(scale * image_embeds[a] @ image_embeds[b].t()) for a, b in pairs])
        loss = loss + i2i_weight * i2i.mean()
    if len(text_embeds) > 1 and t2t_weight:
        pairs = [(a, b) for a in range(len(text_embeds)) for b in range(len(text_embeds)) if a != b]
        t2t = torch.stack([contrastive_loss(scale * text_embeds[a] @ text_embeds[b].t()) for a, b in pairs])
        loss = loss + t2t_weight * t2t.mean()
    return loss


# ----------------------------------------------------------------------------------------------------------------
# Strict loading: a checkpoint that lacks (or renames) a tensor must not silently leave it randomly initialised.
# ----------------------------------------------------------------------------------------------------------------
class StrictLoadingMixin:
    """`save_pretrained` with the full `auto_map`, and a `from_pretrained` that fails loudly on missing / unexpected
    tensors (cf. transformers#46620).

    transformers only *logs* missing keys and initialises them randomly. That is right when a new head is put on a
    pretrained encoder, and wrong everywhere else. Rule:

    - checkpoint saved by this very class (its `config.architectures` names it): every tensor must be present and
      no tensor may be left over;
    - checkpoint of another class (e.g. a `MammoClipModel` loaded into `MammoClipForImageClassification`): only the
      modules listed in `_new_head_prefixes` may be missing (they are the new head); extra tensors (e.g. the text
      tower) are ignored.

    Pass `strict=False` to get transformers' permissive behaviour back. Shape mismatches already raise in
    transformers unless `ignore_mismatched_sizes=True`.
    """

    #: key prefixes allowed to be missing when the checkpoint comes from another architecture (new heads)
    _new_head_prefixes: tuple[str, ...] = ()
    #: the family's complete `auto_map` ({"AutoConfig": "configuration_x.XConfig", "AutoModel": ...}); transformers
    #: writes only the class being saved (reference stack.md Q1.B), which would break `AutoModel` on a head repo
    _family_auto_map: dict[str, str] = {}

    def save_pretrained(self, save_directory: Any, *args: Any, **kwargs: Any) -> Any:
        if self._family_auto_map:
            self.config.auto_map = {**(getattr(self.config, "auto_map", None) or {}), **self._family_auto_map}
        return super().save_pretrained(save_directory, *args, **kwargs)  # type: ignore[misc]

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *model_args: Any, strict: bool = True, **kwargs: Any):
        want_info = kwargs.pop("output_loading_info", False)
        model, info = super().from_pretrained(  # type: ignore[misc]
            pretrained_model_name_or_path, *model_args, output_loading_info=True, **kwargs
        )
        if strict:
            missing = sorted(info.get("missing_keys", []))
            unexpected = sorted(info.get("unexpected_keys", []))
            same_arch = cls.__name__ in (getattr(model.config, "architectures", None) or [])
            if not same_arch:
                missing = [k for k in missing if not (cls._new_head_prefixes and k.startswith(cls._new_head_prefixes))]
                unexpected = []
            if missing or unexpected:
                raise ValueError(
                    f"Checkpoint {pretrained_model_name_or_path!s} does not match {cls.__name__}: "
                    f"missing tensors {missing[:10]}{' ...' if len(missing) > 10 else ''} ({len(missing)} total), "
                    f"unexpected tensors {unexpected[:10]}{' ...' if len(unexpected) > 10 else ''} "
                    f"({len(unexpected)} total). Refusing to initialise them randomly; pass strict=False to load "
                    "anyway."
                )
        _realign_cpu_tensors_(model)
        return (model, info) if want_info else model


def _realign_cpu_tensors_(model: nn.Module, alignment: int = 64) -> None:
    """Copy CPU parameters/buffers whose storage is not `alignment`-byte aligned.

    Tensors loaded from a memory-mapped safetensors file sit at arbitrary offsets; oneDNN/ATen then pick other SIMD
    code paths for them, so a reloaded model differs from the saved one by ~1e-10 (measured). Realigning makes
    save -> reload bit-identical and the fast kernels apply; it costs one copy of the misaligned tensors at load time.
    """
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.device.type == "cpu" and tensor.numel() and tensor.data_ptr() % alignment:
                tensor.data = tensor.data.clone(memory_format=torch.preserve_format)


# ----------------------------------------------------------------------------------------------------------------
# Grad-CAM
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class DualViewCamOutput(ModelOutput):
    r"""
    Output of `get_cam`.

    Args:
        cams (`torch.FloatTensor` of shape `(batch_size, num_views, height, width)`):
            Grad-CAM maps in the model-input geometry of each view, each min-max normalised to [0, 1].
        scores (`torch.FloatTensor` of shape `(batch_size,)`):
            The scalar that was explained (the target logit / similarity of each sample).
        targets (`torch.LongTensor` of shape `(batch_size,)`):
            The explained class (or prompt) index of each sample.
        logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`):
            The fused logits of the forward pass used for the maps.
        original_cams (`list[list[torch.FloatTensor]]`, *optional*):
            When crop boxes were given: per sample, per view, the map pasted back into the original image geometry
            (zeros outside the crop box).
    """

    cams: torch.FloatTensor | None = None
    scores: torch.FloatTensor | None = None
    targets: torch.LongTensor | None = None
    logits: torch.FloatTensor | None = None
    original_cams: list | None = None


def compute_grad_cam(
    encode: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    pixel_values: torch.Tensor,
    view_fusion: str,
    target: int | Sequence[int] | torch.Tensor | None = None,
) -> DualViewCamOutput:
    """Grad-CAM (Selvaraju et al., 2017) on the last convolutional feature map, per view.

    Args:
        encode: maps `pixel_values (B, V, C, H, W)` to `(feature_map, logits)` where `feature_map` is the last
            feature map before pooling, `(B * V, C, h, w)` for `mean`/`concat` or `(B, C, h, V * w')` for `tile`,
            and `logits` is `(B, num_targets)`.
        pixel_values: the model input (already validated by `prepare_views`).
        view_fusion: the model's fusion mode (decides how the feature map is laid out).
        target: the class / prompt to explain; default: the arg-max of each sample's logits.
    """
    batch_size, num_views, _, height, width = pixel_values.shape
    with torch.enable_grad():
        # A leaf input that requires grad makes the graph exist even for a frozen (requires_grad=False) model.
        pixel_values = pixel_values.detach().clone().requires_grad_(True)
        feature_map, logits = encode(pixel_values)
        if target is None:
            targets = logits.argmax(dim=-1)
        else:
            targets = torch.as_tensor(target, device=logits.device, dtype=torch.long).expand(batch_size)
        scores = logits.gather(1, targets[:, None]).squeeze(1)
        (grads,) = torch.autograd.grad(scores.sum(), feature_map)
    weights = grads.mean(dim=(-2, -1), keepdim=True)
    cam = F.relu((weights * feature_map).sum(dim=1, keepdim=True)).detach()
    if view_fusion == "tile":
        cam = F.interpolate(cam, size=(height, num_views * width), mode="bilinear", align_corners=False)
        cam = torch.stack(torch.split(cam[:, 0], width, dim=-1), dim=1)
    else:
        cam = F.interpolate(cam, size=(height, width), mode="bilinear", align_corners=False)
        cam = cam.view(batch_size, num_views, height, width)
    low = cam.amin(dim=(-2, -1), keepdim=True)
    high = cam.amax(dim=(-2, -1), keepdim=True)
    cam = (cam - low) / (high - low).clamp_min(1e-12)
    return DualViewCamOutput(cams=cam, scores=scores.detach(), targets=targets, logits=logits.detach())


def map_cam_to_original(
    cam: torch.Tensor,
    crop_box: Sequence[int] | None,
    original_size: Sequence[int],
    flipped: bool = False,
) -> torch.Tensor:
    """Paste one model-geometry map `(H, W)` back into the original image `(H0, W0)`.

    Args:
        cam: the map in the preprocessed geometry (after crop, optional flip and resize).
        crop_box: `(top, left, bottom, right)` of the breast crop in original pixel coordinates (bottom/right
            exclusive; the `crop_boxes` that `MammoImageProcessor(return_geometry=True)` returns); `None` means the
            whole image was used.
        original_size: `(height, width)` of the original image.
        flipped: whether preprocessing mirrored the crop horizontally (laterality normalisation); undone first.
    """
    height0, width0 = int(original_size[0]), int(original_size[1])
    y0, x0, y1, x1 = (0, 0, height0, width0) if crop_box is None else (int(v) for v in crop_box)
    if not (0 <= x0 < x1 <= width0 and 0 <= y0 < y1 <= height0):
        raise ValueError(
            f"crop_box (top, left, bottom, right) {tuple(crop_box)} is not inside an image of size {(height0, width0)}"
        )
    if flipped:
        cam = cam.flip(-1)
    resized = F.interpolate(cam[None, None].float(), size=(y1 - y0, x1 - x0), mode="bilinear", align_corners=False)
    out = cam.new_zeros((height0, width0), dtype=torch.float32)
    out[y0:y1, x0:x1] = resized[0, 0]
    return out


def map_cams_to_original(
    cams: torch.Tensor,
    crop_boxes: Sequence[Sequence[Sequence[int] | None]] | None,
    original_sizes: Sequence[Sequence[Sequence[int]]],
    flipped: Sequence[Sequence[bool]] | None = None,
) -> list[list[torch.Tensor]]:
    """`map_cam_to_original` for a `(B, V, H, W)` batch; boxes/sizes/flips are nested `[sample][view]`."""
    out = []
    for b in range(cams.shape[0]):
        row = []
        for v in range(cams.shape[1]):
            box = None if crop_boxes is None else crop_boxes[b][v]
            flip = False if flipped is None else bool(flipped[b][v])
            row.append(map_cam_to_original(cams[b, v], box, original_sizes[b][v], flip))
        out.append(row)
    return out


def init_mean_fusion_(weight: torch.Tensor, num_views: int) -> None:
    """Initialise a `(D, V * D)` fusion projection to the mean of the views (so `concat` starts as `mean`)."""
    dim = weight.shape[0]
    with torch.no_grad():
        weight.copy_(torch.cat([torch.eye(dim, dtype=weight.dtype, device=weight.device)] * num_views, 1) / num_views)


@torch.no_grad()
def run_zero_shot(
    model: nn.Module,
    pixel_values: torch.Tensor,
    prompts: dict[str, Sequence[str]],
    tokenizer: Any,
    per_view: bool = False,
    use_logit_scale: bool = False,
    **tokenizer_kwargs: Any,
) -> dict[str, torch.Tensor]:
    """Zero-shot probabilities per task for a CLIP model exposing `get_image_features` / `get_text_features`.

    Softmax over cosine similarities of the fused (and optionally per-view) image embedding with each task's prompt
    embeddings; raw cosines (Mammo-CLIP's evaluator) unless `use_logit_scale`.
    """
    tokenizer = getattr(tokenizer, "tokenizer", tokenizer)  # a processor works too
    if tokenizer is None:
        raise ValueError("zero-shot classification needs a tokenizer (or the model's processor) to encode the prompts")
    vision = model.get_image_features(pixel_values)
    image_embeds = F.normalize(vision.pooler_output, dim=-1)
    view_embeds = F.normalize(vision.per_view_embeds, dim=-1)
    scale = model.logit_scale.exp() if use_logit_scale else 1.0
    results: dict[str, torch.Tensor] = {}
    for task, texts in prompts.items():
        tokens = tokenizer(list(texts), return_tensors="pt", **tokenizer_kwargs).to(image_embeds.device)
        text_embeds = F.normalize(model.get_text_features(**tokens).pooler_output, dim=-1)
        results[task] = (scale * image_embeds @ text_embeds.t()).softmax(dim=-1)
        if per_view:
            results[f"{task}/per_view"] = (scale * view_embeds @ text_embeds.t()).softmax(dim=-1)
    return results
