"""Reviewing one segment: what the Code page shows and the helpers it codes with.

Blind by design: everything here is about one coder (their decisions, their
codings); other coders' decisions on the segment are never read. A segment
card holds the segment with its neighbouring turns, the latest suggestion run's
suggestions for it with this coder's state on each (open, applied, refused),
and this coder's current codings on it (the neighbours include facilitators' turns:
context, not units). `next_segment` walks the units of coding
(`qualcode.speakers.coding_unit_sql`) in reading order for coding without (or beside)
the suggestion queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb

from qualcode.access import check_read_coder
from qualcode.coding.memos import Memo
from qualcode.coding.undo import DECIDED_SQL, decided_sql
from qualcode.errors import QualcodeError
from qualcode.speakers import coding_unit_sql
from qualcode.store import Project

State = Literal["open", "applied", "refused"]


@dataclass
class Turn:
    """A segment in reading order around the one under review."""

    segment_id: int
    ordinal: int
    speaker: str | None
    text: str
    current: bool


@dataclass
class SuggestionState:
    """A suggestion of the latest run for the segment, and this coder's state on it."""

    code_id: str
    label: str
    score: float
    rank: int
    evidence: str
    evidence_kind: str
    model: str
    state: State


@dataclass
class OwnCoding:
    """One of this coder's current codings on the segment (span None = whole segment)."""

    code_id: str
    label: str
    start: int | None
    end: int | None
    excerpt: str | None
    source: str


@dataclass
class SegmentHead:
    """A segment and where it stands: its document, case (location, session) and position.

    The leading fields of a segment card and of a review queue item, in the order the
    queries select them.
    """

    segment_id: int
    document_id: int
    document_title: str
    location: str | None
    session: str | None
    ordinal: int
    speaker: str | None
    text: str


@dataclass
class SegmentCard(SegmentHead):
    """Everything the Code page shows about one segment, for one coder."""

    start: int
    end: int
    context: list[Turn] = field(default_factory=list)
    suggestions: list[SuggestionState] = field(default_factory=list)
    codings: list[OwnCoding] = field(default_factory=list)
    memos: list[Memo] = field(default_factory=list)  # this coder's memos on the segment
    reviewed: bool = False  # this coder decided something on it or marked it reviewed

    def open_suggestions(self) -> list[SuggestionState]:
        return [s for s in self.suggestions if s.state == "open"]


@dataclass
class Filters:
    """Which segments to review; None means any."""

    document_id: int | None = None
    location: str | None = None
    session: str | None = None
    code_id: str | None = None
    sample: str | None = None
    unreviewed_only: bool = False


@dataclass
class FilterOptions:
    """The values the filters can take in a project."""

    documents: list[tuple[int, str]]  # (id, title) of current documents
    locations: list[str]
    sessions: list[str]
    samples: list[str]


_CARD = """
SELECT s.id, s.document_id, d.title, c.location, c.session, s.ordinal, s.speaker, s.text,
       s.start_offset, s.end_offset, d.text
FROM segments s JOIN documents d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id WHERE s.id = $segment
"""

_SUGGESTIONS = f"""
WITH run AS (SELECT model, codebook_version FROM suggestion_runs ORDER BY id DESC LIMIT 1),
decided AS (SELECT code_id FROM ({decided_sql("AND segment_id = $segment")})),
own AS (
    SELECT code_id, arg_max(action, id) IN ('accept', 'add') AS applied
    FROM coding_events WHERE coder = $coder AND segment_id = $segment
    GROUP BY code_id, start_offset, end_offset
)
SELECT s.code_id, coalesce(k.label, s.code_id), s.score, s.rank, coalesce(s.evidence, ''),
       coalesce(s.evidence_kind, ''), s.model,
       CASE WHEN s.code_id IN (SELECT code_id FROM own WHERE applied) THEN 'applied'
            WHEN s.code_id IN (SELECT code_id FROM decided) THEN 'refused'
            ELSE 'open' END
FROM suggestions s JOIN run r ON r.model = s.model AND r.codebook_version = s.codebook_version
LEFT JOIN codes k ON k.codebook_version = s.codebook_version AND k.id = s.code_id
WHERE s.segment_id = $segment
ORDER BY s.score DESC, s.code_id
"""

_OWN_CODINGS = """
SELECT e.code_id, coalesce(k.label, e.code_id), e.start_offset, e.end_offset, e.source
FROM (
    SELECT code_id, start_offset, end_offset, arg_max(action, id) AS action,
           arg_max(source, id) AS source, max(id) AS last
    FROM coding_events WHERE coder = $coder AND segment_id = $segment
    GROUP BY code_id, start_offset, end_offset
) e
LEFT JOIN codes k ON k.id = e.code_id
    AND k.codebook_version = (SELECT max(version) FROM codebook_versions)
WHERE e.action IN ('accept', 'add')
ORDER BY e.last
"""

_REVIEWED = f"""
SELECT EXISTS (SELECT 1 FROM ({decided_sql("AND segment_id = $segment")}))
    OR EXISTS (SELECT 1 FROM segment_reviews WHERE coder = $coder AND segment_id = $segment)
"""


def segment_card(project: Project, coder: str, segment_id: int, context: int = 2) -> SegmentCard:
    """A segment with `context` turns either side, its suggestions, and this coder's
    codings and memos on it (one connection). A project bound to a coder shows that
    coder's own card only (`qualcode.access`)."""
    with project.connect(read_only=True) as con:
        check_read_coder(con, project.user, coder)
        return card_with(con, coder, segment_id, context)


def card_with(
    con: duckdb.DuckDBPyConnection, coder: str, segment_id: int, context: int = 2
) -> SegmentCard:
    """`segment_card` on an open connection."""
    params = {"segment": segment_id, "coder": coder}
    row = con.execute(_CARD, {"segment": segment_id}).fetchone()
    if row is None:
        raise QualcodeError(f"no segment with id {segment_id}")
    *head, start, end, document_text = row
    card = SegmentCard(*head, start=start, end=end)
    card.context = [
        Turn(r[0], r[1], r[2], r[3], r[0] == segment_id)
        for r in con.execute(
            "SELECT id, ordinal, speaker, text FROM segments WHERE document_id = ? "
            "AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
            [card.document_id, card.ordinal - context, card.ordinal + context],
        ).fetchall()
    ]
    has_run = con.execute("SELECT count(*) FROM suggestion_runs").fetchone()[0]
    if has_run:
        card.suggestions = [
            SuggestionState(*r) for r in con.execute(_SUGGESTIONS, params).fetchall()
        ]
    card.codings = [
        OwnCoding(
            code,
            label,
            s,
            e,
            None if s is None else document_text[s:e],
            source,
        )
        for code, label, s, e, source in con.execute(_OWN_CODINGS, params).fetchall()
    ]
    card.memos = [
        Memo(*row)
        for row in con.execute(
            "SELECT id, target_type, target_id, coder, text, created_at FROM memos "
            "WHERE target_type = 'segment' AND target_id = ? AND coder = ? ORDER BY id",
            [str(segment_id), coder],
        ).fetchall()
    ]
    card.reviewed = bool(con.execute(_REVIEWED, params).fetchone()[0])
    return card


def excerpt_span(card: SegmentCard, excerpt: str) -> tuple[int, int] | None:
    """Document offsets of an exact excerpt of the segment's text; None for the whole text.

    The excerpt must occur exactly once in the segment (else say so: a longer one
    will), since a text selection cannot be read from the browser.
    """
    wanted = excerpt.strip()
    if not wanted:
        raise QualcodeError("type the words to code, exactly as they appear in the segment")
    if wanted == card.text.strip():
        return None
    found = card.text.find(wanted)
    if found < 0:
        raise QualcodeError(f"'{_short(wanted)}' does not occur in this segment")
    if card.text.find(wanted, found + 1) >= 0:
        raise QualcodeError(
            f"'{_short(wanted)}' occurs more than once in this segment: type a longer excerpt"
        )
    return card.start + found, card.start + found + len(wanted)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def filter_options(project: Project) -> FilterOptions:
    """Current documents, locations, sessions and reliability samples, for filters."""
    with project.connect(read_only=True) as con:
        documents = con.execute(
            "SELECT d.id, d.title FROM current_documents d LEFT JOIN cases c ON c.id = d.case_id "
            "ORDER BY c.location NULLS LAST, c.session NULLS LAST, d.title"
        ).fetchall()
        cases = con.execute(
            "SELECT DISTINCT c.location, c.session FROM current_documents d "
            "JOIN cases c ON c.id = d.case_id"
        ).fetchall()
        samples = [
            r[0]
            for r in con.execute("SELECT name FROM reliability_samples ORDER BY name").fetchall()
        ]
    return FilterOptions(
        documents=[(int(i), t) for i, t in documents],
        locations=sorted({loc for loc, _ in cases if loc is not None}),
        sessions=sorted({ses for _, ses in cases if ses is not None}),
        samples=samples,
    )


_WALK = f"""
WITH run AS (SELECT model, codebook_version FROM suggestion_runs ORDER BY id DESC LIMIT 1),
ordered AS (
    SELECT s.id, s.document_id, c.location, c.session,
           row_number() OVER (ORDER BY c.location NULLS LAST, c.session NULLS LAST, d.title,
                                       d.id, s.ordinal) AS position
    FROM segments s JOIN current_documents d ON d.id = s.document_id
    LEFT JOIN cases c ON c.id = d.case_id
    WHERE {{units}}
),
here AS (SELECT coalesce(max(position), $origin) AS position FROM ordered WHERE id = $after)
SELECT o.id FROM ordered o, here h
WHERE ($document_id::INTEGER IS NULL OR o.document_id = $document_id::INTEGER)
  AND ($location::VARCHAR IS NULL OR o.location = $location::VARCHAR)
  AND ($session::VARCHAR IS NULL OR o.session = $session::VARCHAR)
  AND ($sample::VARCHAR IS NULL OR o.id IN (
        SELECT segment_id FROM reliability_sample_segments WHERE sample = $sample::VARCHAR))
  AND ($code_id::VARCHAR IS NULL OR o.id IN (
        SELECT segment_id FROM suggestions x JOIN run r
          ON r.model = x.model AND r.codebook_version = x.codebook_version
        WHERE x.code_id = $code_id::VARCHAR
        UNION SELECT segment_id FROM ({DECIDED_SQL}) WHERE code_id = $code_id::VARCHAR))
  AND (NOT $unreviewed OR (
        o.id NOT IN (SELECT segment_id FROM ({DECIDED_SQL}))
        AND o.id NOT IN (SELECT segment_id FROM segment_reviews WHERE coder = $coder)))
  AND (CASE WHEN $backwards THEN o.position < h.position ELSE o.position > h.position END)
ORDER BY CASE WHEN $backwards THEN -o.position ELSE o.position END
LIMIT 1
"""


def next_segment(
    project: Project,
    coder: str,
    filters: Filters | None = None,
    after: int | None = None,
    backwards: bool = False,
) -> int | None:
    """The next segment in reading order (location, session, document, position) after
    `after` (from the start when None) that passes the filters; None at the end.

    With `backwards`, the previous one. The code filter keeps segments with a
    suggestion of the code or this coder's decision on it; `unreviewed_only` keeps
    segments this coder has neither decided on nor marked reviewed.
    """
    chosen = filters or Filters()
    params: dict[str, Any] = {
        "coder": coder,
        "after": after,
        "origin": 10**12 if backwards and after is None else 0,
        "backwards": backwards,
        "document_id": chosen.document_id,
        "location": chosen.location,
        "session": chosen.session,
        "sample": chosen.sample,
        "code_id": chosen.code_id,
        "unreviewed": chosen.unreviewed_only,
    }
    with project.connect(read_only=True) as con:
        check_read_coder(con, project.user, coder)
        row = con.execute(_WALK.replace("{units}", coding_unit_sql(con, "s")), params).fetchone()
    return None if row is None else int(row[0])
