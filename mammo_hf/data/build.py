"""The shared build engine: plan -> shards (parallel, resumable) -> atomic `DatasetDict` on disk.

`build_dataset(name, raw_dir, output_dir)` runs a builder's scan, pairs views per breast, assigns patient-level
splits, then decodes and encodes images shard by shard. Every finished shard is an Arrow file plus a JSON marker
(fingerprint of the shard's inputs and of the content-affecting options) in `<output_dir>.partial/shards/`, so an
interrupted build resumes without redoing finished shards. Shards are processed by `num_proc` worker processes;
each worker holds one shard's rows at most `writer_batch_size` at a time, so memory does not grow with the dataset.
The final `DatasetDict` is saved into a staging folder with its card, `skipped.csv` and `build_report.json`, and
only then renamed to `output_dir`: a crash never leaves a half dataset that looks complete.

Output layout::

    OUT/                      datasets.load_from_disk(OUT) -> DatasetDict(train/validation/test), the CC+MLO pairs
    OUT/single_view/          DatasetDict of breasts with one usable view (same features), when there are any
    OUT/skipped.csv           file,reason,detail for everything in the download that is not in the output
    OUT/build_report.json     counts per table/split/class, skip counts, options, the exact build command
    OUT/README.md             the dataset card (licence, citation, columns, label policy, counts, command)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .builders import get_builder
from .builders.base import BaseBuilder, BreastRecord, ImageRef, ScanResult, Skip
from .splits import DEFAULT_FRACTIONS, assign_splits

__all__ = ["BuildConfig", "BuildError", "BuildReport", "Unit", "build_dataset", "plan_units", "INFO_REASONS"]

logger = logging.getLogger(__name__)

# Skips that are by design, not problems: reported in skipped.csv but not failures under `strict`.
INFO_REASONS: frozenset[str] = frozenset(
    {"extra_view_not_chosen", "view_not_used", "no_label_row", "macos_resource_fork"}
)


class BuildError(RuntimeError):
    """The build cannot complete (strict mode skip, nothing usable, output exists, ...)."""


@dataclass
class BuildConfig:
    """Options of a build. Only the content-affecting ones enter the shard fingerprint.

    Attributes:
        image_size: `(height, width)` to resize every view to, an int for the longest side (aspect kept), or `None`
            (keep the decoded size).
        crop: Crop each view to the breast (Otsu + largest component) and record the box in `*_meta.crop_box`.
        voi: VOI option of `mammo_hf.imaging.read_image` (`"auto"`, `"none"`, `"window"`, `"sigmoid"`).
        seed: Patient-level split seed.
        fractions: `(train, validation, test)` for patients without an official split (default: the builder's
            `default_fractions`, else 0.8/0.1/0.1).
        shard_size: Breasts per shard (the unit of resumption and of parallel work).
        num_proc: Worker processes decoding shards.
        strict: Turn any problem skip (missing/corrupt image, unknown label, duplicate id) into a failure.
        overwrite: Replace an existing output folder.
        png_compress_level: zlib level of the stored 16-bit PNGs (1 fast .. 9 small).
        writer_batch_size: Rows buffered per Arrow record batch in a worker.
    """

    image_size: tuple[int, int] | int | None = None
    crop: bool = True
    voi: str = "auto"
    seed: int = 0
    fractions: tuple[float, float, float] | None = None
    shard_size: int = 16
    num_proc: int = 1
    strict: bool = False
    overwrite: bool = False
    png_compress_level: int = 3
    writer_batch_size: int = 8

    def content_fingerprint(self) -> str:
        keys = ("image_size", "crop", "voi", "seed", "fractions", "shard_size", "png_compress_level")
        blob = json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class Unit:
    """One planned output row: a breast (views in preference order) or an atlas pair."""

    key: str
    split: str
    record: Any
    views: dict[str, list[ImageRef]] = field(default_factory=dict)

    def digest(self) -> str:
        views = {v: [(r.path, r.image_id) for r in refs] for v, refs in self.views.items()}
        rec = asdict(self.record) if hasattr(self.record, "__dataclass_fields__") else self.record
        return hashlib.sha256(
            json.dumps([self.key, self.split, rec, views], sort_keys=True, default=str).encode()
        ).hexdigest()


@dataclass
class BuildReport:
    """Summary of a build (written to `build_report.json`; no PHI: counts, names and options only)."""

    builder: str
    command: str
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    label_warnings: dict[str, int] = field(default_factory=dict)
    class_counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    shards_built: int = 0
    shards_reused: int = 0
    seconds: float = 0.0
    breasts_per_second: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return sum(self.rows.get("default", {}).values())


# ----------------------------------------------------------------------------------------------------------------
# planning
# ----------------------------------------------------------------------------------------------------------------
def _rel(path: str, raw: Path) -> str:
    try:
        return os.path.relpath(path, raw)
    except ValueError:  # pragma: no cover - different drive on Windows
        return path


def plan_units(scan: ScanResult, raw: Path, config: BuildConfig, source: str) -> list[Unit]:
    """Turn scanned records into units with a split each; reports duplicate ids and unusable views in `scan`."""
    records = sorted(scan.records, key=lambda r: r["key"] if isinstance(r, dict) else r.key)
    if records and not isinstance(records[0], BreastRecord):
        splits = assign_splits(
            ((r["split_key"], r.get("official_split")) for r in records),
            source=source,
            seed=config.seed,
            fractions=config.fractions,
        )
        return [Unit(key=r["key"], split=splits[r["split_key"]], record=r) for r in records]
    # duplicate image ids across the whole download: keep the first (in key order), report the rest
    seen: dict[str, str] = {}
    merged: dict[str, BreastRecord] = {}
    for rec in records:
        if rec.key in merged:  # two label rows for one breast: merge their images, keep the first labels
            merged[rec.key].images.extend(rec.images)
            scan.warnings["duplicate_breast_rows_merged"] += 1
            continue
        merged[rec.key] = rec
    units = []
    splits = assign_splits(
        ((f"{r.source}/{r.patient_id}", r.official_split) for r in merged.values()),
        source="",
        seed=config.seed,
        fractions=config.fractions,
    )
    for rec in merged.values():
        views: dict[str, list[ImageRef]] = {"CC": [], "MLO": []}
        for ref in sorted(rec.images, key=lambda r: (r.rank, r.image_id, r.path)):
            uid = f"{rec.source}/{ref.image_id}"
            if uid in seen:
                scan.skip(
                    _rel(ref.path, raw), "duplicate_image_id", f"image id {ref.image_id} already used by {seen[uid]}"
                )
                continue
            seen[uid] = rec.key
            if ref.view in views:
                views[ref.view].append(ref)
            else:
                scan.skip(_rel(ref.path, raw), "view_not_used", f"view {ref.view}: only CC and MLO are paired")
        if not views["CC"] and not views["MLO"]:
            continue
        split = splits[f"{rec.source}/{rec.patient_id}"]
        units.append(Unit(key=rec.key, split=split, record=rec, views=views))
    return units


# ----------------------------------------------------------------------------------------------------------------
# pixels
# ----------------------------------------------------------------------------------------------------------------
def _target_size(shape: tuple[int, int], size: tuple[int, int] | int | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int):
        h, w = shape
        scale = size / max(h, w)
        return max(1, round(h * scale)), max(1, round(w * scale))
    return int(size[0]), int(size[1])


def encode_png16(pixels: np.ndarray, compress_level: int = 3) -> bytes:
    """Encode a 2-D uint16 (or uint8) array as a lossless PNG (16-bit stays 16-bit)."""
    from PIL import Image

    arr = np.ascontiguousarray(pixels)
    image = Image.fromarray(arr)
    if arr.dtype == np.uint16 and image.mode != "I;16":  # pragma: no cover - Pillow versions mapping to "I"
        image = image.convert("I;16")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def encode_view(ref: ImageRef, config: BuildConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decode one view (`read_image`, uint16), crop, resize, encode; returns `(image_dict, view_meta)`."""
    from ..imaging import read_image
    from ..mammo_pixels import apply_crop, breast_crop_box, resize

    img = read_image(ref.path, voi=config.voi, output="uint16")
    px = np.asarray(img.pixels)
    if px.dtype != np.uint16:
        px = px.astype(np.uint16)
    h0, w0 = int(px.shape[0]), int(px.shape[1])
    steps = list(img.steps)
    box = None
    if config.crop:
        box = tuple(int(v) for v in breast_crop_box(px))
        px = apply_crop(px, box)
        steps.append("crop")
    target = _target_size(px.shape[:2], config.image_size)
    if target is not None and tuple(px.shape[:2]) != target:
        px = np.clip(np.rint(resize(px, target)), 0, 65535).astype(np.uint16)
        steps.append(f"resize:{target[0]}x{target[1]}")
    meta = {
        "image_id": ref.image_id,
        "view": ref.view,
        "original_height": h0,
        "original_width": w0,
        "crop_box": list(box) if box is not None else None,
        "flipped": bool(getattr(img, "flipped", False)),
        "pixel_spacing": list(img.pixel_spacing) if img.pixel_spacing else None,
        "manufacturer": img.manufacturer,
        "photometric": img.photometric,
        "bits_stored": img.bits_stored,
        "steps": steps,
    }
    return {"bytes": encode_png16(px, config.png_compress_level), "path": None}, meta


def _skip_reason(err: BaseException) -> str:
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    if isinstance(err, FileNotFoundError):
        return "missing_image"
    return f"unreadable:{type(err).__name__}"


def encode_breast(unit: Unit, config: BuildConfig, raw: Path, skips: list[Skip]) -> tuple[str, dict] | None:
    """Encode one breast unit; the first decodable image of each view is used, failures and extras reported."""
    from .features import empty_view_meta

    rec: BreastRecord = unit.record
    chosen: dict[str, tuple[dict, dict]] = {}
    for view in ("CC", "MLO"):
        refs = unit.views.get(view, [])
        for i, ref in enumerate(refs):
            try:
                chosen[view] = encode_view(ref, config)
            except Exception as err:  # noqa: BLE001 - every failure becomes a counted, reported skip
                skips.append(Skip(_rel(ref.path, raw), _skip_reason(err), f"{type(err).__name__}: {err}"[:300]))
                continue
            for extra in refs[i + 1 :]:
                skips.append(
                    Skip(_rel(extra.path, raw), "extra_view_not_chosen", f"{view} of {unit.key}: used {ref.image_id}")
                )
            break
    if not chosen:
        return None
    row = {
        "source": rec.source,
        "patient_id": rec.patient_id,
        "study_id": rec.study_id,
        "breast_id": unit.key,
        "laterality": rec.laterality,
        "cc": chosen["CC"][0] if "CC" in chosen else None,
        "mlo": chosen["MLO"][0] if "MLO" in chosen else None,
        "cc_meta": chosen["CC"][1] if "CC" in chosen else empty_view_meta(),
        "mlo_meta": chosen["MLO"][1] if "MLO" in chosen else empty_view_meta(),
        **rec.labels(),
        "split": unit.split,
        "extra": json.dumps(rec.extra, sort_keys=True, default=str),
    }
    return ("default" if len(chosen) == 2 else "single_view"), row


# ----------------------------------------------------------------------------------------------------------------
# shards
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class _ShardTask:
    builder: BaseBuilder
    shard_id: str
    units: list[Unit]
    config: BuildConfig
    raw: str
    shard_dir: str
    fingerprint: str


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _run_shard(task: _ShardTask) -> dict[str, Any]:
    """Worker: encode the units of one shard into one Arrow file per table, then write the done-marker."""
    from datasets.arrow_writer import ArrowWriter

    shard_dir = Path(task.shard_dir)
    tables = task.builder.tables()
    writers, tmp_paths, rows = {}, {}, dict.fromkeys(tables, 0)
    skips: list[Skip] = []
    encode = getattr(task.builder, "encode_unit", None) or encode_breast
    try:
        for name, feats in tables.items():
            tmp_paths[name] = shard_dir / f"{task.shard_id}.{name}.arrow.tmp"
            writers[name] = ArrowWriter(
                features=feats, path=str(tmp_paths[name]), writer_batch_size=task.config.writer_batch_size
            )
        for unit in task.units:
            n_before = len(skips)
            out = encode(unit, task.config, Path(task.raw), skips)
            if task.config.strict:
                bad = [s for s in skips[n_before:] if s.reason not in INFO_REASONS]
                if bad:
                    raise BuildError(f"--strict: {bad[0].file}: {bad[0].reason} ({bad[0].detail})")
            if out is not None:
                table, row = out
                writers[table].write(row)
                rows[table] += 1
        for name, w in writers.items():
            w.finalize()
            w.close()
            os.replace(tmp_paths[name], shard_dir / f"{task.shard_id}.{name}.arrow")
    except BaseException:
        for name, w in writers.items():
            try:
                w.close()
            except Exception:  # noqa: BLE001, S110 - already failing; the original error is what matters
                pass
            tmp_paths[name].unlink(missing_ok=True)
        raise
    marker = {
        "fingerprint": task.fingerprint,
        "rows": rows,
        "skips": [asdict(s) for s in skips],
        "split": task.units[0].split if task.units else "",
    }
    _write_json_atomic(shard_dir / f"{task.shard_id}.json", marker)
    return {"shard_id": task.shard_id, **marker}


def _make_shards(units: Sequence[Unit], shard_size: int) -> list[tuple[str, list[Unit]]]:
    by_split: dict[str, list[Unit]] = {}
    for u in units:
        by_split.setdefault(u.split, []).append(u)
    shards = []
    for split in sorted(by_split):
        items = sorted(by_split[split], key=lambda u: u.key)
        for i in range(0, len(items), shard_size):
            shards.append((f"{split}-{i // shard_size:05d}", items[i : i + shard_size]))
    return shards


def _pool(num_proc: int):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers inherit the imported modules (no per-worker import cost); spawn elsewhere.
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() and sys.platform != "darwin" else None
    return ProcessPoolExecutor(max_workers=num_proc, mp_context=ctx)


# ----------------------------------------------------------------------------------------------------------------
# main entry
# ----------------------------------------------------------------------------------------------------------------
def build_dataset(
    builder: str | BaseBuilder,
    raw_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    config: BuildConfig | None = None,
    *,
    command: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Convert a raw download into a `DatasetDict` on disk (see the module docstring for the layout).

    Args:
        builder: A registered builder name (`mammo_hf.data.builders.list_builders()`) or instance.
        raw_dir: The user's download (for `pooled`: the folder holding one sub-folder per dataset).
        output_dir: Where the dataset is written (must not exist unless `config.overwrite`).
        config: Build options.
        command: The command line recorded in the card (default: `sys.argv`).
        progress: Called as `progress(done_shards, total_shards)`; default: a tqdm progress bar over shards.

    Returns:
        The `BuildReport` (also saved as `build_report.json`).

    Raises:
        RawDataError: Missing raw folder or label file (the message says what to download and from where).
        BuildError: Output exists, nothing usable, or a problem skip under `strict`.

    Example:
        >>> import tempfile, datasets
        >>> from mammo_hf.imaging.synthetic.layouts import write_layout
        >>> raw = write_layout("inbreast", tempfile.mkdtemp(), patients=4, image_size=(96, 64))
        >>> out = tempfile.mkdtemp() + "/inbreast"
        >>> report = build_dataset("inbreast", raw, out)  # doctest: +SKIP
        >>> sorted(datasets.load_from_disk(out))  # doctest: +SKIP
        ['test', 'train', 'validation']
    """
    config = config or BuildConfig()
    builder = get_builder(builder) if isinstance(builder, str) else builder
    if config.fractions is None:
        config.fractions = tuple(getattr(builder, "default_fractions", DEFAULT_FRACTIONS))
    raw = builder.check_raw_dir(raw_dir)
    out = Path(output_dir)
    if out.exists() and not config.overwrite:
        raise BuildError(f"output folder {out} already exists; pass --overwrite to replace it")
    if command is None:
        command = " ".join(["mammo-hf", *sys.argv[1:]])
    t0 = time.perf_counter()

    scan = builder.scan(raw)
    units = plan_units(scan, raw, config, builder.name)
    problems = [s for s in scan.skips if s.reason not in INFO_REASONS]
    if config.strict and problems:
        counts = Counter(s.reason for s in problems)
        raise BuildError(
            f"--strict: {len(problems)} problem(s) while scanning {raw}: {dict(counts)}; first: "
            f"{problems[0].file}: {problems[0].reason} ({problems[0].detail})"
        )
    if not units:
        raise BuildError(
            f"{builder.info.full_name}: no usable images found under {raw} "
            f"({len(scan.skips)} skipped; expected layout: {builder.info.expected_layout})"
        )

    work = Path(str(out).rstrip("/\\") + ".partial")
    shard_dir = work / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    cfg_fp = config.content_fingerprint()
    tasks, results = [], []
    for shard_id, shard_units in _make_shards(units, config.shard_size):
        fp = hashlib.sha256((cfg_fp + "".join(u.digest() for u in shard_units)).encode()).hexdigest()[:24]
        marker = shard_dir / f"{shard_id}.json"
        if marker.is_file():
            try:
                done = json.loads(marker.read_text())
            except json.JSONDecodeError:
                done = {}
            tables_ok = all((shard_dir / f"{shard_id}.{t}.arrow").is_file() for t in builder.tables())
            if done.get("fingerprint") == fp and tables_ok:
                results.append({"shard_id": shard_id, **done, "reused": True})
                continue
            marker.unlink()
        tasks.append(_ShardTask(builder, shard_id, shard_units, config, str(raw), str(shard_dir), fp))
    total = len(tasks) + len(results)
    logger.info(
        "%s: %d units in %d shards (%d already done), num_proc=%d",
        builder.name,
        len(units),
        total,
        len(results),
        config.num_proc,
    )
    done_count = len(results)
    bar = None
    if progress is None:  # default: a progress bar over shards (pass `progress=lambda done, total: None` to mute)
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done_count, desc=f"build {builder.name}", unit="shard")

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)

    progress(done_count, total)
    try:
        if config.num_proc > 1 and len(tasks) > 1:
            with _pool(min(config.num_proc, len(tasks))) as pool:
                for res in pool.map(_run_shard, tasks):
                    results.append(res)
                    done_count += 1
                    progress(done_count, total)
        else:
            for task in tasks:
                results.append(_run_shard(task))
                done_count += 1
                progress(done_count, total)
    finally:
        if bar is not None:
            bar.close()

    report = _assemble(builder, raw, out, work, scan, results, config, command, t0, len(units))
    return report


def _assemble(builder, raw, out, work, scan, results, config, command, t0, n_units) -> BuildReport:

    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    bars_were_disabled = are_progress_bars_disabled()
    disable_progress_bars()  # our own logging reports progress; keep build logs readable
    try:
        return _assemble_tables(builder, raw, out, work, scan, results, config, command, t0, n_units)
    finally:
        if not bars_were_disabled:
            enable_progress_bars()


def _assemble_tables(builder, raw, out, work, scan, results, config, command, t0, n_units) -> BuildReport:
    import datasets

    shard_dir = work / "shards"
    staging = work / "staging"
    if staging.exists():
        shutil.rmtree(staging)
    skips = list(scan.skips) + [Skip(**s) for r in results for s in r["skips"]]
    rows: dict[str, dict[str, int]] = {}
    tables = builder.tables()
    saved = {}
    for table in tables:
        per_split: dict[str, list[str]] = {}
        for r in sorted(results, key=lambda r: r["shard_id"]):
            if r["rows"].get(table):
                per_split.setdefault(r["split"], []).append(str(shard_dir / f"{r['shard_id']}.{table}.arrow"))
        if not per_split:
            continue
        dd = datasets.DatasetDict(
            {
                split: datasets.concatenate_datasets([datasets.Dataset.from_file(p) for p in files])
                for split, files in sorted(per_split.items(), key=lambda kv: _split_order(kv[0]))
            }
        )
        target = staging if table == "default" else staging / table
        dd.save_to_disk(str(target))
        rows[table] = {k: len(v) for k, v in dd.items()}
        saved[table] = dd
    if "default" not in saved:
        raise BuildError(
            f"{builder.info.full_name}: no breast has a usable CC and MLO pair "
            f"({sum(rows.get('single_view', {}).values())} "
            f"single-view breasts, {len(skips)} skipped files); see {work / 'staging'}"
        )
    skips.sort(key=lambda s: (s.file, s.reason))
    with open(staging / "skipped.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "reason", "detail"])
        for s in skips:
            writer.writerow([s.file, s.reason, s.detail])
    seconds = time.perf_counter() - t0
    n_rows = sum(sum(v.values()) for v in rows.values())
    report = BuildReport(
        builder=builder.name,
        command=command,
        rows=rows,
        skipped=dict(sorted(Counter(s.reason for s in skips).items())),
        label_warnings=dict(scan.warnings),
        class_counts=_class_counts(saved["default"]),
        shards_built=sum(1 for r in results if not r.get("reused")),
        shards_reused=sum(1 for r in results if r.get("reused")),
        seconds=round(seconds, 3),
        breasts_per_second=round(n_rows / seconds, 3) if seconds > 0 else 0.0,
        options={k: v for k, v in asdict(config).items() if k not in ("overwrite",)},
    )
    (staging / "build_report.json").write_text(json.dumps(asdict(report), indent=1, sort_keys=True))
    from .cards import render_dataset_card

    (staging / "README.md").write_text(render_dataset_card(builder, report, saved["default"]))
    # atomic publish: the output folder appears only complete
    old = None
    if out.exists():
        old = work / "previous"
        if old.exists():
            shutil.rmtree(old)
        os.replace(out, old)
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, out)
    shutil.rmtree(work, ignore_errors=True)
    logger.info("%s: wrote %s (%s), %d skipped", builder.name, out, rows, len(skips))
    return report


def _split_order(split: str) -> int:
    order = {"train": 0, "validation": 1, "test": 2}
    return order.get(split, 3)


def _class_counts(dd) -> dict[str, dict[str, dict[str, int]]]:
    """Per split, per label column, counts of each class name (`"missing"` for None)."""
    import datasets

    out: dict[str, dict[str, dict[str, int]]] = {}
    for split, ds in dd.items():
        out[split] = {}
        for col in ("birads", "density", "pathology", "cancer", "label_source", "source"):
            if col not in ds.column_names:
                continue
            feat = ds.features[col]
            values = ds.select_columns([col])[col]
            names = [
                ("missing" if v is None else feat.int2str(v)) if isinstance(feat, datasets.ClassLabel) else str(v)
                for v in values
            ]
            out[split][col] = dict(sorted(Counter(names).items()))
    return out
