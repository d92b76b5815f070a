"""Build throughput (breasts/s) of `mammo-hf build` on a synthetic 16-bit raw set, --num-proc 1 vs 2, and peak RSS.

Usage: .venv/bin/python benchmarks/bench_build.py [--patients 100] [--size 512x416] [--workdir /tmp/bench_build]

Each build runs in a fresh subprocess; a sampler sums the RSS of the whole process tree (parent + workers) every
20 ms, so the reported peak covers the decoding workers too. The baseline is the same build with --num-proc 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

# Libraries every build imports once are imported (and one warm-up build runs) before the clock starts: `seconds`
# is the steady-state build, what scales with dataset size. The whole process wall time (interpreter start, imports,
# warm-up included) is reported beside it.
BUILD = """
import json, sys, time
import datasets, pandas, pydicom, PIL.Image, jinja2  # noqa: F401  (one-off import cost, not build throughput)
from mammo_hf.data.build import BuildConfig, build_dataset
from mammo_hf.data.builders import get_builder
get_builder("vindr_mammo")
# warm-up build (serial): every lazily imported codec/plugin is loaded once, as it is after the first minutes of a
# real multi-thousand-breast build; forked workers then inherit them instead of each importing them again.
warm = BuildConfig(num_proc=1, shard_size=8, overwrite=True)
build_dataset("vindr_mammo", sys.argv[1], sys.argv[2] + "-warmup", warm)
t0 = time.perf_counter()
r = build_dataset("vindr_mammo", sys.argv[1], sys.argv[2], BuildConfig(num_proc=int(sys.argv[3]), shard_size=8))
print("REPORT" + json.dumps({"rows": r.rows, "seconds": time.perf_counter() - t0}))
"""


def run_build(raw: Path, out: Path, num_proc: int) -> dict:
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD, str(raw), str(out), str(num_proc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        p = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                rss = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    report = json.loads(next(x for x in stdout.splitlines() if x.startswith("REPORT"))[6:])
    n = sum(sum(v.values()) for v in report["rows"].values())
    return {
        "num_proc": num_proc,
        "breasts": n,
        "build_s": report["seconds"],
        "wall_s": wall,
        "breasts_per_s": n / report["seconds"],
        "peak_rss_mb": peak / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=100, help="synthetic patients (2 breasts each)")
    ap.add_argument("--size", default="512x416", help="HxW of the synthetic DICOMs")
    ap.add_argument("--workdir", default="/tmp/bench_build", help="raw set (reused if present) and outputs")
    ap.add_argument("--repeats", type=int, default=2, help="builds per setting (the median is reported)")
    args = ap.parse_args()
    h, w = (int(x) for x in args.size.split("x"))
    print(
        subprocess.run(
            "lscpu | grep -E 'Model name|^CPU\\(s\\)|Flags' | cut -c1-300", shell=True, capture_output=True, text=True
        ).stdout
    )
    from mammo_hf.imaging.synthetic.layouts import write_layout

    work = Path(args.workdir)
    raw = work / "raw"
    if not raw.exists():
        t0 = time.perf_counter()
        res = write_layout("vindr_mammo", raw, patients=args.patients, image_size=(h, w))
        print(
            f"wrote {res.expected['pairs']} breasts ({h}x{w}, 12-bit in 16-bit DICOM) in "
            f"{time.perf_counter() - t0:.1f}s"
        )
    results = []
    for n in (1, 2):
        runs = sorted((run_build(raw, work / f"out{n}", n) for _ in range(args.repeats)), key=lambda r: r["build_s"])
        results.append(runs[len(runs) // 2])
    for r in results:
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}))
    ratio = results[1]["breasts_per_s"] / results[0]["breasts_per_s"]
    print(
        f"scaling num_proc 2 vs 1: {ratio:.2f}x; peak RSS {results[0]['peak_rss_mb']:.0f} MB (1 proc), "
        f"{results[1]['peak_rss_mb']:.0f} MB (2 procs); goal >= 1.7x: {'met' if ratio >= 1.7 else 'MISSED'}"
    )
    wall_ratio = results[0]["wall_s"] / results[1]["wall_s"]
    print(f"whole process incl. interpreter start and imports: {wall_ratio:.2f}x")


if __name__ == "__main__":
    main()
