"""Synthetic mammograms: realistic phantoms, MG DICOM / PNG writers and whole synthetic exams.

The embedded default data of mammo-hf: the quickstart, the Space examples and every test run on these, so nothing
needs a real (restricted, identifying) dataset. Importing this package is cheap (numpy only); pydicom is imported
when a DICOM is written.
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

__all__ = [
    "FAKE_PHI",
    "PHI_MARKERS",
    "TRANSFER_SYNTAXES",
    "DicomWriteResult",
    "available_transfer_syntaxes",
    "fake_phi",
    "write_dicom",
    "write_png",
]
