"""The pooled six-dataset build: RSNA, VinDr-Mammo, CBIS-DDSM, CMMD, INbreast and KAU-BCMD in one schema.

`mammo-hf build pooled --raw-root ROOT --output-dir OUT` expects one sub-folder per dataset under ROOT (named as the
builder, e.g. `ROOT/vindr_mammo`, or as the download is usually named, e.g. `ROOT/VinDr-Mammo`). Rows keep their
`source`; splits are patient-level and seeded per source, official test splits (VinDr-Mammo, CBIS-DDSM) are kept.
The pooled data is restricted as soon as one part is: it is never pushed publicly without `--private`.
"""

from __future__ import annotations

from pathlib import Path

from .base import BreastBuilder, RawDataError, ScanResult, Skip, SourceInfo

__all__ = ["PooledBuilder", "FOLDER_NAMES"]

FOLDER_NAMES: dict[str, tuple[str, ...]] = {
    "rsna": ("rsna", "RSNA", "rsna-breast-cancer-detection"),
    "vindr_mammo": ("vindr_mammo", "VinDr-Mammo", "vindr-mammo", "vindr"),
    "cbis_ddsm": ("cbis_ddsm", "CBIS-DDSM", "cbis-ddsm"),
    "cmmd": ("cmmd", "CMMD"),
    "inbreast": ("inbreast", "INbreast", "INBREAST"),
    "kau_bcmd": ("kau_bcmd", "KAU-BCMD", "kau-bcmd"),
}


class PooledBuilder(BreastBuilder):
    """Concatenation of the six public dual-view builders (see the module docstring)."""

    def __init__(self, datasets: tuple[str, ...] | None = None, allow_missing: bool = False) -> None:
        from . import SIX_DATASETS, get_builder

        self.parts = [get_builder(n) for n in (datasets or SIX_DATASETS)]
        self.allow_missing = allow_missing
        self.used: list[str] = []
        infos = [p.info for p in self.parts]
        self.info = SourceInfo(
            name="pooled",
            full_name="Pooled public dual-view mammography (" + ", ".join(i.full_name for i in infos) + ")",
            licence="other",
            licence_note="Each row keeps the licence of its `source`: "
            + "; ".join(f"{i.name}: {i.licence_note}" for i in infos),
            redistributable=all(i.redistributable for i in infos),
            homepage="; ".join(i.homepage for i in infos),
            access="; ".join(f"{i.name}: {i.access}" for i in infos),
            citation="\n\n".join(i.citation for i in infos),
            expected_layout="one sub-folder per dataset: "
            + ", ".join(f"{i.name}/ ({i.expected_layout})" for i in infos),
        )

    def _folder(self, root: Path, name: str) -> Path | None:
        for cand in FOLDER_NAMES.get(name, (name,)):
            if (root / cand).is_dir():
                return root / cand
        return None

    def scan(self, raw_dir: Path) -> ScanResult:
        root = Path(raw_dir)
        result = ScanResult()
        missing = []
        for part in self.parts:
            folder = self._folder(root, part.name)
            if folder is None:
                missing.append(part)
                continue
            sub = part.scan(folder)
            prefix = folder.name
            result.records.extend(sub.records)
            result.skips.extend(Skip(f"{prefix}/{s.file}", s.reason, s.detail) for s in sub.skips)
            result.warnings.update({f"{part.name}:{k}": v for k, v in sub.warnings.items()})
            self.used.append(part.name)
        if missing and not self.allow_missing:
            lines = "; ".join(f"{p.name} -> {root}/{p.name}/ from {p.info.homepage}" for p in missing)
            raise RawDataError(f"pooled build: missing dataset folder(s): {lines} (or pass --allow-missing)")
        if not self.used:
            raise RawDataError(f"pooled build: none of the dataset folders found under {root}")
        return result
