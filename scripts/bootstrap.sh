#!/usr/bin/env bash
# Create the project's virtual environment if it is missing and install mammo-hf into it (editable).
#
#   bash scripts/bootstrap.sh [EXTRAS]      # default EXTRAS: all,dev
#
# Idempotent: a stamp (hash of pyproject.toml + extras) skips the install when nothing changed, so the Quickstart
# commands cost seconds after the first run. Environment overrides:
#   MAMMO_HF_VENV      where the venv lives (default: <repo>/.venv)
#   PYTHON             the interpreter used to create it (default: python3; needs >= 3.10)
#   MAMMO_HF_TORCH     the torch requirement installed first (default: the pair tested in CI, see README)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MAMMO_HF_VENV:-$ROOT/.venv}"
EXTRAS="${1:-all,dev}"
PYTHON="${PYTHON:-python3}"
# torch 2.14.1 + torchvision 0.29.1 is the pair verified on our CPU CI machines (older torchvision wheels on PyPI
# are CUDA builds that fail to import beside a CPU torch). Installed first and explicitly, before the project.
TORCH_SPEC="${MAMMO_HF_TORCH:-torch==2.14.1 torchvision==0.29.1}"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found. Install Python >= 3.10 or set PYTHON=/path/to/python3." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "error: mammo-hf needs Python >= 3.10 ($PYTHON is $("$PYTHON" -V 2>&1)). Set PYTHON=..." >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi

STAMP="$VENV/.mammo-hf-install"
WANT="$(cd "$ROOT" && cat pyproject.toml | sha256sum | cut -c1-16) extras=$EXTRAS torch=$TORCH_SPEC"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "==> installing mammo-hf[$EXTRAS] into $VENV (first run takes a few minutes: torch is large)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $TORCH_SPEC
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$EXTRAS]"
  echo "$WANT" > "$STAMP"
fi
