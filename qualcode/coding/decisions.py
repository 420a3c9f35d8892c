"""Coding decisions: appended as events, never updated or deleted.

Every accept, reject, manual add and removal is one row of `coding_events`. The
current codings are the `codings` view: the latest event per (segment, span,
code, coder), when that event applies the code. Each event also records who wrote
it (`recorded_by`): the coder for their own decisions, the supervisor for a
settlement, the importer for an imported layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import duckdb
import pyarrow as pa

from qualcode.access import check_write_coders
from qualcode.codebook.versions import latest_version
from qualcode.errors import NextStep, QualcodeError
from qualcode.store import Project

Action = Literal["accept", "reject", "add", "remove"]
Source = Literal["manual", "suggestion", "import", "adjudication"]
ACTIONS = ("accept", "reject", "add", "remove")
SOURCES = ("manual", "suggestion", "import", "adjudication")


@dataclass(frozen=True)
class Decision:
    """One coding decision by one coder on a segment (or a span of it)."""

    segment_id: int
    code_id: str
    coder: str
    action: Action
    source: Source = "manual"
    score: float | None = None
    model: str | None = None
    memo: str | None = None
    start: int | None = None  # a span, as document offsets; None = the whole segment
    # a span overlaps its segment and may run on into the next ones (REFI selections do)
    end: int | None = None


def _check(con: duckdb.DuckDBPyConnection, decisions: list[Decision], version: int | None) -> None:
    """Refuse decisions that name unknown segments or codes, or spans outside their segment."""
    for d in decisions:
        if d.action not in ACTIONS:
            raise QualcodeError(f"unknown action '{d.action}' (one of {', '.join(ACTIONS)})")
        if d.source not in SOURCES:
            raise QualcodeError(f"unknown source '{d.source}' (one of {', '.join(SOURCES)})")
        if not d.coder or not d.coder.strip():
            raise QualcodeError("a decision needs a coder")
    segment_ids = sorted({d.segment_id for d in decisions})
    found = {
        row[0]: (row[1], row[2], row[3])
        for row in con.execute(
            "SELECT s.id, s.start_offset, s.end_offset, length(d.text) FROM segments s "
            "JOIN documents d ON d.id = s.document_id WHERE s.id IN "
            "(SELECT unnest(?::INTEGER[]))",
            [segment_ids],
        ).fetchall()
    }
    missing = [s for s in segment_ids if s not in found]
    if missing:
        raise QualcodeError(f"no segment with id {missing[0]}")
    if version is None:
        raise QualcodeError("no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK)
    codes = dict(
        con.execute(
            "SELECT id, codable AND NOT retired FROM codes WHERE codebook_version = ?", [version]
        ).fetchall()
    )
    for d in decisions:
        # imported codings may carry codes since retired; new ones need a codable code
        usable = d.code_id in codes if d.source == "import" else codes.get(d.code_id, False)
        if not usable and d.action in ("accept", "add"):
            raise QualcodeError(f"'{d.code_id}' is not a codable code in codebook v{version}")
        if (d.start is None) != (d.end is None):
            raise QualcodeError("a span needs both start and end")
        if d.start is not None:
            seg_start, seg_end, doc_end = found[d.segment_id]
            if not (0 <= d.start < d.end <= doc_end and d.start < seg_end and d.end > seg_start):
                raise QualcodeError(
                    f"span {d.start}-{d.end} must overlap segment {d.segment_id} "
                    f"({seg_start}-{seg_end}) and lie inside its document"
                )


def append_decisions(
    con: duckdb.DuckDBPyConnection, decisions: list[Decision], recorded_by: str | None = None
) -> list[int]:
    """Check and append decisions inside the caller's transaction; return event ids.
    `recorded_by` is who writes them (None: each decision's own coder)."""
    if not decisions:
        return []
    version = latest_version(con)
    _check(con, decisions, version)
    table = pa.table(
        {
            "ordinal": pa.array(range(len(decisions)), pa.int64()),
            **{
                name: pa.array([getattr(d, attr) for d in decisions], kind)
                for name, attr, kind in _EVENT_COLUMNS
            },
        }
    )
    con.register("new_coding_events", table)
    try:
        ids = con.execute(
            "INSERT INTO coding_events (segment_id, start_offset, end_offset, code_id, coder, "
            "action, source, score, model, codebook_version, memo, recorded_by) "
            "SELECT segment_id, start_offset, end_offset, code_id, coder, action, source, "
            "score, model, ?, memo, coalesce(?, coder) FROM new_coding_events "
            "ORDER BY ordinal RETURNING id",
            [version, recorded_by],
        ).fetchall()
    finally:
        con.unregister("new_coding_events")
    return sorted(row[0] for row in ids)


_EVENT_COLUMNS = (
    ("segment_id", "segment_id", pa.int32()),
    ("start_offset", "start", pa.int32()),
    ("end_offset", "end", pa.int32()),
    ("code_id", "code_id", pa.string()),
    ("coder", "coder", pa.string()),
    ("action", "action", pa.string()),
    ("source", "source", pa.string()),
    ("score", "score", pa.float64()),
    ("model", "model", pa.string()),
    ("memo", "memo", pa.string()),
)


def record_decisions(project: Project, decisions: Iterable[Decision]) -> list[int]:
    """Append decisions in one transaction; return their event ids, in order. A
    project bound to a person writes only under their name, or a supervisor in the
    consensus layer (`qualcode.access`), and the events are recorded as theirs; an
    unbound project records each decision as its coder's."""
    decisions = list(decisions)
    if not decisions:
        return []
    with project.transaction() as con:
        check_write_coders(con, project.user, (d.coder for d in decisions))
        return append_decisions(con, decisions, recorded_by=project.user)


def record_decision(project: Project, decision: Decision) -> int:
    """Append one decision; return its event id."""
    return record_decisions(project, [decision])[0]


def append_reviews(con: duckdb.DuckDBPyConnection, segment_ids: list[int], coder: str) -> None:
    """Mark segments as reviewed by a coder, inside the caller's transaction."""
    if not coder or not coder.strip():
        raise QualcodeError("a review needs a coder")
    known = {
        r[0]
        for r in con.execute(
            "SELECT id FROM segments WHERE list_contains(?, id)", [list(segment_ids)]
        ).fetchall()
    }
    missing = [s for s in segment_ids if s not in known]
    if missing:
        raise QualcodeError(f"no segment with id {missing[0]}")
    con.executemany(
        "INSERT INTO segment_reviews (segment_id, coder) VALUES (?, ?)",
        [[s, coder] for s in segment_ids],
    )


def mark_reviewed(project: Project, segment_ids: Iterable[int], coder: str) -> None:
    """Record that a coder reviewed segments (and applied what their events say).

    A reviewed segment without a coding of a code counts as "absent" for that
    code in agreement; a segment never reviewed counts as missing.
    """
    with project.transaction() as con:
        check_write_coders(con, project.user, [coder])
        append_reviews(con, list(segment_ids), coder)
