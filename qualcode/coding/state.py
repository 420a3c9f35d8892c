"""The current codings, materialised: the latest decision per (segment, span, code, coder).

The `codings` view recomputes this from every event on each read: a window over all
events, about a second at 1,000,000 events on a two-core machine. `coding_state`
holds the same rows, with events folded in incrementally up to the event id kept in
`meta` under `coding_state_upto`. It is derived data: `coding_events` stays the
record, and the state can be rebuilt from it at any time. A reader that finds the
state behind merges the newer events in SQL, so a stale state is slower, never wrong.
This relies on events being append-only, as the design requires; a file whose events
end before the state does is rebuilt from its events.

Folding also keeps `segment_masks`: per (coder, segment), the codes the coder applies
there as one 128-bit integer, bit i for the code `code_bits` numbers i. Tracking
reads those (tens of thousands of rows) instead of the state (one row per decision
key) while the numbering fits in 128 bits.
"""

from __future__ import annotations

import duckdb

from qualcode.store import Project

UPTO_KEY = "coding_state_upto"
MASK_BITS = 128
_APPLIES = "arg_max(action IN ('accept', 'add'), id)"
_KEY = "segment_id, start_offset, end_offset, code_id, coder"
_SAME_KEY = (
    "n.segment_id = s.segment_id AND n.code_id = s.code_id AND n.coder = s.coder "
    "AND n.start_offset IS NOT DISTINCT FROM s.start_offset "
    "AND n.end_offset IS NOT DISTINCT FROM s.end_offset"
)


def positions(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(the last event folded into the state, the last event recorded)."""
    upto, top = con.execute(
        "SELECT (SELECT coalesce(max(value::BIGINT), 0) FROM meta WHERE key = ?), "
        "(SELECT coalesce(max(id), 0) FROM coding_events)",
        [UPTO_KEY],
    ).fetchone()
    return int(upto), int(top)


def fold_events(con: duckdb.DuckDBPyConnection) -> int:
    """Fold events newer than the state into it, inside the caller's transaction;
    return how many events were folded."""
    upto, top = positions(con)
    if top == upto:
        return 0
    if top < upto:  # events vanished (a restored or edited file): rebuild from scratch
        con.execute("DELETE FROM coding_state")
        con.execute("DELETE FROM segment_masks")
        upto = 0
    newer = f"SELECT DISTINCT {_KEY} FROM coding_events WHERE id > $upto AND id <= $top"
    con.execute(
        f"DELETE FROM coding_state s USING ({newer}) n WHERE {_SAME_KEY}",
        {"upto": upto, "top": top},
    )
    con.execute(
        f"INSERT INTO coding_state ({_KEY}, last_event, applied) "
        f"SELECT {_KEY}, max(id), {_APPLIES} FROM coding_events "
        f"WHERE id > $upto AND id <= $top GROUP BY {_KEY}",
        {"upto": upto, "top": top},
    )
    _fold_masks(con, upto, top)
    con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [UPTO_KEY, str(top)])
    return top - upto


def _fold_masks(con: duckdb.DuckDBPyConnection, upto: int, top: int) -> None:
    """Number new codes, and recompute the masks of the (coder, segment) pairs the
    events in (upto, top] touched, from the already updated state."""
    window = {"upto": upto, "top": top}
    con.execute(
        "INSERT INTO code_bits (code_id, bit) "
        "SELECT code_id, (SELECT coalesce(max(bit), -1) FROM code_bits) "
        "+ row_number() OVER (ORDER BY first_event) FROM ("
        "  SELECT code_id, min(id) AS first_event FROM coding_events "
        "  WHERE id > $upto AND id <= $top GROUP BY code_id"
        ") WHERE code_id NOT IN (SELECT code_id FROM code_bits)",
        window,
    )
    touched = "SELECT DISTINCT coder, segment_id FROM coding_events WHERE id > $upto AND id <= $top"
    con.execute(
        f"DELETE FROM segment_masks m USING ({touched}) t "
        "WHERE m.coder = t.coder AND m.segment_id = t.segment_id",
        window,
    )
    con.execute(
        "INSERT INTO segment_masks (coder, segment_id, mask) "
        "SELECT s.coder, s.segment_id, bit_or((1::UHUGEINT) << b.bit::UHUGEINT) "
        f"FROM coding_state s JOIN ({touched}) t "
        "ON t.coder = s.coder AND t.segment_id = s.segment_id "
        f"JOIN code_bits b ON b.code_id = s.code_id AND b.bit < {MASK_BITS} "
        "WHERE s.applied GROUP BY s.coder, s.segment_id",
        window,
    )


def refresh_coding_state(project: Project) -> int:
    """Bring the state up to date in one short transaction; return events folded."""
    with project.transaction() as con:
        return fold_events(con)


def state_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A relation (segment_id, start_offset, end_offset, code_id, coder, applied) of the
    current state, exact whether or not the stored state is up to date."""
    upto, top = positions(con)
    stored = f"SELECT {_KEY}, applied FROM coding_state"
    if top == upto:
        return f"({stored})"
    if top < upto:  # the stored state is not to be trusted: from the events alone
        return f"(SELECT {_KEY}, {_APPLIES} AS applied FROM coding_events GROUP BY {_KEY})"
    return (
        f"({stored} s WHERE NOT EXISTS (SELECT 1 FROM coding_events n "
        f"WHERE n.id > {upto} AND {_SAME_KEY}) "
        f"UNION ALL SELECT {_KEY}, {_APPLIES} FROM coding_events WHERE id > {upto} "
        f"GROUP BY {_KEY})"
    )


def applied_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A relation of the current codings (segment_id, start_offset, end_offset, code_id,
    coder): the rows of the `codings` view, from the state."""
    return f"(SELECT {_KEY} FROM {state_sql(con)} WHERE applied)"


def mask_bits(con: duckdb.DuckDBPyConnection) -> dict[str, int] | None:
    """The code numbering of `segment_masks` when the masks can be read: the state is
    up to date and every code fits in the 128 bits; None otherwise."""
    upto, top = positions(con)
    if top != upto:
        return None
    bits = dict(con.execute("SELECT code_id, bit FROM code_bits").fetchall())
    return bits if all(bit < MASK_BITS for bit in bits.values()) else None
