"""Safe loading of upstream (non-Hugging Face) checkpoints, and the errors the converters raise.

The released Mammo-CLIP and MAM-CLIP weights are pickles: Mammo-CLIP's `.tar` files are `torch.save` zip archives
whose `config` entry may hold omegaconf `ListConfig` objects (reference: batmanlab/Mammo-CLIP `trainer.py`,
`convert_dictconfig_to_dict` only converts `DictConfig` nodes), MAM-CLIP's Lightning `.ckpt` stores its omegaconf
hyper-parameters, and the downstream classifier `.pth` files carry numpy prediction arrays. None of them loads with
`torch.load(weights_only=True)`, and `weights_only=False` runs whatever code the pickle names.

:func:`load_original_checkpoint` runs torch's loader with a *restricted* unpickler instead: only an explicit
allow-list of globals resolves (tensor rebuild functions, `OrderedDict`, numpy array reconstruction, a few builtins);
every `omegaconf.*` class resolves to an inert stub that :func:`to_plain_containers` turns into plain dicts/lists,
so omegaconf does not need to be installed; anything else (``os.system``, ``builtins.eval``, a user class) is
refused with :class:`UnsafeCheckpointError` before it can run. Files that are not checkpoints at all (an HTML error
page, a Git LFS pointer, a truncated download, a zip-extracted `.tar`) get a specific error that says what to do.

>>> from mammo_hf.models._checkpoint_io import load_original_checkpoint  # doctest: +SKIP
>>> ckpt = load_original_checkpoint("b5-model-best-epoch-7.tar")  # doctest: +SKIP
>>> sorted(ckpt)  # doctest: +SKIP
['config', 'epoch', 'model', 'optimizer', 'scheduler', 'train_loss']
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import hashlib
import logging
import os
import pickle
import shutil
import struct
import tarfile
import tempfile
import types
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CheckpointError",
    "CheckpointNotFoundError",
    "NotACheckpointError",
    "TruncatedCheckpointError",
    "ExtractedArchiveError",
    "UnsafeCheckpointError",
    "CheckpointKeyError",
    "VariantMismatchError",
    "OutputExistsError",
    "ParityError",
    "ConversionResult",
    "load_original_checkpoint",
    "load_converted_state_dict",
    "max_mean_abs_diff",
    "sha256_file",
    "save_converted",
    "print_conversion_report",
    "to_plain_containers",
    "format_key_listing",
    "atomic_output_dir",
    "finish_conversion",
    "add_common_arguments",
    "run_conversion",
    "conversion_main",
]

logger = logging.getLogger(__name__)

# How upstream issue #10 looks to users: they unzip the `.tar` (a torch zip archive) and torch.load the pieces.
_ISSUE_10 = "https://github.com/batmanlab/Mammo-CLIP/issues/10"


# ---------------------------------------------------------------------------------------------------------------
# Errors: one class per failure a user can fix, all one-line messages that say what to do.
# ---------------------------------------------------------------------------------------------------------------
class CheckpointError(ValueError):
    """Base class of every converter error; the CLI prints it as one line and exits with code 2."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint path does not exist."""


class NotACheckpointError(CheckpointError):
    """The file is not a PyTorch checkpoint (HTML page, LFS pointer, image, safetensors, zip of other files...)."""


class TruncatedCheckpointError(CheckpointError):
    """The file starts like a checkpoint but is cut short or corrupt (typically an interrupted download)."""


class ExtractedArchiveError(CheckpointError):
    """The path is the unpacked content of a torch zip archive (a Mammo-CLIP `.tar` that was unzipped)."""


class UnsafeCheckpointError(CheckpointError):
    """The pickle references a global outside the allow-list (possible code execution); nothing was run."""


class CheckpointKeyError(CheckpointError):
    """The checkpoint's tensors do not match the expected layout (another model, or missing/unknown keys)."""


class VariantMismatchError(CheckpointError):
    """The variant requested on the command line differs from the one detected from the tensor shapes."""


class OutputExistsError(CheckpointError):
    """The output directory exists and is not empty (pass `--overwrite` to replace it)."""


class ParityError(CheckpointError):
    """`--verify` found a difference above tolerance between the converted model and the reference."""


def format_key_listing(keys: Iterable[str], limit: int = 8) -> str:
    """`'a.x, a.y, ... (+12 more)'`: a bounded, sorted listing of keys for one-line error messages.

    >>> format_key_listing(["b", "a", "c"], limit=2)
    'a, b (+1 more)'
    """
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


# ---------------------------------------------------------------------------------------------------------------
# Restricted unpickler
# ---------------------------------------------------------------------------------------------------------------
class _OmegaConfStub:
    """Inert stand-in for any `omegaconf.*` class: records constructor args and pickled state, runs nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._stub_args = args
        self._stub_kwargs = kwargs

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state = {**(state[0] or {}), **(state[1] or {})}  # (dict, slots) form
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self._stub_state = state

    def __repr__(self) -> str:
        return f"<omegaconf stub {type(self).__qualname__}>"


class _TypingStub:
    """Stand-in for `typing.X` (omegaconf metadata stores element/key types); only its name is kept."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, item: Any) -> _TypingStub:
        return _TypingStub(f"{self.name}[{item!r}]")

    def __repr__(self) -> str:
        return self.name


class _AttributeDict(dict):
    """Stand-in for Lightning's `AttributeDict` (a dict subclass holding hyper-parameters)."""


_STUB_CLASSES: dict[tuple[str, str], type] = {}


def _omegaconf_stub(module: str, name: str) -> type:
    key = (module, name)
    if key not in _STUB_CLASSES:
        _STUB_CLASSES[key] = type(name, (_OmegaConfStub,), {"__module__": f"_stub.{module}"})
    return _STUB_CLASSES[key]


def _safe_getitem(obj: Any, item: Any) -> Any:
    # `typing.List[int]` pickles as `operator.getitem(typing.List, int)`; only allow it on typing stubs.
    if isinstance(obj, _TypingStub):
        return obj[item]
    raise UnsafeCheckpointError(f"refused 'operator.getitem' on {type(obj).__name__} while unpickling")


def _safe_reconstructor(cls: Any, base: Any, state: Any) -> Any:
    # Protocol 0/1 object reconstruction: only for our inert stubs.
    if isinstance(cls, type) and issubclass(cls, (_OmegaConfStub, _AttributeDict)):
        obj = cls.__new__(cls)
        if isinstance(obj, dict) and isinstance(state, dict):
            obj.update(state)
        return obj
    raise UnsafeCheckpointError(f"refused 'copyreg._reconstructor' for {cls!r} while unpickling")


def _path_as_str(*parts: Any) -> str:
    return os.path.join(*[str(p) for p in parts]) if parts else ""


def _rebuild_from_type_v2(func: Callable, new_type: Any, args: tuple, state: Any) -> Any:
    import torch

    # Only plain tensors/parameters may be rebuilt; torch's own implementation would accept any class.
    if new_type not in (torch.Tensor, torch.nn.Parameter):
        raise UnsafeCheckpointError(f"refused tensor subclass {new_type!r} while unpickling")
    return torch._tensor._rebuild_from_type_v2(func, new_type, args, state)


def _allowed_global(module: str, name: str) -> Any:
    """The object a pickle may reference as `module.name`, or None if it is not on the allow-list."""
    import torch

    if module in ("torch._utils",) and name in {
        "_rebuild_tensor",
        "_rebuild_tensor_v2",
        "_rebuild_tensor_v3",
        "_rebuild_parameter",
        "_rebuild_parameter_with_state",
    }:
        return getattr(torch._utils, name)
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch" and name.endswith("Storage"):  # legacy typed storages, as torch's own unpickler maps them
        try:
            return torch.serialization.StorageType(name)
        except KeyError:
            return None
    if module == "torch" and name in ("Size", "device", "Tensor"):
        return getattr(torch, name)
    if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
        return getattr(torch, name)
    if module == "torch.nn.parameter" and name == "Parameter":
        return torch.nn.Parameter
    if module == "torch.torch_version" and name == "TorchVersion":
        return str
    if module == "collections" and name == "OrderedDict":
        return OrderedDict
    if module == "builtins" and name in {
        "set",
        "frozenset",
        "slice",
        "complex",
        "bytearray",
        "list",
        "dict",
        "tuple",
        "int",
        "float",
        "str",
        "bool",
        "bytes",
        "object",
        "NoneType",
    }:
        return {"NoneType": type(None)}.get(name) or getattr(__import__("builtins"), name)
    if module == "_codecs" and name == "encode":  # numpy pickles array bytes as `_codecs.encode(str, "latin1")`
        import codecs

        return codecs.encode
    if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name in ("_reconstruct", "scalar"):
        import numpy as np

        core = getattr(np, "_core", None) or np.core
        return getattr(core.multiarray, name)
    if module == "numpy" and name in ("ndarray", "dtype"):
        import numpy as np

        return getattr(np, name)
    if module == "numpy.dtypes" and name.endswith("DType"):
        import numpy as np

        return getattr(np.dtypes, name, None)
    if module == "pathlib" and name in ("Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath"):
        return _path_as_str
    if module == "argparse" and name == "Namespace":
        return _omegaconf_stub(module, name)
    if module.split(".")[0] == "omegaconf":
        return _omegaconf_stub(module, name)
    if module == "typing":
        return _TypingStub(f"typing.{name}")
    if module == "operator" and name == "getitem":
        return _safe_getitem
    if module == "copyreg" and name == "_reconstructor":
        return _safe_reconstructor
    if name == "AttributeDict" and module.split(".")[0] in ("lightning", "pytorch_lightning", "lightning_fabric"):
        return _AttributeDict
    return None


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names (protocol <= 2 pickles, torch's legacy format): what pickle's own find_class does with
        # fix_imports=True, e.g. `__builtin__.set` -> `builtins.set`.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        obj = _allowed_global(module, name)
        if obj is None:
            raise UnsafeCheckpointError(
                f"the pickle references '{module}.{name}', which is not on the allow-list of safe globals; "
                "nothing was executed. If you trust the file's origin, pass --unsafe-pickle "
                "(python: trust_pickle=True) to load it with plain torch.load"
            )
        return obj


def _restricted_load(file: Any, **kwargs: Any) -> Any:
    return _RestrictedUnpickler(file, **kwargs).load()


# A module-like object for `torch.load(pickle_module=...)`: torch subclasses `.Unpickler` (for storages) and
# calls `.load` for the legacy (pre-1.6) format's header records.
_restricted_pickle_module = types.ModuleType("mammo_hf_restricted_pickle")
_restricted_pickle_module.Unpickler = _RestrictedUnpickler  # type: ignore[attr-defined]
_restricted_pickle_module.load = _restricted_load  # type: ignore[attr-defined]
_restricted_pickle_module.UnpicklingError = pickle.UnpicklingError  # type: ignore[attr-defined]


def to_plain_containers(obj: Any) -> Any:
    """Recursively replace omegaconf stubs (and Lightning `AttributeDict`s) by plain dicts, lists and values.

    Tensors and other leaves are returned as they are (no copy).

    >>> to_plain_containers({"a": [1, (2, 3)]})
    {'a': [1, (2, 3)]}
    """
    if isinstance(obj, _OmegaConfStub):
        state = obj.__dict__
        if "_content" in state:  # DictConfig / ListConfig
            return to_plain_containers(state["_content"])
        if "_val" in state:  # AnyNode, StringNode, IntegerNode, ...
            return to_plain_containers(state["_val"])
        if type(obj).__name__ == "Namespace":
            return {k: to_plain_containers(v) for k, v in state.items() if not k.startswith("_stub")}
        return {k: to_plain_containers(v) for k, v in state.items() if not k.startswith("_")}
    if isinstance(obj, _TypingStub):
        return obj.name
    if isinstance(obj, _AttributeDict):
        return {k: to_plain_containers(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        # Keep the dict type (OrderedDict state dicts), but only rebuild when something inside changed.
        items = {k: to_plain_containers(v) for k, v in obj.items()}
        if all(items[k] is obj[k] for k in obj):
            return obj
        return type(obj)(items) if type(obj) in (dict, OrderedDict) else items
    if isinstance(obj, (list, tuple)):
        items = [to_plain_containers(v) for v in obj]
        if all(a is b for a, b in zip(items, obj)):
            return obj
        return type(obj)(items) if type(obj) in (list, tuple) else items
    return obj


# ---------------------------------------------------------------------------------------------------------------
# File sniffing: say what a non-checkpoint is before torch produces a deep traceback
# ---------------------------------------------------------------------------------------------------------------
def _looks_extracted(directory: Path) -> Path | None:
    """The folder holding `data.pkl` + `data/` if `directory` is (or directly contains) an unpacked torch archive."""
    candidates = [directory, *(p for p in directory.iterdir() if p.is_dir())] if directory.is_dir() else []
    for cand in candidates:
        if (cand / "data.pkl").is_file() and ((cand / "data").is_dir() or (cand / "version").is_file()):
            return cand
    return None


def _extracted_message(path: Path) -> str:
    return (
        f"{path} is the unpacked content of a torch checkpoint archive (data.pkl + data/), not a checkpoint: "
        "Mammo-CLIP's .tar files are torch.save zip archives despite the extension and must not be unzipped or "
        f"untarred (upstream issue #10: {_ISSUE_10}); pass the original downloaded .tar file unchanged"
    )


def _sniff(path: Path) -> str:
    """Classify the file from its first bytes; raise a specific error for what is clearly not a checkpoint."""
    size = path.stat().st_size
    if size == 0:
        raise TruncatedCheckpointError(f"{path} is empty (0 bytes): the download failed; download it again")
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"version https://git-lfs.github.com/spec"):
        raise NotACheckpointError(
            f"{path} is a Git LFS pointer file ({size} bytes), not the weights: fetch the real file "
            "(`git lfs pull`, or download it from the model page)"
        )
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml")):
        raise NotACheckpointError(
            f"{path} is an HTML/XML page ({size} bytes), not a checkpoint: the download returned an error or a "
            "confirmation page (Google Drive does this for large files); download the file itself again"
        )
    if len(head) >= 10 and head[8:9] == b"{":
        (header_len,) = struct.unpack("<Q", head[:8])
        if 0 < header_len < size:
            raise NotACheckpointError(
                f"{path} is a safetensors file, not an original upstream checkpoint: it is probably already "
                "converted; load its folder with from_pretrained instead"
            )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if not zipfile.is_zipfile(path):
            raise TruncatedCheckpointError(
                f"{path} ({size / 1e6:.1f} MB) starts like a torch zip checkpoint but its end is missing: the "
                "download was interrupted or the file is corrupt; download it again (Mammo-CLIP B5: 1.65 GB, "
                "B2: 1.4 GB)"
            )
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            shown = format_key_listing(names, limit=4)
            raise NotACheckpointError(
                f"{path} is a zip archive of {len(names)} files ({shown}), not a torch checkpoint: extract it "
                "and pass one of the .pth/.tar/.ckpt files inside"
            )
        return "zip"
    if path.name == "data.pkl" and _looks_extracted(path.parent):
        raise ExtractedArchiveError(_extracted_message(path.parent))
    if head[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
        return "legacy"
    with contextlib.suppress(tarfile.TarError, OSError):
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as tf:
                members = tf.getnames()
            if any(Path(m).name == "data.pkl" for m in members):
                raise ExtractedArchiveError(
                    f"{path} is a tar archive that contains an unpacked torch checkpoint (data.pkl): "
                    "it was unzipped and repacked; Mammo-CLIP's .tar files are torch.save zip archives "
                    f"(upstream issue #10: {_ISSUE_10}); pass the original downloaded file unchanged"
                )
            return "tar"
    raise NotACheckpointError(
        f"{path} is not a PyTorch checkpoint (unrecognised content starting with {head[:8]!r}); expected a "
        "Mammo-CLIP .tar/.pth or a MAM-CLIP .ckpt/.pth file"
    )


def load_original_checkpoint(path: str | os.PathLike, *, trust_pickle: bool = False) -> Any:
    """Load an upstream checkpoint on CPU without executing code from its pickle.

    Args:
        path: a `torch.save` file (zip or legacy format), e.g. `b5-model-best-epoch-7.tar`,
            `pretrain_convnext_tiny.ckpt` or a downstream `.pth`.
        trust_pickle: load with plain `torch.load(weights_only=False)`, which executes any code the pickle
            names. Only for files whose origin you trust and which the allow-list refuses.

    Returns:
        The unpickled object with omegaconf nodes replaced by plain dicts/lists (see :func:`to_plain_containers`).
        Zip-format files are memory-mapped, so optimizer states that are never touched are never read.

    Raises:
        CheckpointNotFoundError, NotACheckpointError, TruncatedCheckpointError, ExtractedArchiveError,
        UnsafeCheckpointError: with a one-line message saying what to do.

    Example:
        >>> import tempfile, torch
        >>> from mammo_hf.models._checkpoint_io import load_original_checkpoint
        >>> f = tempfile.NamedTemporaryFile(suffix=".pth", delete=False).name
        >>> torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, f)
        >>> load_original_checkpoint(f)["epoch"]
        3
    """
    import torch

    path = Path(path)
    if not path.exists():
        raise CheckpointNotFoundError(f"checkpoint not found: {path}")
    if path.is_dir():
        extracted = _looks_extracted(path)
        if extracted is not None:
            raise ExtractedArchiveError(_extracted_message(extracted))
        raise NotACheckpointError(f"{path} is a directory; pass the checkpoint file itself")
    kind = _sniff(path)
    kwargs: dict[str, Any] = {"map_location": "cpu"}
    if trust_pickle:
        logger.warning("Loading %s with plain torch.load (trust_pickle=True): its pickle may run code.", path.name)
        kwargs["weights_only"] = False
    else:
        kwargs.update(weights_only=False, pickle_module=_restricted_pickle_module)
    if kind == "zip":
        kwargs["mmap"] = True
    try:
        obj = torch.load(path, **kwargs)
    except CheckpointError:
        raise
    except KeyError as err:
        if "storages" in str(err):
            raise ExtractedArchiveError(
                f"{path} is not a loadable torch archive (KeyError 'storages'): it was most likely unpacked and "
                "repacked; Mammo-CLIP's .tar files are torch.save zip archives that must stay as downloaded "
                f"(upstream issue #10: {_ISSUE_10})"
            ) from err
        raise NotACheckpointError(f"{path} could not be read as a torch checkpoint: KeyError {err}") from err
    except (EOFError, RuntimeError, pickle.UnpicklingError, struct.error, zipfile.BadZipFile, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, EOFError) or "central directory" in first or "failed reading" in first:
            raise TruncatedCheckpointError(f"{path} is truncated or corrupt ({first}); download it again") from err
        raise NotACheckpointError(f"{path} could not be read as a torch checkpoint: {first}") from err
    return to_plain_containers(obj)


# ---------------------------------------------------------------------------------------------------------------
# Output: never leave a half-written directory behind
# ---------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_output_dir(output_dir: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces `output_dir`, on any error it is deleted.

    Args:
        output_dir: the final directory.
        overwrite: replace an existing non-empty `output_dir` (only once the new content is complete).

    Raises:
        OutputExistsError: `output_dir` exists, is not empty and `overwrite` is False (checked before any work).

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "converted"
        >>> with atomic_output_dir(out) as tmp:
        ...     _ = (tmp / "config.json").write_text("{}")
        >>> sorted(p.name for p in out.iterdir())
        ['config.json']
    """
    output_dir = Path(output_dir)
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())) and not overwrite:
        raise OutputExistsError(f"output directory {output_dir} exists and is not empty; pass --overwrite")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.tmp-", dir=output_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    backup = None
    if output_dir.exists():
        backup = output_dir.with_name(f".{output_dir.name}.old-{os.getpid()}")
        os.replace(output_dir, backup)
    try:
        os.replace(tmp, output_dir)
    except BaseException:
        if backup is not None:
            os.replace(backup, output_dir)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True) if backup.is_dir() else backup.unlink()


# ---------------------------------------------------------------------------------------------------------------
# Shared conversion steps (both converters)
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class ConversionResult:
    """What a converter produced.

    Args:
        output_dir: the written `save_pretrained` folder.
        variant: detected variant (`b2`, `b5`, `convnext_tiny`, ...).
        kind: `"pretraining"` or `"classification"`.
        registry_name: the registry entry the card was rendered from.
        num_tensors: tensors written.
        dropped_keys: upstream tensors deliberately not converted (e.g. the unused BERT pooler).
        missing_keys: model tensors left at their initial values (only with `allow_partial=True`).
        parity: parity figures (empty unless verified).
        warnings: things the user must know (e.g. the parity reference package is missing).
        repo_url: the Hub commit URL when pushed.
    """

    output_dir: Path
    variant: str
    kind: str
    registry_name: str
    num_tensors: int
    dropped_keys: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    parity: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repo_url: str | None = None


def load_converted_state_dict(model: Any, converted: dict[str, Any], *, allow_partial: bool = False) -> list[str]:
    """Copy `converted` into `model`, refusing unknown tensors always and missing ones unless `allow_partial`.

    Returns:
        The model keys that were missing (empty unless `allow_partial`).

    Raises:
        CheckpointKeyError: with the listing of missing/unexpected keys or the shape mismatch.
    """
    expected = model.state_dict()
    unexpected = sorted(set(converted) - set(expected))
    missing = sorted(set(expected) - set(converted))
    if unexpected:
        raise CheckpointKeyError(
            f"{len(unexpected)} converted tensors have no place in {type(model).__name__}: "
            f"{format_key_listing(unexpected)}; the checkpoint is not of this model"
        )
    if missing and not allow_partial:
        raise CheckpointKeyError(
            f"the checkpoint lacks {len(missing)} tensors of {type(model).__name__}: {format_key_listing(missing)}; "
            "pass --allow-partial to keep them randomly initialised (the card will say so)"
        )
    bad = [
        f"{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}"
        for k, v in converted.items()
        if tuple(v.shape) != tuple(expected[k].shape)
    ]
    if bad:
        raise CheckpointKeyError(f"shape mismatch for {len(bad)} tensors: {format_key_listing(bad, limit=4)}")
    model.load_state_dict(converted, strict=False)
    return missing


def max_mean_abs_diff(a: Any, b: Any) -> tuple[float, float]:
    """`(max |a - b|, mean |a - b|)` in float64.

    >>> import torch
    >>> max_mean_abs_diff(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    (0.5, 0.25)
    """
    diff = (a.detach().double() - b.detach().double()).abs()
    return float(diff.max()), float(diff.mean())


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, read in 4 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def save_converted(
    model: Any, processor: Any, card: Any, output_dir: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write `save_pretrained` weights (safetensors) + config, the processor and README.md, atomically."""
    output_dir = Path(output_dir)
    with atomic_output_dir(output_dir, overwrite=overwrite) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        processor.save_pretrained(tmp)
        image_processor = getattr(processor, "image_processor", None)
        if image_processor is not None and not (tmp / "preprocessor_config.json").exists():
            # transformers 5 processors nest the image processor in processor_config.json; keep the standalone file
            # so AutoImageProcessor and older readers find the pixel contract (aesthetics.md §9 item 4)
            image_processor.save_pretrained(tmp)
        card.save(tmp / "README.md")
        if not any(tmp.glob("*.safetensors")):
            raise CheckpointError(f"save_pretrained wrote no safetensors file in {tmp}")
    return output_dir


def print_conversion_report(result: ConversionResult) -> None:
    """Print the conversion summary and the parity table (shared by both converters)."""
    print(
        f"converted {result.registry_name} ({result.kind}, {result.variant}): {result.num_tensors} tensors -> "
        f"{result.output_dir}"
    )
    if result.dropped_keys:
        print(
            f"dropped {len(result.dropped_keys)} unused upstream tensors: {format_key_listing(result.dropped_keys, 3)}"
        )
    for warning in result.warnings:
        print(f"WARNING {warning}")
    if result.missing_keys:
        print(f"WARNING partial: {len(result.missing_keys)} tensors left initialised")
    for p in result.parity:
        print(
            f"parity {p.name:<42} vs {p.reference:<28} max abs diff {p.max_abs_diff:.3e}  mean {p.mean_abs_diff:.3e}"
        )
    if result.repo_url:
        print(f"pushed: {result.repo_url}")


def finish_conversion(
    *,
    cli_family: str,
    checkpoint: Path,
    output_dir: str | os.PathLike,
    entry: Any,
    config: Any,
    model: Any,
    processor: Any,
    variant: str,
    kind: str,
    verify: bool,
    parity: list[Any],
    warnings: list[str],
    dropped: list[str],
    missing: list[str],
    card_facts: str | os.PathLike | None = None,
    command: str | None = None,
    push_to_hub: str | None = None,
    private: bool | None = None,
    overwrite: bool = False,
) -> ConversionResult:
    """The steps every converter ends with: model card (origin, command, parity, licence), atomic save, push.

    Args:
        cli_family: The `mammo-hf convert` sub-command (`"mammo-clip"`, `"mam-clip"`), for the recorded command.
        checkpoint: The upstream file (its SHA-256 goes into the card).
        output_dir: Folder to write (atomically).
        entry: The `mammo_hf.hub.registry` entry (licence, provenance) the card is rendered from.
        config: The converted model's config.
        model: The converted model, weights loaded.
        processor: Image processor, or the combined processor when a tokenizer was given.
        variant: Detected variant.
        kind: `"pretraining"` or `"classification"`.
        verify: Whether parity was requested (recorded in the command).
        parity: Parity figures (empty when not verified).
        warnings: Messages the user must see (also written into the card).
        dropped: Upstream tensors deliberately not converted.
        missing: Model tensors left initialised (`--allow-partial` only).
        card_facts: A `hub_cards/*.yaml` facts file (default: the one named after the registry entry, if any).
        command: The command line to record (default: reconstructed).
        push_to_hub: Hub repository to upload the folder to.
        private: Create that repository private.
        overwrite: Replace an existing `output_dir`.

    Returns:
        The [`ConversionResult`].
    """
    import shlex

    import torch

    from .. import __version__
    from ..hub.cards import ConversionInfo, default_facts_path, load_card_facts, render_card

    facts_path = card_facts or default_facts_path(entry.name)
    facts = load_card_facts(facts_path) if facts_path else {}
    notes = list(warnings)
    if dropped:
        notes.append(
            f"Dropped {len(dropped)} upstream tensors not used by the model: {format_key_listing(dropped, 4)}."
        )
    if missing:
        notes.append(
            f"PARTIAL CONVERSION: {len(missing)} tensors were not in the checkpoint and keep their random "
            f"initialisation: {format_key_listing(missing, 4)}."
        )
    conversion = ConversionInfo(
        command=command
        or f"mammo-hf convert {cli_family} --checkpoint {shlex.quote(checkpoint.name)} --output-dir "
        f"{shlex.quote(Path(output_dir).name)}"
        + (" --verify" if verify else ""),
        mammo_hf_version=__version__,
        source_sha256=sha256_file(checkpoint),
        notes=tuple(notes),
    )
    card = render_card(
        entry,
        config=config,
        processor=processor,
        facts=facts,
        parity=parity,
        conversion=conversion,
        repo_id=push_to_hub or entry.hub_id,
    )
    with torch.no_grad():
        out = save_converted(model, processor, card, output_dir, overwrite=overwrite)
    result = ConversionResult(
        output_dir=out,
        variant=variant,
        kind=kind,
        registry_name=entry.name,
        num_tensors=len(model.state_dict()),
        dropped_keys=dropped,
        missing_keys=missing,
        parity=parity,
        warnings=warnings,
    )
    if push_to_hub:
        from ..hub.push import push_model_folder

        result.repo_url = push_model_folder(out, push_to_hub, private=private, entry=entry)
    return result


def add_common_arguments(parser: Any, *, checkpoint_help: str, verify_help: str, default_size: str) -> Any:
    """Options every `mammo-hf convert <family>` shares (the family adds `--variant`, `--registry-name`, ...)."""
    parser.add_argument("--checkpoint", required=True, help=checkpoint_help)
    parser.add_argument("--output-dir", required=True, help="Folder to write (must be empty unless --overwrite).")
    parser.add_argument(
        "--text-num-attention-heads", type=int, help="BERT head count if not 12 (not visible in tensor shapes)."
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="Skip unknown tensors and keep missing ones randomly initialised (recorded in the card).",
    )
    parser.add_argument("--verify", action="store_true", help=verify_help)
    parser.add_argument(
        "--verify-size", type=int, nargs=2, metavar=("H", "W"), help=f"Parity input size (default {default_size})."
    )
    parser.add_argument("--card-facts", help="hub_cards/*.yaml facts file for the model card.")
    parser.add_argument("--push-to-hub", metavar="REPO", help="Upload the converted folder to this Hub repository.")
    parser.add_argument("--private", action="store_true", default=None, help="Create the Hub repository private.")
    parser.add_argument("--overwrite", action="store_true", help="Replace an existing output directory.")
    parser.add_argument(
        "--unsafe-pickle",
        action="store_true",
        help="Load with plain torch.load, which runs code from the file. Only for files you trust.",
    )
    return parser


def run_conversion(args: Any, convert_checkpoint: Callable[..., ConversionResult], cli_family: str) -> int:
    """Run `convert_checkpoint` from parsed CLI arguments and print the report; returns the exit code."""
    import shlex

    argv = getattr(args, "argv", None)
    result = convert_checkpoint(
        args.checkpoint,
        args.output_dir,
        variant=args.variant,
        registry_name=args.registry_name,
        tokenizer=args.tokenizer,
        text_num_attention_heads=args.text_num_attention_heads,
        allow_partial=args.allow_partial,
        verify=args.verify,
        verify_size=tuple(args.verify_size) if args.verify_size else None,
        card_facts=args.card_facts,
        push_to_hub=args.push_to_hub,
        private=args.private,
        overwrite=args.overwrite,
        trust_pickle=args.unsafe_pickle,
        command=f"mammo-hf convert {cli_family} " + " ".join(shlex.quote(a) for a in argv) if argv else None,
    )
    print_conversion_report(result)
    return 0


def conversion_main(
    argv: Iterable[str] | None, description: str, add_arguments: Callable[[Any], Any], run: Callable[[Any], int]
) -> int:
    """`python -m <converter module>` entry point: parse, run, and turn a `CheckpointError` into one line + exit 2."""
    import argparse
    import sys

    parser = add_arguments(argparse.ArgumentParser(description=description))
    args = parser.parse_args(None if argv is None else list(argv))
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
