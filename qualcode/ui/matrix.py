"""Matrix: the Framework Method's charting. Cases (participants, sessions or locations)
by themes or codes from one layer, each cell's current summary or its excerpt count at
a glance; one chosen cell's excerpts with their attribution, its summary written and
rewritten (every version kept: `qualcode.themes.matrix`), and its earlier versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.access import visible_layers
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes import (
    ROW_KINDS,
    Cell,
    Matrix,
    framework_matrix,
    list_themes,
    set_summary,
    summary_history,
)
from qualcode.ui.common import one_line, reporting, run_page, show_success, success_next_run
from qualcode.ui.identity import Identity, coders
from qualcode.ui.layer_picker import analysis_default, layer_label
from qualcode.ui.markup import STYLE, esc, md

S_FLASH = "matrix_flash"
PREVIEW = 80
"""Characters of a summary the grid shows."""
SHOWN = 200
"""Excerpts a cell shows at most."""

ROW_NAMES = {"participant": "Participants", "session": "Sessions", "location": "Locations"}
COLUMN_NAMES = {"theme": "Themes", "code": "Codes"}


def _excerpts(count: int) -> str:
    return f"{count} excerpt{'' if count == 1 else 's'}"


def _preview(cell: Cell) -> str:
    """What the grid shows for a cell: its summary, shortened, else its excerpt count."""
    if cell.summary is None or not cell.summary.strip():
        return _excerpts(len(cell.excerpts))
    text = " ".join(cell.summary.split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"


def _headers(matrix: Matrix) -> list[str]:
    """Column headers: the labels, made unique (a dataframe needs unique columns)."""
    counts: dict[str, int] = {}
    for _, label in matrix.columns:
        counts[label] = counts.get(label, 0) + 1
    return [label if counts[label] == 1 else f"{label} ({key})" for key, label in matrix.columns]


def grid(matrix: Matrix) -> pd.DataFrame:
    """One row per case, one column per theme or code (st.dataframe shows it as text)."""
    data = [[_preview(matrix.cell(row, column)) for column, _ in matrix.columns]
            for row, _ in matrix.rows]  # fmt: skip
    index = pd.Index([label for _, label in matrix.rows], name=matrix.row_kind)
    return pd.DataFrame(data, index=index, columns=_headers(matrix))


def _excerpts_html(cell: Cell) -> str:
    rows = [
        f"<p>{esc(e.text)}<br><span class='qc-meta'>{esc(e.attribution)}</span></p>"
        for e in cell.excerpts[:SHOWN]
    ]
    return f"{STYLE}<div class='qc-doc'>{''.join(rows)}</div>"


def _summary_html(text: str) -> str:
    return f"{STYLE}<p>{'<br>'.join(esc(line) for line in text.splitlines())}</p>"


def _history(project: Project, matrix: Matrix, row: str, column: str) -> None:
    earlier = summary_history(
        project, matrix.row_kind, row, matrix.column_kind, column, matrix.layer
    )[:-1]
    if not earlier:
        return
    with st.expander(f"Earlier versions ({len(earlier)})"):
        parts = [
            f"<p><span class='qc-meta'>Version {entry['version']} by {esc(entry['author'])}"
            f", {esc(str(entry['created_at'])[:19])}</span><br>"
            f"{'<br>'.join(esc(line) for line in entry['text'].splitlines())}</p>"
            for entry in reversed(earlier)
        ]
        st.html(STYLE + "".join(parts))


def _cell(project: Project, identity: Identity, matrix: Matrix) -> None:
    st.subheader("A cell")
    rows = dict(matrix.rows)
    columns = dict(matrix.columns)
    left, right = st.columns(2)
    row = left.selectbox(
        ROW_NAMES[matrix.row_kind].removesuffix("s"), list(rows), format_func=rows.get,
        key="matrix_row",
    )  # fmt: skip
    column = right.selectbox(
        COLUMN_NAMES[matrix.column_kind].removesuffix("s"), list(columns),
        format_func=columns.get, key="matrix_column",
    )  # fmt: skip
    if row is None or column is None:
        return
    cell = matrix.cell(row, column)
    count = len(cell.excerpts)
    shown = f" (the first {SHOWN})" if count > SHOWN else ""
    st.caption(md(f"{_excerpts(count)}{shown} in layer {matrix.layer}."))
    if cell.excerpts:
        st.html(_excerpts_html(cell))
    if cell.summary is not None:
        st.caption(md(f"Summary, version {cell.summary_version} by {cell.summary_author}:"))
        st.html(_summary_html(cell.summary))
    else:
        st.caption(md(f"No summary yet in layer {matrix.layer}."))
    version = cell.summary_version or 0
    text = st.text_area(
        "Summary", cell.summary or "", height=120,
        key=f"matrix_text__{matrix.row_kind}__{row}__{matrix.column_kind}__{column}__{version}",
    )  # fmt: skip
    if st.button("Save summary", type="primary", key="matrix_save"):
        if text == (cell.summary or ""):
            st.info("Nothing changed.")
        else:
            with reporting():
                saved = set_summary(
                    project, matrix.row_kind, row, matrix.column_kind, column, text,
                    identity.name, matrix.layer,
                )  # fmt: skip
                success_next_run(S_FLASH, f"Summary saved: version {saved}")
    _history(project, matrix, row, column)


def body(project: Project, identity: Identity) -> None:
    st.title("Matrix")
    show_success(S_FLASH)
    layers = visible_layers(project, [c.name for c in coders(project)])
    left, middle, right = st.columns(3)
    row_kind = left.selectbox("Rows", ROW_KINDS, format_func=ROW_NAMES.get, key="matrix_rows")
    column_kind = middle.selectbox(
        "Columns", ("theme", "code"), format_func=COLUMN_NAMES.get, key="matrix_columns"
    )
    layer = right.selectbox(
        "Codings shown", layers, index=analysis_default(layers, identity),
        format_func=lambda v: layer_label(v, identity), key="matrix_layer",
    )  # fmt: skip
    if column_kind == "theme":
        with reporting():
            if not list_themes(project):
                st.info(
                    "No themes yet: create them on the Themes page (the framework's themes "
                    "in one click, or your own), or choose codes as the columns."
                )
                return
    try:
        matrix = framework_matrix(project, row_kind, column_kind, layer)
    except QualcodeError as exc:  # an empty project or layer: nothing to chart yet
        st.info(md(one_line(exc)))
        return
    st.dataframe(grid(matrix))
    st.caption(
        md(
            f"{len(matrix.rows)} {ROW_NAMES[row_kind].lower()} x {len(matrix.columns)} "
            f"{COLUMN_NAMES[column_kind].lower()} in layer {matrix.layer}: each cell's "
            f"summary (first {PREVIEW} characters), or its number of excerpts."
        )
    )
    _cell(project, identity, matrix)


run_page(body)
