"""What a quote shows around the segment it was coded on: the project's `quote_context`.

A segment at the sentence unit is often a fragment ("Mine is paused."), which reads
badly in a paper and hides what the speaker meant. So a quote shows, by default, the
speaker's whole turn with the coded segments marked; or the coded units alone
("unit"); or 1 to 3 segments either side of it, within the same turn. The turn is
the segments sharing a document and a `segments.turn`. At the turn unit a turn is
one segment, so every choice shows the turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

import duckdb
import pyarrow as pa

from qualcode.errors import ArgumentError
from qualcode.settings import CONTEXTS, setting_value


class QuotePart(NamedTuple):
    """A run of a quote's text, coded (marked when shown with context) or context."""

    text: str
    coded: bool


class Anchored(Protocol):
    """What context is added to: an excerpt's anchor segment, its turn, the coded
    segments in that turn, and the parts to fill."""

    segment_id: int
    text: str
    document_id: int
    turn: int
    coded_ids: tuple[int, ...]
    parts: tuple[QuotePart, ...]


def check_context(context: str) -> str:
    """The context if it is one of CONTEXTS."""
    if context not in CONTEXTS:
        raise ArgumentError("context", f"must be one of {', '.join(CONTEXTS)}")
    return context


def quote_context(con: duckdb.DuckDBPyConnection, context: str | None = None) -> str:
    """The context asked for, or the project's setting."""
    return check_context(context) if context is not None else setting_value(con, "quote_context")


def _tidy(text: str) -> str:
    return " ".join(text.split())


def parts_of(segments: Sequence[tuple[int, str]], coded: Iterable[int]) -> tuple[QuotePart, ...]:
    """A quote's parts from its segments (id, text) in order: neighbouring segments of the
    same kind joined by a space, whitespace made single spaces."""
    marked = set(coded)
    parts: list[QuotePart] = []
    for segment_id, text in segments:
        piece, is_coded = _tidy(text), segment_id in marked
        if not piece:
            continue
        if parts and parts[-1].coded == is_coded:
            parts[-1] = QuotePart(f"{parts[-1].text} {piece}", is_coded)
        else:
            parts.append(QuotePart(piece, is_coded))
    return tuple(parts)


_TURNS_SQL = """
SELECT s.document_id, s.turn, s.id, s.ordinal, s.text
FROM segments s JOIN wanted_turns w ON s.document_id = w.document_id AND s.turn = w.turn
ORDER BY s.document_id, s.turn, s.ordinal
"""


def _turn_segments(
    con: duckdb.DuckDBPyConnection, turns: set[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[int, int, str]]]:
    """(id, ordinal, text) of every segment of each (document, turn), in order: one query."""
    ordered = sorted(turns)
    wanted = pa.table(
        {
            "document_id": pa.array([d for d, _ in ordered], pa.int32()),
            "turn": pa.array([t for _, t in ordered], pa.int32()),
        }
    )
    con.register("wanted_turns", wanted)
    try:
        rows = con.execute(_TURNS_SQL).fetchall()
    finally:
        con.unregister("wanted_turns")
    found: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
    for document_id, turn, segment_id, ordinal, text in rows:
        found.setdefault((document_id, turn), []).append((segment_id, ordinal, text))
    return found


def add_context(con: duckdb.DuckDBPyConnection, excerpts: Sequence[Anchored], context: str) -> None:
    """Fill each excerpt's parts with its context (see the module docstring)."""
    check_context(context)
    turns = {(e.document_id, e.turn) for e in excerpts}
    segments = _turn_segments(con, turns) if turns else {}
    for excerpt in excerpts:
        turn = segments.get((excerpt.document_id, excerpt.turn), [])
        coded = set(excerpt.coded_ids) | {excerpt.segment_id}
        if context == "unit":
            shown = [s for s in turn if s[0] in coded]
        elif context == "turn":
            shown = turn
        else:
            at = next((i for i, s in enumerate(turn) if s[0] == excerpt.segment_id), 0)
            around = int(context)
            shown = turn[max(0, at - around) : at + around + 1]
        parts = parts_of([(s[0], s[2]) for s in shown], coded)
        excerpt.parts = parts or (QuotePart(_tidy(excerpt.text), True),)
