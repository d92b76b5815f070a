"""Atlas image–caption pairs (MAM-CLIP contrastive pretraining data).

MAM-CLIP extracts 2,313 pairs from the "Atlas of Mammography" and the ACR BI-RADS Atlas (papers.md §3.2); both books
are copyrighted, so only the user's own extraction can be converted and the result is never pushed publicly.
Accepted inputs under `--raw-dir`:

- MAM-CLIP JSON: a list of `{"image": <path>, "caption": <text>}` (`*.json`), or the same objects one per line
  (`*.jsonl`); image paths are relative to the JSON file (absolute paths are accepted);
- an imagefolder with `metadata.csv` / `metadata.jsonl` holding `file_name` and `caption` (or `text`).

Optional keys `source`/`book` name the atlas. The image bytes are stored as they are (no re-encoding); unreadable
images, empty captions and exact duplicate pairs are reported in `skipped.csv`. Splits are seeded by image.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from .base import BaseBuilder, RawDataError, ScanResult, Skip, SourceInfo

__all__ = ["AtlasBuilder"]


class AtlasBuilder(BaseBuilder):
    """`mammo-hf build atlas --raw-dir my_atlas_pairs/ --output-dir out/atlas`."""

    default_fractions = (0.9, 0.1, 0.0)
    info = SourceInfo(
        name="atlas",
        full_name="Mammography atlas image–caption pairs (user extraction)",
        licence="other",
        licence_note="Extracted from copyrighted books (Atlas of Mammography, ACR BI-RADS Atlas): private use only, "
        "no redistribution.",
        redistributable=False,
        homepage="https://github.com/igulluk/MAM-CLIP",
        access="extract from your own copies of the books (MAM-CLIP's PyMuPDF/pytesseract procedure)",
        citation=(
            "@article{gulluk2026mamclip,\n  title = {MAM-CLIP: Vision-Language Pretraining on Mammography Atlases for "
            'BI-RADS Classification},\n  author = {G{\\"u}ll{\\"u}k, {\\.I}. and others},\n  journal = {arXiv '
            "preprint arXiv:2605.19359},\n  year = {2026}\n}"
        ),
        expected_layout='a JSON list of {"image", "caption"} (or JSONL), or images + metadata.csv with '
        "file_name,caption",
    )

    def tables(self):
        from ..features import atlas_features

        return {"default": atlas_features()}

    def _entries(self, raw: Path, result: ScanResult) -> list[tuple[Path, dict[str, Any], str]]:
        out: list[tuple[Path, dict[str, Any], str]] = []
        metas = [p for p in sorted(raw.rglob("*")) if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".csv")]
        for meta in metas:
            is_folder_meta = meta.stem == "metadata"
            if meta.suffix.lower() == ".csv" and not is_folder_meta:
                continue
            try:
                if meta.suffix.lower() == ".json":
                    data = json.loads(meta.read_text(encoding="utf-8"))
                    items = data if isinstance(data, list) else [data]
                elif meta.suffix.lower() == ".jsonl":
                    items = [
                        json.loads(line) for line in meta.read_text(encoding="utf-8").splitlines() if line.strip()
                    ]
                else:
                    with open(meta, newline="", encoding="utf-8-sig") as fh:
                        items = list(csv.DictReader(fh))
            except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as err:
                result.skip(meta.relative_to(raw), "bad_label_file", f"{type(err).__name__}: {err}"[:200])
                continue
            for j, item in enumerate(items):
                if not isinstance(item, dict) or not ({"image", "file_name"} & set(item)):
                    if not isinstance(item, dict) or not is_folder_meta and meta.suffix.lower() == ".json":
                        result.skip(f"{meta.relative_to(raw)}:{j}", "bad_label_row", "no image/file_name key")
                    continue
                out.append((meta, item, f"{meta.relative_to(raw)}:{j}"))
        return out

    def scan(self, raw_dir: Path) -> ScanResult:
        raw = Path(raw_dir)
        result = ScanResult()
        entries = self._entries(raw, result)
        if not entries:
            raise RawDataError(self.missing_message(f"no image–caption JSON/JSONL/metadata.csv found under {raw}"))
        seen: set[tuple[str, str]] = set()
        for meta, item, where in entries:
            image = str(item.get("image") or item.get("file_name") or "").strip()
            caption = str(item.get("caption") or item.get("text") or "").strip()
            path = Path(image) if os.path.isabs(image) else (meta.parent / image)
            try:
                rel = path.resolve().relative_to(raw.resolve()).as_posix()
            except ValueError:
                rel = path.name
            if not caption:
                result.skip(rel, "empty_caption", where)
                continue
            if not path.is_file():
                result.skip(rel, "missing_image", f"{where} points at a file that is not there")
                continue
            if (rel, caption) in seen:
                result.skip(rel, "duplicate_pair", where)
                continue
            seen.add((rel, caption))
            n = sum(1 for r, _ in seen if r == rel)
            result.records.append(
                {
                    "key": f"{rel}#{n}",
                    "split_key": rel,
                    "official_split": None,
                    "path": str(path),
                    "image_id": rel,
                    "caption": caption,
                    "source": str(item.get("source") or item.get("book") or "atlas"),
                }
            )
        return result

    def encode_unit(self, unit, config, raw: Path, skips: list[Skip]):
        from PIL import Image, UnidentifiedImageError

        rec = unit.record
        try:
            with Image.open(rec["path"]) as im:
                im.load()
            data = Path(rec["path"]).read_bytes()
        except (OSError, UnidentifiedImageError, ValueError) as err:
            skips.append(Skip(rec["image_id"], "corrupt", f"{type(err).__name__}: {err}"[:200]))
            return None
        return "default", {
            "image": {"bytes": data, "path": None},
            "caption": rec["caption"],
            "image_id": rec["image_id"],
            "source": rec["source"],
            "split": unit.split,
        }
