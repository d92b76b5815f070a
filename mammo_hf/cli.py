"""`mammo-hf` command line: a thin dispatcher over `mammo_hf.commands.<name>` modules.

Each command module defines `register(subparsers)`; the heavy imports happen inside its `run(args)`, so
`mammo-hf --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["COMMANDS", "build_parser", "main"]

# Order = order in `mammo-hf --help`.
COMMANDS: list[str] = [
    "quickstart",
    "synth",
    "preprocess",
    "build",
    "push-dataset",
    "evaluate",
    "compare",
    "convert",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mammo-hf",
        description="Hugging Face-native mammography toolkit. Run `mammo-hf <command> --help` for details.",
    )
    parser.add_argument("--version", action="store_true", help="Print the mammo-hf version and exit.")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMANDS:
        importlib.import_module(f"mammo_hf.commands.{name.replace('-', '_')}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mammo-hf` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .commands import run_command

    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
