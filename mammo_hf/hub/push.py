"""Upload a converted / trained model folder to the Hugging Face Hub, with the licence gate.

A model folder is pushed only if its README.md states a licence in the front matter (cards rendered by
`mammo_hf.hub.cards.render_card` always do), and a checkpoint whose registry entry is not redistributable is only
pushed to a private repository.

>>> from mammo_hf.hub.push import push_model_folder  # doctest: +SKIP
>>> push_model_folder("mammo-clip-b5", "me/mammo-clip-b5", private=True)  # doctest: +SKIP
'https://huggingface.co/me/mammo-clip-b5/commit/...'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .registry import PretrainedEntry

__all__ = ["PushRefusedError", "push_model_folder"]


class PushRefusedError(ValueError):
    """The folder may not be pushed as asked (no licence in the card, or a public push of restricted weights)."""


def _card_license(folder: Path) -> str | None:
    readme = folder / "README.md"
    if not readme.is_file():
        return None
    from huggingface_hub import ModelCard

    return ModelCard.load(readme).data.to_dict().get("license")


def push_model_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    private: bool | None = None,
    entry: PretrainedEntry | None = None,
    commit_message: str | None = None,
    token: str | None = None,
    revision: str | None = None,
) -> str:
    """Create `repo_id` (if needed) and upload every file of `folder` in one commit.

    Args:
        folder: a `save_pretrained` folder with README.md (model card), config, weights and processor files.
        repo_id: `"user/name"`.
        private: create the repository private (None: the Hub default, public).
        entry: the registry entry; a non-redistributable one is refused unless `private=True`.
        commit_message: defaults to `"Upload <folder name> with mammo-hf"`.
        token: a Hub token (default: the logged-in one / `HF_TOKEN`).
        revision: a branch to push to.

    Returns:
        The commit URL.

    Raises:
        PushRefusedError: the card states no licence, the card's licence differs from the registry entry's, or a
            public push of a non-redistributable checkpoint.
        FileNotFoundError: `folder` does not exist.
    """
    from huggingface_hub import HfApi

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"model folder not found: {folder}")
    license_id = _card_license(folder)
    if not license_id:
        raise PushRefusedError(
            f"{folder}/README.md states no licence; render the card with mammo_hf.hub.cards.render_card first"
        )
    if entry is not None:
        if license_id != entry.license:
            raise PushRefusedError(
                f"the card's licence {license_id!r} differs from the registry's {entry.license!r} for {entry.name}"
            )
        if not entry.redistributable and not private:
            raise PushRefusedError(
                f"{entry.name} may not be redistributed publicly ({entry.license}); push with private=True"
            )
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    info: Any = api.upload_folder(
        folder_path=str(folder),
        repo_id=repo_id,
        repo_type="model",
        commit_message=commit_message or f"Upload {folder.name} with mammo-hf",
        revision=revision,
    )
    return str(getattr(info, "commit_url", None) or info)
