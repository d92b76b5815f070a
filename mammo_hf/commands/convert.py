"""`mammo-hf convert {mammo-clip,mam-clip}`: upstream checkpoints -> transformers folders with a model card.

Examples:
    mammo-hf convert mammo-clip --checkpoint b5-model-best-epoch-7.tar --output-dir mammo-clip-b5 --verify
    mammo-hf convert mam-clip --checkpoint pretrain_convnext_tiny.ckpt --output-dir mam-clip-tiny --verify

Every converter error (not a checkpoint, truncated download, unzipped `.tar`, wrong variant, another model's
checkpoint, unsafe pickle, parity failure) is one line on stderr and exit code 2, and no output folder is left.
"""

from __future__ import annotations

import argparse
import importlib

from . import CommandError

__all__ = ["CONVERTERS", "register", "run"]

#: subcommand -> converter module (imported when the parser is built; it imports torch only when run)
CONVERTERS: dict[str, tuple[str, str]] = {
    "mammo-clip": (
        "mammo_hf.models.mammo_clip.convert_mammo_clip_original_to_hf",
        "Mammo-CLIP (batmanlab, MICCAI 2024): pretraining .tar (B2/B5) or downstream classifier .pth.",
    ),
    "mam-clip": (
        "mammo_hf.models.mam_clip.convert_mam_clip_original_to_hf",
        "MAM-CLIP (igulluk): Lightning pretraining .ckpt or fine-tuned BI-RADS/density .pth (ConvNeXt tiny/small).",
    ),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="Convert released Mammo-CLIP / MAM-CLIP checkpoints to transformers folders (safetensors + card).",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    families = parser.add_subparsers(
        dest="family", metavar="<family>", required=True, help="Which upstream model family the checkpoint is from."
    )
    for name, (module_name, help_text) in CONVERTERS.items():
        sub = families.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).add_arguments(sub)
        sub.set_defaults(func=run, converter_module=module_name)


def run(args: argparse.Namespace) -> int:
    from ..models._checkpoint_io import CheckpointError

    module = importlib.import_module(args.converter_module)
    try:
        return module.run(args)
    except CheckpointError as err:
        raise CommandError(str(err)) from err
