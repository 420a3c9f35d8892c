"""The Framework Method matrix as a sheet: a row per case, a column per code or theme;
each cell holds the analyst's summary, then the coded excerpts with attributions."""

from __future__ import annotations

from qualcode.coding.layers import Layer
from qualcode.exports.table import Table
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE
from qualcode.themes.matrix import Cell, ColumnKind, RowKind, framework_matrix

_ROW_TITLES = {"participant": "Participant", "session": "Session", "location": "Location"}


def cell_text(cell: Cell) -> str:
    """'Summary: ...' then one “excerpt” (attribution) per line."""
    lines = [f"Summary: {cell.summary}"] if cell.summary else []
    lines += [f"\u201c{e.text.strip()}\u201d {e.attribution}" for e in cell.excerpts]
    return "\n".join(lines)


def matrix_table(
    project: Project,
    rows: RowKind = "participant",
    columns: ColumnKind = "theme",
    layer: str | Layer = "consensus",
    template: str = DEFAULT_TEMPLATE,
) -> Table:
    """The matrix of one layer as a table."""
    matrix = framework_matrix(project, rows, columns, layer, template)
    body = [
        [label, *(cell_text(matrix.cell(key, column)) for column, _ in matrix.columns)]
        for key, label in matrix.rows
    ]
    return Table(
        f"Framework matrix: {rows}s by {columns}s",
        [_ROW_TITLES[rows], *(label for _, label in matrix.columns)],
        body,
        [f"Coded excerpts from the {matrix.layer} layer; summaries are the latest version."],
        sheet="Matrix",
    )
