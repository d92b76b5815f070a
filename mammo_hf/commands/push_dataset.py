"""`mammo-hf push-dataset`: publish a `mammo-hf build` output to the Hub (parquet + dataset card).

Refuses a public push of a dataset whose licence forbids redistribution (VinDr-Mammo, RSNA, INbreast, KAU-BCMD,
atlas pairs, pooled) unless `--private`.
"""

from __future__ import annotations

import argparse

from . import CommandError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "push-dataset",
        help="Push a built dataset (and its card) to the Hugging Face Hub, with a licence check.",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("output_dir", help="Folder written by `mammo-hf build`.")
    p.add_argument("repo_id", help="Target dataset repo, e.g. my-org/cbis-ddsm-mammo-hf.")
    p.add_argument("--private", action="store_true", help="Create/push a private repo (required for restricted sets).")
    p.add_argument("--token", default=None, help="Hub token (default: the logged-in token / HF_TOKEN).")
    p.add_argument("--max-shard-size", default="500MB", help="Parquet shard size (default 500MB).")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.push import LicenceError, push_dataset

    try:
        repo = push_dataset(
            args.output_dir, args.repo_id, private=args.private, token=args.token, max_shard_size=args.max_shard_size
        )
    except LicenceError as err:
        raise CommandError(str(err)) from None
    print(f"pushed {args.output_dir} to datasets/{repo} ({'private' if args.private else 'public'})")
    return 0
