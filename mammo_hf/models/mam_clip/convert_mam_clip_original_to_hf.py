# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Convert the released MAM-CLIP checkpoints (igulluk/MAM-CLIP) to `MamClipModel` / `MamClipForImageClassification`
folders with safetensors weights, processor and model card.

Supported inputs (reference upstream.md §3.4, §6.3):

- Lightning pretraining `.ckpt` (`pretrain_convnext_{tiny,small}.ckpt`): top-level `state_dict` with keys prefixed
  `VLModel.`: `vision_encoder.*` (timm ConvNeXt with `head.fc` = Linear(768, 768)), `text_encoder.*` (PubMedBERT
  with pooler), `text_projection` (768x768, applied as `x @ W`), `mlm_projection` (768 x 49408), `logit_scale`,
  `img_special_token`, `fusion_module.resblocks.*`, plus the unused `positional_embedding` and `ln_final`;
- fine-tuned `.pth` (`convnext_{tiny,small}_ftune.pth`): a plain timm ConvNeXt state dict plus `birads_layer.0.*`
  (5 classes) and `density_layer.0.*` (4 classes).

The variant (tiny/small) is detected from the stage-3 depth (9/27 blocks). Converted pretraining models keep the
upstream text behaviour (`text_use_attention_mask=False`: BERT sees only `input_ids`, captions padded to 100).

    mammo-hf convert mam-clip --checkpoint pretrain_convnext_tiny.ckpt --output-dir mam-clip-tiny --verify
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._checkpoint_io import (
    CheckpointError,
    CheckpointKeyError,
    ConversionResult,
    ParityError,
    VariantMismatchError,
    add_common_arguments,
    conversion_main,
    finish_conversion,
    format_key_listing,
    load_converted_state_dict,
    load_original_checkpoint,
    max_mean_abs_diff,
    run_conversion,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "VARIANTS",
    "convert_vision_key",
    "convert_state_dict",
    "extract_model_state_dict",
    "detect_kind",
    "detect_variant",
    "build_config",
    "build_reference_image_encoder",
    "verify_parity",
    "convert_checkpoint",
    "add_arguments",
    "main",
]

logger = logging.getLogger(__name__)

#: variant -> (stage depths, timm model name); both use widths [96, 192, 384, 768]
VARIANTS: dict[str, tuple[tuple[int, ...], str]] = {
    "convnext_tiny": ((3, 3, 9, 3), "convnext_tiny"),
    "convnext_small": ((3, 3, 27, 3), "convnext_small"),
}
_PRESET = {"convnext_tiny": "tiny", "convnext_small": "small"}

_VISION_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^stem\.0\.(weight|bias)$"), r"embeddings.patch_embeddings.\1"),
    (re.compile(r"^stem\.1\.(weight|bias)$"), r"embeddings.layernorm.\1"),
    (re.compile(r"^stages\.(\d+)\.downsample\.([01])\.(weight|bias)$"), r"encoder.stages.\1.downsampling_layer.\2.\3"),
    (re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.gamma$"), r"encoder.stages.\1.layers.\2.layer_scale_parameter"),
    (re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.conv_dw\.(weight|bias)$"), r"encoder.stages.\1.layers.\2.dwconv.\3"),
    (re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.norm\.(weight|bias)$"), r"encoder.stages.\1.layers.\2.layernorm.\3"),
    (
        re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.mlp\.fc1\.(weight|bias)$"),
        r"encoder.stages.\1.layers.\2.pwconv1.\3",
    ),
    (
        re.compile(r"^stages\.(\d+)\.blocks\.(\d+)\.mlp\.fc2\.(weight|bias)$"),
        r"encoder.stages.\1.layers.\2.pwconv2.\3",
    ),
    (re.compile(r"^head\.norm\.(weight|bias)$"), r"layernorm.\1"),
]

# Upstream tensors that exist but are never used in the forward pass (upstream.md §3.1), and Lightning leftovers.
_DROPPED = ("positional_embedding", "ln_final.weight", "ln_final.bias", "attn_mask")


def convert_vision_key(key: str) -> str | None:
    """Map one timm ConvNeXt key to `ConvNextModel`'s (`head.fc` is handled by the caller), or None.

    >>> convert_vision_key("stages.2.blocks.8.mlp.fc1.weight")
    'encoder.stages.2.layers.8.pwconv1.weight'
    >>> convert_vision_key("head.norm.bias")
    'layernorm.bias'
    """
    for pattern, repl in _VISION_RULES:
        if pattern.match(key):
            return pattern.sub(repl, key)
    return None


def convert_state_dict(
    original: Mapping[str, torch.Tensor], *, strict: bool = True, dropped: list[str] | None = None
) -> dict[str, torch.Tensor]:
    """Rename a MAM-CLIP state dict (Lightning `.ckpt` or fine-tuned `.pth`) to mammo-hf keys.

    Args:
        original: `ckpt["state_dict"]` (with or without the `VLModel.` prefix) or a fine-tuned `.pth` state dict.
        strict: raise on keys the map does not know; with False they are skipped.
        dropped: receives the upstream keys deliberately dropped (unused `positional_embedding`, `ln_final`) and,
            with `strict=False`, the unknown ones.

    Returns:
        `{mammo-hf key: tensor}`; `text_projection` and `mlm_projection` are transposed (upstream applies `x @ W`).

    Raises:
        CheckpointKeyError: unknown keys when `strict`.

    Example:
        >>> import torch
        >>> sd = {"VLModel.vision_encoder.head.fc.weight": torch.zeros(768, 768),
        ...       "VLModel.text_projection": torch.zeros(768, 16)}
        >>> {k: tuple(v.shape) for k, v in convert_state_dict(sd).items()}
        {'visual_projection.weight': (768, 768), 'text_projection.weight': (16, 768)}
    """
    out: dict[str, Any] = {}
    unknown: list[str] = []
    finetuned = any(k.startswith(("birads_layer.", "density_layer.")) for k in original)
    for full_key, value in original.items():
        key = full_key[len("VLModel.") :] if full_key.startswith("VLModel.") else full_key
        new: str | None = None
        if finetuned:
            vision_key = key
        elif key.startswith("vision_encoder."):
            vision_key = key[len("vision_encoder.") :]
        else:
            vision_key = None
        if key in _DROPPED:
            if dropped is not None:
                dropped.append(full_key)
            continue
        if vision_key is not None and vision_key.startswith("head.fc."):
            new = "visual_projection." + vision_key[len("head.fc.") :]
        elif finetuned and key.startswith("birads_layer.0."):
            new = "classifier." + key[len("birads_layer.0.") :]
        elif finetuned and key.startswith("density_layer.0."):
            new = "density_classifier." + key[len("density_layer.0.") :]
        elif vision_key is not None and (mapped := convert_vision_key(vision_key)):
            new = "vision_model." + mapped
        elif key.startswith("text_encoder.pooler."):
            if dropped is not None:
                dropped.append(full_key)  # BERT pooler: loaded upstream, never used
            continue
        elif key.startswith("text_encoder.embeddings.position_ids") or key.endswith("token_type_ids"):
            if dropped is not None:
                dropped.append(full_key)
            continue
        elif key.startswith("text_encoder."):
            new = "text_model." + key[len("text_encoder.") :]
        elif key == "text_projection":
            value = value.t().contiguous()
            new = "text_projection.weight"
        elif key == "mlm_projection":
            value = value.t().contiguous()
            new = "mlm_head.weight"
        elif key in ("logit_scale", "img_special_token"):
            new = key
        elif key.startswith("fusion_module.resblocks."):
            new = key  # same OpenCLIP block layout (attn.in_proj_*, attn.out_proj, ln_1, mlp.c_fc, mlp.c_proj, ln_2)
        if new is None:
            unknown.append(full_key)
            continue
        out[new] = value
    if unknown:
        if strict:
            raise CheckpointKeyError(
                f"{len(unknown)} tensors are not part of a MAM-CLIP checkpoint: {format_key_listing(unknown)} "
                "(is this another model's checkpoint? pass --allow-partial to skip them)"
            )
        if dropped is not None:
            dropped.extend(unknown)
    return out


def extract_model_state_dict(ckpt: Any) -> dict[str, Any]:
    """The tensors of a loaded MAM-CLIP file: Lightning `state_dict`, or the fine-tuned `.pth` dict itself.

    Raises:
        CheckpointKeyError: neither layout (e.g. a Mammo-CLIP `.tar`), saying which converter to use.
    """
    if not isinstance(ckpt, Mapping):
        raise CheckpointKeyError(f"expected a dict checkpoint, got {type(ckpt).__name__}")
    if "state_dict" in ckpt and isinstance(ckpt["state_dict"], Mapping):
        return dict(ckpt["state_dict"])
    if "model" in ckpt and isinstance(ckpt["model"], Mapping):
        raise CheckpointKeyError(
            "this looks like a Mammo-CLIP checkpoint ('model' entry), not MAM-CLIP; convert it with "
            "`mammo-hf convert mammo-clip`"
        )
    if ckpt and all(isinstance(k, str) for k in ckpt) and "stem.0.weight" in ckpt:
        return dict(ckpt)
    raise CheckpointKeyError(
        "no MAM-CLIP weights found: expected a Lightning 'state_dict' (VLModel.*) or a timm ConvNeXt state dict "
        f"with birads/density heads, got keys {format_key_listing(map(str, ckpt), limit=6)}"
    )


def _vision_keys(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    if any(k.startswith(("birads_layer.", "density_layer.")) for k in state_dict):
        return dict(state_dict)
    prefix = next(
        (p for p in ("VLModel.vision_encoder.", "vision_encoder.") if f"{p}stem.0.weight" in state_dict), None
    )
    if prefix is None:
        raise CheckpointKeyError("no MAM-CLIP image encoder (vision_encoder.stem.0.weight missing)")
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def detect_kind(state_dict: Mapping[str, Any]) -> str:
    """`"pretraining"` (Lightning `.ckpt`) or `"classification"` (fine-tuned `.pth`)."""
    return "classification" if any(k.startswith("birads_layer.") for k in state_dict) else "pretraining"


def detect_variant(state_dict: Mapping[str, Any]) -> str:
    """`"convnext_tiny"` or `"convnext_small"` from the stage depths.

    Raises:
        CheckpointKeyError: a ConvNeXt of another shape.
    """
    vision = _vision_keys(state_dict)
    depths = []
    for stage in range(4):
        blocks = {int(m.group(1)) for k in vision if (m := re.match(rf"stages\.{stage}\.blocks\.(\d+)\.", k))}
        depths.append(len(blocks))
    width = int(vision["stem.0.weight"].shape[0])
    for name, (want, _) in VARIANTS.items():
        if tuple(depths) == want and width == 96:
            return name
    raise CheckpointKeyError(
        f"ConvNeXt with depths {depths} and stem width {width} matches no released MAM-CLIP variant "
        "(tiny: 3/3/9/3, small: 3/3/27/3, width 96)"
    )


def _text_config(state_dict: Mapping[str, Any], prefix: str, num_attention_heads: int | None) -> dict[str, Any]:
    from .configuration_mam_clip import MAM_CLIP_TEXT_DEFAULTS

    words = state_dict[prefix + "embeddings.word_embeddings.weight"]
    hidden = int(words.shape[1])
    layers = {
        int(m.group(1)) for k in state_dict if (m := re.match(re.escape(prefix) + r"encoder\.layer\.(\d+)\.", k))
    }
    return {
        **MAM_CLIP_TEXT_DEFAULTS,
        "vocab_size": int(words.shape[0]),
        "hidden_size": hidden,
        "num_hidden_layers": len(layers),
        "num_attention_heads": num_attention_heads or (12 if hidden == 768 else max(1, hidden // 64)),
        "intermediate_size": int(state_dict[prefix + "encoder.layer.0.intermediate.dense.weight"].shape[0]),
        "max_position_embeddings": int(state_dict[prefix + "embeddings.position_embeddings.weight"].shape[0]),
        "type_vocab_size": int(state_dict[prefix + "embeddings.token_type_embeddings.weight"].shape[0]),
    }


def build_config(
    state_dict: Mapping[str, Any],
    variant: str,
    kind: str,
    *,
    text_num_attention_heads: int | None = None,
    fusion_num_heads: int = 8,
) -> Any:
    """The `MamClipConfig` matching an upstream MAM-CLIP state dict."""
    from .configuration_mam_clip import MamClipConfig

    preset = _PRESET[variant]
    vision = _vision_keys(state_dict)
    kwargs: dict[str, Any] = {"projection_dim": int(vision["head.fc.weight"].shape[0])}
    if kind == "classification":
        kwargs["num_labels"] = int(state_dict["birads_layer.0.weight"].shape[0])
        kwargs["num_density_labels"] = (
            int(state_dict["density_layer.0.weight"].shape[0]) if "density_layer.0.weight" in state_dict else 0
        )
        return MamClipConfig.from_preset(preset, **kwargs)
    p = "VLModel." if any(k.startswith("VLModel.") for k in state_dict) else ""
    kwargs["text_config"] = _text_config(state_dict, p + "text_encoder.", text_num_attention_heads)
    # Upstream BERT sees only input_ids (no attention mask, captions padded to 100): keep that for parity.
    kwargs["text_use_attention_mask"] = False
    fusion = {int(m.group(1)) for k in state_dict if (m := re.match(rf"{p}fusion_module\.resblocks\.(\d+)\.", k))}
    if fusion or f"{p}mlm_projection" in state_dict:
        kwargs.update(
            use_mlm_head=True,
            fusion_num_layers=len(fusion),
            fusion_num_heads=fusion_num_heads,
            mlm_vocab_size=int(state_dict[f"{p}mlm_projection"].shape[1]),
            mlm_ignore_index=0,  # upstream ignores [PAD] (id 0) in the MLM loss
        )
    return MamClipConfig.from_preset(preset, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Reference: timm ConvNeXt with head.fc = Linear(768, 768), as upstream VLModel builds it
# ---------------------------------------------------------------------------------------------------------------
class ReferenceUnavailableError(CheckpointError):
    """timm is not installed, so `--verify` cannot rebuild the upstream image encoder."""


def build_reference_image_encoder(variant: str, state_dict: Mapping[str, Any] | None = None) -> Any:
    """The timm `convnext_tiny`/`convnext_small` (no download) with `head.fc` = Linear(768, 768), optionally loaded.

    Raises:
        ReferenceUnavailableError: timm is missing.
    """
    try:
        import timm
    except ImportError as err:
        raise ReferenceUnavailableError(
            "the reference package timm is not installed; parity cannot be checked"
        ) from err
    import torch

    model = timm.create_model(VARIANTS[variant][1], pretrained=False)
    model.head.fc = torch.nn.Linear(model.head.fc.in_features, model.head.fc.in_features)
    if state_dict is not None:
        vision = {k: v for k, v in _vision_keys(state_dict).items() if not k.startswith(("birads", "density"))}
        model.load_state_dict(vision, strict=True)
    return model.eval()


def verify_parity(
    model: Any,
    state_dict: Mapping[str, Any],
    variant: str,
    *,
    image_size: tuple[int, int] = (1024, 768),
    seed: int = 0,
    tolerance: float | None = 1e-4,
) -> list[Any]:
    """Compare the converted model with timm / BertModel rebuilt from the same file (fp32, CPU).

    Rows: the 768-d image embedding (`head.fc` output) and, for fine-tuned files, BI-RADS and density logits; for
    pretraining files the projected `[CLS]` text embedding with upstream's unmasked, 100-token padded input.

    Raises:
        ParityError: a max abs diff above `tolerance` (None: never raise).
        ReferenceUnavailableError: timm is missing.
    """
    import torch
    from transformers import BertConfig, BertModel

    from ...hub.cards import ParityResult

    gen = torch.Generator().manual_seed(seed)
    h, w = image_size
    pixel_values = torch.rand(1, 3, h, w, generator=gen)  # MAM-CLIP inputs are min-max scaled to [0, 1]
    reference = build_reference_image_encoder(variant, state_dict)
    model = model.eval()
    shape = f"1 × 3 × {h} × {w}, U[0, 1)"
    timm_name = "timm " + VARIANTS[variant][1]
    results = []
    with torch.no_grad():
        ref_embed = reference(pixel_values)
        if "birads_layer.0.weight" in state_dict:
            out = model(pixel_values=pixel_values)
            results.append(
                ParityResult(
                    "image embedding (head.fc)", timm_name, shape, *max_mean_abs_diff(out.image_embeds, ref_embed)
                )
            )
            ref_birads = torch.nn.functional.linear(
                ref_embed, state_dict["birads_layer.0.weight"], state_dict["birads_layer.0.bias"]
            )
            results.append(
                ParityResult("BI-RADS logits", timm_name, shape, *max_mean_abs_diff(out.logits, ref_birads))
            )
            if out.density_logits is not None:
                ref_density = torch.nn.functional.linear(
                    ref_embed, state_dict["density_layer.0.weight"], state_dict["density_layer.0.bias"]
                )
                results.append(
                    ParityResult(
                        "density logits", timm_name, shape, *max_mean_abs_diff(out.density_logits, ref_density)
                    )
                )
        else:
            ours = model.get_image_features(pixel_values=pixel_values).pooler_output
            results.append(
                ParityResult("image embedding (head.fc)", timm_name, shape, *max_mean_abs_diff(ours, ref_embed))
            )
            p = "VLModel." if any(k.startswith("VLModel.") for k in state_dict) else ""
            bert = BertModel(BertConfig(**model.config.text_config.to_dict()), add_pooling_layer=True).eval()
            weights = {
                k[len(p) + len("text_encoder.") :]: v
                for k, v in state_dict.items()
                if k.startswith(p + "text_encoder.") and not k.endswith(("position_ids", "token_type_ids"))
            }
            bert.load_state_dict(weights, strict=True)
            vocab = model.config.text_config.vocab_size
            input_ids = torch.zeros(2, 100, dtype=torch.long)  # padded to exactly 100 with [PAD] = 0, as upstream
            input_ids[:, 0] = 2  # [CLS]
            input_ids[0, 1:12] = torch.randint(5, vocab, (11,), generator=gen)
            input_ids[1, 1:30] = torch.randint(5, vocab, (29,), generator=gen)
            input_ids[0, 12] = input_ids[1, 30] = 3  # [SEP]
            hidden = bert(input_ids=input_ids).last_hidden_state  # upstream: input_ids only, no attention mask
            ref_text = hidden[:, 0] @ state_dict[p + "text_projection"]
            ours_text = model.get_text_features(
                input_ids=input_ids, attention_mask=(input_ids != 0).long()
            ).pooler_output
            results.append(
                ParityResult(
                    "text embedding ([CLS], projected)",
                    "transformers BertModel",
                    "2 × 100 ids, [PAD]-padded, no mask",
                    *max_mean_abs_diff(ours_text, ref_text),
                )
            )
    if tolerance is not None:
        bad = [r for r in results if not r.max_abs_diff <= tolerance]
        if bad:
            raise ParityError(
                "parity check failed: "
                + "; ".join(f"{r.name}: max abs diff {r.max_abs_diff:.3g} > {tolerance:g}" for r in bad)
            )
    return results


def convert_checkpoint(
    checkpoint: str | Path,
    output_dir: str | Path,
    *,
    variant: str | None = None,
    registry_name: str | None = None,
    tokenizer: str | Path | None = None,
    text_num_attention_heads: int | None = None,
    allow_partial: bool = False,
    verify: bool = False,
    verify_size: tuple[int, int] | None = None,
    card_facts: str | Path | None = None,
    push_to_hub: str | None = None,
    private: bool | None = None,
    overwrite: bool = False,
    trust_pickle: bool = False,
    command: str | None = None,
) -> ConversionResult:
    """Convert one MAM-CLIP `.ckpt` / fine-tuned `.pth` into a `save_pretrained` folder (atomic).

    Arguments mirror the Mammo-CLIP converter's; `variant` is `"convnext_tiny"`/`"convnext_small"` (or `"tiny"`,
    `"small"`) and `tokenizer` a local PubMedBERT tokenizer folder.

    Example:
        >>> from mammo_hf.models.mam_clip.convert_mam_clip_original_to_hf import convert_checkpoint
        >>> result = convert_checkpoint("pretrain_convnext_tiny.ckpt", "mam-clip-tiny", verify=True)  # doctest: +SKIP
        >>> result.variant  # doctest: +SKIP
        'convnext_tiny'
    """
    from ...hub.registry import default_entry_for, get_pretrained
    from ...image_processing_mammo import MammoImageProcessor
    from .modeling_mam_clip import MamClipForImageClassification, MamClipModel

    checkpoint = Path(checkpoint)
    ckpt = load_original_checkpoint(checkpoint, trust_pickle=trust_pickle)
    state_dict = extract_model_state_dict(ckpt)
    kind = detect_kind(state_dict)
    detected = detect_variant(state_dict)
    if variant is not None:
        wanted = variant if variant.startswith("convnext_") else f"convnext_{variant}"
        if wanted != detected:
            raise VariantMismatchError(
                f"--variant {variant} was requested but {checkpoint.name} holds a {detected} (detected from the "
                "stage depths); drop --variant or pass the matching file"
            )
    if registry_name:
        entry = get_pretrained(registry_name)
        if (entry.architecture, entry.variant, entry.kind) != ("mam_clip", detected, kind):
            raise VariantMismatchError(
                f"registry entry {entry.name} describes a {entry.architecture} {entry.variant} {entry.kind} "
                f"checkpoint, but {checkpoint.name} is a mam_clip {detected} {kind} checkpoint"
            )
    else:
        entry = default_entry_for("mam_clip", detected, kind)

    dropped: list[str] = []
    converted = convert_state_dict(state_dict, strict=not allow_partial, dropped=dropped)
    config = build_config(state_dict, detected, kind, text_num_attention_heads=text_num_attention_heads)
    model = (MamClipModel if kind == "pretraining" else MamClipForImageClassification)(config)
    missing = load_converted_state_dict(model, converted, allow_partial=allow_partial)
    model.eval()

    parity: list[Any] = []
    warnings: list[str] = []
    if verify:
        try:
            parity = verify_parity(
                model,
                state_dict,
                detected,
                image_size=verify_size or entry.input_size,
                tolerance=None if missing else 1e-4,
            )
        except ReferenceUnavailableError as err:
            warnings.append(f"parity NOT checked: {err}")
            logger.warning("%s", warnings[-1])

    image_processor = MammoImageProcessor.from_preset("mam_clip")
    processor: Any = image_processor
    if tokenizer is not None:
        from transformers import AutoTokenizer

        from .processing_mam_clip import MamClipProcessor

        tok = AutoTokenizer.from_pretrained(str(tokenizer), local_files_only=True)
        processor = MamClipProcessor(image_processor=image_processor, tokenizer=tok)

    return finish_conversion(
        cli_family="mam-clip",
        checkpoint=checkpoint,
        output_dir=output_dir,
        entry=entry,
        config=config,
        model=model,
        processor=processor,
        variant=detected,
        kind=kind,
        verify=verify,
        parity=parity,
        warnings=warnings,
        dropped=dropped,
        missing=missing,
        card_facts=card_facts,
        command=command,
        push_to_hub=push_to_hub,
        private=private,
        overwrite=overwrite,
    )


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the converter's options to `parser` (shared by `mammo-hf convert mam-clip` and `python -m`)."""
    parser.add_argument(
        "--variant",
        choices=["tiny", "small", *VARIANTS],
        help="Assert the variant; it is always detected from the stage depths and a mismatch is an error.",
    )
    parser.add_argument("--registry-name", help="mammo_hf.hub.registry entry for the model card.")
    parser.add_argument("--tokenizer", help="Local PubMedBERT tokenizer folder to save with the processor.")
    return add_common_arguments(
        parser,
        checkpoint_help="Lightning .ckpt (pretraining) or fine-tuned .pth file.",
        verify_help="Compare with timm / BertModel rebuilt from the same file; print diffs.",
        default_size="1024 768",
    )


def run(args: argparse.Namespace) -> int:
    """Run a conversion from parsed arguments and print the report; returns the exit code."""
    return run_conversion(args, convert_checkpoint, "mam-clip")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m mammo_hf.models.mam_clip.convert_mam_clip_original_to_hf ...`"""
    return conversion_main(argv, __doc__.split("\n\n")[0], add_arguments, run)


if __name__ == "__main__":
    sys.exit(main())
