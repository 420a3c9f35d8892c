"""Retrieving coded segments for analysis: the segments behind a theme's or a code's
count in one location x session (or anywhere), and code co-occurrence, per layer.

Layers and targets mean what they mean in `qualcode.themes`: a theme counts the
segments coded with any of its (and its subthemes') codes, and a sub-span coding
counts at its segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from qualcode.coding.layers import resolve_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes.context import QuotePart, add_context, quote_context
from qualcode.themes.cooccurrence import Cooccurrence, cooccurrence
from qualcode.themes.targets import TARGETS_SQL, read_targets, target_params


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Any()
"""Matches every location (or session), including none."""


@dataclass
class CodedSegment:
    """A segment counted for a theme or code, with where it comes from, and `parts`: it
    within its context as a quote would show it (`qualcode.themes.context`)."""

    segment_id: int
    document: str
    ordinal: int
    speaker: str | None
    location: str | None
    session: str | None
    text: str
    codes: list[str]  # the target's codes applied to it in the layer
    coders: list[str]  # who applied them (the layer's coders)
    document_id: int = field(default=0, kw_only=True)
    turn: int = field(default=0, kw_only=True)
    parts: tuple[QuotePart, ...] = field(default=(), kw_only=True)

    @property
    def coded_ids(self) -> tuple[int, ...]:
        return (self.segment_id,)


_SQL = """
WITH targets AS ({targets}),
hits AS (
    SELECT k.segment_id, list(DISTINCT k.code_id ORDER BY k.code_id) AS codes,
           list(DISTINCT k.coder ORDER BY k.coder) AS coders
    FROM {applied} k JOIN targets t ON t.code_id = k.code_id
    WHERE {layer} GROUP BY k.segment_id
)
SELECT s.id, d.title, s.ordinal, s.speaker, c.location, c.session, s.text, h.codes, h.coders,
       s.document_id, s.turn
FROM hits h JOIN segments s ON s.id = h.segment_id
JOIN current_documents d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id
WHERE ($any_location OR c.location IS NOT DISTINCT FROM $location)
  AND ($any_session OR c.session IS NOT DISTINCT FROM $session)
ORDER BY c.location NULLS LAST, c.session NULLS LAST, d.title, s.ordinal
LIMIT $limit
"""


def coded_segments(
    project: Project,
    layer: str,
    kind: Literal["theme", "code"],
    target_id: str | int,
    location: str | None | _Any = ANY,
    session: str | None | _Any = ANY,
    limit: int = 500,
) -> list[CodedSegment]:
    """The segments a theme or code counts in a layer, in one location x session or
    anywhere (ANY), in reading order; at most `limit`; each in the project's quote context."""
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        targets = [
            t
            for t in read_targets(con, themes=kind == "theme", codes=kind == "code")
            if t.id == str(target_id)
        ]
        if not targets:
            raise QualcodeError(f"no {kind} '{target_id}'")
        condition, params = chosen.predicate("k.coder")
        rows = con.execute(
            _SQL.format(targets=TARGETS_SQL, applied=applied_sql(con), layer=condition),
            {
                **params,
                **target_params(targets),
                "any_location": location is ANY,
                "location": None if location is ANY else location,
                "any_session": session is ANY,
                "session": None if session is ANY else session,
                "limit": max(0, limit),
            },
        ).fetchall()
        found = [
            CodedSegment(*row[:7], list(row[7]), list(row[8]), document_id=row[9], turn=row[10])
            for row in rows
        ]
        add_context(con, found, quote_context(con))
    return found


def code_cooccurrence(project: Project, layer: str, window: int = 0) -> Cooccurrence:
    """How often codes occur together in a layer (window 0: on the same segment)."""
    if window < 0:
        raise QualcodeError("the co-occurrence window cannot be negative")
    with project.connect(read_only=True) as con:
        return cooccurrence(con, resolve_layer(con, layer, project.user), window)
