"""Synthetic mammograms: realistic phantoms, MG DICOM / PNG writers and whole synthetic exams.

The embedded default data of mammo-hf: the quickstart, the Space examples and every test run on these, so nothing
needs a real (restricted, identifying) dataset. Importing this package is cheap (numpy only); pydicom is imported
when a DICOM is written, tqdm when exams are generated.

>>> from mammo_hf.imaging.synthetic import BreastSpec, render_view
>>> render_view(BreastSpec(laterality="L", density="C"), "MLO", shape=(256, 208)).shape
(256, 208)
"""

from __future__ import annotations

from .dicom import (
    FAKE_PHI,
    PHI_MARKERS,
    TRANSFER_SYNTAXES,
    DicomWriteResult,
    available_transfer_syntaxes,
    fake_phi,
    write_dicom,
    write_png,
)
from .exams import (
    ACQUISITION_PROFILES,
    LABEL_COLUMNS,
    STANDARD_PROFILE,
    VIEWS,
    AcquisitionProfile,
    ExamSpec,
    ImageRecord,
    SyntheticManifest,
    generate_exams,
    profile_for,
    sample_exams,
)
from .layouts import LAYOUTS, LayoutResult, write_layout
from .phantom import (
    DENSITY_FRACTIONS,
    FIELD_OF_VIEW_MM,
    BreastSpec,
    Finding,
    FindingAnnotation,
    RenderedView,
    pixel_spacing_mm,
    render_view,
    render_view_annotated,
)

__all__ = [
    # phantom
    "DENSITY_FRACTIONS",
    "FIELD_OF_VIEW_MM",
    "BreastSpec",
    "Finding",
    "FindingAnnotation",
    "RenderedView",
    "pixel_spacing_mm",
    "render_view",
    "render_view_annotated",
    # writers
    "FAKE_PHI",
    "PHI_MARKERS",
    "TRANSFER_SYNTAXES",
    "DicomWriteResult",
    "available_transfer_syntaxes",
    "fake_phi",
    "write_dicom",
    "write_png",
    # exams
    "ACQUISITION_PROFILES",
    "LABEL_COLUMNS",
    "STANDARD_PROFILE",
    "VIEWS",
    "AcquisitionProfile",
    "ExamSpec",
    "ImageRecord",
    "SyntheticManifest",
    "generate_exams",
    "profile_for",
    "sample_exams",
    # raw-download layouts of the dataset builders
    "LAYOUTS",
    "LayoutResult",
    "write_layout",
]
