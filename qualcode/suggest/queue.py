"""The review queue: segments with their open suggestions, for one coder.

Open means this coder has not decided that segment and code (any coding event
counts, except an undo that reopened it: `qualcode.coding.undo.DECIDED_SQL`) and has
not marked the segment reviewed, so a suggestion a coder rejected does not come
back to them (another coder still sees it), and an undone decision does.
Suggestions come from the latest suggest run. Order by score (best suggestion
first) or by uncertainty (active learning: the segments whose decision teaches
the model most come first, those whose suggestion scores lie closest to the 0.5
threshold, ties broken by the smaller margin between the two best suggestions).
Only units of coding are queued: by default participants' turns, not facilitators'
nor a transcript's preamble (`qualcode.speakers.coding_unit_sql`, the project's
settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from qualcode.access import check_read_coder
from qualcode.coding.card import SegmentHead
from qualcode.coding.undo import DECIDED_SQL
from qualcode.errors import QualcodeError
from qualcode.speakers import coding_unit_sql
from qualcode.store import Project
from qualcode.suggest.calibration import THRESHOLD

Order = Literal["score", "uncertainty"]

_ORDER_BY = {
    "score": "best DESC, segment_id",
    "uncertainty": "closeness ASC, margin ASC, best DESC, segment_id",
}

_QUERY = f"""
WITH run AS (
    SELECT model, codebook_version FROM suggestion_runs ORDER BY id DESC LIMIT 1
),
decided AS ({DECIDED_SQL}),
open AS (
    SELECT s.*, d.title, c.location, c.session FROM suggestions s
    JOIN run r ON r.model = s.model AND r.codebook_version = s.codebook_version
    JOIN segments g ON g.id = s.segment_id
    JOIN current_documents d ON d.id = g.document_id
    LEFT JOIN cases c ON c.id = d.case_id
    WHERE {{units}}
      AND NOT EXISTS (
        SELECT 1 FROM decided x WHERE x.segment_id = s.segment_id AND x.code_id = s.code_id)
      AND NOT EXISTS (
        SELECT 1 FROM segment_reviews v WHERE v.segment_id = s.segment_id AND v.coder = $coder)
      AND (NOT $unreviewed OR s.segment_id NOT IN (SELECT segment_id FROM decided))
      AND ($min_score::DOUBLE IS NULL OR s.score >= $min_score::DOUBLE)
      AND ($document_id::INTEGER IS NULL OR g.document_id = $document_id::INTEGER)
      AND ($location::VARCHAR IS NULL OR c.location = $location::VARCHAR)
      AND ($session::VARCHAR IS NULL OR c.session = $session::VARCHAR)
      AND ($sample::VARCHAR IS NULL OR s.segment_id IN (
            SELECT segment_id FROM reliability_sample_segments WHERE sample = $sample::VARCHAR))
),
per_segment AS (
    SELECT segment_id,
           max(score) AS best,
           min(abs(score - $threshold)) AS closeness,
           list_sort(list(score), 'DESC') AS ordered
    FROM open
    GROUP BY segment_id
    HAVING $code_id::VARCHAR IS NULL OR bool_or(code_id = $code_id::VARCHAR)
),
chosen AS (
    SELECT segment_id, best, closeness,
           ordered[1] - coalesce(ordered[2], 0.0) AS margin,
           row_number() OVER (ORDER BY {{order_by}}) AS position
    FROM per_segment
    ORDER BY position
    LIMIT $limit OFFSET $offset
)
SELECT c.position, c.best, c.closeness, c.margin,
       c.segment_id, g.document_id, o.title, o.location, o.session, g.ordinal, g.speaker, g.text,
       o.code_id, k.label, o.score, o.rank, o.evidence, o.evidence_kind, o.similarity
FROM chosen c
JOIN open o ON o.segment_id = c.segment_id
JOIN segments g ON g.id = c.segment_id
LEFT JOIN codes k ON k.codebook_version = o.codebook_version AND k.id = o.code_id
ORDER BY c.position, o.score DESC, o.code_id
"""


@dataclass
class QueuedSuggestion:
    """One open suggestion: the code, its calibrated score and why it was suggested."""

    code_id: str
    label: str
    score: float
    rank: int  # the code's rank among all suggestions for the segment
    evidence: str
    evidence_kind: str  # label | definition | include | example | accepted
    similarity: float


@dataclass
class QueueItem(SegmentHead):
    """A segment to review, with its open suggestions (best first)."""

    priority: float  # best score ('score') or distance of the closest score to 0.5
    margin: float  # best minus second-best open score
    suggestions: list[QueuedSuggestion] = field(default_factory=list)


def review_queue(
    project: Project,
    coder: str,
    order: Order = "score",
    limit: int = 50,
    offset: int = 0,
    document_id: int | None = None,
    code_id: str | None = None,
    min_score: float | None = None,
    location: str | None = None,
    session: str | None = None,
    sample: str | None = None,
    unreviewed_only: bool = False,
) -> list[QueueItem]:
    """Segments with the suggestions this coder has not decided yet, in review order.

    Filters: one document, location, session or reliability sample; segments with
    an open suggestion for one code; open suggestions scoring at least min_score;
    unreviewed_only leaves out segments this coder has decided anything on.
    """
    if order not in _ORDER_BY:
        raise QualcodeError(f"unknown queue order '{order}' (score or uncertainty)")
    if not coder or not coder.strip():
        raise QualcodeError("the review queue needs a coder")
    sql = _QUERY.replace("{order_by}", _ORDER_BY[order])
    params = {
        "coder": coder,
        "min_score": min_score,
        "document_id": document_id,
        "code_id": code_id,
        "threshold": THRESHOLD,
        "limit": max(0, limit),
        "offset": max(0, offset),
        "location": location,
        "session": session,
        "sample": sample,
        "unreviewed": unreviewed_only,
    }
    with project.connect(read_only=True) as con:
        check_read_coder(con, project.user, coder)
        found = con.execute(sql.replace("{units}", coding_unit_sql(con, "g")), params).fetchall()
    items: list[QueueItem] = []
    for _position, best, closeness, margin, *columns in found:
        # the segment's columns in SegmentHead's field order, then the suggestion's
        *head, code, label, score, rank, evidence, kind, similarity = columns
        if not items or items[-1].segment_id != head[0]:
            priority = best if order == "score" else closeness
            items.append(QueueItem(*head, priority=float(priority), margin=float(margin)))
        items[-1].suggestions.append(
            QueuedSuggestion(
                code,
                label or code,
                float(score),
                int(rank),
                evidence or "",
                kind or "",
                float(similarity or 0.0),
            )
        )
    return items
