"""Shared helpers for benchmark scripts: machine description and result printing."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess

__all__ = ["machine_summary", "print_header"]


def machine_summary() -> dict[str, str]:
    """CPU model, core count and the SIMD/bf16 flags that decide the fastest path (DESIGN.md §8)."""
    model, flags = platform.processor() or "unknown", set()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("Flags:"):
                flags = set(line.split(":", 1)[1].split())
    except (OSError, subprocess.SubprocessError):
        pass
    wanted = ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "fma"]
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": model,
        "cores": str(os.cpu_count()),
        "flags": " ".join(f for f in wanted if f in flags) or "none of " + ",".join(wanted),
        "python": platform.python_version(),
    }


def print_header(title: str) -> dict[str, str]:
    info = machine_summary()
    print(f"# {title}")
    print(f"# {info['date']} | {info['cpu']} | {info['cores']} cores | flags: {info['flags']} | py {info['python']}")
    return info
