"""Dataset cards for built datasets: licence, citation, columns, label policy, counts, the exact build command."""

from __future__ import annotations

from typing import Any

__all__ = ["render_dataset_card", "card_metadata"]

_COLUMN_DOCS = {
    "source": "dataset the row comes from",
    "patient_id": "patient id from the dataset's own anonymised label files (never from DICOM headers)",
    "study_id": "study/exam id from the label files (or a hash), never from DICOM headers",
    "breast_id": "unique key `source/patient/study/laterality`",
    "laterality": "`L` or `R`",
    "cc": "craniocaudal view, 16-bit grayscale PNG (decodes to PIL mode `I;16`)",
    "mlo": "mediolateral-oblique view, 16-bit grayscale PNG",
    "cc_meta": "CC metadata: image_id, view, original size, crop box (top, left, bottom, right), flip, spacing, "
    "vendor, photometric, bits stored, pixel steps",
    "mlo_meta": "MLO metadata (same fields)",
    "birads": "BI-RADS 0-6 (ClassLabel; 4a/4b/4c collapse to 4)",
    "birads_detail": "BI-RADS as spelled by the source (keeps 4a/4b/4c)",
    "density": "ACR density A-D (ClassLabel)",
    "pathology": "normal / benign / malignant (ClassLabel), where the source has pathology",
    "cancer": "negative / positive (ClassLabel) from the `malignancy` label policy",
    "label_source": "which rule produced `cancer`: biopsy, screening_outcome, birads_proxy, none",
    "findings": "finding categories as named by the source",
    "split": "train / validation / test (patient-level)",
    "extra": "JSON object of dataset-specific non-identifying columns",
    "image": "atlas figure (original bytes)",
    "caption": "caption text",
    "image_id": "image path relative to the raw folder",
}


_NO_REDIST = "**no** (push only to a private repo)"


def card_metadata(info: Any, n_rows: int) -> dict[str, Any]:
    """YAML front matter of the card (Hub dataset card metadata)."""
    size = (
        "n<1K"
        if n_rows < 1_000
        else "1K<n<10K"
        if n_rows < 10_000
        else "10K<n<100K"
        if n_rows < 100_000
        else "100K<n<1M"
    )
    meta: dict[str, Any] = {
        "pretty_name": info.full_name,
        "license": info.licence if info.licence not in ("unknown",) else "other",
        "tags": ["mammography", "medical-imaging", "breast-cancer", "dicom", "mammo-hf"],
        "task_categories": ["image-classification"] if info.name != "atlas" else ["zero-shot-image-classification"],
        "size_categories": [size],
    }
    if meta["license"] == "other":
        meta["license_name"] = f"{info.name}-terms"
        meta["license_link"] = info.homepage.split(";")[0].strip()
    return meta


def render_dataset_card(builder: Any, report: Any, dataset_dict: Any) -> str:
    """Markdown card with YAML front matter for a built dataset.

    Example:
        >>> from mammo_hf.data.builders import get_builder
        >>> from mammo_hf.data.build import BuildReport
        >>> report = BuildReport(builder="cmmd", command="mammo-hf build cmmd")
        >>> card = render_dataset_card(get_builder("cmmd"), report, {})
        >>> "cc-by-4.0" in card and "mammo-hf build cmmd" in card
        True
    """
    import yaml

    from .labels import LABEL_POLICIES

    info = builder.info
    meta = card_metadata(info, getattr(report, "num_rows", 0))
    lines = [
        "---",
        yaml.safe_dump(meta, sort_keys=False).strip(),
        "---",
        "",
        f"# {info.full_name} (mammo-hf build)",
        "",
    ]
    lines += [
        "> **Research use only.** Not a medical device; not for diagnosis. Built locally from the user's own download "
        "with [mammo-hf](https://github.com/mammo-hf/mammo-hf).",
        "",
        "## Source and licence",
        "",
        "| | |",
        "|---|---|",
        f"| Dataset | {info.full_name} |",
        f"| Licence | `{info.licence}`: {info.licence_note} |",
        f"| Public redistribution allowed | {'yes' if info.redistributable else _NO_REDIST} |",
        f"| Access | {info.access} |",
        f"| Homepage | {info.homepage} |",
        f"| Raw layout read | {info.expected_layout} |",
        "",
        "## Citation",
        "",
        "```bibtex",
        info.citation,
        "```",
        "",
        "## How it was built",
        "",
        "```bash",
        report.command,
        "```",
        "",
        f"Options: `{report.options}`" if report.options else "",
        "",
        "```python",
        "import datasets",
        'ds = datasets.load_from_disk("<output-dir>")        # or datasets.load_dataset("<org>/<name>")',
        "```",
        "",
    ]
    features = None
    for ds in dict(dataset_dict).values():
        features = ds.features
        break
    if features is not None:
        lines += ["## Columns", "", "| column | type | meaning |", "|---|---|---|"]
        for col, feat in features.items():
            kind = type(feat).__name__ if not isinstance(feat, dict) else "struct"
            lines.append(f"| `{col}` | {kind} | {_COLUMN_DOCS.get(col, '')} |")
        lines.append("")
    if info.name != "atlas":
        lines += ["## Label policy", ""]
        for name in ("malignancy", "birads3", "density"):
            lines.append(f"- **{name}**: {LABEL_POLICIES[name].description}")
        lines += [
            "",
            '`mammo_hf.data.labels.apply_label_policy(ds, "<policy>")` adds the `label` column of a policy.',
            "",
            "One row per breast with both a CC and an MLO image; when a breast has several, the first in the "
            "dataset's own order is used and the others are listed in `skipped.csv`. Breasts with one usable view "
            "are in the `single_view` table (config), never silently dropped.",
            "",
        ]
    lines += ["## Counts", "", "| table | split | rows |", "|---|---|---|"]
    for table, splits in report.rows.items():
        for split, n in splits.items():
            lines.append(f"| {table} | {split} | {n} |")
    lines.append("")
    for split, cols in report.class_counts.items():
        lines += [f"### {split}", "", "| column | counts |", "|---|---|"]
        for col, counts in cols.items():
            lines.append(f"| `{col}` | " + ", ".join(f"{k}: {v}" for k, v in counts.items()) + " |")
        lines.append("")
    if report.skipped or report.label_warnings:
        lines += ["## Not used", "", "Every file not in the output is listed with its reason in `skipped.csv`.", ""]
        lines += [f"- `{k}`: {v}" for k, v in report.skipped.items()]
        lines += [f"- label warning `{k}`: {v}" for k, v in report.label_warnings.items()]
        lines.append("")
    return "\n".join(lines)
