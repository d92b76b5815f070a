#!/usr/bin/env bash
# Quickstart command 1: set up .venv if needed, then run the main job on the embedded synthetic data.
#   bash scripts/quickstart.sh [mammo-hf quickstart options]   (see: .venv/bin/mammo-hf quickstart --help)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh" all
exec "${MAMMO_HF_VENV:-$ROOT/.venv}/bin/mammo-hf" quickstart "$@"
