"""Batch preprocessing: a folder (or list) of mammograms → cropped, canonically flipped, resized 16-bit PNGs.

Outputs, all PHI-free:

* one 16-bit grayscale PNG per readable input (relative layout of the input folder kept, suffix `.png`);
* `manifest.csv`: one row per PNG with the non-identifying metadata (laterality + source, view + raw view,
  photometric, manufacturer, pixel spacing, bits stored), the geometry needed to map results back (original size,
  crop box, flip) and the applied steps;
* `skipped.csv`: one row per unreadable input with the `MammoImageError.reason` code and the message.

A file can never hang the batch: each file has a time limit (a SIGALRM in the process that reads it, plus, with
`num_proc > 1`, a watchdog that kills and replaces a worker stuck inside C code) and is then reported as
`timeout`; a worker that dies (e.g. a decoder segfault) is replaced and its file reported as `crashed`.
"""

from __future__ import annotations

import contextlib
import csv
import math
import multiprocessing as mp_
import os
import queue
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MammoImageError
from .io import IMAGE_SUFFIXES

__all__ = [
    "PreprocessOptions",
    "PreprocessReport",
    "MANIFEST_COLUMNS",
    "SKIPPED_COLUMNS",
    "collect_inputs",
    "process_file",
    "preprocess_files",
]

MANIFEST_COLUMNS = [
    "output",
    "source",
    "laterality",
    "laterality_source",
    "view",
    "raw_view",
    "photometric",
    "manufacturer",
    "pixel_spacing_row_mm",
    "pixel_spacing_col_mm",
    "bits_stored",
    "source_format",
    "original_height",
    "original_width",
    "crop_top",
    "crop_left",
    "crop_bottom",
    "crop_right",
    "flipped",
    "height",
    "width",
    "steps",
]
SKIPPED_COLUMNS = ["file", "reason", "message"]


class _FileTimeout(Exception):
    pass


@dataclass
class PreprocessOptions:
    """What `preprocess_files` does to every image.

    Attributes:
        size: Output `(height, width)`; `None` keeps the (cropped) size.
        voi: DICOM VOI mode passed to `read_image` (`"auto"`, `"none"`, `"window"`, `"sigmoid"`).
        crop: Crop to the breast (Otsu + largest component).
        margin: Crop margin as a fraction of the image size.
        side: Flip so the chest wall is on this side (`"L"` or `"R"`); `None` disables the flip.
        resample: Resize filter (`mammo_pixels.RESAMPLE_FILTERS`: "bilinear", "area", "bicubic", ...).
        timeout: Seconds allowed per file before it is skipped as `timeout`.
        compress_level: PNG zlib level (lossless either way; 1 is ~3x faster to write than 6 for ~10% more bytes).
    """

    size: tuple[int, int] | None = None
    voi: str = "auto"
    crop: bool = True
    margin: float = 0.01
    side: str | None = "L"
    resample: str = "bilinear"
    timeout: float = 120.0
    compress_level: int = 1


@dataclass
class PreprocessReport:
    """Counts and output locations of a `preprocess_files` run."""

    output_dir: Path
    processed: int = 0
    skipped: int = 0
    reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    manifest_path: Path | None = None
    skipped_path: Path | None = None

    @property
    def total(self) -> int:
        return self.processed + self.skipped

    def summary(self) -> str:
        """One-paragraph human summary (what was written, what was skipped and why)."""
        rate = self.total / self.seconds if self.seconds > 0 else float("nan")
        text = (
            f"processed {self.processed} of {self.total} file(s) in {self.seconds:.1f} s ({rate:.2f} files/s) "
            f"-> {self.output_dir}"
        )
        if self.skipped:
            reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.reasons.items()))
            text += f"\nskipped {self.skipped} ({reasons}); see {self.skipped_path}"
        return text


# ----------------------------------------------------------------------------------------------------------------
# Inputs and output names
# ----------------------------------------------------------------------------------------------------------------
def _candidate(path: Path) -> bool:
    if path.name.startswith("."):
        return False
    suffix = path.suffix.lower()
    # DICOM archives often have no suffix or numeric ones ("1.2.840....123"); content is sniffed anyway.
    return suffix in IMAGE_SUFFIXES or suffix == "" or suffix[1:].isdigit()


def collect_inputs(
    inputs: Iterable[str | os.PathLike], *, exclude: str | os.PathLike | None = None
) -> list[tuple[Path, Path]]:
    """Expand files and folders (recursively) into a sorted list of `(path, relative_name)`.

    Explicitly named files are always included; inside folders, files with an image suffix (`.dcm`, `.png`,
    `.tif`, `.jpg`, ...), no suffix, or a numeric suffix are taken, hidden files skipped, and anything under
    `exclude` (the output folder) ignored.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "a").mkdir(); (d / "a" / "x.dcm").write_bytes(b"")
        0
        >>> (d / "notes.txt").write_text("hi")
        2
        >>> [str(rel) for _, rel in collect_inputs([d])]
        ['a/x.dcm']
    """
    excluded = Path(exclude).resolve() if exclude is not None else None
    seen: set[Path] = set()
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        root = Path(item)
        if not root.exists():
            raise FileNotFoundError(f"input not found: {root}")
        if root.is_file():
            entries: Iterator[tuple[Path, Path]] = iter([(root, Path(root.name))])
        else:
            entries = (
                (p, p.relative_to(root))
                for p in sorted(root.rglob("*"))
                if p.is_file()
                and _candidate(p)
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
            )
        for path, rel in entries:
            resolved = path.resolve()
            if resolved in seen or (excluded is not None and excluded in resolved.parents):
                continue
            seen.add(resolved)
            found.append((path, rel))
    return found


def _output_names(rels: list[Path]) -> list[Path]:
    """`a/b.dcm` → `a/b.png`; clashes (`x.dcm` and `x.png`) get `__2`, `__3`, ... in input order."""
    used: set[str] = set()
    names = []
    for rel in rels:
        base = rel.with_suffix(".png") if rel.suffix.lower() in IMAGE_SUFFIXES else rel.with_name(rel.name + ".png")
        candidate, n = base, 1
        while str(candidate).lower() in used:
            n += 1
            candidate = base.with_name(f"{base.stem}__{n}.png")
        used.add(str(candidate).lower())
        names.append(candidate)
    return names


# ----------------------------------------------------------------------------------------------------------------
# One file
# ----------------------------------------------------------------------------------------------------------------
def _to_uint16(arr: np.ndarray) -> np.ndarray:
    out = np.clip(arr, 0.0, 1.0)
    out *= 65535.0
    out += 0.5
    return out.astype(np.uint16)


def process_file(
    path: str | os.PathLike,
    output_path: str | os.PathLike,
    options: PreprocessOptions | None = None,
    *,
    source: str | None = None,
) -> dict[str, Any]:
    """Read, crop, flip, resize and save one image as a 16-bit PNG; return its manifest row.

    Raises:
        MammoImageError: The input cannot be used (the reason code goes to `skipped.csv`).

    Example:
        >>> import tempfile, pathlib, numpy as np
        >>> from PIL import Image
        >>> yy, xx = np.mgrid[:64, :48]  # a half-disk breast with its chest wall on the right edge
        >>> arr = np.where((xx - 47) ** 2 + (yy - 32) ** 2 <= 24**2, 4000, 0).astype(np.uint16)
        >>> d = pathlib.Path(tempfile.mkdtemp()); Image.fromarray(arr).save(d / "in.png")
        >>> row = process_file(d / "in.png", d / "out.png", PreprocessOptions(size=(32, 16)))
        >>> row["height"], row["width"], row["flipped"], Image.open(d / "out.png").mode
        (32, 16, True, 'I;16')
    """
    from PIL import Image

    from .. import mammo_pixels as mp
    from .breast import crop_breast, to_canonical_side
    from .io import read_image

    options = options or PreprocessOptions()
    img = read_image(path, voi=options.voi, output="float32")  # type: ignore[arg-type]
    if options.crop:
        img = crop_breast(img, margin=options.margin)
    if options.side:
        img = to_canonical_side(img, options.side)  # type: ignore[arg-type]
    pixels = img.pixels
    if options.size is not None and tuple(pixels.shape) != tuple(options.size):
        pixels = mp.resize(pixels, options.size, options.resample)
        img = img.with_pixels(pixels, step=f"resize:{options.size[0]}x{options.size[1]}({options.resample})")
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(output_path.name + ".part")
    Image.fromarray(_to_uint16(img.pixels)).save(tmp, format="PNG", compress_level=options.compress_level)
    os.replace(tmp, output_path)

    meta = img.metadata()
    spacing = meta["pixel_spacing"] or (None, None)
    box = meta["crop_box"] or (None, None, None, None)
    return {
        "output": str(output_path),
        "source": source if source is not None else str(path),
        "laterality": meta["laterality"],
        "laterality_source": meta["laterality_source"],
        "view": meta["view"],
        "raw_view": meta["raw_view"],
        "photometric": meta["photometric"],
        "manufacturer": meta["manufacturer"],
        "pixel_spacing_row_mm": spacing[0],
        "pixel_spacing_col_mm": spacing[1],
        "bits_stored": meta["bits_stored"],
        "source_format": meta["source_format"],
        "original_height": meta["original_shape"][0],
        "original_width": meta["original_shape"][1],
        "crop_top": box[0],
        "crop_left": box[1],
        "crop_bottom": box[2],
        "crop_right": box[3],
        "flipped": meta["flipped"],
        "height": int(img.pixels.shape[0]),
        "width": int(img.pixels.shape[1]),
        "steps": "|".join(meta["steps"]),
    }


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise `_FileTimeout` after `seconds` (SIGALRM; only in a main thread on POSIX, otherwise a no-op).

    An outer ITIMER_REAL (e.g. pytest-timeout's) is preserved: if it is due first we leave it alone, otherwise it is
    re-armed with its remaining time afterwards.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or not seconds or seconds <= 0 or math.isinf(seconds):
        yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_delay <= seconds:
        yield
        return

    def _raise(signum, frame):  # noqa: ARG001
        raise _FileTimeout()

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:
            remaining = max(outer_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, outer_interval)


def _message(err: BaseException, label: str) -> str:
    text = str(err)
    for prefix in (f"{label}: ",):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.replace("\n", " ")[:500]


def _run_one(task: tuple[int, str, str, str], options: PreprocessOptions) -> tuple[str, int, Any]:
    """Process one task in the current process: ('ok', i, row) or ('skip', i, (reason, message))."""
    index, path, out, rel = task
    try:
        with _time_limit(options.timeout):
            return "ok", index, process_file(path, out, options, source=rel)
    except _FileTimeout:
        return "skip", index, ("timeout", f"took longer than {options.timeout:g} s")
    except MammoImageError as err:
        return "skip", index, (err.reason, _message(err, path))
    except MemoryError:
        return "skip", index, ("out_of_memory", "ran out of memory")
    except Exception as err:  # a bug or an unexpected library error: report it, keep the batch going
        return "skip", index, ("error", f"{type(err).__name__}: {str(err)[:300]}")


def _worker(tasks: Any, results: Any, options: PreprocessOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    while True:
        task = tasks.get()
        if task is None:
            return
        results.put(("start", task[0], os.getpid()))
        results.put(_run_one(task, options))


# ----------------------------------------------------------------------------------------------------------------
# The batch
# ----------------------------------------------------------------------------------------------------------------
def _run_parallel(
    tasks: list[tuple[int, str, str, str]], options: PreprocessOptions, num_proc: int, on_result: Any
) -> None:
    """Process-pool with a watchdog: a worker past `timeout + grace` is killed, reported and replaced."""
    ctx = mp_.get_context("spawn")  # no fork: the parent may hold threads (tqdm, torch) and locks
    task_q, result_q = ctx.Queue(), ctx.Queue()
    for task in tasks:
        task_q.put(task)
    workers: dict[int, Any] = {}

    def spawn() -> None:
        proc = ctx.Process(target=_worker, args=(task_q, result_q, options), daemon=True)
        proc.start()
        workers[proc.pid] = proc

    for _ in range(min(num_proc, len(tasks))):
        spawn()
    in_flight: dict[int, tuple[int, float]] = {}  # task index -> (pid, start time)
    pending = {task[0] for task in tasks}
    hard_limit = options.timeout + 5.0 if options.timeout and options.timeout > 0 else math.inf
    try:
        while pending:
            try:
                kind, index, payload = result_q.get(timeout=0.2)
            except queue.Empty:
                kind = None
            if kind == "start":
                in_flight[index] = (payload, time.monotonic())
            elif kind in ("ok", "skip") and index in pending:
                pending.discard(index)
                in_flight.pop(index, None)
                on_result(kind, index, payload)
            now = time.monotonic()
            for index, (pid, started) in list(in_flight.items()):
                proc = workers.get(pid)
                dead = proc is None or not proc.is_alive()
                if now - started > hard_limit or dead:
                    if not dead:
                        proc.kill()
                        proc.join(5)
                    workers.pop(pid, None)
                    in_flight.pop(index)
                    pending.discard(index)
                    reason = (
                        ("timeout", f"took longer than {options.timeout:g} s")
                        if not dead
                        else (
                            "crashed",
                            f"the worker process died (exit code {getattr(proc, 'exitcode', None)})",
                        )
                    )
                    on_result("skip", index, reason)
                    if pending:
                        spawn()
            # a worker that died between tasks (no start message): replace it so the queue keeps draining
            for pid, proc in list(workers.items()):
                if not proc.is_alive() and pid not in {p for p, _ in in_flight.values()}:
                    workers.pop(pid)
                    if pending:
                        spawn()
    finally:
        for _ in workers:
            task_q.put(None)
        for proc in workers.values():
            proc.join(2)
            if proc.is_alive():
                proc.kill()
        task_q.close()
        result_q.close()


def preprocess_files(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    output_dir: str | os.PathLike,
    options: PreprocessOptions | None = None,
    *,
    num_proc: int = 1,
    progress: bool = True,
) -> PreprocessReport:
    """Preprocess every image under `inputs` into 16-bit PNGs + `manifest.csv` + `skipped.csv` in `output_dir`.

    Args:
        inputs: Files and/or folders (searched recursively).
        output_dir: Where the PNGs and the two CSVs go (created if needed).
        options: Crop/flip/resize/VOI settings (:class:`PreprocessOptions`).
        num_proc: Worker processes (1 = in this process).
        progress: Show a tqdm progress bar.

    Returns:
        A :class:`PreprocessReport` (counts, skip reasons, CSV paths). Skips are never silent: every unreadable
        file is a row in `skipped.csv` with its reason code.

    Example:
        >>> import tempfile, pathlib, numpy as np
        >>> from PIL import Image
        >>> d = pathlib.Path(tempfile.mkdtemp()); arr = np.zeros((64, 48), np.uint16); arr[8:56, :30] = 4000
        >>> Image.fromarray(arr).save(d / "good.png"); _ = (d / "bad.dcm").write_bytes(b"not an image")
        >>> report = preprocess_files([d], d / "out", PreprocessOptions(size=(32, 16)), progress=False)
        >>> report.processed, report.skipped, dict(report.reasons)
        (1, 1, {'not_an_image': 1})
    """
    options = options or PreprocessOptions()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    files = collect_inputs(inputs, exclude=output_dir)
    outputs = _output_names([rel for _, rel in files])
    tasks = [
        (i, str(path), str(output_dir / out), str(rel)) for i, ((path, rel), out) in enumerate(zip(files, outputs))
    ]

    report = PreprocessReport(output_dir=output_dir)
    rows: dict[int, dict[str, Any]] = {}
    skipped: dict[int, tuple[str, str, str]] = {}
    start = time.perf_counter()

    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), disable=not progress, unit="img", desc="preprocess", dynamic_ncols=True)

    def on_result(kind: str, index: int, payload: Any) -> None:
        if kind == "ok":
            payload["output"] = str(Path(payload["output"]).relative_to(output_dir))
            rows[index] = payload
        else:
            reason, message = payload
            skipped[index] = (tasks[index][3], reason, message)
            report.reasons[reason] += 1
        bar.update(1)
        bar.set_postfix(ok=len(rows), skipped=len(skipped), refresh=False)

    try:
        if num_proc <= 1 or len(tasks) <= 1:
            for task in tasks:
                on_result(*_run_one(task, options))
        else:
            _run_parallel(tasks, options, num_proc, on_result)
    finally:
        bar.close()

    report.processed, report.skipped = len(rows), len(skipped)
    report.seconds = time.perf_counter() - start
    report.manifest_path = output_dir / "manifest.csv"
    report.skipped_path = output_dir / "skipped.csv"
    with open(report.manifest_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for index in sorted(rows):
            writer.writerow(rows[index])
    with open(report.skipped_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SKIPPED_COLUMNS)
        for index in sorted(skipped):
            writer.writerow(skipped[index])
    return report
