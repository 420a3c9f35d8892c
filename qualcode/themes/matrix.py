"""The Framework Method matrix (Ritchie & Spencer): cases by codes or themes.

Rows are cases: participants (a (location, speaker) pair, facilitators left out),
sessions (a location's session) or locations. Columns are codes or themes. A cell
holds the coded excerpts of its case for its column, from one layer, each with an
attribution, and the analyst's summary.

Summaries are append-only (`matrix_summaries`): editing a cell's summary adds a
version and logs it. Summaries are interpretation, built up over rounds of
charting; keeping every version lets a supervisor see how a reading changed and
lets nothing an analyst wrote be lost by a later edit, as with coding events.

A summary belongs to the layer it was written on: it reads the excerpts of that
layer, so the matrix of a layer shows that layer's summaries only, and reading or
writing one goes through the layer checks of `qualcode.access` (a coder reads and
writes on their own layer only; supervisors also on `consensus` and `all`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Self

import duckdb

from qualcode.access import check_layer, check_write_layer, recorded_as
from qualcode.audit import log_action
from qualcode.coding.layers import Layer, parse_layer, resolve_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import NextStep, QualcodeError
from qualcode.speakers import role_sql
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE, attribute, check_template
from qualcode.themes.context import QuotePart, add_context, quote_context
from qualcode.themes.ordering import natural_key
from qualcode.themes.people import participant_sql
from qualcode.themes.targets import TARGETS_SQL, Target, read_targets, target_params

RowKind = Literal["participant", "session", "location"]
ColumnKind = Literal["code", "theme"]
ROW_KINDS = ("participant", "session", "location")
COLUMN_KINDS = ("code", "theme")
NO_LOCATION = "(no location)"

# a coded segment's columns (segments s, documents d, cases c), as `Excerpt.from_row` reads them
SEGMENT_COLUMNS = (
    "s.id, s.text, s.speaker, d.title, s.ordinal, c.location, c.session, c.date, "
    f"{role_sql('s.speaker')}, s.document_id, s.turn"
)


@dataclass
class Excerpt:
    """A coded segment with its attribution: in a matrix cell, or as a quote (`Quote`).

    `text` is what was coded (the coded segments of one turn, joined); `parts` what is
    shown, the coded text within its context (`qualcode.themes.context`)."""

    segment_id: int
    text: str
    attribution: str
    speaker: str | None
    document: str
    ordinal: int
    location: str | None
    session: str | None
    document_id: int = field(default=0, kw_only=True)
    turn: int = field(default=0, kw_only=True)
    coded_ids: tuple[int, ...] = field(default=(), kw_only=True)
    parts: tuple[QuotePart, ...] = field(default=(), kw_only=True)

    @property
    def quote(self) -> str:
        """The shown text, plain: the parts joined (the coded text before context is added)."""
        return " ".join(p.text for p in self.parts) if self.parts else " ".join(self.text.split())

    @property
    def in_context(self) -> bool:
        """Whether the quote shows more than what was coded (so the coded part is marked)."""
        return any(not p.coded for p in self.parts)

    @classmethod
    def from_row(cls, row: Sequence[Any], template: str, **more: Any) -> Self:
        """From a row of SEGMENT_COLUMNS, attributed with `template`; `more`: a subclass's
        own fields."""
        segment_id, text, speaker, title, ordinal, location, session, date, role, document, turn = (
            row
        )
        attribution = attribute(
            template,
            speaker=speaker,
            role=role,
            location=location,
            session=session,
            date=date,
            document=title,
        )
        more.setdefault("coded_ids", (segment_id,))
        return cls(
            segment_id,
            text,
            attribution,
            speaker,
            title,
            ordinal,
            location,
            session,
            document_id=document,
            turn=turn,
            **more,
        )

    def joined(self, other: Excerpt) -> Self:
        """This excerpt with another coded segment of the same turn added to what was coded."""
        return replace(
            self,
            text=f"{self.text.strip()} {other.text.strip()}",
            coded_ids=(*self.coded_ids, *other.coded_ids),
        )


def same_turn(a: Excerpt, b: Excerpt) -> bool:
    return (a.document_id, a.turn) == (b.document_id, b.turn)


@dataclass
class Cell:
    """One case x column cell: excerpts in document order, and the current summary."""

    row: str
    column: str
    excerpts: list[Excerpt] = field(default_factory=list)
    summary: str | None = None
    summary_version: int | None = None
    summary_author: str | None = None


@dataclass
class Matrix:
    """Rows and columns as (key, label) pairs; cells by (row key, column key)."""

    row_kind: str
    column_kind: str
    layer: str
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: dict[tuple[str, str], Cell]

    def cell(self, row: str, column: str) -> Cell:
        return self.cells.get((row, column)) or Cell(row, column)


def row_key(kind: str, location: str | None, session: str | None, speaker: str | None) -> str:
    """A case's key: 'Location 1', 'Location 1 / session 2' or 'Location 1 / YP3'."""
    place = location or NO_LOCATION
    if kind == "location":
        return place
    if kind == "session":
        return f"{place} / session {session or '-'}"
    return f"{place} / {(speaker or '').strip()}"


def _check_kinds(row_kind: str, column_kind: str) -> None:
    if row_kind not in ROW_KINDS:
        raise QualcodeError(f"matrix rows must be one of {', '.join(ROW_KINDS)}")
    if column_kind not in COLUMN_KINDS:
        raise QualcodeError(f"matrix columns must be one of {', '.join(COLUMN_KINDS)}")


def matrix_rows(con: duckdb.DuckDBPyConnection, row_kind: str) -> list[str]:
    """Every case of a kind in the current documents, coded or not, naturally sorted."""
    where = f"WHERE {participant_sql()}" if row_kind == "participant" else ""
    found = con.execute(
        "SELECT DISTINCT c.location, c.session, trim(s.speaker) FROM current_documents d "
        "JOIN segments s ON s.document_id = d.id LEFT JOIN cases c ON c.id = d.case_id "
        f"{where}"
    ).fetchall()
    keys: dict[str, tuple] = {}
    for location, session, speaker in found:
        key = row_key(row_kind, location, session, speaker)
        sort = (
            natural_key(location),
            natural_key(session if row_kind == "session" else None),
            natural_key(speaker if row_kind == "participant" else None),
        )
        keys[key] = sort
    return sorted(keys, key=lambda k: keys[k])


def _columns(con: duckdb.DuckDBPyConnection, column_kind: str) -> list[Target]:
    targets = read_targets(con, themes=column_kind == "theme", codes=column_kind == "code")
    if not targets:
        if column_kind == "theme":
            raise QualcodeError("no themes yet", next_step=NextStep.CREATE_THEMES)
        raise QualcodeError("no codable codes in the codebook")
    return targets


_CELLS_SQL = f"""
WITH targets AS ({TARGETS_SQL}),
hits AS (
    SELECT DISTINCT t.target, k.segment_id
    FROM {{applied}} k JOIN targets t ON t.code_id = k.code_id WHERE {{layer}}
)
SELECT h.target, {SEGMENT_COLUMNS}
FROM hits h
JOIN segments s ON s.id = h.segment_id
JOIN current_documents d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id
{{where}}
ORDER BY d.id, s.ordinal, s.id
"""


def _summaries(
    con: duckdb.DuckDBPyConnection, layer: Layer, row_kind: str, column_kind: str
) -> list[tuple]:
    """The current summaries of one layer's matrix (the caller has checked the layer)."""
    return con.execute(
        "SELECT row_key, column_key, text, version, author FROM current_matrix_summaries "
        "WHERE layer = ? AND row_kind = ? AND column_kind = ?",
        [layer.name, row_kind, column_kind],
    ).fetchall()


def framework_matrix(
    project: Project,
    rows: RowKind = "participant",
    columns: ColumnKind = "theme",
    layer: str | Layer = "consensus",
    template: str = DEFAULT_TEMPLATE,
    context: str | None = None,
) -> Matrix:
    """The matrix of cases x codes or themes from one layer, with that layer's current
    summaries.

    A cell's coded segments of one speaker turn are one excerpt, shown in its `context`
    (None: the project's `quote_context` setting)."""
    _check_kinds(rows, columns)
    check_template(template)
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        targets = _columns(con, columns)
        row_keys = matrix_rows(con, rows)
        condition, params = chosen.predicate("k.coder")
        where = f"WHERE {participant_sql()}" if rows == "participant" else ""
        found = con.execute(
            _CELLS_SQL.format(layer=condition, where=where, applied=applied_sql(con)),
            {**params, **target_params(targets)},
        ).fetchall()
        summaries = _summaries(con, chosen, rows, columns)
        cells: dict[tuple[str, str], Cell] = {}
        for target, *segment in found:
            excerpt = Excerpt.from_row(segment, template)
            key = (row_key(rows, excerpt.location, excerpt.session, excerpt.speaker), target)
            excerpts = cells.setdefault(key, Cell(*key)).excerpts
            if excerpts and same_turn(excerpts[-1], excerpt):
                excerpts[-1] = excerpts[-1].joined(excerpt)
            else:
                excerpts.append(excerpt)
        shown = quote_context(con, context)
        add_context(con, [e for c in cells.values() for e in c.excerpts], shown)
    for row, column, text, version, author in summaries:
        cell = cells.setdefault((row, column), Cell(row, column))
        cell.summary, cell.summary_version, cell.summary_author = text, version, author
    return Matrix(
        rows,
        columns,
        chosen.name,
        [(k, k) for k in row_keys],
        [(t.id, t.label) for t in targets],
        cells,
    )


def set_summary(
    project: Project,
    row_kind: RowKind,
    row: str,
    column_kind: ColumnKind,
    column: str,
    text: str,
    author: str,
    layer: str | Layer = "consensus",
) -> int:
    """Write a new version of a cell's summary on a layer (one the bound person may
    write on: `access.check_write_layer`); return its version number in that layer."""
    _check_kinds(row_kind, column_kind)
    author = recorded_as(project, author)
    if not author or not author.strip():
        raise QualcodeError("a summary needs its author")
    with project.transaction() as con:
        chosen = parse_layer(layer)
        check_write_layer(con, project.user, chosen.name)
        chosen = resolve_layer(con, chosen, project.user)
        if row not in matrix_rows(con, row_kind):
            raise QualcodeError(f"no {row_kind} '{row}' in the project")
        if str(column) not in {t.id for t in _columns(con, column_kind)}:
            raise QualcodeError(f"no {column_kind} '{column}'")
        cell = [chosen.name, row_kind, row, column_kind, str(column)]
        con.execute(
            "INSERT INTO matrix_summaries (layer, row_kind, row_key, column_kind, column_key, "
            "text, author) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [*cell, text, author.strip()],
        )
        version = con.execute(
            "SELECT count(*) FROM matrix_summaries WHERE layer = ? AND row_kind = ? "
            "AND row_key = ? AND column_kind = ? AND column_key = ?",
            cell,
        ).fetchone()[0]
        log_action(
            con,
            author.strip(),
            "matrix.summary",
            {
                "layer": chosen.name,
                "row_kind": row_kind,
                "row": row,
                "column_kind": column_kind,
                "column": str(column),
                "version": version,
                "text": text,
            },
        )
        return version


def summary_history(
    project: Project,
    row_kind: RowKind,
    row: str,
    column_kind: ColumnKind,
    column: str,
    layer: str | Layer = "consensus",
) -> list[dict[str, Any]]:
    """Every version of a cell's summary on a layer the bound person may read, oldest
    first."""
    _check_kinds(row_kind, column_kind)
    chosen = parse_layer(layer)
    with project.connect(read_only=True) as con:
        check_layer(con, project.user, chosen.name)
        found = con.execute(
            "SELECT text, author, created_at FROM matrix_summaries WHERE layer = ? "
            "AND row_kind = ? AND row_key = ? AND column_kind = ? AND column_key = ? "
            "ORDER BY id",
            [chosen.name, row_kind, row, column_kind, str(column)],
        ).fetchall()
    return [
        {"version": i + 1, "text": text, "author": author, "created_at": created}
        for i, (text, author, created) in enumerate(found)
    ]
