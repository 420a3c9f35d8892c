"""One renderer per format, shared by every table: `render(table, format) -> bytes`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from qualcode.errors import ArgumentError, QualcodeError
from qualcode.exports.csv_format import render_csv
from qualcode.exports.docx_format import render_docx
from qualcode.exports.latex import render_latex
from qualcode.exports.markdown import render_markdown
from qualcode.exports.table import Table
from qualcode.exports.xlsx_format import render_xlsx

RENDERERS: dict[str, Callable[[list[Table]], bytes]] = {
    "csv": render_csv,
    "xlsx": render_xlsx,
    "docx": render_docx,
    "md": render_markdown,
    "tex": render_latex,
}
FORMATS = tuple(RENDERERS)
_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".docx": "docx", ".md": "md", ".tex": "tex"}


def check_format(fmt: str) -> str:
    """The format if known; QualcodeError naming the choices otherwise."""
    if fmt not in RENDERERS:
        raise QualcodeError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return fmt


def format_for(output: str | Path | None, fmt: str | None) -> str:
    """The format asked for, or the one the output file's suffix names."""
    if fmt:
        return check_format(fmt)
    suffix = Path(output).suffix.lower() if output else ""
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise ArgumentError(
        "fmt", f"is needed ({', '.join(FORMATS)}): cannot tell the format from '{output}'"
    )


def render(tables: Table | Sequence[Table], fmt: str) -> bytes:
    """The table (or tables: one sheet, section or float each) in a format, as bytes."""
    chosen = [tables] if isinstance(tables, Table) else list(tables)
    if not chosen:
        raise QualcodeError("nothing to render: no table")
    return RENDERERS[check_format(fmt)](chosen)
