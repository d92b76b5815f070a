"""Copy the canonical shared helper files into every model family folder (or check that the copies are identical).

Why copies: Hub-bound model code may only import same-folder siblings (`from .dual_view import ...`), because
transformers' `trust_remote_code` loader copies exactly those next to `modeling_*.py`; a helper in a parent package
would be missing for people who load a pushed repo without mammo-hf installed. So each family carries a
byte-identical `dual_view.py`, generated from `mammo_hf/models/mammo_clip/dual_view.py` by this script and checked by
`tests/models/test_remote_code.py`.

Usage::

    python -m mammo_hf.models.sync_shared_files          # rewrite the copies
    python -m mammo_hf.models.sync_shared_files --check  # exit 1 if a copy differs
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["CANONICAL_FAMILY", "FAMILIES", "SHARED_FILES", "stale_copies", "sync"]

MODELS_DIR = Path(__file__).resolve().parent
CANONICAL_FAMILY = "mammo_clip"
FAMILIES = ("mammo_clip", "mam_clip", "mammo_efficientnet")
SHARED_FILES = ("dual_view.py",)


def stale_copies() -> list[Path]:
    """Copies that differ from (or are missing next to) the canonical file."""
    stale = []
    for name in SHARED_FILES:
        source = (MODELS_DIR / CANONICAL_FAMILY / name).read_bytes()
        for family in FAMILIES:
            copy = MODELS_DIR / family / name
            if family != CANONICAL_FAMILY and (not copy.exists() or copy.read_bytes() != source):
                stale.append(copy)
    return stale


def sync() -> list[Path]:
    """Rewrite every stale copy; returns the files written."""
    written = stale_copies()
    for path in written:
        path.write_bytes((MODELS_DIR / CANONICAL_FAMILY / path.name).read_bytes())
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale copies; exit 1 if there are any")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_copies()
        for path in stale:
            print(f"stale: {path.relative_to(MODELS_DIR.parent.parent)}")
        return 1 if stale else 0
    for path in sync():
        print(f"wrote {path.relative_to(MODELS_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
