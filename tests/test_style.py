"""House style is enforced, not hoped for: ruff lint and format (line length 119), and Hub-bound files stay
self-contained (no imports of mammo_hf or of parent packages, which break `trust_remote_code`)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

HAS_RUFF = importlib.util.find_spec("ruff") is not None
HUB_BOUND = re.compile(
    r"^(configuration|modeling|processing|image_processing)_\w+\.py$|^mammo_pixels\.py$|^dual_view\.py$"
)


@pytest.mark.skipif(not HAS_RUFF, reason="ruff is not installed (pip install mammo-hf[dev])")
@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff(args):
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_hub_bound_files_import_only_third_party_and_siblings():
    files = [p for p in (REPO_ROOT / "mammo_hf").rglob("*.py") if HUB_BOUND.match(p.name)]
    assert len(files) >= 10
    offenders = []
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            stripped = line.strip()
            if re.match(r"^(from\s+\.\.|from\s+mammo_hf|import\s+mammo_hf)", stripped):
                # the processor may *optionally* use the package-side DICOM reader inside a guarded function
                if "read_image" in stripped and path.name == "image_processing_mammo.py":
                    continue
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {stripped}")
    assert offenders == []
