# Copyright 2026 The mammo-hf developers. Licensed under the Apache License, Version 2.0.
"""Convert the released Mammo-CLIP checkpoints (batmanlab/Mammo-CLIP, MICCAI 2024) to `MammoClipModel` /
`MammoClipForImageClassification` folders with safetensors weights, processor and model card.

Supported inputs (reference upstream.md §1.7, §1.9):

- pretraining `.tar` (`b5-model-best-epoch-7.tar`, `b2-model-best-epoch-10.tar`): a `torch.save` zip archive holding
  `{"model", "optimizer", "scheduler", "config", "epoch", "train_loss"}`; `model` has `image_encoder.*` (a vendored
  lukemelas EfficientNet), `text_encoder.text_encoder.*` (BertModel with pooler), `image_projection.projection.*`,
  `text_projection.projection.*` and `logit_scale`;
- downstream classifier `.pth` (`{"model": BreastClipClassifier.state_dict(), "predictions", ...}`): `image_encoder.*`
  with its own BatchNorm statistics + `classifier.classification_head.*`;
- a bare state dict with either layout.

The variant (B2/B5) is detected from tensor shapes (stem width 32/48, 23/39 blocks, head 1408/2048), so
`tf_efficientnetv2-detect` (= B2, not V2) cannot be mistaken. Run as

    mammo-hf convert mammo-clip --checkpoint b5-model-best-epoch-7.tar --output-dir mammo-clip-b5 --verify
    python -m mammo_hf.models.mammo_clip.convert_mammo_clip_original_to_hf --checkpoint ... --output-dir ...

Torch and transformers are imported inside the functions, so building the CLI parser stays instant.
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
    "detect_text_config",
    "build_config",
    "build_reference_image_encoder",
    "reference_image_features",
    "verify_parity",
    "convert_checkpoint",
    "add_arguments",
    "main",
]

logger = logging.getLogger(__name__)

#: variant -> (stem channels, number of MBConv blocks, head channels, efficientnet-pytorch name)
VARIANTS: dict[str, tuple[int, int, int, str]] = {
    "b2": (32, 23, 1408, "efficientnet-b2"),
    "b5": (48, 39, 2048, "efficientnet-b5"),
}

# lukemelas EfficientNet -> transformers EfficientNetModel (upstream.md §6.2, verified strict load). Block indices are
# the same on both sides: both flatten the repeated stages in order.
_BLOCK_MAP = {
    "_expand_conv": "expansion.expand_conv",
    "_bn0": "expansion.expand_bn",
    "_depthwise_conv": "depthwise_conv.depthwise_conv",
    "_bn1": "depthwise_conv.depthwise_norm",
    "_se_reduce": "squeeze_excite.reduce",
    "_se_expand": "squeeze_excite.expand",
    "_project_conv": "projection.project_conv",
    "_bn2": "projection.project_bn",
}
_TOP_MAP = {
    "_conv_stem": "embeddings.convolution",
    "_bn0": "embeddings.batchnorm",
    "_conv_head": "encoder.top_conv",
    "_bn1": "encoder.top_bn",
}
_BLOCK_RE = re.compile(r"^_blocks\.(\d+)\.(\w+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$")
_TOP_RE = re.compile(r"^(\w+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$")

# Target attribute names in mammo_hf.models.mammo_clip.modeling_mammo_clip.
VISION_PREFIX = "vision_model."
TEXT_PREFIX = "text_model."

# Upstream tensors that are deliberately not converted, with the reason (shown in the conversion report).
_DROPPED = {
    # Bio_ClinicalBERT is loaded with its pooler, which upstream never uses (encode_text pools the last hidden state).
    "text_encoder.text_encoder.pooler.": "unused BERT pooler",
    # Non-persistent buffers in transformers >= 4.31; older checkpoints may still hold them.
    "text_encoder.text_encoder.embeddings.position_ids": "BERT position_ids buffer",
    "text_encoder.text_encoder.embeddings.token_type_ids": "BERT token_type_ids buffer",
}


def convert_vision_key(key: str) -> str | None:
    """Map one lukemelas EfficientNet key (without the `image_encoder.` prefix) to `EfficientNetModel`'s, or None.

    >>> convert_vision_key("_blocks.3._bn1.running_var")
    'encoder.blocks.3.depthwise_conv.depthwise_norm.running_var'
    >>> convert_vision_key("_conv_stem.weight")
    'embeddings.convolution.weight'
    """
    m = _BLOCK_RE.match(key)
    if m:
        idx, module, leaf = m.groups()
        target = _BLOCK_MAP.get(module)
        return f"encoder.blocks.{idx}.{target}.{leaf}" if target else None
    m = _TOP_RE.match(key)
    if m and m.group(1) in _TOP_MAP:
        return f"{_TOP_MAP[m.group(1)]}.{m.group(2)}"
    return None


def convert_state_dict(
    original: Mapping[str, torch.Tensor], *, strict: bool = True, dropped: list[str] | None = None
) -> dict[str, torch.Tensor]:
    """Rename an upstream Mammo-CLIP state dict (pretraining or downstream classifier) to mammo-hf keys.

    Args:
        original: `ckpt["model"]` of a `.tar` / downstream `.pth`.
        strict: raise on upstream keys the map does not know (another model); with False they are skipped.
        dropped: if given, receives the upstream keys deliberately dropped (BERT pooler, position ids) and,
            with `strict=False`, the unknown ones.

    Returns:
        A new dict `{mammo-hf key: tensor}` (tensors are shared, not copied).

    Raises:
        CheckpointKeyError: unknown keys (listing them) when `strict`.

    Example:
        >>> import torch
        >>> sd = {"image_encoder._conv_stem.weight": torch.zeros(48, 3, 3, 3), "logit_scale": torch.tensor(2.0),
        ...       "image_projection.projection.weight": torch.zeros(512, 2048)}
        >>> sorted(convert_state_dict(sd))
        ['logit_scale', 'vision_model.embeddings.convolution.weight', 'visual_projection.weight']
    """
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in original.items():
        new = None
        if key.startswith("image_encoder."):
            vision = convert_vision_key(key[len("image_encoder.") :])
            new = VISION_PREFIX + vision if vision else None
        elif any(key.startswith(prefix) for prefix in _DROPPED):
            if dropped is not None:
                dropped.append(key)
            continue
        elif key.startswith("text_encoder.text_encoder."):
            new = TEXT_PREFIX + key[len("text_encoder.text_encoder.") :]
        elif key.startswith("image_projection.projection."):
            new = "visual_projection." + key[len("image_projection.projection.") :]
        elif key.startswith("text_projection.projection."):
            new = "text_projection." + key[len("text_projection.projection.") :]
        elif key == "logit_scale":
            new = "logit_scale"
        elif key.startswith("classifier.classification_head."):
            new = "classifier." + key[len("classifier.classification_head.") :]
        if new is None:
            unknown.append(key)
            continue
        out[new] = value
    if unknown:
        if strict:
            raise CheckpointKeyError(
                f"{len(unknown)} tensors are not part of a Mammo-CLIP checkpoint: {format_key_listing(unknown)} "
                "(is this another model's checkpoint? pass --allow-partial to skip them)"
            )
        if dropped is not None:
            dropped.extend(unknown)
    return out


def extract_model_state_dict(ckpt: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """`(state_dict, metadata)` from a loaded checkpoint: the `"model"` entry of a container, or a bare state dict.

    Metadata keeps the small, non-tensor entries (`epoch`, `config`, ...); optimizer/scheduler states are dropped.

    Raises:
        CheckpointKeyError: neither layout (e.g. a MAM-CLIP Lightning checkpoint), with what was found.
    """
    if not isinstance(ckpt, Mapping):
        raise CheckpointKeyError(f"expected a dict checkpoint, got {type(ckpt).__name__}")
    if "model" in ckpt and isinstance(ckpt["model"], Mapping):
        meta = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer", "scheduler")}
        return dict(ckpt["model"]), meta
    if "state_dict" in ckpt:
        raise CheckpointKeyError(
            "this is a Lightning checkpoint (top-level 'state_dict'), not Mammo-CLIP; MAM-CLIP .ckpt files convert "
            "with `mammo-hf convert mam-clip`"
        )
    if "stem.0.weight" in ckpt or "birads_layer.0.weight" in ckpt:
        raise CheckpointKeyError(
            "this is a MAM-CLIP fine-tuned ConvNeXt checkpoint, not Mammo-CLIP; convert it with "
            "`mammo-hf convert mam-clip`"
        )
    if ckpt and all(isinstance(k, str) for k in ckpt) and any(k.startswith("image_encoder.") for k in ckpt):
        return dict(ckpt), {}
    raise CheckpointKeyError(
        f"no Mammo-CLIP weights found: expected a 'model' entry or 'image_encoder.*' tensors, got keys "
        f"{format_key_listing(map(str, ckpt), limit=6)}"
    )


def detect_kind(state_dict: Mapping[str, Any]) -> str:
    """`"pretraining"` (CLIP `.tar`) or `"classification"` (downstream `.pth`).

    >>> detect_kind({"classifier.classification_head.weight": 0})
    'classification'
    """
    if any(k.startswith("classifier.classification_head.") for k in state_dict):
        return "classification"
    if any(k.startswith("text_encoder.text_encoder.") for k in state_dict):
        return "pretraining"
    raise CheckpointKeyError(
        "neither a Mammo-CLIP pretraining checkpoint (text_encoder.text_encoder.*) nor a downstream classifier "
        "(classifier.classification_head.*)"
    )


def detect_variant(state_dict: Mapping[str, Any]) -> str:
    """`"b2"` or `"b5"` from the EfficientNet tensor shapes (stem width, block count, head width).

    Raises:
        CheckpointKeyError: an EfficientNet of another size, or no image encoder.
    """
    stem = state_dict.get("image_encoder._conv_stem.weight")
    head = state_dict.get("image_encoder._conv_head.weight")
    if stem is None or head is None:
        raise CheckpointKeyError(
            "no Mammo-CLIP image encoder (image_encoder._conv_stem.weight / _conv_head.weight missing)"
        )
    blocks = {int(m.group(1)) for k in state_dict if (m := re.match(r"image_encoder\._blocks\.(\d+)\.", k))}
    found = (int(stem.shape[0]), len(blocks), int(head.shape[0]))
    for name, (stem_c, n_blocks, head_c, _) in VARIANTS.items():
        if found == (stem_c, n_blocks, head_c):
            return name
    raise CheckpointKeyError(
        f"image encoder with stem {found[0]} channels, {found[1]} blocks, head {found[2]} channels matches no "
        f"released Mammo-CLIP variant (B2: 32/23/1408, B5: 48/39/2048)"
    )


def detect_text_config(state_dict: Mapping[str, Any], num_attention_heads: int | None = None) -> dict[str, Any]:
    """BertConfig fields read from `text_encoder.text_encoder.*` shapes.

    The head count is not visible in shapes: Bio_ClinicalBERT (hidden 768) has 12; otherwise the BERT convention
    of 64-wide heads is assumed unless `num_attention_heads` is given.
    """
    from .configuration_mammo_clip import MAMMO_CLIP_TEXT_DEFAULTS

    p = "text_encoder.text_encoder."
    words = state_dict[p + "embeddings.word_embeddings.weight"]
    hidden = int(words.shape[1])
    layers = {int(m.group(1)) for k in state_dict if (m := re.match(re.escape(p) + r"encoder\.layer\.(\d+)\.", k))}
    if num_attention_heads is None:
        num_attention_heads = 12 if hidden == 768 else max(1, hidden // 64)
    return {
        **MAMMO_CLIP_TEXT_DEFAULTS,
        "vocab_size": int(words.shape[0]),
        "hidden_size": hidden,
        "num_hidden_layers": len(layers),
        "num_attention_heads": num_attention_heads,
        "intermediate_size": int(state_dict[p + "encoder.layer.0.intermediate.dense.weight"].shape[0]),
        "max_position_embeddings": int(state_dict[p + "embeddings.position_embeddings.weight"].shape[0]),
        "type_vocab_size": int(state_dict[p + "embeddings.token_type_embeddings.weight"].shape[0]),
    }


def build_config(
    state_dict: Mapping[str, Any],
    variant: str,
    kind: str,
    *,
    label_names: Sequence[str] | None = None,
    text_config: Mapping[str, Any] | None = None,
) -> Any:
    """The `MammoClipConfig` matching an upstream state dict (variant preset, text shape, projection, labels)."""
    from .configuration_mammo_clip import MammoClipConfig

    kwargs: dict[str, Any] = {}
    if kind == "pretraining":
        kwargs["text_config"] = dict(text_config or detect_text_config(state_dict))
        kwargs["projection_dim"] = int(state_dict["image_projection.projection.weight"].shape[0])
    else:
        num_labels = int(state_dict["classifier.classification_head.weight"].shape[0])
        names = list(label_names) if label_names and len(label_names) == num_labels else None
        kwargs["num_labels"] = num_labels
        if names:
            kwargs["id2label"] = dict(enumerate(names))
            kwargs["label2id"] = {n: i for i, n in enumerate(names)}
        # upstream trains 1-logit heads (mass, calcification, cancer) with BCE-with-logits, multi-class with CE
        kwargs["problem_type"] = "multi_label_classification" if num_labels == 1 else "single_label_classification"
    return MammoClipConfig.from_preset(variant, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Reference (efficientnet-pytorch 0.7.1 is bit-identical to the encoder upstream vendors; upstream.md §5.1)
# ---------------------------------------------------------------------------------------------------------------
class ReferenceUnavailableError(CheckpointError):
    """The reference package needed for `--verify` is not installed."""


def build_reference_image_encoder(variant: str, state_dict: Mapping[str, Any] | None = None) -> Any:
    """The upstream image encoder rebuilt with `efficientnet-pytorch` (no network), optionally loaded.

    `EfficientNet.from_name` computes the static padding for the nominal size (260/456) exactly as upstream; `_fc`
    exists there but not upstream (commented out), so it is the only tensor allowed to be missing.

    Args:
        variant: `"b2"` or `"b5"`.
        state_dict: an upstream state dict (`image_encoder.*` keys are used) or None for random weights.

    Raises:
        ReferenceUnavailableError: efficientnet-pytorch is not installed.
    """
    try:
        from efficientnet_pytorch import EfficientNet
    except ImportError as err:
        raise ReferenceUnavailableError(
            "the reference package efficientnet-pytorch is not installed (pip install efficientnet-pytorch==0.7.1); "
            "image parity cannot be checked"
        ) from err
    model = EfficientNet.from_name(VARIANTS[variant][3], num_classes=1)
    if state_dict is not None:
        encoder = {k[len("image_encoder.") :]: v for k, v in state_dict.items() if k.startswith("image_encoder.")}
        result = model.load_state_dict(encoder, strict=False)
        missing = [k for k in result.missing_keys if not k.startswith("_fc.")]
        if missing or result.unexpected_keys:
            raise CheckpointKeyError(
                f"reference encoder load: missing {format_key_listing(missing)}, "
                f"unexpected {format_key_listing(result.unexpected_keys)}"
            )
    return model.eval()


def reference_image_features(reference: Any, pixel_values: torch.Tensor) -> torch.Tensor:
    """Upstream `encode_image` for the `*-detect` encoders: `extract_features` -> global average -> flatten."""
    return reference._avg_pooling(reference.extract_features(pixel_values)).flatten(1)


def _reference_text_features(state_dict: Mapping[str, Any], config: Any, input_ids: Any, attention_mask: Any) -> Any:
    """Upstream text path: plain `BertModel` (with pooler) -> "eos" pooling -> biased projection."""
    import torch
    from transformers import BertConfig, BertModel

    bert = BertModel(BertConfig(**config.text_config.to_dict()), add_pooling_layer=True).eval()
    prefix = "text_encoder.text_encoder."
    weights = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
    weights = {k: v for k, v in weights.items() if not k.endswith(("position_ids", "token_type_ids"))}
    bert.load_state_dict(weights, strict=True)
    hidden = bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    eos = attention_mask.sum(-1) - 1  # upstream BreastClip.encode_text, pooling "eos"
    pooled = hidden[torch.arange(len(eos)), eos]
    return torch.nn.functional.linear(
        pooled, state_dict["text_projection.projection.weight"], state_dict["text_projection.projection.bias"]
    )


def verify_parity(
    model: Any,
    state_dict: Mapping[str, Any],
    variant: str,
    *,
    image_size: tuple[int, int] = (1520, 912),
    seed: int = 0,
    tolerance: float | None = 1e-4,
) -> list[Any]:
    """Compare the converted model with the reference rebuilt from the same upstream state dict (fp32, CPU).

    Rows: pooled image features (vs efficientnet-pytorch), projected image embedding or classifier logits, and for
    CLIP checkpoints the "eos"-pooled projected text embedding (vs a plain `BertModel`).

    Raises:
        ParityError: a max abs diff above `tolerance` (None: never raise).
        ReferenceUnavailableError: efficientnet-pytorch is not installed.
    """
    import torch

    from ...hub.cards import ParityResult

    gen = torch.Generator().manual_seed(seed)
    h, w = image_size
    pixel_values = torch.randn(1, 3, h, w, generator=gen)
    reference = build_reference_image_encoder(variant, state_dict)
    model = model.eval()
    results = []
    shape = f"1 × 3 × {h} × {w}, N(0, 1)"
    with torch.no_grad():
        ref_pooled = reference_image_features(reference, pixel_values)
        if "classifier.classification_head.weight" in state_dict:
            out = model(pixel_values=pixel_values)
            ours_pooled = out.per_view_features[:, 0]
            ref_out = torch.nn.functional.linear(
                ref_pooled,
                state_dict["classifier.classification_head.weight"],
                state_dict["classifier.classification_head.bias"],
            )
            rows = [("image features (pooled)", ours_pooled, ref_pooled), ("classifier logits", out.logits, ref_out)]
        else:
            feats = model.get_image_features(pixel_values=pixel_values)
            ours_pooled = feats.per_view_features[:, 0]
            ref_out = torch.nn.functional.linear(
                ref_pooled,
                state_dict["image_projection.projection.weight"],
                state_dict["image_projection.projection.bias"],
            )
            rows = [
                ("image features (pooled)", ours_pooled, ref_pooled),
                ("image embedding (projected)", feats.pooler_output, ref_out),
            ]
        ref_name = "efficientnet-pytorch 0.7.1"
        results += [ParityResult(n, ref_name, shape, *max_mean_abs_diff(a, b)) for n, a, b in rows]
        if "text_encoder.text_encoder.embeddings.word_embeddings.weight" in state_dict:
            vocab = model.config.text_config.vocab_size
            input_ids = torch.randint(5, vocab, (2, 16), generator=gen)
            attention_mask = torch.ones_like(input_ids)
            attention_mask[1, 9:] = 0  # right padding: eos pooling must pick the last attended token
            input_ids[1, 9:] = model.config.text_config.pad_token_id or 0
            ours = model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output
            ref = _reference_text_features(state_dict, model.config, input_ids, attention_mask)
            results.append(
                ParityResult(
                    "text embedding (eos-pooled, projected)",
                    "transformers BertModel",
                    "2 × 16 random ids, right-padded",
                    *max_mean_abs_diff(ours, ref),
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


# ---------------------------------------------------------------------------------------------------------------
# End to end
# ---------------------------------------------------------------------------------------------------------------
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
    """Convert one upstream Mammo-CLIP file into a `save_pretrained` folder (atomic: nothing left on error).

    Args:
        checkpoint: the upstream `.tar` / `.pth` file.
        output_dir: the folder to write (must be empty or absent unless `overwrite`).
        variant: `"b2"`/`"b5"` to assert the expected variant (detected from shapes either way).
        registry_name: the `mammo_hf.hub.registry` entry (licence, provenance, label names) for the card; defaults
            to the upstream release of the detected variant (downstream: a generic entry).
        tokenizer: a local tokenizer folder (e.g. a Bio_ClinicalBERT download) to save with the processor.
        text_num_attention_heads: BERT head count when it is not 12 (not visible in tensor shapes).
        allow_partial: skip unknown upstream tensors and keep missing model tensors initialised (the card says so).
        verify: compare with the efficientnet-pytorch / BertModel reference and record the figures in the card.
        verify_size: `(height, width)` of the parity input (default: the registry input size, 1520 × 912).
        card_facts: a `hub_cards/*.yaml` facts file (default: `hub_cards/<registry_name>.yaml` when present).
        push_to_hub: a Hub repository id to upload the folder to.
        private: create the Hub repository private.
        overwrite: replace an existing `output_dir`.
        trust_pickle: load with plain `torch.load` (runs code from the pickle; trusted files only).
        command: the command line recorded in the card (default: reconstructed).

    Returns:
        [`ConversionResult`].

    Example:
        >>> from mammo_hf.models.mammo_clip.convert_mammo_clip_original_to_hf import convert_checkpoint
        >>> result = convert_checkpoint("b5-model-best-epoch-7.tar", "mammo-clip-b5", verify=True)  # doctest: +SKIP
        >>> result.variant, result.parity[0].max_abs_diff < 1e-4  # doctest: +SKIP
        ('b5', True)
    """
    from ...hub.registry import default_entry_for, get_pretrained
    from ...image_processing_mammo import MammoImageProcessor
    from .modeling_mammo_clip import MammoClipForImageClassification, MammoClipModel

    checkpoint = Path(checkpoint)
    ckpt = load_original_checkpoint(checkpoint, trust_pickle=trust_pickle)
    state_dict, _ = extract_model_state_dict(ckpt)
    kind = detect_kind(state_dict)
    detected = detect_variant(state_dict)
    if variant is not None and variant.lower() != detected:
        raise VariantMismatchError(
            f"--variant {variant} was requested but {checkpoint.name} holds an EfficientNet-{detected.upper()} "
            f"(detected from tensor shapes); drop --variant or pass the {variant.upper()} file"
        )
    if registry_name:
        entry = get_pretrained(registry_name)
        if (entry.architecture, entry.variant, entry.kind) != ("mammo_clip", detected, kind):
            raise VariantMismatchError(
                f"registry entry {entry.name} describes a {entry.architecture} {entry.variant} {entry.kind} "
                f"checkpoint, but {checkpoint.name} is a mammo_clip {detected} {kind} checkpoint"
            )
    else:
        entry = default_entry_for("mammo_clip", detected, kind)

    dropped: list[str] = []
    converted = convert_state_dict(state_dict, strict=not allow_partial, dropped=dropped)
    text_config = None
    if kind == "pretraining":
        text_config = detect_text_config(state_dict, text_num_attention_heads)
    config = build_config(state_dict, detected, kind, label_names=entry.label_names, text_config=text_config)
    model_cls = MammoClipModel if kind == "pretraining" else MammoClipForImageClassification
    model = model_cls(config)
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

    image_processor = MammoImageProcessor.from_preset("mammo_clip")
    processor: Any = image_processor
    if tokenizer is not None:
        from transformers import AutoTokenizer

        from .processing_mammo_clip import MammoClipProcessor

        tok = AutoTokenizer.from_pretrained(str(tokenizer), local_files_only=True)
        if kind == "pretraining" and len(tok) > config.text_config.vocab_size:
            raise CheckpointKeyError(
                f"tokenizer at {tokenizer} has {len(tok)} tokens but the text tower's vocabulary has "
                f"{config.text_config.vocab_size}; pass the Bio_ClinicalBERT tokenizer"
            )
        processor = MammoClipProcessor(image_processor=image_processor, tokenizer=tok)

    return finish_conversion(
        cli_family="mammo-clip",
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


# ---------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the converter's options to `parser` (shared by `mammo-hf convert mammo-clip` and `python -m`)."""
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        help="Assert the variant; it is always detected from the tensor shapes and a mismatch is an error.",
    )
    parser.add_argument(
        "--registry-name",
        help="mammo_hf.hub.registry entry for the card, e.g. mammo_clip_b5.vindr_density_ft_fold0 (label names).",
    )
    parser.add_argument("--tokenizer", help="Local tokenizer folder (Bio_ClinicalBERT) to save with the processor.")
    return add_common_arguments(
        parser,
        checkpoint_help="Upstream .tar (pretraining) or downstream .pth file.",
        verify_help="Compare with efficientnet-pytorch / BertModel rebuilt from the same file; print max/mean diff.",
        default_size="1520 912",
    )


def run(args: argparse.Namespace) -> int:
    """Run a conversion from parsed arguments and print the report; returns the exit code."""
    return run_conversion(args, convert_checkpoint, "mammo-clip")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m mammo_hf.models.mammo_clip.convert_mammo_clip_original_to_hf ...`"""
    return conversion_main(argv, __doc__.split("\n\n")[0], add_arguments, run)


if __name__ == "__main__":
    sys.exit(main())
