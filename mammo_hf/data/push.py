"""Publish a built dataset to the Hub with its card, behind the licence gate.

`push_dataset(OUT, "org/name")` pushes the pairs table as the `default` config (parquet shards through
`DatasetDict.push_to_hub`), the single-view table as the `single_view` config, `skipped.csv` and
`build_report.json`, then the dataset card (our body + the `configs`/`dataset_info` YAML that `push_to_hub` wrote,
so `load_dataset("org/name")` still resolves the configs). A dataset whose source does not allow redistribution
is refused unless `private=True`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["LicenceError", "push_dataset", "check_licence"]


class LicenceError(PermissionError):
    """A public push of data whose licence forbids redistribution."""


def _builder_info(output_dir: Path):
    from .builders import get_builder

    report_path = output_dir / "build_report.json"
    if not report_path.is_file():
        raise FileNotFoundError(f"{output_dir} is not a mammo-hf build (no build_report.json); run `mammo-hf build`")
    report = json.loads(report_path.read_text())
    return get_builder(report["builder"]).info, report


def check_licence(info, private: bool) -> None:
    """Raise `LicenceError` for a public push of a non-redistributable source.

    Example:
        >>> from mammo_hf.data.builders import get_builder
        >>> check_licence(get_builder("cmmd").info, private=False)  # CC BY 4.0: fine
        >>> check_licence(get_builder("vindr_mammo").info, private=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mammo_hf.data.push.LicenceError: VinDr-Mammo may not be redistributed publicly (...); push with --private
    """
    if not info.redistributable and not private:
        raise LicenceError(
            f"{info.full_name} may not be redistributed publicly ({info.licence_note}); push with --private"
        )


def push_dataset(
    output_dir: str | os.PathLike,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    max_shard_size: str | int = "500MB",
) -> str:
    """Push a `mammo-hf build` output folder to the Hub; returns the repo id.

    Raises:
        LicenceError: Public push of a restricted source (use `private=True`).
        FileNotFoundError: `output_dir` is not a build output.
    """
    import datasets
    from huggingface_hub import DatasetCard, HfApi

    out = Path(output_dir)
    info, _ = _builder_info(out)
    check_licence(info, private)
    dd = datasets.load_from_disk(str(out))
    dd.push_to_hub(repo_id, private=private, token=token, config_name="default", max_shard_size=max_shard_size)
    if (out / "single_view" / "dataset_dict.json").is_file():
        datasets.load_from_disk(str(out / "single_view")).push_to_hub(
            repo_id, private=private, token=token, config_name="single_view", max_shard_size=max_shard_size
        )
    api = HfApi(token=token)
    for name in ("skipped.csv", "build_report.json"):
        if (out / name).is_file():
            api.upload_file(path_or_fileobj=str(out / name), path_in_repo=name, repo_id=repo_id, repo_type="dataset")
    # merge: keep the configs/dataset_info YAML push_to_hub generated, add our metadata and body
    local = (
        DatasetCard.load(str(out / "README.md"), ignore_metadata_errors=True)
        if (out / "README.md").is_file()
        else None
    )
    remote = DatasetCard.load(repo_id, repo_type="dataset", token=token, ignore_metadata_errors=True)
    data = remote.data.to_dict()
    if local is not None:
        data.update({k: v for k, v in local.data.to_dict().items() if k not in ("configs", "dataset_info")})
        body = local.text
    else:
        body = remote.text
    import yaml

    card = DatasetCard("---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + body)
    card.push_to_hub(repo_id, repo_type="dataset", token=token)
    return repo_id
