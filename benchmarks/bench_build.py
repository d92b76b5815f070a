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

BUILD = """
import json, sys
from mammo_hf.data.build import BuildConfig, build_dataset
r = build_dataset("vindr_mammo", sys.argv[1], sys.argv[2], BuildConfig(num_proc=int(sys.argv[3]), shard_size=8))
print("REPORT" + json.dumps({"rows": r.rows, "seconds": r.seconds}))
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
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--size", default="512x416")
    ap.add_argument("--workdir", default="/tmp/bench_build")
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
    results = [run_build(raw, work / f"out{n}", n) for n in (1, 2)]
    for r in results:
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}))
    ratio = results[1]["breasts_per_s"] / results[0]["breasts_per_s"]
    print(
        f"scaling num_proc 2 vs 1: {ratio:.2f}x; peak RSS {results[0]['peak_rss_mb']:.0f} MB (1 proc), "
        f"{results[1]['peak_rss_mb']:.0f} MB (2 procs)"
    )


if __name__ == "__main__":
    main()
