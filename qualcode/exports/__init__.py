"""Exports for papers: tables (themes, matrix, codings, codebook) in csv, xlsx, docx,
md and tex through one renderer per format, and figures in png or svg."""

from qualcode.exports.api import (
    KINDS,
    ExportResult,
    build_table,
    export_bytes,
    export_figures,
    export_file,
)
from qualcode.exports.render import FORMATS, render
from qualcode.exports.table import Table

__all__ = [
    "FORMATS",
    "KINDS",
    "ExportResult",
    "Table",
    "build_table",
    "export_bytes",
    "export_figures",
    "export_file",
    "render",
]
