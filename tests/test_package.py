"""Package-level contracts: cheap import, lazy exports, Auto* registration on first use, CLI help."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mammo_hf
from mammo_hf.cli import COMMANDS, build_parser

HEAVY = ("torch", "transformers", "gradio", "trl", "peft", "pydicom", "datasets", "timm", "matplotlib")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_import_is_light_and_fast():
    out = _run(
        "import sys, time; t = time.perf_counter(); import mammo_hf; dt = time.perf_counter() - t\n"
        f"print(dt, [m for m in {HEAVY!r} if m in sys.modules])"
    )
    assert out.returncode == 0, out.stderr
    seconds, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "[]", f"import mammo_hf pulled in heavy modules: {loaded}"
    assert float(seconds) < 2.0


def test_auto_classes_know_our_model_types_after_import_only():
    out = _run(
        "import mammo_hf\n"
        "from transformers import AutoConfig\n"
        "for t in ('mammo_clip', 'mam_clip', 'mammo_efficientnet'):\n"
        "    print(type(AutoConfig.for_model(t)).__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["MammoClipConfig", "MamClipConfig", "MammoEfficientNetConfig"]


def test_registration_also_works_when_transformers_was_imported_first():
    out = _run(
        "from transformers import AutoConfig, AutoModel\n"
        "import mammo_hf\n"
        "print(type(AutoConfig.for_model('mammo_efficientnet')).__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "MammoEfficientNetConfig"


def test_lazy_exports_resolve_and_unknown_names_raise():
    for name in mammo_hf._LAZY_EXPORTS:
        assert getattr(mammo_hf, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        mammo_hf.NotAThing  # noqa: B018
    assert set(mammo_hf._LAZY_EXPORTS) <= set(dir(mammo_hf))


def _check_help(parser, path: str) -> None:
    for action in parser._actions:
        if action.dest == "help":
            continue
        assert action.help, f"`{path}` option {action.option_strings or action.dest} has no help"
        if action.__class__.__name__ == "_SubParsersAction":  # nested commands (e.g. `convert mammo-clip`)
            for name, sub in action.choices.items():
                _check_help(sub, f"{path} {name}")


def test_every_cli_command_has_help_for_every_option():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(COMMANDS) == set(sub.choices)
    for name, command in sub.choices.items():
        assert command.description, f"`mammo-hf {name}` has no description"
        _check_help(command, f"mammo-hf {name}")


def test_cli_entry_point_help_and_version():
    out = subprocess.run([sys.executable, "-m", "mammo_hf.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and all(c in out.stdout for c in COMMANDS)
    out = subprocess.run([sys.executable, "-m", "mammo_hf.cli", "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == mammo_hf.__version__
