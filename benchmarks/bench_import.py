"""Cold import time of `mammo_hf` vs an eager baseline (what importing torch + transformers' model classes costs).

Goal: `import mammo_hf` < 2 s cold, and it must not import torch, transformers, gradio, trl, peft or pydicom.
Each figure is the median of N fresh interpreters (cold for Python, warm OS page cache).

    python benchmarks/bench_import.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _common import print_header

HEAVY = ("torch", "transformers", "gradio", "trl", "peft", "pydicom", "datasets")


def timed(code: str, runs: int) -> tuple[float, str]:
    times, last = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        last = out.stdout.strip()
    return statistics.median(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per measurement (median reported)")
    args = parser.parse_args()
    print_header("bench_import: cold `import mammo_hf` vs eager torch + transformers model imports")
    empty, _ = timed("pass", args.runs)
    ours, loaded = timed(f"import sys, mammo_hf; print([m for m in {HEAVY!r} if m in sys.modules])", args.runs)
    eager, _ = timed("import torch; from transformers import PreTrainedModel, EfficientNetModel, BertModel", args.runs)
    first_use, _ = timed(
        "import mammo_hf; from transformers import AutoConfig; AutoConfig.for_model('mammo_clip')", args.runs
    )
    print(f"python startup (baseline 0)          : {empty:.3f} s")
    print(f"import mammo_hf                      : {ours:.3f} s   heavy modules loaded: {loaded}")
    print(f"eager baseline (torch + HF models)   : {eager:.3f} s")
    print(f"first AutoConfig use after import    : {first_use:.3f} s (pays torch/transformers once, on demand)")
    verdict = "MET" if ours < 2 else "MISSED"
    print(f"ratio eager / ours                   : {eager / ours:.1f}x   goal: ours < 2 s -> {verdict}")


if __name__ == "__main__":
    main()
