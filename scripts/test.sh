#!/usr/bin/env bash
# Quickstart command 2: set up .venv if needed, then run the offline test suite (default: not slow).
#   bash scripts/test.sh [pytest options]     e.g.  bash scripts/test.sh -m slow   |   bash scripts/test.sh tests/test_x.py
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh" all,dev
cd "$ROOT"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
if [ "$#" -eq 0 ]; then
  set -- -m "not slow"
fi
exec "${MAMMO_HF_VENV:-$ROOT/.venv}/bin/python" -m pytest "$@"
