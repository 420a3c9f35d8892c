"""Undoing a coder's last decision, in an append-only log.

Nothing is deleted and no new kind of action exists (accept | reject | add |
remove), so an undo is itself an event that puts the target back where it was.
For a decision E by coder C on a target T = (segment, span, code):

- when C had an earlier event P on T (other than an undo that reopened T), the
  undo appends a copy of P (action, source, score, model) with the memo
  "restored by undo of event E": the `codings` view (latest event wins) shows T
  exactly as before E;
- otherwise the undo appends a `remove` with the memo "undo of event E". That
  event means "undecided again": the code is not applied (as before E), and the
  review queue counts the (segment, code) as open, so an undone accept or
  reject comes back as a suggestion. `DECIDED_SQL` is that rule in SQL.

Undo works as a stack over actions: `undo_last` undoes C's latest action that is
not undone yet, where an action is every event one call recorded (they share the
transaction's timestamp: "reject the rest" is one action). Undo events are not
undone themselves (there is no redo). Segment reviews (`mark_reviewed`) are not
coding events and are not undone.

Undo takes back only what C recorded themselves (`recorded_by` = C): an event
written into C's layer by someone else (an import by an admin or the file's
holder, recorded as the importer) is not C's to undo, and C's undo passes over
it. An import is one action of whoever made it: a coder who imported their own
decisions undoes the whole import in one step; an import in others' names is
undone by nobody's undo, never piecemeal (restore the backup taken before it).

Readers that count any event as a decision (agreement's "reviewed", the
learning labels) see an undone decision that reopened a target as a removal,
until the coder decides again; `UNDO_OPEN_SQL` lets them tell the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from qualcode.access import acting_as
from qualcode.coding.decisions import Decision, append_decisions
from qualcode.errors import QualcodeError
from qualcode.store import Project

UNDO_OPEN = "undo of event "
"""Memo prefix of an undo that left its target undecided (followed by the event id)."""
UNDO_RESTORE = "restored by undo of event "
"""Memo prefix of an undo that restored an earlier decision (followed by the event id)."""

UNDO_OPEN_SQL = f"(action = 'remove' AND starts_with(coalesce(memo, ''), '{UNDO_OPEN}'))"
"""True for an event that reopened its target."""


def decided_sql(condition: str = "") -> str:
    """SQL for the (segment, code) pairs coder $coder has decided: some target of theirs
    on the pair whose latest event is not an undo that reopened it. `condition` narrows
    the events read (e.g. "AND segment_id = $segment")."""
    return f"""
SELECT DISTINCT segment_id, code_id FROM (
    SELECT segment_id, code_id, arg_max({UNDO_OPEN_SQL}, id) AS reopened
    FROM coding_events WHERE coder = $coder {condition}
    GROUP BY segment_id, start_offset, end_offset, code_id
) WHERE NOT reopened
"""


DECIDED_SQL = decided_sql()
"""Every (segment, code) pair coder $coder has decided (see `decided_sql`)."""

_IS_UNDO = f"(starts_with(coalesce(memo, ''), '{UNDO_OPEN}') OR " + (
    f"starts_with(coalesce(memo, ''), '{UNDO_RESTORE}'))"
)

_LIVE = f"""
WITH mine AS (SELECT * FROM coding_events WHERE coder = $coder AND recorded_by = $coder),
undone AS (
    SELECT TRY_CAST(regexp_extract(memo, '(\\d+)$', 1) AS BIGINT) AS id
    FROM mine WHERE {_IS_UNDO}
),
live AS (
    SELECT * FROM mine
    WHERE NOT {_IS_UNDO} AND id NOT IN (SELECT id FROM undone WHERE id IS NOT NULL)
)
SELECT id, segment_id, start_offset, end_offset, code_id, action, source
FROM live WHERE created_at = (SELECT created_at FROM live ORDER BY id DESC LIMIT 1)
ORDER BY id
"""

_PREVIOUS = f"""
SELECT action, source, score, model, {UNDO_OPEN_SQL} FROM coding_events
WHERE coder = $coder AND segment_id = $segment AND code_id = $code
  AND start_offset IS NOT DISTINCT FROM $start AND end_offset IS NOT DISTINCT FROM $end
  AND id < $before
ORDER BY id DESC LIMIT 1
"""


@dataclass
class Undone:
    """What an undo did: the events it undid and the events it appended."""

    undone: list[int] = field(default_factory=list)
    appended: list[int] = field(default_factory=list)
    targets: list[tuple[int, str, str]] = field(default_factory=list)  # segment, code, action


def _restoring(con: duckdb.DuckDBPyConnection, coder: str, event: tuple) -> Decision:
    """The event that puts one undone event's target back as it was before it."""
    event_id, segment_id, start, end, code_id, _action, _source = event
    previous = con.execute(
        _PREVIOUS,
        {
            "coder": coder,
            "segment": segment_id,
            "code": code_id,
            "start": start,
            "end": end,
            "before": event_id,
        },
    ).fetchone()
    if previous is None or previous[4]:
        return Decision(
            segment_id,
            code_id,
            coder,
            "remove",
            source="manual",
            memo=f"{UNDO_OPEN}{event_id}",
            start=start,
            end=end,
        )
    action, source, score, model, _ = previous
    return Decision(
        segment_id,
        code_id,
        coder,
        action,
        source=source,
        score=score,
        model=model,
        memo=f"{UNDO_RESTORE}{event_id}",
        start=start,
        end=end,
    )


def undo_last(project: Project, coder: str) -> Undone | None:
    """Undo `coder`'s latest action not undone yet, in one transaction; None if none.
    Only events `coder` recorded themselves count (see the module docstring)."""
    if not coder or not coder.strip():
        raise QualcodeError("undo needs a coder")
    coder = acting_as(project, coder)
    with project.transaction() as con:
        events = con.execute(_LIVE, {"coder": coder}).fetchall()
        if not events:
            return None
        decisions = [_restoring(con, coder, event) for event in events]
        appended = append_decisions(con, decisions, recorded_by=coder)
    return Undone(
        undone=[e[0] for e in events],
        appended=appended,
        targets=[(e[1], e[4], e[5]) for e in events],
    )
