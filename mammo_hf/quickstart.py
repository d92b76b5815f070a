"""`mammo-hf quickstart`: the whole pipeline, end to end, on embedded synthetic phantoms (no downloads).

Stages (each writes into the output directory and adds a section to `summary.json`):

1. **synth** — a synthetic raw download in the real RSNA layout (`train.csv` + `train_images/<patient>/<image>.dcm`,
   JPEG 2000 / RLE DICOMs with window/VOI tags and fake PHI in every header).
2. **build** — `mammo-hf build rsna`: every DICOM is read (rescale → VOI → MONOCHROME1), breasts are paired CC+MLO,
   cropped and stored 16-bit in the unified `datasets` schema, with patient-level splits; `skipped.csv` lists
   anything not used, with the reason.
3. **pixels** — the dual-view `MammoImageProcessor` turns breasts into `pixel_values (batch, 2, 3, H, W)`;
   `preview.png` shows stored views beside the model input.
4. **train** — a small `MammoEfficientNetForImageClassification` (timm backbone, CC|MLO tiled as in the seed paper)
   is trained with `transformers.Trainer` on the train split.
5. **evaluate** — test-split predictions, metrics with patient-level bootstrap CIs, ROC/PR/reliability/confusion
   plots (`mammo_hf.evaluation`).
6. **save** — `save_pretrained` (safetensors + config + processor + code), reloaded with
   `AutoModelForImageClassification` and checked for bit-identical logits.

Nothing identifying from the DICOM headers reaches any output: ids come from the dataset's anonymised label file.
The model is tiny and trained for seconds on synthetic phantoms: its metrics show the pipeline works, nothing more.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["QuickstartConfig", "QuickstartResult", "run_quickstart"]

logger = logging.getLogger(__name__)

_STAGE_NAMES = ("synth", "build", "pixels", "train", "evaluate", "save")


@dataclass
class QuickstartConfig:
    """Options of :func:`run_quickstart` (the CLI maps one flag to each field).

    Attributes:
        output_dir: Where everything is written (created; an existing quickstart folder is replaced).
        patients: Synthetic patients (each gives 2 breasts, 4+ images).
        seed: Seed of the synthetic data, the splits and training.
        image_size: `(H, W)` of the synthetic acquisitions.
        model_size: `(H, W)` of each processed view (small, to keep the run fast on a CPU).
        backbone: timm backbone of the classifier (the paper's baseline is `efficientnet_b4`; `efficientnet_b0`
            trains in seconds here).
        epochs: Training epochs.
        batch_size: Breasts per training/inference batch.
        bootstrap: Patient-level bootstrap resamples for the confidence intervals.
        preview: Breasts shown in `preview.png`.
        stop_after: Last stage to run (`synth`, `build`, `pixels`, `train`, `evaluate`, `save`).
    """

    output_dir: Path = Path("quickstart_output")
    patients: int = 80
    seed: int = 0
    image_size: tuple[int, int] = (416, 320)
    model_size: tuple[int, int] = (160, 96)
    backbone: str = "efficientnet_b0"
    epochs: float = 4.0
    batch_size: int = 8
    bootstrap: int = 500
    preview: int = 4
    stop_after: str = "save"


@dataclass
class QuickstartResult:
    """What the run produced: the summary written to `summary.json` and the main output paths."""

    output_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


class _Stages:
    """Times each stage and records its figures in the summary."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.summary["stages"] = {}

    def start(self, name: str, what: str) -> float:
        logger.info("quickstart: %s: %s", name, what)
        return time.perf_counter()

    def done(self, name: str, started: float, **values: Any) -> None:
        self.summary["stages"][name] = {"seconds": round(time.perf_counter() - started, 2), **values}
        logger.info("quickstart: %s done in %.1f s", name, time.perf_counter() - started)


def _display_u8(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    return ((arr - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)


def _write_preview(rows: list[dict[str, Any]], processor: Any, path: Path, height: int = 200) -> None:
    """One row per breast: stored CC and MLO (cropped, 16-bit), then the CC | MLO model input."""
    from PIL import Image, ImageDraw

    tiles = []
    for row in rows:
        model_input = processor({"CC": row["cc"], "MLO": row["mlo"]}, return_tensors="np")["pixel_values"][0]
        arrays = [
            np.asarray(row["cc"]),
            np.asarray(row["mlo"]),
            np.concatenate([model_input[0, 0], model_input[1, 0]], 1),
        ]
        parts = []
        for arr in arrays:
            image = Image.fromarray(_display_u8(arr)).convert("RGB")
            parts.append(image.resize((max(1, int(arr.shape[1] * height / arr.shape[0])), height)))
        tile = Image.new("RGB", (sum(p.width for p in parts) + 10 * (len(parts) - 1), height + 18))
        x = 0
        for part in parts:
            tile.paste(part, (x, 18))
            x += part.width + 10
        crop = row["cc_meta"]["crop_box"]
        caption = (
            f"{row['breast_id']}  cancer={row['cancer']}  stored CC, MLO (16-bit, crop {crop})  ->  model input CC|MLO"
        )
        ImageDraw.Draw(tile).text((4, 3), caption, fill=(230, 230, 230))
        tiles.append(tile)
    grid = Image.new("RGB", (max(t.width for t in tiles), sum(t.height + 6 for t in tiles)))
    y = 0
    for tile in tiles:
        grid.paste(tile, (0, y))
        y += tile.height + 6
    grid.save(path)


def run_quickstart(config: QuickstartConfig) -> QuickstartResult:
    """Run the pipeline on synthetic data and write `summary.json` (see the module docstring for the stages).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> cfg = QuickstartConfig(output_dir=Path(tempfile.mkdtemp()) / "qs", patients=6, stop_after="pixels")
        >>> result = run_quickstart(cfg)  # doctest: +SKIP
        >>> result.summary["stages"]["pixels"]["pixel_values_shape"]  # doctest: +SKIP
        [4, 2, 3, 160, 96]
    """
    import shutil

    if config.stop_after not in _STAGE_NAMES:
        raise ValueError(f"stop_after must be one of {_STAGE_NAMES}, got {config.stop_after!r}")
    out = Path(config.output_dir)
    if (out / "summary.json").is_file() or (out / "raw").is_dir():
        shutil.rmtree(out)  # a previous quickstart run: start clean (never touches a folder we did not write)
    elif out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not a quickstart output folder; choose another --output-dir")
    out.mkdir(parents=True, exist_ok=True)
    config.output_dir = out
    last = _STAGE_NAMES.index(config.stop_after)
    summary: dict[str, Any] = {"config": {k: str(v) for k, v in vars(config).items()}}
    stages = _Stages(summary)
    files: dict[str, Path] = {"summary": out / "summary.json"}

    def finish() -> QuickstartResult:
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return QuickstartResult(output_dir=out, summary=summary, files=files)

    # 1. synth ------------------------------------------------------------------------------------------------------
    from .imaging.synthetic import write_layout

    started = stages.start("synth", f"writing a synthetic RSNA-layout download ({config.patients} patients)")
    raw = write_layout("rsna", out / "raw", patients=config.patients, image_size=config.image_size, seed=config.seed)
    stages.done("synth", started, layout="rsna", patients=config.patients, expected_pairs=raw.expected["pairs"])
    files["raw"] = raw.path
    if last == 0:
        return finish()

    # 2. build ------------------------------------------------------------------------------------------------------
    import datasets

    from .data.build import BuildConfig, build_dataset

    started = stages.start("build", "mammo-hf build rsna: decode, pair, crop, store 16-bit, split by patient")
    storage = (config.model_size[0] * 3 // 2, config.model_size[1] * 3 // 2)  # stored a bit above model input
    report = build_dataset(
        "rsna",
        raw.path,
        out / "dataset",
        BuildConfig(image_size=storage, seed=config.seed, fractions=(0.6, 0.1, 0.3)),
        command=f"mammo-hf build rsna --raw-dir {raw.path} --output-dir {out / 'dataset'}",
    )
    dataset = datasets.load_from_disk(str(out / "dataset"))
    stages.done(
        "build",
        started,
        rows={split: len(ds) for split, ds in dataset.items()},
        skipped=report.skipped,
        breasts_per_second=round(report.breasts_per_second, 1),
    )
    files["dataset"] = out / "dataset"
    if last == 1:
        return finish()

    # 3. pixels -----------------------------------------------------------------------------------------------------
    from .image_processing_mammo import MammoImageProcessor

    started = stages.start("pixels", "dual-view MammoImageProcessor and preview.png")
    processor = MammoImageProcessor.from_preset(
        "mammo_efficientnet", size={"height": config.model_size[0], "width": config.model_size[1]}
    )
    sample = [dataset["train"][i] for i in range(min(len(dataset["train"]), max(config.preview, config.batch_size)))]
    batch = processor([{"CC": r["cc"], "MLO": r["mlo"]} for r in sample], return_tensors="np")["pixel_values"]
    if config.preview and sample:
        _write_preview(sample[: config.preview], processor, out / "preview.png")
        files["preview"] = out / "preview.png"
    stages.done(
        "pixels",
        started,
        pixel_values_shape=list(batch.shape),
        stored_mode=sample[0]["cc"].mode if sample else None,
        value_range=[round(float(batch.min()), 3), round(float(batch.max()), 3)],
    )
    if last == 2:
        return finish()

    # 4. train ------------------------------------------------------------------------------------------------------
    import torch
    from transformers import set_seed

    from .models.mammo_efficientnet import MammoEfficientNetConfig, MammoEfficientNetForImageClassification
    from .training.classifier import train_classifier

    started = stages.start("train", f"{config.backbone} classifier with transformers.Trainer")
    set_seed(config.seed)
    model = MammoEfficientNetForImageClassification(
        MammoEfficientNetConfig(
            backbone=config.backbone,
            num_labels=2,
            id2label={0: "negative", 1: "positive"},
            label2id={"negative": 0, "positive": 1},
            view_fusion="tile",
        )
    )
    trainer = train_classifier(
        model,
        processor,
        dataset["train"],
        out / "trainer",
        num_train_epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=1e-3,
        seed=config.seed,
        recalibrate_bn=True,  # seconds of from-scratch training leave BatchNorm running stats stale
        disable_tqdm=False,
    )
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    stages.done(
        "train",
        started,
        backbone=config.backbone,
        parameters_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
        steps=trainer.state.global_step,
        first_loss=round(losses[0], 4) if losses else None,
        last_loss=round(losses[-1], 4) if losses else None,
    )
    shutil.rmtree(out / "trainer", ignore_errors=True)  # no checkpoints are saved; drop the empty run folder
    if last == 3:
        return finish()

    # 5. evaluate ---------------------------------------------------------------------------------------------------
    from .evaluation import evaluate_predictions
    from .evaluation.inference import predict_dataset
    from .evaluation.report import write_evaluation

    started = stages.start("evaluate", "test-split predictions, bootstrap CIs, plots")
    model.eval()
    table, skipped = predict_dataset(
        model,
        processor,
        dataset["test"],
        task="malignancy",
        batch_size=config.batch_size,
        info={"model": "quickstart", "dataset": "synthetic-rsna", "split": "test"},
    )
    metrics = evaluate_predictions(table, threshold=0.5, n_bootstrap=config.bootstrap, seed=config.seed)
    written = write_evaluation(table, metrics, out / "evaluation")
    overall = metrics.get("metrics", metrics)
    headline = {k: overall.get(k) for k in ("roc_auc", "pr_auc", "f1", "precision", "recall") if k in overall}
    stages.done("evaluate", started, test_breasts=len(table), skipped=skipped, **_round_values(headline))
    files["metrics"] = written.get("metrics", out / "evaluation" / "metrics.json")
    if last == 4:
        return finish()

    # 6. save -------------------------------------------------------------------------------------------------------
    from transformers import AutoModelForImageClassification

    started = stages.start("save", "save_pretrained, reload with AutoModelForImageClassification, compare logits")
    model_dir = out / "model"
    model.save_pretrained(model_dir)
    processor.save_pretrained(model_dir)
    reloaded = AutoModelForImageClassification.from_pretrained(model_dir).eval()
    inputs = torch.from_numpy(batch[: config.batch_size])
    with torch.inference_mode():
        exact = bool(torch.equal(model(pixel_values=inputs).logits, reloaded(pixel_values=inputs).logits))
    if not exact:
        raise RuntimeError("reloaded model gives different logits: save/reload is broken, please report it")
    stages.done("save", started, files=sorted(p.name for p in model_dir.iterdir()), reload_bit_identical=exact)
    files["model"] = model_dir
    return finish()


def _round_values(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        out[key] = round(float(value), 4) if isinstance(value, (int, float)) and value == value else value
    return out
