"""The Matrix page (Framework Method charting) with AppTest on the demo project.

The demo project and the page helpers come from test_app_pages (pytest finds the
imported `demo` and `empty` fixtures here; this module gets its own copy of the demo).
Each test writing summaries uses its own cell, so they can run in any order.
"""

from __future__ import annotations

import html

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.store import Project
from qualcode.themes.framework import create_framework_themes
from qualcode.themes.matrix import Matrix, framework_matrix, set_summary, summary_history

from .test_app_pages import click, demo, empty, open_page, page_text, plain

__all__ = ["demo", "empty"]  # the fixtures, imported for pytest

CODES = {"matrix_layer": "all", "matrix_columns": "code", "matrix_rows": "participant"}


def _page(monkeypatch: pytest.MonkeyPatch, project: Project, coder: str = "sam",
          role: str = "supervisor", **state: str) -> AppTest:  # fmt: skip
    return open_page(monkeypatch, project, "matrix", coder=coder, role=role,
                     state={**CODES, **state})  # fmt: skip


def _cells_with_excerpts(matrix: Matrix, skip: int = 0) -> tuple[str, str]:
    """A cell with excerpts and no summary yet, the `skip`-th such (for separate tests)."""
    found = [
        (row, column)
        for row, _ in matrix.rows
        for column, _ in matrix.columns
        if matrix.cell(row, column).excerpts and matrix.cell(row, column).summary is None
    ]
    return found[skip]


def _choose(at: AppTest, row: str, column: str) -> AppTest:
    at.selectbox(key="matrix_row").set_value(row)
    at.selectbox(key="matrix_column").set_value(column).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _summary_box(at: AppTest):
    return next(t for t in at.text_area if t.label == "Summary")


def _html(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def _grid(at: AppTest):
    return at.dataframe[0].value


@pytest.mark.parametrize(
    ("rows", "columns"), [("participant", "code"), ("session", "code"), ("location", "theme")]
)
def test_the_grid_is_the_librarys_matrix(
    monkeypatch: pytest.MonkeyPatch, demo: Project, rows: str, columns: str
) -> None:
    if columns == "theme":
        create_framework_themes(demo, "lib")
    matrix = framework_matrix(demo, rows, columns, "all")  # type: ignore[arg-type]
    at = _page(monkeypatch, demo, matrix_rows=rows, matrix_columns=columns)
    grid = _grid(at)
    assert grid.shape == (len(matrix.rows), len(matrix.columns))
    assert list(grid.index) == [label for _, label in matrix.rows]
    assert list(grid.columns) == [label for _, label in matrix.columns]
    for row, label in matrix.rows:
        for column, header in matrix.columns:
            cell = matrix.cell(row, column)
            if cell.summary is None:
                count = len(cell.excerpts)
                assert grid.loc[label, header] == f"{count} excerpt{'' if count == 1 else 's'}"


def test_a_chosen_cell_shows_exactly_its_excerpts(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    matrix = framework_matrix(demo, "participant", "code", "all")
    row, column = max(
        ((r, c) for r, _ in matrix.rows for c, _ in matrix.columns),
        key=lambda rc: len(matrix.cell(*rc).excerpts),
    )
    excerpts = matrix.cell(row, column).excerpts
    assert len(excerpts) > 1
    at = _choose(_page(monkeypatch, demo), row, column)
    assert f"{len(excerpts)} excerpts in layer all." in page_text(at)
    body = _html(at)
    assert body.count("class='qc-meta'") == len(excerpts)  # one attribution each
    for excerpt in excerpts:
        assert html.escape(excerpt.text) in body and html.escape(excerpt.attribution) in body
    assert "No summary yet in layer all." in page_text(at)


def test_saving_summaries_makes_versions_by_the_signed_in_person(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    matrix = framework_matrix(demo, "participant", "code", "all")
    row, column = _cells_with_excerpts(matrix, skip=0)
    label = dict(matrix.rows)[row]
    header = dict(matrix.columns)[column]
    at = _choose(_page(monkeypatch, demo, coder="sally"), row, column)
    _summary_box(at).set_value("Feels unheard by staff; wants a say in decisions.")
    click(at, "matrix_save")
    history = summary_history(demo, "participant", row, "code", column, "all")
    assert [(h["version"], h["author"]) for h in history] == [(1, "sally")]
    assert history[0]["text"] == "Feels unheard by staff; wants a say in decisions."
    assert "Summary saved: version 1" in page_text(at)
    assert _grid(at).loc[label, header] == "Feels unheard by staff; wants a say in decisions."
    assert not [e for e in at.expander if e.label.startswith("Earlier versions")]

    _summary_box(at).set_value("Feels unheard; " + "wants a say in every decision. " * 5)
    click(at, "matrix_save")
    history = summary_history(demo, "participant", row, "code", column, "all")
    assert [(h["version"], h["author"]) for h in history] == [(1, "sally"), (2, "sally")]
    assert "Summary saved: version 2" in page_text(at)
    shown = _grid(at).loc[label, header]
    assert len(shown) == 80 and shown.startswith("Feels unheard; wants") and shown.endswith("…")
    assert "Summary, version 2 by sally:" in page_text(at)
    [earlier] = [e for e in at.expander if e.label.startswith("Earlier versions")]
    assert earlier.label == "Earlier versions (1)"
    inside = "\n".join(h.proto.body for h in earlier.get("html"))
    assert "Version 1 by sally" in inside
    assert "Feels unheard by staff; wants a say in decisions." in inside


def test_unchanged_text_saves_nothing(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    matrix = framework_matrix(demo, "participant", "code", "all")
    row, column = _cells_with_excerpts(matrix, skip=1)
    at = _choose(_page(monkeypatch, demo), row, column)
    click(at, "matrix_save")
    assert summary_history(demo, "participant", row, "code", column, "all") == []
    assert "Nothing changed." in page_text(at)


def test_a_summary_with_markup_is_shown_escaped(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    matrix = framework_matrix(demo, "participant", "code", "all")
    row, column = _cells_with_excerpts(matrix, skip=2)
    nasty = "<script>alert('x')</script> **bold** [link](http://example.com) <b>b</b>"
    set_summary(demo, "participant", row, "code", column, nasty, "lib", "all")
    set_summary(demo, "participant", row, "code", column, nasty + " again", "lib", "all")
    at = _choose(_page(monkeypatch, demo), row, column)
    body = _html(at)
    assert "<script" not in body and "<b>b</b>" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; **bold**" in body
    assert "[link](http://example.com)" in body  # literal, not a link
    assert "<a " not in body
    assert nasty + " again" == _summary_box(at).value
    grid = _grid(at)
    assert grid.loc[dict(matrix.rows)[row], dict(matrix.columns)[column]].startswith("<script>")


def test_a_coder_sees_only_their_own_layer(monkeypatch: pytest.MonkeyPatch, demo: Project) -> None:
    at = open_page(monkeypatch, demo, "matrix", coder="coder_a", role="coder",
                   state={"matrix_columns": "code"})  # fmt: skip
    assert at.selectbox(key="matrix_layer").options == ["My codings"]
    assert at.selectbox(key="matrix_layer").value == "coder:coder_a"
    mine = framework_matrix(demo.as_user("coder_a"), "participant", "code", "coder:coder_a")
    assert _grid(at).shape == (len(mine.rows), len(mine.columns))
    at = _page(monkeypatch, demo, coder="sue", role="supervisor")
    options = at.selectbox(key="matrix_layer").options
    assert {"All coders", "Consensus (settled)", "Coder coder_a", "Coder coder_b"} <= set(options)


def test_no_themes_says_where_to_make_them(monkeypatch: pytest.MonkeyPatch, empty: Project) -> None:
    at = open_page(monkeypatch, empty, "matrix", coder="ana", role="supervisor",
                   state={"matrix_columns": "theme"})  # fmt: skip
    assert "create them on the Themes page" in page_text(at)
    at = open_page(monkeypatch, empty, "matrix", coder="ana", role="supervisor",
                   state={"matrix_columns": "code", "matrix_layer": "all"})  # fmt: skip
    assert "the project is empty" in plain(at.info[0].value)
    assert not at.error and not at.dataframe


def test_switching_rows_and_columns_after_choosing_a_cell(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    matrix = framework_matrix(demo, "participant", "code", "all")
    row, column = _cells_with_excerpts(matrix, skip=3)
    at = _choose(_page(monkeypatch, demo), row, column)
    at.selectbox(key="matrix_rows").set_value("location").run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    locations = framework_matrix(demo, "location", "code", "all")
    assert _grid(at).shape == (len(locations.rows), len(locations.columns))
    assert at.selectbox(key="matrix_row").value in dict(locations.rows)


def test_a_supervisor_starts_on_all_coders_and_a_coder_on_their_own(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    supervisor = open_page(monkeypatch, demo, "matrix", coder="sid", role="supervisor",
                           state={"matrix_columns": "code"})  # fmt: skip
    assert supervisor.selectbox(key="matrix_layer").value == "all"
    assert supervisor.dataframe, "the grid is shown without choosing a layer first"
    coder = open_page(monkeypatch, demo, "matrix", coder="coder_a", role="coder",
                      state={"matrix_columns": "code"})  # fmt: skip
    assert coder.selectbox(key="matrix_layer").value == "coder:coder_a"


def test_a_coders_summary_stays_in_their_layer(
    monkeypatch: pytest.MonkeyPatch, demo: Project
) -> None:
    mine = framework_matrix(demo.as_user("coder_a"), "participant", "code", "coder:coder_a")
    row, column = _cells_with_excerpts(mine, skip=0)
    at = open_page(monkeypatch, demo, "matrix", coder="coder_a", role="coder",
                   state={"matrix_columns": "code"})  # fmt: skip
    _choose(at, row, column)
    _summary_box(at).set_value("Coder A's own reading.")
    click(at, "matrix_save")
    assert "Summary saved: version 1" in page_text(at)
    assert [(h["author"], h["text"]) for h in
            summary_history(demo, "participant", row, "code", column, "coder:coder_a")] == [
        ("coder_a", "Coder A's own reading.")
    ]  # fmt: skip
    # coder_b and the supervisor's all-coders view do not show it
    for who, role, layer in (("coder_b", "coder", "coder:coder_b"), ("sam", "supervisor", "all")):
        other = open_page(monkeypatch, demo, "matrix", coder=who, role=role,
                          state={**CODES, "matrix_layer": layer})  # fmt: skip
        assert "Coder A's own reading." not in repr(_grid(other).values.tolist()), who
        history = summary_history(demo, "participant", row, "code", column, layer)
        assert "Coder A's own reading." not in [h["text"] for h in history], who
