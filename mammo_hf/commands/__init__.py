"""Subcommands of the `mammo-hf` CLI, one module each (`register(subparsers)` + `run(args) -> int`)."""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["CommandError", "run_command"]

logger = logging.getLogger("mammo_hf")


class CommandError(RuntimeError):
    """A user-facing error: printed as one line with what to do next, exit code 2 (no traceback)."""


def run_command(args: argparse.Namespace) -> int:
    """Run `args.func(args)`, turning known user errors into a one-line message instead of a traceback."""
    from ..imaging.errors import MammoImageError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("openjpeg", "pydicom", "PIL", "urllib3", "httpx", "filelock"):  # per-tile/per-file INFO noise
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        code = args.func(args)
    except (CommandError, MammoImageError, FileNotFoundError, NotADirectoryError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
