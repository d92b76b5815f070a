"""The one table of licence and provenance facts for every checkpoint mammo-hf converts or publishes.

Names follow timm's `arch.tag` convention (`mammo_clip_b5.upstream_miccai24`): the part before the dot is the
architecture + variant, the tag says where the weights come from. Converters, model cards and the push helper read
these entries; nothing else in the package hard-codes a licence (reference: aesthetics.md §8 item 6, §9 item 14 --
generic card generators default to apache-2.0, which would be false for CC BY-NC-SA weights).

Facts are stated only where a source was read (the upstream repositories at the commits cited in the entries);
what is not known is `None` and renders as an HTML comment in the card, never as a guess.

>>> from mammo_hf.hub.registry import get_pretrained
>>> entry = get_pretrained("mammo_clip_b5.upstream_miccai24")
>>> entry.license, entry.input_size
('cc-by-nc-sa-4.0', (1520, 912))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = [
    "PretrainedEntry",
    "PRETRAINED_REGISTRY",
    "UnknownPretrainedError",
    "get_pretrained",
    "list_pretrained",
    "default_entry_for",
]

MAMMO_CLIP_CODE = "https://github.com/batmanlab/Mammo-CLIP"
MAMMO_CLIP_HUB = "https://huggingface.co/shawn24/Mammo-CLIP"
MAM_CLIP_CODE = "https://github.com/igulluk/MAM-CLIP"

MAMMO_CLIP_CITATION = """@inproceedings{ghosh2024mammoclip,
  title = {Mammo-CLIP: A Vision Language Foundation Model to Enhance Data Efficiency and Robustness in Mammography},
  author    = {Ghosh, Shantanu and Poynton, Clare B. and Visweswaran, Shyam and Batmanghelich, Kayhan},
  booktitle = {Medical Image Computing and Computer Assisted Intervention (MICCAI)},
  year      = {2024},
  eprint    = {2405.12255},
  archivePrefix = {arXiv}
}"""

MAM_CLIP_CITATION = """@article{gulluk2026mamclip,
  title   = {MAM-CLIP: Vision-Language Pretraining on Mammography Atlases for BI-RADS Classification},
  author  = {Gulluk, Halil Ibrahim and Gevaert, Olivier},
  journal = {arXiv preprint arXiv:2605.19359},
  year    = {2026}
}"""

MAMMO_CLIP_LICENSE_NOTE = (
    "Code and weights are released by the authors under CC BY-NC-SA 4.0 (batmanlab/Mammo-CLIP LICENSE.txt; "
    "changed from CC BY 4.0 in upstream commit 9210868): non-commercial use only, attribution required, and "
    "derivatives (including these converted weights and anything fine-tuned from them) must be shared under the "
    "same licence. mammo-hf's own code is Apache-2.0; that does not relicense the weights."
)
MAM_CLIP_LICENSE_NOTE = (
    "The MAM-CLIP code repository (igulluk/MAM-CLIP) is MIT-licensed; the weights are distributed from the "
    "authors' Google Drive without a licence file of their own, so the repository's MIT licence is the only "
    "stated licence. Pretraining used copyrighted mammography atlases (not redistributed)."
)
MAMMOSIGHTR_NOTE = (
    " The fine-tuning data, MammosighTR / TEKNOFEST 2023 (gulluk/mammosightr-preprocessed), is CC BY-NC 4.0; "
    "check whether its non-commercial terms apply to your use of models trained on it."
)


class UnknownPretrainedError(KeyError):
    """No registry entry has that name."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else "unknown pretrained entry"


@dataclass(frozen=True)
class PretrainedEntry:
    """Provenance and licence of one checkpoint.

    Args:
        name: `arch.tag`, e.g. `mammo_clip_b5.upstream_miccai24`.
        architecture: mammo-hf `model_type` (`mammo_clip`, `mam_clip`, `mammo_efficientnet`).
        variant: the preset the converter selects (`b2`, `b5`, `convnext_tiny`, `convnext_small`).
        kind: `"pretraining"` (CLIP model) or `"classification"` (a model with a classification head).
        license: Hugging Face licence identifier of the *weights* (required, never defaulted).
        license_note: what the licence covers and what it obliges, in one paragraph.
        hub_id: the repository mammo-hf publishes the converted weights to (None: not published).
        origin_url: where the original file is downloaded from.
        origin_file: the original file name (as released).
        code_url: the upstream code repository.
        paper_ids: e.g. `("arxiv:2405.12255",)` (Hub `arxiv:` tag form).
        citation: BibTeX.
        input_size: `(height, width)` the model was trained at.
        views: the views one sample holds (upstream Mammo-CLIP/MAM-CLIP encode each view separately).
        label_names: class names of the classification head, in logit order (None when unknown or not a classifier).
        training_data: short descriptions of the training data.
        redistributable: whether the licence allows re-publishing the converted weights publicly.
        notes: caveats (unknown facts, upstream quirks).
    """

    name: str
    architecture: str
    variant: str
    kind: str
    license: str
    license_note: str
    hub_id: str | None
    origin_url: str
    origin_file: str
    code_url: str
    paper_ids: tuple[str, ...]
    citation: str
    input_size: tuple[int, int]
    views: tuple[str, ...] = ("single view (CC or MLO)",)
    label_names: tuple[str, ...] | None = None
    training_data: tuple[str, ...] = ()
    redistributable: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.license or not self.license.strip():
            raise ValueError(f"registry entry {self.name!r} has no licence; every checkpoint must state one")
        if "." not in self.name:
            raise ValueError(f"registry names are `arch.tag`, got {self.name!r}")

    @property
    def arch(self) -> str:
        """The part before the dot (`mammo_clip_b5`)."""
        return self.name.split(".", 1)[0]

    @property
    def tag(self) -> str:
        """The part after the dot (`upstream_miccai24`)."""
        return self.name.split(".", 1)[1]


def _mammo_clip(variant: str, origin_file: str, **kw) -> PretrainedEntry:
    return PretrainedEntry(
        name=f"mammo_clip_{variant}.upstream_miccai24",
        architecture="mammo_clip",
        variant=variant,
        kind="pretraining",
        license="cc-by-nc-sa-4.0",
        license_note=MAMMO_CLIP_LICENSE_NOTE,
        hub_id=f"mammo-hf/mammo-clip-{variant}",
        origin_url=f"{MAMMO_CLIP_HUB}/blob/main/Pre-trained-checkpoints/{origin_file}",
        origin_file=origin_file,
        code_url=MAMMO_CLIP_CODE,
        paper_ids=("arxiv:2405.12255",),
        citation=MAMMO_CLIP_CITATION,
        input_size=(1520, 912),
        training_data=(
            "UPMC in-house screening mammogram-report pairs (private, never released; upstream issue #8)",
            "VinDr-Mammo images with reports templated from labels (dataset augmentation)",
        ),
        notes=(
            "Upstream calls the B2 encoder `tf_efficientnetv2-detect`; it is EfficientNet-B2, not EfficientNetV2.",
            "The image encoder uses static TF-SAME padding computed for the nominal size (260 B2 / 456 B5); "
            "the converted model reproduces it through `depthwise_padding`.",
            "Zero-shot scores upstream are a softmax over raw cosine similarities (no logit scale).",
            *kw.pop("notes", ()),
        ),
        **kw,
    )


def _mammo_clip_downstream(task: str, labels: tuple[str, ...], dataset: str, mode: str) -> PretrainedEntry:
    mode_text = {"ft": "fine-tuned", "lp": "linear probe"}[mode]
    return PretrainedEntry(
        name=f"mammo_clip_b5.{dataset}_{task}_{mode}_fold0",
        architecture="mammo_clip",
        variant="b5",
        kind="classification",
        license="cc-by-nc-sa-4.0",
        license_note=MAMMO_CLIP_LICENSE_NOTE,
        hub_id=f"mammo-hf/mammo-clip-b5-{dataset}-{task}-{mode}",
        origin_url=f"{MAMMO_CLIP_HUB}/blob/main/Downstream-checkpoints/Downstream_evalualtion_b5_fold0.zip",
        origin_file="Downstream_evalualtion_b5_fold0.zip (one .pth inside)",
        code_url=MAMMO_CLIP_CODE,
        paper_ids=("arxiv:2405.12255",),
        citation=MAMMO_CLIP_CITATION,
        input_size=(1520, 912),
        label_names=labels,
        training_data=(f"{'VinDr-Mammo' if dataset == 'vindr' else 'RSNA Screening Mammography'} fold 0",),
        redistributable=True,
        notes=(
            f"Downstream {mode_text} classifier from the Mammo-CLIP B5 encoder (upstream "
            "`Classifiers/models/breast_clip_classifier.py`); it carries its own BatchNorm statistics, so convert "
            "the encoder from this file, not from the CLIP .tar.",
            "The exact file name inside the zip is not documented here; pass the .pth you extracted.",
            "Dataset terms (VinDr-Mammo PhysioNet DUA, RSNA competition rules) may restrict use beyond the licence.",
        ),
    )


def _mam_clip(variant: str, kind: str) -> PretrainedEntry:
    size = variant.removeprefix("convnext_")
    if kind == "pretraining":
        return PretrainedEntry(
            name=f"mam_clip_{variant}.atlas_pretrain",
            architecture="mam_clip",
            variant=variant,
            kind="pretraining",
            license="mit",
            license_note=MAM_CLIP_LICENSE_NOTE,
            hub_id=f"mammo-hf/mam-clip-{size}",
            origin_url=MAM_CLIP_CODE + " (Google Drive link in the README)",
            origin_file=f"pretrain_{variant}.ckpt",
            code_url=MAM_CLIP_CODE,
            paper_ids=("arxiv:2605.19359",),
            citation=MAM_CLIP_CITATION,
            input_size=(1024, 768),
            training_data=(
                "2,313 image-caption pairs from two mammography atlases (Atlas of Mammography 3rd ed.; "
                "ACR BI-RADS Atlas 5th ed.), not redistributed",
            ),
            notes=(
                "Text input is padded to exactly 100 tokens and run without an attention mask; the text feature "
                "is the [CLS] state. Keep that padding to reproduce upstream embeddings.",
                "Images are min-max scaled to [0, 1] only (no mean/std normalisation).",
            ),
        )
    return PretrainedEntry(
        name=f"mam_clip_{variant}.mammosightr_ft",
        architecture="mam_clip",
        variant=variant,
        kind="classification",
        license="mit",
        license_note=MAM_CLIP_LICENSE_NOTE + MAMMOSIGHTR_NOTE,
        hub_id=f"mammo-hf/mam-clip-{size}-birads-density",
        origin_url=MAM_CLIP_CODE + " (Google Drive link in the README)",
        origin_file=f"{variant}_ftune.pth",
        code_url=MAM_CLIP_CODE,
        paper_ids=("arxiv:2605.19359",),
        citation=MAM_CLIP_CITATION,
        input_size=(1024, 768),
        label_names=None,
        training_data=("MammosighTR / TEKNOFEST 2023 (gulluk/mammosightr-preprocessed, CC BY-NC 4.0)",),
        notes=(
            "Two heads: BI-RADS (5 logits) and density (4 logits, presumably A-D). Which BI-RADS categories the "
            "5 logits encode and the fine-tuning recipe are not released upstream.",
        ),
    )


_ENTRIES: tuple[PretrainedEntry, ...] = (
    _mammo_clip("b5", "b5-model-best-epoch-7.tar"),
    _mammo_clip("b2", "b2-model-best-epoch-10.tar"),
    _mammo_clip_downstream("cancer", ("cancer",), "rsna", "ft"),
    _mammo_clip_downstream("cancer", ("cancer",), "rsna", "lp"),
    _mammo_clip_downstream("mass", ("mass",), "vindr", "ft"),
    _mammo_clip_downstream("mass", ("mass",), "vindr", "lp"),
    _mammo_clip_downstream("calcification", ("suspicious_calcification",), "vindr", "ft"),
    _mammo_clip_downstream("calcification", ("suspicious_calcification",), "vindr", "lp"),
    _mammo_clip_downstream("density", ("A", "B", "C", "D"), "vindr", "ft"),
    _mammo_clip_downstream("density", ("A", "B", "C", "D"), "vindr", "lp"),
    _mam_clip("convnext_tiny", "pretraining"),
    _mam_clip("convnext_small", "pretraining"),
    _mam_clip("convnext_tiny", "classification"),
    _mam_clip("convnext_small", "classification"),
)

#: name -> entry. Add a row here (and a `hub_cards/<name>.yaml`) for every new published checkpoint.
PRETRAINED_REGISTRY: dict[str, PretrainedEntry] = {e.name: e for e in _ENTRIES}


def get_pretrained(name: str) -> PretrainedEntry:
    """The registry entry called `name` (`arch.tag`).

    Raises:
        UnknownPretrainedError: listing the known names.

    Example:
        >>> get_pretrained("mam_clip_convnext_tiny.atlas_pretrain").license
        'mit'
    """
    try:
        return PRETRAINED_REGISTRY[name]
    except KeyError:
        raise UnknownPretrainedError(
            f"unknown pretrained entry {name!r}; known: {', '.join(sorted(PRETRAINED_REGISTRY))}"
        ) from None


def list_pretrained(architecture: str | None = None) -> list[str]:
    """Sorted entry names, optionally of one architecture (`mammo_clip`, `mam_clip`).

    >>> list_pretrained("mam_clip")[:2]
    ['mam_clip_convnext_small.atlas_pretrain', 'mam_clip_convnext_small.mammosightr_ft']
    """
    return sorted(n for n, e in PRETRAINED_REGISTRY.items() if architecture in (None, e.architecture))


def default_entry_for(architecture: str, variant: str, kind: str, **overrides) -> PretrainedEntry:
    """The entry a converter uses when the user names none: the upstream release of that variant and kind.

    For a downstream classifier whose task cannot be read from the file, the generic fields of the first matching
    entry are returned with `label_names`/`hub_id` cleared (override them with `overrides`).

    >>> default_entry_for("mammo_clip", "b2", "pretraining").name
    'mammo_clip_b2.upstream_miccai24'
    """
    matches = [e for e in _ENTRIES if e.architecture == architecture and e.variant == variant and e.kind == kind]
    if not matches and kind == "classification":
        # e.g. a user's own B2 downstream classifier: same licence and provenance as the released B5 ones
        matches = [replace(e, variant=variant) for e in _ENTRIES if e.architecture == architecture and e.kind == kind]
    if not matches:
        raise UnknownPretrainedError(f"no registry entry for {architecture} {variant} {kind}")
    entry = matches[0]
    if kind == "classification" and architecture == "mammo_clip":
        entry = replace(entry, name=f"mammo_clip_{variant}.downstream", label_names=None, hub_id=None)
    return replace(entry, **overrides) if overrides else entry
