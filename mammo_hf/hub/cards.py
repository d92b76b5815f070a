"""Model cards rendered offline from the registry, the model config, the processor and a facts YAML.

The card template (`mammo_hf/hub/templates/model_card.md`) follows the medical Hub cards the project imitates
(microsoft/rad-dino, BiomedCLIP; reference aesthetics.md §8 item 10): a research-only notice, model details with
the licence *from the registry entry* (never a default), intended and out-of-scope use, an Inputs/Outputs table
generated from the image processor and config, getting started, training data, conversion command and parity
figures, evaluation (`model-index` front matter when results are given), limitations, citation. Facts nobody
recorded render as HTML comments, so a reader of the raw card sees what is missing instead of a made-up value.

>>> from mammo_hf.hub.cards import render_card
>>> from mammo_hf.hub.registry import get_pretrained
>>> card = render_card(get_pretrained("mammo_clip_b5.upstream_miccai24"))
>>> card.data.license
'cc-by-nc-sa-4.0'
>>> "Research use only" in card.text
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .registry import PretrainedEntry, get_pretrained

__all__ = [
    "CardError",
    "ParityResult",
    "ConversionInfo",
    "load_card_facts",
    "default_facts_path",
    "build_io_table",
    "describe_preprocessing",
    "render_card",
]

# Limitations every mammography card states, before the checkpoint-specific ones.
_BASE_LIMITATIONS = (
    "Performance shifts across sites, vendors (Hologic, GE, Siemens, Fuji...), acquisition protocols, breast "
    "density and patient populations; validate on your own data before drawing conclusions.",
    "Screening populations are heavily imbalanced (few cancers): report sensitivity at fixed specificity and "
    "calibrate scores on the target population.",
    "The model sees pixels only: no prior exams, no clinical history, no comparison with the other breast unless "
    "you provide it.",
)


class CardError(ValueError):
    """A card cannot be rendered truthfully (e.g. the registry entry lacks a licence)."""


@dataclass(frozen=True)
class ParityResult:
    """One line of the parity table: converted model vs the reference rebuilt from the same checkpoint.

    Args:
        name: what is compared (e.g. `"image features (pooled, 2048-d)"`).
        reference: the reference implementation (e.g. `"efficientnet-pytorch 0.7.1"`).
        input: the input used (e.g. `"1 x 3 x 1520 x 912, N(0, 1)"`).
        max_abs_diff: maximum absolute difference.
        mean_abs_diff: mean absolute difference.
    """

    name: str
    reference: str
    input: str
    max_abs_diff: float
    mean_abs_diff: float


@dataclass(frozen=True)
class ConversionInfo:
    """How a converted checkpoint was produced (rendered in the card's conversion section)."""

    command: str
    mammo_hf_version: str
    source_sha256: str | None = None
    notes: tuple[str, ...] = ()


def default_facts_path(name: str) -> Path | None:
    """`hub_cards/<name>.yaml` of a source checkout (editable install), or None when not present.

    >>> default_facts_path("no_such.entry") is None
    True
    """
    root = Path(__file__).resolve().parents[2] / "hub_cards"
    path = root / f"{name}.yaml"
    return path if path.is_file() else None


def load_card_facts(path: str | os.PathLike) -> dict[str, Any]:
    """Read a `hub_cards/*.yaml` facts file (a mapping; see `hub_cards/README.md` for the keys).

    Raises:
        CardError: the file is not a YAML mapping.
    """
    import yaml

    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise CardError(f"{path}: a card facts file must be a YAML mapping, got {type(data).__name__}")
    return data


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _image_processor_of(processor: Any) -> Any:
    return _get(processor, "image_processor", None) or processor


def describe_preprocessing(processor: Any) -> list[str]:
    """Human-readable preprocessing steps from a `MammoImageProcessor` (or a processor wrapping one).

    >>> from mammo_hf import MammoImageProcessor
    >>> describe_preprocessing(MammoImageProcessor.from_preset("mam_clip"))[-1]
    'grayscale replicated to 3 identical channels'
    """
    ip = _image_processor_of(processor)
    if ip is None:
        return []
    steps: list[str] = []
    if _get(ip, "do_crop"):
        steps.append(f"breast crop (margin {_get(ip, 'crop_margin', 0):g} of the box)")
    if _get(ip, "do_flip"):
        steps.append(
            f"laterality flip so the chest wall is on the {'left' if _get(ip, 'canonical_side') == 'L' else 'right'}"
        )
    size = _get(ip, "size") or {}
    if size:
        steps.append(f"resize to {size.get('height')} × {size.get('width')} (H × W), `{_get(ip, 'resample')}` filter")
    if _get(ip, "do_minmax"):
        steps.append("per-image min-max scaling to [0, 1]")
    if _get(ip, "do_normalize"):
        steps.append(f"(x − {_get(ip, 'image_mean'):.7g}) / {_get(ip, 'image_std'):.7g} (one scalar for all channels)")
    channels = _get(ip, "num_channels", 3)
    steps.append("grayscale replicated to 3 identical channels" if channels == 3 else "single channel")
    return steps


def build_io_table(entry: PretrainedEntry, config: Any = None, processor: Any = None) -> list[dict[str, str]]:
    """Rows `{name, shape, meaning}` of the card's Inputs/Outputs table, from the config and processor.

    >>> rows = build_io_table(get_pretrained("mammo_clip_b5.upstream_miccai24"))
    >>> rows[0]["name"], rows[0]["shape"]
    ('pixel_values', '(batch, num_views, 3, 1520, 912)')
    """
    ip = _image_processor_of(processor)
    size = _get(ip, "size") or {"height": entry.input_size[0], "width": entry.input_size[1]}
    views = list(_get(ip, "views", None) or _get(config, "view_names", None) or ["CC", "MLO"])
    value_range = "z-scored" if _get(ip, "do_normalize", entry.architecture == "mammo_clip") else "[0, 1]"
    rows = [
        {
            "name": "pixel_values",
            "shape": f"(batch, num_views, 3, {size['height']}, {size['width']})",
            "meaning": f"float32, views in order {' / '.join(views)} (4-D `(batch, 3, H, W)` = one view per sample); "
            f"8/16-bit grayscale input, {value_range} after preprocessing",
        }
    ]
    proj = _get(config, "projection_dim", 512 if entry.architecture == "mammo_clip" else 768)
    text_cfg = _get(config, "text_config")
    if entry.kind == "pretraining":
        tokenizer = _get(processor, "tokenizer")
        max_len = _get(tokenizer, "model_max_length") if tokenizer is not None else None
        max_len = (
            max_len
            if isinstance(max_len, int) and max_len < 10**6
            else (256 if entry.architecture == "mammo_clip" else 100)
        )
        rows += [
            {
                "name": "input_ids / attention_mask",
                "shape": "(batch, sequence_length)",
                "meaning": f"tokenised prompts or report sentences (max {max_len} tokens"
                + (f", vocab {_get(text_cfg, 'vocab_size')}" if text_cfg is not None else "")
                + ")",
            },
            {"name": "image_embeds", "shape": f"(batch, {proj})", "meaning": "L2-normalised image embedding"},
            {"name": "text_embeds", "shape": f"(batch, {proj})", "meaning": "L2-normalised text embedding"},
            {
                "name": "logits_per_image",
                "shape": "(batch, num_texts)",
                "meaning": "scaled cosine similarities (upstream zero-shot uses a softmax over raw cosines)",
            },
        ]
    else:
        labels = entry.label_names or tuple((_get(config, "id2label") or {}).values())
        n = len(labels) if labels else _get(config, "num_labels", "num_labels")
        rows.append(
            {
                "name": "logits",
                "shape": f"(batch, {n})",
                "meaning": "unnormalised scores" + (f" for {', '.join(map(str, labels))}" if labels else ""),
            }
        )
    return rows


def _as_dict(item: Any) -> dict[str, Any]:
    if is_dataclass(item):
        return asdict(item)
    return dict(item)


def render_card(
    entry: PretrainedEntry | str,
    *,
    config: Any = None,
    processor: Any = None,
    facts: Mapping[str, Any] | None = None,
    parity: Sequence[ParityResult | Mapping[str, Any]] | None = None,
    conversion: ConversionInfo | Mapping[str, Any] | None = None,
    eval_results: Sequence[Any] | None = None,
    repo_id: str | None = None,
) -> Any:
    """Render the model card (a `huggingface_hub.ModelCard`) of one checkpoint, offline.

    Args:
        entry: the registry entry (or its `arch.tag` name); supplies licence and provenance.
        config: the model config (projection size, views, label names).
        processor: the processor or image processor saved with the weights (Inputs/Outputs table).
        facts: the `hub_cards/<name>.yaml` mapping (description, intended_use, training, evaluation,
            limitations, datasets, tags, eval_results, widget); missing keys render as HTML comments.
        parity: parity figures from the converter's `--verify`.
        conversion: the conversion command and version.
        eval_results: `huggingface_hub.EvalResult`s or mappings with its fields; they produce `model-index`.
        repo_id: the Hub repository the card is for (defaults to `entry.hub_id`).

    Returns:
        `huggingface_hub.ModelCard`; `card.save(path)` writes README.md.

    Raises:
        CardError: the entry has no licence (cards never fall back to a default licence).

    Example:
        >>> from mammo_hf.hub.cards import render_card
        >>> card = render_card("mam_clip_convnext_tiny.atlas_pretrain", repo_id="me/mam-clip-tiny")
        >>> card.data.license, "me/mam-clip-tiny" in card.text
        ('mit', True)
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    if isinstance(entry, str):
        entry = get_pretrained(entry)
    if not getattr(entry, "license", None):
        raise CardError(f"registry entry {getattr(entry, 'name', entry)!r} has no licence; refusing to render a card")
    facts = dict(facts or {})
    repo_id = repo_id or entry.hub_id or entry.name

    results = list(eval_results or []) + list(facts.get("eval_results") or [])
    results = [r if isinstance(r, EvalResult) else EvalResult(**dict(r)) for r in results]
    model_name = facts.get("model_name") or repo_id.split("/")[-1]
    is_clip = entry.kind == "pretraining"
    tags = ["mammography", "medical-imaging", "research-only", entry.architecture, "mammo-hf"]
    tags += ["clip", "zero-shot-image-classification"] if is_clip else ["image-classification"]
    tags += [t for t in facts.get("tags", []) if t not in tags]
    tags += [p for p in entry.paper_ids if p not in tags]
    extra: dict[str, Any] = {}
    if facts.get("widget"):
        extra["widget"] = facts["widget"]
    card_data = ModelCardData(
        license=entry.license,
        library_name="transformers",
        pipeline_tag="zero-shot-image-classification" if is_clip else "image-classification",
        tags=tags,
        datasets=facts.get("datasets") or None,
        model_name=model_name if results else None,
        eval_results=results or None,
        metrics=sorted({r.metric_type for r in results}) or None,
        **extra,
    )
    label_names = entry.label_names or tuple((_get(config, "id2label") or {}).values()) or None
    if label_names and all(str(v).startswith("LABEL_") for v in label_names):
        label_names = None
    limitations = [*_BASE_LIMITATIONS, *entry.notes, *(facts.get("limitations") or [])]
    model_type_text = {
        ("mammo_clip", "pretraining"): "Mammo-CLIP: EfficientNet image tower + BERT text tower, contrastive (CLIP)",
        ("mammo_clip", "classification"): "Mammo-CLIP image tower + linear classification head",
        ("mam_clip", "pretraining"): "MAM-CLIP: ConvNeXt image tower + PubMedBERT text tower, contrastive + MLM",
        ("mam_clip", "classification"): "MAM-CLIP ConvNeXt image tower + BI-RADS and density heads",
    }.get((entry.architecture, entry.kind), entry.architecture)
    description = facts.get("description") or (
        f"<!-- description: not stated in hub_cards/{entry.name}.yaml -->\n"
        f"`{entry.name}` converted to a transformers-native `{entry.architecture}` model with safetensors weights."
    )
    template = resources.files("mammo_hf.hub").joinpath("templates/model_card.md").read_text(encoding="utf-8")
    return ModelCard.from_template(
        card_data,
        template_str=template,
        model_name=model_name,
        description=description,
        model_type_text=model_type_text,
        entry=entry,
        facts=facts,
        repo_id=repo_id,
        io_table=build_io_table(entry, config, processor),
        preprocessing=describe_preprocessing(processor),
        label_names=label_names,
        conversion=_as_dict(conversion) if conversion is not None else None,
        parity=[_as_dict(p) for p in parity] if parity else None,
        eval_results=results,
        limitations=limitations,
    )
