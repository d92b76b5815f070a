"""Published figures of the seed papers, each with its source, shown beside our runs by `mammo-hf compare`.

Only numbers stated in the papers' abstracts are recorded (the full texts were not reachable when this table was
written). A metric a paper does not report is absent (rendered "n/r"), never guessed. The task/test-set column
says what the number measures as far as the source says; these are *not* on our data or splits, so they are a
reference, not a like-for-like comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PAPER_RESULTS", "PaperResult", "Source", "paper_results"]


@dataclass(frozen=True)
class Source:
    """A citation with a URL, and what its numbers measure (`scope`) as far as the source says."""

    key: str
    citation: str
    url: str
    scope: str = ""


@dataclass(frozen=True)
class PaperResult:
    """One published row: model × strategy → metric values, with the source and caveats.

    `metrics` holds fractions in [0, 1] (e.g. `{"f1": 0.581}`); `kind="delta"` rows hold differences, not values.
    """

    model: str
    strategy: str
    metrics: dict[str, float]
    source: Source
    task: str = "malignancy"
    note: str = ""
    kind: str = "absolute"
    tags: tuple[str, ...] = field(default_factory=tuple)


ABDIKENOV_VLM_2025 = Source(
    key="abdikenov2025vlm",
    citation=(
        "Abdikenov B., Saidnassim N., Ayanbayev B., Imasheva A. Classification of Combined MLO and CC Mammographic "
        "Views Using Vision-Language Models. J. Clin. Med. Kazakhstan 22(6):89-95, 2025 (abstract)"
    ),
    url="https://www.clinmedkaz.org/article/classification-of-combined-mlo-and-cc-mammographic-views-using-vision-language-models-17449",
    scope="Six public datasets, one CC|MLO concatenated image per breast; label definition not in the abstract.",
)
ABDIKENOV_MULTIVIEW_2025 = Source(
    key="abdikenov2025multiview",
    citation=(
        "Abdikenov B., Zhaksylyk T., Imasheva A., Orazayev Y., Karibekov T. Innovative Multi-View Strategies for "
        "AI-Assisted Breast Cancer Detection in Mammography. J. Imaging 11(8):247, 2025, doi:10.3390/jimaging11080247 "
        "(abstract)"
    ),
    url="https://www.mdpi.com/2313-433X/11/8/247/htm",
    scope="Six datasets (two held out for testing); the abstract does not say which test set each AUC is from.",
)
MAM_CLIP = Source(
    key="mamclip",
    citation="MAM-CLIP: Vision-Language Pretraining on Mammography Atlases for BI-RADS Classification (abstract)",
    url="https://github.com/igulluk/MAM-CLIP",
    scope="BI-RADS fine-tuning on EMBED and TEKNOFEST after pretraining on 2,313 atlas image-caption pairs.",
)


PAPER_RESULTS: tuple[PaperResult, ...] = (
    PaperResult(
        "EfficientNet-B4",
        "supervised",
        {"f1": 0.5810},
        ABDIKENOV_VLM_2025,
        note="CNN baseline, best F1 overall.",
        tags=("seed",),
    ),
    PaperResult(
        "MammoCLIP",
        "LP",
        {"f1": 0.4755, "roc_auc": 0.6906},
        ABDIKENOV_VLM_2025,
        note="Best VLM; domain-specific pretraining.",
        tags=("seed",),
    ),
    PaperResult(
        "SmolVLM (quantized, Idefics3)",
        "SFT",
        {"f1": 0.5101, "roc_auc": 0.6304},
        ABDIKENOV_VLM_2025,
        note="'Balanced performance under full fine-tuning'.",
        tags=("seed",),
    ),
    PaperResult(
        "Qwen2-VL-2B (quantized)",
        "SFT / LP",
        {},
        ABDIKENOV_VLM_2025,
        note="No figures in the abstract; general VLMs 'struggled with recall despite high precision'.",
        tags=("seed",),
    ),
    PaperResult("VGG19", "MDV", {"roc_auc": 0.9051}, ABDIKENOV_MULTIVIEW_2025, tags=("sibling",)),
    PaperResult("DenseNet", "MDV", {"roc_auc": 0.7960}, ABDIKENOV_MULTIVIEW_2025, tags=("sibling",)),
    PaperResult("DenseNet", "DBE", {"roc_auc": 0.8033}, ABDIKENOV_MULTIVIEW_2025, tags=("sibling",)),
    PaperResult("ResNet50", "DBE", {"roc_auc": 0.8042}, ABDIKENOV_MULTIVIEW_2025, tags=("sibling",)),
    PaperResult(
        "MAM-CLIP (ConvNeXt)",
        "atlas pretraining + fine-tune, 1K labels",
        {"macro_f1": 0.14},
        MAM_CLIP,
        task="birads3",
        kind="delta",
        note=(
            "3-class average F1 gain over ImageNet initialisation (EMBED / TEKNOFEST); "
            "absolute F1 not in the abstract."
        ),
        tags=("mam_clip",),
    ),
    PaperResult(
        "MAM-CLIP (ConvNeXt)",
        "atlas pretraining + fine-tune, 40K labels",
        {"macro_f1": 0.01},
        MAM_CLIP,
        task="birads3",
        kind="delta",
        note="3-class average F1 gain over ImageNet initialisation; absolute F1 not in the abstract.",
        tags=("mam_clip",),
    ),
)


def paper_results(task: str | None = "malignancy", kind: str | None = "absolute") -> list[PaperResult]:
    """Published rows for `task` (`None`: all tasks) and `kind` (`None`: absolute and delta rows).

    Example:
        >>> [r.metrics["f1"] for r in paper_results() if r.model == "EfficientNet-B4"]
        [0.581]
    """
    return [r for r in PAPER_RESULTS if (task is None or r.task == task) and (kind is None or r.kind == kind)]
