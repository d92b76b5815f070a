"""`mammo-hf quickstart`: the whole pipeline, end to end, on embedded synthetic phantoms (no downloads).

Stages (each writes into the output directory and adds a section to `summary.json`):

1. **synth** — phantom exams (both breasts × CC + MLO) as PHI-laden DICOMs of mixed encodings, plus `labels.csv`.
2. **pixels** — every DICOM is read (`read_image`: rescale → VOI → MONOCHROME1), paired per breast, cropped,
   flipped to the canonical side and processed by `MammoImageProcessor`; `preview.png` shows originals with their
   crop boxes beside the model input, and `skipped.csv` lists anything that could not be used, with the reason.

Nothing identifying from the DICOM headers reaches any output: ids come from the anonymised `labels.csv`.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["QuickstartConfig", "QuickstartResult", "run_quickstart"]

logger = logging.getLogger(__name__)


@dataclass
class QuickstartConfig:
    """Options of :func:`run_quickstart` (the CLI maps one flag to each field).

    Attributes:
        output_dir: Where everything is written (created; existing files are overwritten).
        patients: Synthetic patients (each gives 2 breasts and 4 images).
        seed: Seed of the synthetic data (same seed, same files).
        image_size: `(H, W)` of the synthetic acquisitions.
        preset: `MammoImageProcessor` family preset (`mammo_clip`, `mam_clip`, `mammo_efficientnet`).
        model_size: `(H, W)` of each processed view (overrides the preset size to keep the run fast).
        preview: Number of breasts shown in `preview.png`.
    """

    output_dir: Path = Path("quickstart_output")
    patients: int = 12
    seed: int = 0
    image_size: tuple[int, int] = (832, 640)
    preset: str = "mammo_efficientnet"
    model_size: tuple[int, int] = (256, 128)
    preview: int = 4


@dataclass
class QuickstartResult:
    """What the run produced: the summary written to `summary.json` and the main output paths."""

    output_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _stage(summary: dict[str, Any], name: str, started: float, **values: Any) -> None:
    summary.setdefault("stages", {})[name] = {"seconds": round(time.perf_counter() - started, 2), **values}


def _display_u8(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    return ((arr - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)


def _preview(rows: list[dict[str, Any]], path: Path, thumb_height: int = 220) -> None:
    """One row per breast: CC original (crop box in red), MLO original, processed CC | MLO as the model sees them."""
    from PIL import Image, ImageDraw

    tiles = []
    for row in rows:
        parts = []
        for view in ("CC", "MLO"):
            original = row["originals"][view]
            scale = thumb_height / original.shape[0]
            image = Image.fromarray(_display_u8(original)).convert("RGB")
            image = image.resize((max(1, int(original.shape[1] * scale)), thumb_height))
            top, left, bottom, right = row["crop_boxes"][view]
            ImageDraw.Draw(image).rectangle(
                [left * scale, top * scale, right * scale - 1, bottom * scale - 1], outline=(255, 40, 40), width=2
            )
            parts.append(image)
        processed = np.concatenate([row["processed"][0], row["processed"][1]], axis=1)
        model_input = Image.fromarray(_display_u8(processed)).convert("RGB")
        model_input = model_input.resize((int(processed.shape[1] * thumb_height / processed.shape[0]), thumb_height))
        parts.append(model_input)
        width = sum(p.width for p in parts) + 10 * (len(parts) - 1)
        tile = Image.new("RGB", (width, thumb_height + 18), (0, 0, 0))
        x = 0
        for part in parts:
            tile.paste(part, (x, 18))
            x += part.width + 10
        caption = f"{row['breast_id']}  cancer={row['cancer']}  CC | MLO originals (crop box)  ->  model input"
        ImageDraw.Draw(tile).text((4, 3), caption, fill=(230, 230, 230))
        tiles.append(tile)
    grid = Image.new("RGB", (max(t.width for t in tiles), sum(t.height + 6 for t in tiles)), (0, 0, 0))
    y = 0
    for tile in tiles:
        grid.paste(tile, (0, y))
        y += tile.height + 6
    grid.save(path)


def _write_skips(path: Path, skips: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "reason", "message"])
        writer.writeheader()
        writer.writerows(skips)


def run_pixel_stage(config: QuickstartConfig, raw_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Read, pair, crop, flip and process every synthetic breast; write preview.png and skipped.csv."""
    from tqdm.auto import tqdm

    from .image_processing_mammo import MammoImageProcessor
    from .imaging import MammoImageError, read_image

    started = time.perf_counter()
    processor = MammoImageProcessor.from_preset(
        config.preset, size={"height": config.model_size[0], "width": config.model_size[1]}, return_geometry=True
    )
    with (raw_dir / "labels.csv").open() as handle:
        labels = list(csv.DictReader(handle))
    breasts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in labels:
        key = (row["patient_id"], row["laterality"])
        breasts.setdefault(key, {"views": {}, "labels": row})["views"][row["view"]] = raw_dir / row["file"]

    skips: list[dict[str, str]] = []
    steps: Counter[str] = Counter()
    preview_rows, pixel_values, targets = [], [], []
    for (patient_id, laterality), breast in tqdm(sorted(breasts.items()), desc="pixels", unit="breast"):
        images, failed = {}, False
        for view in ("CC", "MLO"):
            path = breast["views"].get(view)
            if path is None:
                skips.append({"file": f"{patient_id}/{laterality}", "reason": "missing_view", "message": view})
                failed = True
                continue
            try:
                images[view] = read_image(path)
                steps.update(s.split(":")[0] for s in images[view].steps)
            except MammoImageError as err:
                skips.append({"file": str(path.relative_to(raw_dir)), "reason": err.reason, "message": str(err)})
                failed = True
        if failed:
            continue
        batch = processor({"CC": images["CC"], "MLO": images["MLO"]}, return_tensors="np")
        pixel_values.append(batch["pixel_values"][0])
        targets.append(int(breast["labels"]["cancer"]))
        if len(preview_rows) < config.preview:
            preview_rows.append(
                {
                    "breast_id": f"{patient_id}-{laterality}",
                    "cancer": breast["labels"]["cancer"],
                    "originals": {v: images[v].pixels for v in ("CC", "MLO")},
                    "crop_boxes": {v: tuple(batch["crop_boxes"][0, i]) for i, v in enumerate(("CC", "MLO"))},
                    "processed": [batch["pixel_values"][0, 0, 0], batch["pixel_values"][0, 1, 0]],
                }
            )

    out = config.output_dir
    _write_skips(out / "skipped.csv", skips)
    if preview_rows:
        _preview(preview_rows, out / "preview.png")
    processor.save_pretrained(out / "processor")
    stacked = np.stack(pixel_values) if pixel_values else np.zeros((0, 2, 3, *config.model_size), np.float32)
    _stage(
        summary,
        "pixels",
        started,
        breasts=len(breasts),
        processed=len(pixel_values),
        skipped=len(skips),
        skip_reasons=dict(Counter(s["reason"] for s in skips)),
        applied_steps=dict(steps),
        pixel_values_shape=list(stacked.shape),
        processor=config.preset,
    )
    return {"pixel_values": stacked, "labels": np.array(targets, dtype=np.int64)}


def run_quickstart(config: QuickstartConfig) -> QuickstartResult:
    """Run every stage on synthetic data and write `summary.json`.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from mammo_hf.quickstart import QuickstartConfig, run_quickstart
        >>> cfg = QuickstartConfig(output_dir=Path(tempfile.mkdtemp()), patients=1, image_size=(128, 96))
        >>> result = run_quickstart(cfg)  # doctest: +SKIP
        >>> result.summary["stages"]["pixels"]["processed"]  # doctest: +SKIP
        2
    """
    from .imaging.synthetic import generate_exams

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    config.output_dir = out
    summary: dict[str, Any] = {"config": {k: str(v) for k, v in vars(config).items()}}

    started = time.perf_counter()
    manifest = generate_exams(
        out / "raw", num_patients=config.patients, seed=config.seed, image_size=config.image_size, progress=True
    )
    _stage(summary, "synth", started, images=len(manifest), patients=config.patients, fallbacks=manifest.fallbacks)

    run_pixel_stage(config, out / "raw", summary)

    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    files = {"summary": out / "summary.json", "preview": out / "preview.png", "skipped": out / "skipped.csv"}
    return QuickstartResult(output_dir=out, summary=summary, files=files)
