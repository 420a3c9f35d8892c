"""Coders' decisions as training labels for the code model.

Read from `coding_events` (never written here). For each segment and code, over
all coders' latest events (a span counts at its segment):
- ACCEPTED when some coder currently applies the code (accept or add);
- REJECTED when no coder applies it and some coder's latest event rejected or
  removed it (an undo that reopened the pair is not a rejection: undecided);
- IMPLICIT for the other codes of a segment some coder has coded or marked
  reviewed (they saw the segment and chose other codes, or none);
- 0 (undecided) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from qualcode.coding.undo import UNDO_OPEN_SQL
from qualcode.suggest.learning import ACCEPTED, IMPLICIT, REJECTED

_LATEST = f"""
WITH latest AS (
    SELECT segment_id, code_id, action, {UNDO_OPEN_SQL} AS reopened, row_number() OVER (
        PARTITION BY segment_id, coalesce(start_offset, -1), coalesce(end_offset, -1),
                     code_id, coder
        ORDER BY id DESC) AS rn
    FROM coding_events
)
SELECT l.segment_id, l.code_id,
       bool_or(l.action IN ('accept', 'add')) AS applied,
       bool_or(l.action IN ('reject', 'remove') AND NOT l.reopened) AS refused,
       any_value(s.text) AS text
FROM latest l JOIN segments s ON s.id = l.segment_id
WHERE l.rn = 1
GROUP BY l.segment_id, l.code_id
ORDER BY l.segment_id, l.code_id
"""

_REVIEWED = """
SELECT DISTINCT r.segment_id, s.text FROM segment_reviews r
JOIN segments s ON s.id = r.segment_id ORDER BY r.segment_id
"""


@dataclass
class DecisionLabels:
    """Decided segments, their texts, and labels per code (columns follow `codes`)."""

    segment_ids: list[int]
    texts: list[str]
    labels: np.ndarray  # (N, C) int8

    @property
    def count(self) -> int:
        """Accepted plus explicitly rejected (segment, code) pairs."""
        return int(np.count_nonzero((self.labels == ACCEPTED) | (self.labels == REJECTED)))


def read_decisions(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> DecisionLabels:
    """Training labels from every coder's current decisions, for the given codes."""
    column = {code: c for c, code in enumerate(codes)}
    order: dict[int, int] = {}
    texts: list[str] = []
    entries: list[tuple[int, int, bool, bool]] = []
    for segment_id, code_id, applied, refused, text in con.execute(_LATEST).fetchall():
        if segment_id not in order:
            order[segment_id] = len(texts)
            texts.append(text)
        if code_id in column:
            entries.append((order[segment_id], column[code_id], bool(applied), bool(refused)))
    reviewed = []
    for segment_id, text in con.execute(_REVIEWED).fetchall():
        if segment_id not in order:
            order[segment_id] = len(texts)
            texts.append(text)
        reviewed.append(order[segment_id])
    labels = np.zeros((len(texts), len(codes)), dtype=np.int8)
    coded = np.zeros(len(texts), dtype=bool)
    coded[reviewed] = True
    for row, c, applied, refused in entries:
        if applied:
            labels[row, c] = ACCEPTED
            coded[row] = True
        elif refused:
            labels[row, c] = REJECTED
    labels[coded[:, None] & (labels == 0)] = IMPLICIT
    keep = np.flatnonzero(labels.any(axis=1))
    ids = list(order)
    return DecisionLabels([ids[i] for i in keep], [texts[i] for i in keep], labels[keep])
