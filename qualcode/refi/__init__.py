"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA.

Modules:
- `codebook`: .qdc read (lenient) and write (valid against Codebook.xsd); the
  structured fields of a code travel in `<Description>` under fixed headings.
- `project_export`: a project as a .qdpx, valid against Project.xsd.
- `project_read`: a .qdpx read and resolved in memory (lenient about real files).
- `project_import`: storing what was read, in one transaction.
- `archive`: the zip container, checked for size and unsafe member names.
- `positions`: UTF-16 code units (NVivo) <-> code points (qualcode).
- `guids`: stable GUIDs from the project's UUID; lenient GUID matching.
- `xmlutil`: namespace-blind parsing with one-line errors, and the comments
  that carry qualcode-only data (codebook name, segmentation) through a round trip.
"""

from qualcode.refi.codebook import codebook_to_qdc, parse_qdc, read_qdc
from qualcode.refi.positions import POSITION_UNITS
from qualcode.refi.project_export import ExportReport, export_qdpx, qdpx_bytes
from qualcode.refi.project_import import ImportReport, import_qdpx

__all__ = [
    "POSITION_UNITS",
    "ExportReport",
    "ImportReport",
    "codebook_to_qdc",
    "export_qdpx",
    "import_qdpx",
    "parse_qdc",
    "qdpx_bytes",
    "read_qdc",
]
