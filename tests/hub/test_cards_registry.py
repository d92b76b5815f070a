"""Registry (one table of licences) and offline model-card rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mammo_hf.hub.cards import CardError, ParityResult, build_io_table, load_card_facts, render_card
from mammo_hf.hub.registry import PRETRAINED_REGISTRY, PretrainedEntry, get_pretrained, list_pretrained

REPO = Path(__file__).resolve().parents[2]


def test_every_entry_states_its_true_licence():
    assert PRETRAINED_REGISTRY
    for name, entry in PRETRAINED_REGISTRY.items():
        assert name.count(".") == 1 and entry.license and entry.license != "apache-2.0"
        expected = {"mammo_clip": "cc-by-nc-sa-4.0", "mam_clip": "mit"}[entry.architecture]
        assert entry.license == expected, name
        assert entry.origin_url.startswith("https://") and entry.paper_ids and entry.citation.startswith("@")
    assert "mammo_clip_b2.upstream_miccai24" in list_pretrained("mammo_clip")
    with pytest.raises(KeyError, match="known:"):
        get_pretrained("mammo_clip_b7.nope")


def test_entry_without_licence_is_impossible():
    entry = get_pretrained("mammo_clip_b5.upstream_miccai24")
    with pytest.raises(ValueError, match="no licence"):
        PretrainedEntry(**{**entry.__dict__, "license": ""})


def test_card_refuses_missing_licence():
    class Fake:
        name = "x.y"
        license = None

    with pytest.raises(CardError, match="no licence"):
        render_card(Fake())


def test_card_sections_io_table_and_unknowns():
    from mammo_hf import MammoImageProcessor

    entry = get_pretrained("mammo_clip_b5.upstream_miccai24")
    card = render_card(
        entry,
        processor=MammoImageProcessor.from_preset("mammo_clip"),
        parity=[
            ParityResult("image features (pooled)", "efficientnet-pytorch 0.7.1", "1 × 3 × 64 × 32", 1.5e-6, 2e-7)
        ],
    )
    text = card.content
    assert card.data.license == "cc-by-nc-sa-4.0" and card.data.pipeline_tag == "zero-shot-image-classification"
    assert "Research use only" in text and "clinical decision-making" in text
    assert "| `pixel_values` | `(batch, num_views, 3, 1520, 912)`" in text
    assert "(x − 0.3089279) / 0.2505356" in text
    assert "<!-- conversion command: not recorded -->" in text  # unknown facts are HTML comments
    assert "<!-- evaluation results" in text and "1.5e-06" in text
    assert "model-index" not in text


def test_model_index_from_eval_results():
    card = render_card(
        "mam_clip_convnext_tiny.mammosightr_ft",
        eval_results=[
            dict(task_type="image-classification", dataset_type="gulluk/mammosightr-preprocessed",
                 dataset_name="MammosighTR", dataset_split="test", metric_type="f1", metric_value=0.61,
                 metric_name="macro F1")
        ],
    )  # fmt: skip
    front = yaml.safe_load(card.content.split("---")[1])
    assert front["license"] == "mit"
    result = front["model-index"][0]["results"][0]
    assert result["metrics"][0]["value"] == 0.61 and result["dataset"]["name"] == "MammosighTR"
    assert "| MammosighTR | test | macro F1 | 0.61 |" in card.content


def test_classifier_io_table_uses_label_names():
    rows = build_io_table(get_pretrained("mammo_clip_b5.vindr_density_ft_fold0"))
    assert rows[-1]["name"] == "logits" and rows[-1]["shape"] == "(batch, 4)" and "A, B, C, D" in rows[-1]["meaning"]


@pytest.mark.parametrize("path", sorted((REPO / "hub_cards").glob("*.yaml")), ids=lambda p: p.stem)
def test_hub_cards_facts_render(path):
    facts = load_card_facts(path)
    entry = get_pretrained(path.stem)  # every facts file names a registry entry
    assert "license" not in facts  # licences live in the registry only
    card = render_card(entry, facts=facts)
    assert facts["model_name"] in card.content and "<!-- description" not in card.content
