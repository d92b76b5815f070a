"""Pushing a converted model to a local fake Hub (never the real one) and loading it back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("efficientnet_pytorch")

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "converters"))


def test_convert_push_to_fake_hub_and_reload(tmp_path):
    from fake_hub import hub_env, start
    from upstream_layout import write_mammo_clip_downstream

    pth = write_mammo_clip_downstream(tmp_path / "density.pth", "b2", n_class=4)
    hub, server, url = start(tmp_path / "hub")
    try:
        script = textwrap.dedent(
            f"""
            import torch
            from mammo_hf.cli import main
            out = {str(tmp_path / "out")!r}
            code = main(["convert", "mammo-clip", "--checkpoint", {str(pth)!r}, "--output-dir", out,
                         "--push-to-hub", "user/mammo-clip-b2-density"])
            assert code == 0, code
            from mammo_hf import MammoClipForImageClassification
            from mammo_hf.hub.push import PushRefusedError, push_model_folder
            remote = MammoClipForImageClassification.from_pretrained("user/mammo-clip-b2-density").eval()
            local = MammoClipForImageClassification.from_pretrained(out).eval()
            x = torch.randn(1, 3, 64, 48)
            with torch.no_grad():
                assert torch.equal(remote(x).logits, local(x).logits)
            open(out + "/README.md", "w").write("no card")
            try:
                push_model_folder(out, "user/other")
            except PushRefusedError as err:
                print("refused:", err)
            else:
                raise SystemExit("push without a licence was not refused")
            """
        )
        env = hub_env(url, tmp_path / "cache")
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
        assert "refused:" in proc.stdout and "states no licence" in proc.stdout
        files = set(hub.files("model", "user/mammo-clip-b2-density"))
        assert {"model.safetensors", "config.json", "preprocessor_config.json", "README.md"} <= files
        readme = (hub.repo_dir("model", "user/mammo-clip-b2-density") / "README.md").read_text()
        assert "license: cc-by-nc-sa-4.0" in readme and "user/mammo-clip-b2-density" in readme
    finally:
        server.shutdown()
