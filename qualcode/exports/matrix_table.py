"""The Framework Method matrix as a sheet: a row per case, a column per code or theme;
each cell holds the analyst's summary, then the coded excerpts with attributions."""

from __future__ import annotations

from qualcode.coding.layers import Layer
from qualcode.exports.table import Marked, Run, Table
from qualcode.exports.theme_table import MARKED_NOTE, quote_runs
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE
from qualcode.themes.matrix import Cell, ColumnKind, RowKind, framework_matrix

_ROW_TITLES = {"participant": "Participant", "session": "Session", "location": "Location"}


def cell_text(cell: Cell) -> Marked:
    """'Summary: ...' then one “excerpt” (attribution) per line, the coded part of each
    emphasised."""
    lines: list[list[Run]] = [[(f"Summary: {cell.summary}", False)]] if cell.summary else []
    lines += [quote_runs(e) for e in cell.excerpts]
    shown: list[Run] = []
    for i, line in enumerate(lines):
        shown += [("\n" if i else "", False), *line]
    return Marked(shown)


def matrix_table(
    project: Project,
    rows: RowKind = "participant",
    columns: ColumnKind = "theme",
    layer: str | Layer = "consensus",
    template: str = DEFAULT_TEMPLATE,
    context: str | None = None,
) -> Table:
    """The matrix of one layer as a table, excerpts in their `context` (None: the project's
    `quote_context` setting)."""
    matrix = framework_matrix(project, rows, columns, layer, template, context)
    body = [
        [label, *(cell_text(matrix.cell(key, column)) for column, _ in matrix.columns)]
        for key, label in matrix.rows
    ]
    notes = [f"Coded excerpts from the {matrix.layer} layer; summaries are the latest version."]
    if any(e.in_context for cell in matrix.cells.values() for e in cell.excerpts):
        notes.append(MARKED_NOTE)
    return Table(
        f"Framework matrix: {rows}s by {columns}s",
        [_ROW_TITLES[rows], *(label for _, label in matrix.columns)],
        body,
        notes,
        sheet="Matrix",
    )
