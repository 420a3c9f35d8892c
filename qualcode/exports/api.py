"""Exports for the CLI and the app alike: build a table, render it, log it.

`export_bytes` is what the app's download buttons call; `export_file` is what the
CLI calls. Both build the same bytes the same way and log the export in the
project's action log; a file is written atomically (whole or not at all), inside
the transaction that logs it, so a failed write logs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from qualcode.access import recorded_as
from qualcode.audit import log_action
from qualcode.coding.layers import parse_layer
from qualcode.errors import QualcodeError
from qualcode.exports.codebook_table import codebook_table
from qualcode.exports.codings_table import codings_table
from qualcode.exports.figures import FIGURE_FORMATS, figures
from qualcode.exports.matrix_table import matrix_table
from qualcode.exports.render import check_format, format_for, render
from qualcode.exports.table import Table
from qualcode.exports.theme_table import theme_table
from qualcode.fileio import OWNER_ONLY, write_atomic
from qualcode.store import Project

KINDS = ("themes", "matrix", "codings", "codebook")
DEFAULT_LAYERS = {"themes": "consensus", "matrix": "consensus", "codings": "all"}


@dataclass
class ExportResult:
    """What an export produced."""

    kind: str
    format: str
    rows: int
    layer: str | None
    output: str | None  # the file written, or None for bytes handed to the caller
    data: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "format": self.format, "rows": self.rows,
            "layer": self.layer, "output": self.output, "bytes": len(self.data),
        }  # fmt: skip


def build_table(project: Project, kind: str, layer: str | None = None, **options: Any) -> Table:
    """The table of an export kind. Options: themes: quotes, template, context; matrix:
    rows, columns, template, context."""
    if kind not in KINDS:
        raise QualcodeError(f"unknown export '{kind}' (choose from {', '.join(KINDS)})")
    if kind == "codebook":
        if layer is not None:
            raise QualcodeError("the codebook export has no layer")
        return codebook_table(project)
    chosen = parse_layer(layer or DEFAULT_LAYERS[kind])
    if kind == "themes":
        return theme_table(project, chosen, **options)
    if kind == "matrix":
        return matrix_table(project, layer=chosen, **options)
    return codings_table(project, chosen)


def _produce(
    project: Project, kind: str, fmt: str, layer: str | None, options: dict[str, Any]
) -> ExportResult:
    check_format(fmt)
    table = build_table(project, kind, layer, **options)
    used = None if kind == "codebook" else parse_layer(layer or DEFAULT_LAYERS[kind]).name
    return ExportResult(kind, fmt, len(table.rows), used, None, render(table, fmt))


def _log(
    con: duckdb.DuckDBPyConnection, actor: str, result: ExportResult, options: dict[str, Any]
) -> None:
    detail = {**result.to_json(), **{k: v for k, v in options.items() if v is not None}}
    log_action(con, actor, f"export.{result.kind}", detail)


def export_bytes(
    project: Project,
    kind: str,
    fmt: str,
    layer: str | None = None,
    actor: str = "app",
    **options: Any,
) -> ExportResult:
    """An export as bytes (for a download), logged."""
    result = _produce(project, kind, fmt, layer, options)
    with project.transaction() as con:
        _log(con, recorded_as(project, actor), result, options)
    return result


def export_file(
    project: Project,
    kind: str,
    output: str | Path,
    fmt: str | None = None,
    layer: str | None = None,
    actor: str = "cli",
    **options: Any,
) -> ExportResult:
    """An export written to a file (format from --format or the file's suffix), logged."""
    chosen = format_for(output, fmt)
    result = _produce(project, kind, chosen, layer, options)
    result.output = str(output)
    with project.transaction() as con:
        _write(Path(output), result.data)
        _log(con, recorded_as(project, actor), result, options)
    return result


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all; a failure is one line naming the file."""
    try:
        write_atomic(path, data, mode=OWNER_ONLY)
    except OSError as exc:
        raise QualcodeError(f"{path}: cannot write ({exc.strerror or exc})") from None


def export_figures(
    project: Project,
    directory: str | Path,
    layer: str | None = None,
    fmt: str = "png",
    actor: str = "cli",
) -> list[Path]:
    """Every figure written into a directory (each file atomically), logged; the
    figures are all drawn before the first file is written."""
    if fmt not in FIGURE_FORMATS:
        raise QualcodeError(f"unknown figure format '{fmt}' (choose from png, svg)")
    chosen = parse_layer(layer or "consensus")
    drawn = figures(project, chosen, fmt)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise QualcodeError(f"{directory}: not a directory")
    written = []
    with project.transaction() as con:
        for name, data in drawn.items():
            _write(directory / name, data)
            written.append(directory / name)
        log_action(
            con,
            recorded_as(project, actor),
            "export.figures",
            {
                "directory": str(directory),
                "format": fmt,
                "layer": chosen.name,
                "files": [p.name for p in written],
            },
        )
    return written
