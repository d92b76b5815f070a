"""Synthetic screening exams: patients with two breasts x (CC, MLO), plausible labels, files on disk + labels.csv.

Labels are correlated with what is drawn, so a model can learn something in the quickstart: a malignant breast
carries a spiculated/irregular mass and/or pleomorphic calcifications and BI-RADS 4-5; a benign one a
circumscribed mass or punctate calcifications and BI-RADS 2-3 (sometimes 4, then biopsy-benign); a normal one
nothing and BI-RADS 1. Density is per patient (A 10%, B 40%, C 40%, D 10%, the usual screening mix).

Identifiers: `labels.csv` carries anonymised synthetic ids (`SYN00001`); the DICOM headers carry fake PHI
(`fake_phi(i)`, all containing `PHI_MARKERS`) that must never reach any output of the package.

Writing a dataset-specific raw layout (another folder structure, other tags) reuses the same pieces:

>>> exam = sample_exams(1, seed=0)[0]
>>> profile = profile_for(exam)
>>> for breast, view in exam.views():  # doctest: +SKIP
...     px = render_view(breast, view, shape=(1024, 832), bits_stored=profile.bits_stored, seed=exam.seed)
...     write_dicom(f"raw/{exam.patient_id}/{breast.laterality}{view}.dcm", px, laterality=breast.laterality,
...                 view=view, phi=fake_phi(exam.patient_index), extra_tags={"SeriesDescription": view},
...                 **profile.dicom_kwargs(px))
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .dicom import fake_phi, write_dicom, write_png
from .phantom import DENSITY_FRACTIONS, BreastSpec, Finding, _rng, pixel_spacing_mm, render_view

__all__ = [
    "VIEWS",
    "LABEL_COLUMNS",
    "AcquisitionProfile",
    "ACQUISITION_PROFILES",
    "STANDARD_PROFILE",
    "ExamSpec",
    "ImageRecord",
    "SyntheticManifest",
    "sample_exams",
    "profile_for",
    "generate_exams",
]

logger = logging.getLogger(__name__)

VIEWS: tuple[str, str] = ("CC", "MLO")

LABEL_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "study_id",
    "laterality",
    "view",
    "file",
    "png_file",
    "birads",
    "density",
    "pathology",
    "cancer",
    "finding",
    "photometric",
    "bits_stored",
    "transfer_syntax",
    "manufacturer",
    "rows",
    "columns",
)


@dataclass(frozen=True)
class AcquisitionProfile:
    """How one (fictional) mammography unit encodes its images; one profile per exam.

    The profiles reproduce the encodings the public datasets mix (ecosystem notes: RSNA J2K + GE SIGMOID VOI with
    several windows, MONOCHROME1 vendors, VOI LUT Sequences, 12-16 bits stored, rescale tags).

    Attributes:
        name: Short id recorded in the manifest.
        manufacturer: Manufacturer written in the header (fictional names: no vendor-shift study should trust
            phantoms).
        photometric: `"MONOCHROME1"` or `"MONOCHROME2"`.
        bits_stored: 12..16.
        transfer_syntax: `"explicit"`, `"implicit"`, `"rle"` or `"jpeg2000"`.
        window: `"auto"`, `"auto3"` (three windows, like GE units) or `None`.
        voi_lut_function: `"LINEAR"`, `"SIGMOID"` or `None`.
        voi_lut_sequence: Write a VOI LUT Sequence.
        rescale: `(slope, intercept)` or `None`.
        presentation_intent: `"FOR PRESENTATION"` or `"FOR PROCESSING"`.
    """

    name: str
    manufacturer: str
    photometric: str = "MONOCHROME2"
    bits_stored: int = 12
    transfer_syntax: str = "explicit"
    window: str | None = "auto"
    voi_lut_function: str | None = "LINEAR"
    voi_lut_sequence: bool = False
    rescale: tuple[float, float] | None = None
    presentation_intent: str = "FOR PRESENTATION"

    def dicom_kwargs(self, pixels: np.ndarray | None = None, compression: bool = True) -> dict:
        """Keyword arguments for `write_dicom` (the window is computed from `pixels` for `"auto3"`)."""
        syntax = self.transfer_syntax
        if not compression and syntax in ("rle", "jpeg2000"):
            syntax = "explicit"
        window: object = self.window
        if self.window == "auto3" and pixels is not None:
            # Three windows (normal, harder, softer) over the tissue range, in Modality LUT units.
            slope, intercept = self.rescale or (1.0, 0.0)
            p = np.percentile(pixels[pixels > pixels.max() * 0.05], [1.0, 99.5]) * slope + intercept
            c, w = float((p[0] + p[1]) / 2), float(max(p[1] - p[0], 2.0))
            window = [(round(c, 1), round(w, 1)), (round(c, 1), round(0.7 * w, 1)), (round(c, 1), round(1.3 * w, 1))]
            if self.photometric == "MONOCHROME1":  # windows are on stored values, which are inverted
                top = (2**self.bits_stored - 1) * slope + intercept
                window = [(round(top - cc + intercept, 1), ww) for cc, ww in window]
        elif self.window == "auto3":
            window = "auto"
        return {
            "photometric": self.photometric,
            "bits_stored": self.bits_stored,
            "transfer_syntax": syntax,
            "window": window,
            "voi_lut_function": self.voi_lut_function if window is not None else None,
            "voi_lut_sequence": self.voi_lut_sequence,
            "rescale": self.rescale,
            "presentation_intent": self.presentation_intent,
            "manufacturer": self.manufacturer,
        }


ACQUISITION_PROFILES: tuple[AcquisitionProfile, ...] = (
    AcquisitionProfile("vendor-a", "SYNTH VENDOR A", "MONOCHROME2", 12, "jpeg2000", "auto", "LINEAR"),
    AcquisitionProfile("vendor-b", "SYNTH VENDOR B", "MONOCHROME1", 14, "jpeg2000", "auto3", "SIGMOID"),
    AcquisitionProfile("vendor-c", "SYNTH VENDOR C", "MONOCHROME2", 16, "rle", "auto", None, voi_lut_sequence=True),
    AcquisitionProfile(
        "vendor-d", "SYNTH VENDOR D", "MONOCHROME1", 12, "explicit", "auto", "LINEAR", rescale=(1.0, -64.0)
    ),
    AcquisitionProfile("vendor-e", "SYNTH VENDOR E", "MONOCHROME2", 15, "implicit", None, None, rescale=(0.5, 0.0)),
)

# The single profile used with `mixed=False`: the plainest file a reader must handle.
STANDARD_PROFILE = AcquisitionProfile("standard", "SYNTH VENDOR A", "MONOCHROME2", 12, "explicit", "auto", "LINEAR")


@dataclass(frozen=True)
class ExamSpec:
    """One synthetic screening exam (one patient, one study, both breasts).

    Attributes:
        patient_index: 0-based index of the patient in the generated set.
        patient_id: Anonymised synthetic id written to labels (never the header PatientID).
        study_id: Anonymised synthetic study id.
        left: The left breast.
        right: The right breast.
        profile: Name of the `AcquisitionProfile` the exam is encoded with.
        seed: The exam's seed.
    """

    patient_index: int
    patient_id: str
    study_id: str
    left: BreastSpec
    right: BreastSpec
    profile: str = "standard"
    seed: int = 0

    @property
    def breasts(self) -> tuple[BreastSpec, BreastSpec]:
        return (self.left, self.right)

    def breast(self, laterality: str) -> BreastSpec:
        return self.left if laterality.upper() == "L" else self.right

    @property
    def cancer(self) -> int:
        """Exam-level label: 1 if either breast is malignant."""
        return max(self.left.cancer, self.right.cancer)

    def views(self) -> Iterator[tuple[BreastSpec, str]]:
        """`(breast, view)` in the conventional hanging order R-CC, L-CC, R-MLO, L-MLO."""
        for view in VIEWS:
            for breast in (self.right, self.left):
                yield breast, view


@dataclass(frozen=True)
class ImageRecord:
    """One written image and its labels (one row of labels.csv)."""

    patient_id: str
    study_id: str
    laterality: str
    view: str
    file: str
    png_file: str
    birads: int
    density: str
    pathology: str
    cancer: int
    finding: str
    photometric: str
    bits_stored: int
    transfer_syntax: str
    manufacturer: str
    rows: int
    columns: int

    def as_row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in LABEL_COLUMNS}


@dataclass
class SyntheticManifest:
    """What `generate_exams` wrote.

    Attributes:
        root: The output folder.
        labels_csv: Path of labels.csv.
        exams: The sampled exams (anatomy, findings, labels).
        records: One `ImageRecord` per image (paths relative to `root`).
        fallbacks: Messages for compressed files written uncompressed because an encoder was missing.
    """

    root: Path
    labels_csv: Path
    exams: list[ExamSpec]
    records: list[ImageRecord] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def rows(self) -> list[dict[str, object]]:
        return [r.as_row() for r in self.records]

    def files(self) -> list[Path]:
        out = [self.root / r.file for r in self.records]
        return out + [self.root / r.png_file for r in self.records if r.png_file and r.png_file != r.file]

    def summary(self) -> str:
        """A few human-readable lines (counts per label, encodings, fallbacks)."""
        n_pat = len(self.exams)
        breasts = [b for e in self.exams for b in e.breasts]
        by_path = {p: sum(b.pathology == p for b in breasts) for p in ("normal", "benign", "malignant")}
        syntaxes = sorted({r.transfer_syntax for r in self.records})
        photometric = sorted({r.photometric for r in self.records})
        bits = sorted({r.bits_stored for r in self.records})
        lines = [
            f"{len(self.records)} images, {n_pat} patients, {len(breasts)} breasts under {self.root}",
            "breasts: " + ", ".join(f"{k} {v}" for k, v in by_path.items()),
            f"encodings: transfer syntaxes {syntaxes}, photometric {photometric}, bits stored {bits}",
            f"labels: {self.labels_csv}",
        ]
        if self.fallbacks:
            lines.append(f"{len(self.fallbacks)} files written uncompressed: {self.fallbacks[0]}")
        return "\n".join(lines)


def profile_for(exam: ExamSpec) -> AcquisitionProfile:
    """The `AcquisitionProfile` an exam is encoded with."""
    for p in (*ACQUISITION_PROFILES, STANDARD_PROFILE):
        if p.name == exam.profile:
            return p
    raise ValueError(f"unknown acquisition profile {exam.profile!r}")


def _sample_finding(r: np.random.Generator, kind: str, malignant: bool, seed: int) -> Finding:
    depth, ml, cc = float(r.uniform(0.2, 0.75)), float(r.uniform(-0.7, 0.7)), float(r.uniform(-0.7, 0.7))
    if kind == "mass":
        if malignant:
            shape = str(r.choice(["spiculated", "spiculated", "irregular"]))
            return Finding(
                "mass", depth, ml, cc, float(r.uniform(5.0, 11.0)), shape, 0, float(r.uniform(0.22, 0.32)), seed
            )
        shape = str(r.choice(["round", "oval"]))
        return Finding("mass", depth, ml, cc, float(r.uniform(4.0, 8.0)), shape, 0, float(r.uniform(0.14, 0.22)), seed)
    if malignant:
        return Finding(
            "calcification",
            depth,
            ml,
            cc,
            float(r.uniform(3.0, 7.0)),
            "pleomorphic",
            int(r.integers(10, 26)),
            0.32,
            seed,
        )
    return Finding(
        "calcification", depth, ml, cc, float(r.uniform(2.0, 4.0)), "punctate", int(r.integers(4, 10)), 0.26, seed
    )


def _sample_breast(
    r: np.random.Generator, laterality: str, pathology: str, density: str, anatomy: dict, index: int, seed: int
) -> BreastSpec:
    findings: list[Finding] = []
    if pathology == "malignant":
        u = r.random()
        kinds = ["mass"] if u < 0.55 else ["calcification"] if u < 0.85 else ["mass", "calcification"]
        findings = [_sample_finding(r, k, True, seed * 7 + i) for i, k in enumerate(kinds)]
        spiculated_big = any(f.shape == "spiculated" and f.size_mm > 7 for f in findings)
        birads = 5 if (spiculated_big or len(findings) > 1) else 4
    elif pathology == "benign":
        kind = "mass" if r.random() < 0.6 else "calcification"
        findings = [_sample_finding(r, kind, False, seed * 7)]
        birads = int(r.choice([2, 3, 4], p=[0.5, 0.35, 0.15]))  # BI-RADS 4 -> biopsy -> benign
    else:
        birads = 1
    lo, hi = _density_bounds(density)
    jitter = float(np.clip(DENSITY_FRACTIONS[density] + r.uniform(-0.05, 0.05), lo, hi))
    return BreastSpec(
        laterality=laterality,  # type: ignore[arg-type]
        density=density,
        birads=birads,
        pathology=pathology,
        findings=tuple(findings),
        patient_index=index,
        seed=seed,
        length=float(np.clip(anatomy["length"] + r.uniform(-0.02, 0.02), 0.45, 0.85)),
        half_height=float(np.clip(anatomy["half_height"] + r.uniform(-0.01, 0.01), 0.3, 0.46)),
        pectoral=float(np.clip(anatomy["pectoral"] + r.uniform(-0.03, 0.03), 0.3, 0.65)),
        dense_fraction=jitter,
    )


def _density_bounds(density: str) -> tuple[float, float]:
    return {"A": (0.03, 0.2), "B": (0.22, 0.45), "C": (0.47, 0.7), "D": (0.72, 0.92)}[density]


def sample_exams(
    num_patients: int,
    seed: int = 0,
    cancer_rate: float = 0.3,
    benign_rate: float = 0.2,
    mixed: bool = True,
) -> list[ExamSpec]:
    """Sample synthetic exams with correlated labels (deterministic by `seed`).

    Args:
        num_patients: Number of patients (one exam each, two breasts, four views).
        seed: Seed; the same seed gives the same exams.
        cancer_rate: Fraction of patients with a malignant lesion in one breast (0..1).
        benign_rate: Probability that any other breast has a benign finding (0..1).
        mixed: Cycle the exams through `ACQUISITION_PROFILES` (else every exam uses `STANDARD_PROFILE`).

    Returns:
        A list of `ExamSpec`.

    Example:
        >>> exams = sample_exams(4, seed=0, cancer_rate=0.5)
        >>> len(exams), exams[0].patient_id, sum(e.cancer for e in exams)
        (4, 'SYN00000', 2)
    """
    if num_patients < 1:
        raise ValueError(f"num_patients must be >= 1, got {num_patients}")
    if not 0.0 <= cancer_rate <= 1.0 or not 0.0 <= benign_rate <= 1.0:
        raise ValueError(f"cancer_rate and benign_rate must be in [0, 1], got {cancer_rate}, {benign_rate}")
    r = _rng("exams", seed, num_patients)
    # An exact number of cancers (rounded), at random positions: small sets still get both classes.
    n_cancer = int(round(cancer_rate * num_patients))
    cancer_patients = set(r.permutation(num_patients)[:n_cancer].tolist())
    offset = int(r.integers(len(ACQUISITION_PROFILES)))
    exams = []
    for i in range(num_patients):
        rp = _rng("patient", seed, i)
        density = str(rp.choice(["A", "B", "C", "D"], p=[0.1, 0.4, 0.4, 0.1]))
        anatomy = {
            "length": float(rp.uniform(0.52, 0.78)),
            "half_height": float(rp.uniform(0.34, 0.44)),
            "pectoral": float(rp.uniform(0.38, 0.6)),
        }
        malignant_side = str(rp.choice(["L", "R"])) if i in cancer_patients else None
        breasts = {}
        for lat in ("L", "R"):
            if lat == malignant_side:
                pathology = "malignant"
            else:
                pathology = "benign" if rp.random() < benign_rate else "normal"
            breast_seed = int(_rng("breast", seed, i, lat).integers(2**31))
            breasts[lat] = _sample_breast(rp, lat, pathology, density, anatomy, i, breast_seed)
        profile = ACQUISITION_PROFILES[(i + offset) % len(ACQUISITION_PROFILES)].name if mixed else "standard"
        exams.append(
            ExamSpec(
                patient_index=i,
                patient_id=f"SYN{i:05d}",
                study_id=f"SYN{i:05d}-S1",
                left=breasts["L"],
                right=breasts["R"],
                profile=profile,
                seed=int(_rng("exam", seed, i).integers(2**31)),
            )
        )
    return exams


def _formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = ("dicom", "png") if formats == "both" else (formats,)
    out = tuple(dict.fromkeys(str(f).lower() for f in formats))
    bad = [f for f in out if f not in ("dicom", "png")]
    if bad or not out:
        raise ValueError(f"formats must be 'dicom', 'png', 'both' or a sequence of them, got {formats!r}")
    return out


def generate_exams(
    out_dir: str | os.PathLike,
    num_patients: int = 8,
    seed: int = 0,
    image_size: tuple[int, int] = (1024, 832),
    formats: str | Sequence[str] = ("dicom",),
    mixed: bool = True,
    compression: bool = True,
    cancer_rate: float = 0.3,
    benign_rate: float = 0.2,
    exams: Sequence[ExamSpec] | None = None,
    progress: bool | None = None,
) -> SyntheticManifest:
    """Write synthetic exams (both breasts x CC + MLO per patient) and a labels.csv; return the manifest.

    Files go to `out_dir/images/<patient_id>/<patient_id>_<L|R>_<CC|MLO>.<dcm|png>`; `out_dir/labels.csv` has one
    row per image (`LABEL_COLUMNS`, paths relative to `out_dir`). DICOMs carry fake PHI (`fake_phi(i)`); labels
    carry the anonymised ids only. PNGs hold the displayed image (bright = dense) with the profile's bit depth
    inside a 16-bit PNG.

    Args:
        out_dir: Output folder (created).
        num_patients: Number of patients (ignored when `exams` is given).
        seed: Seed of everything (exams, anatomy, textures, noise); same seed -> identical files.
        image_size: `(H, W)` of every view.
        formats: `"dicom"`, `"png"`, `"both"` or a sequence of them.
        mixed: Mix acquisition profiles (MONOCHROME1/2, 12-16 bits, RLE/J2K/uncompressed, window/VOI LUT/rescale).
        compression: Allow RLE / JPEG 2000 (else every DICOM is uncompressed).
        cancer_rate: Fraction of patients with a malignant breast.
        benign_rate: Probability of a benign finding in any other breast.
        exams: Pre-sampled exams (from `sample_exams`) to write instead of sampling.
        progress: Show a tqdm bar; default: when more than 16 images.

    Returns:
        A `SyntheticManifest`.

    Example:
        >>> import tempfile
        >>> m = generate_exams(tempfile.mkdtemp(), num_patients=1, image_size=(128, 104), formats="png")
        >>> len(m), sorted({r.view for r in m.records})
        (4, ['CC', 'MLO'])
    """
    fmts = _formats(formats)
    h, w = int(image_size[0]), int(image_size[1])
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    exam_list = list(exams) if exams is not None else sample_exams(num_patients, seed, cancer_rate, benign_rate, mixed)
    manifest = SyntheticManifest(root=root, labels_csv=root / "labels.csv", exams=exam_list)
    total = 4 * len(exam_list)
    show = progress if progress is not None else total > 16
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="synthetic mammograms", unit="img", disable=not show)
    spacing = pixel_spacing_mm((h, w))
    for exam in exam_list:
        profile = profile_for(exam)
        phi = fake_phi(exam.patient_index)
        folder = root / "images" / exam.patient_id
        study_uid_entropy = f"{seed}-{exam.patient_id}"
        for number, (breast, view) in enumerate(exam.views(), start=1):
            pixels = render_view(breast, view, shape=(h, w), bits_stored=profile.bits_stored, seed=exam.seed)
            stem = f"{exam.patient_id}_{breast.laterality}_{view}"
            dicom_rel, png_rel, syntax = "", "", ""
            if "dicom" in fmts:
                from pydicom.uid import generate_uid

                study_uid = generate_uid(entropy_srcs=["study", study_uid_entropy])
                result = write_dicom(
                    folder / f"{stem}.dcm",
                    pixels,
                    laterality=breast.laterality,
                    view=view,
                    pixel_spacing=spacing,
                    phi=phi,
                    extra_tags={
                        "StudyInstanceUID": study_uid,
                        "SeriesInstanceUID": generate_uid(entropy_srcs=["series", study_uid_entropy, view]),
                        "SeriesNumber": 1 + VIEWS.index(view),
                        "InstanceNumber": number,
                    },
                    uid_entropy=f"{study_uid_entropy}-{stem}",
                    **profile.dicom_kwargs(pixels, compression=compression),
                )
                syntax = result.transfer_syntax
                if result.fallback_reason:
                    manifest.fallbacks.append(f"{stem}: {result.fallback_reason}")
                dicom_rel = f"images/{exam.patient_id}/{stem}.dcm"
            if "png" in fmts:
                write_png(folder / f"{stem}.png", pixels)
                png_rel = f"images/{exam.patient_id}/{stem}.png"
            manifest.records.append(
                ImageRecord(
                    patient_id=exam.patient_id,
                    study_id=exam.study_id,
                    laterality=breast.laterality,
                    view=view,
                    file=dicom_rel or png_rel,
                    png_file=png_rel,
                    birads=int(breast.birads),
                    density=breast.density,
                    pathology=breast.pathology,
                    cancer=breast.cancer,
                    finding=breast.finding_summary,
                    photometric=profile.photometric if dicom_rel else "MONOCHROME2",
                    bits_stored=profile.bits_stored,
                    transfer_syntax=syntax or "png",
                    manufacturer=profile.manufacturer,
                    rows=h,
                    columns=w,
                )
            )
            bar.update(1)
    bar.close()
    with manifest.labels_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(LABEL_COLUMNS))
        writer.writeheader()
        writer.writerows(manifest.rows())
    if manifest.fallbacks:
        logger.warning("%d synthetic DICOMs written uncompressed: %s", len(manifest.fallbacks), manifest.fallbacks[0])
    return manifest
