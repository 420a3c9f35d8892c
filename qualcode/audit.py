"""The audit trail: an append-only record of every change to a project, who and when."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from qualcode.access import readable_coder
from qualcode.errors import ArgumentError
from qualcode.store import Project


def log_action(
    con: duckdb.DuckDBPyConnection, actor: str, action: str, detail: dict[str, Any]
) -> None:
    """Append one entry; call inside the transaction that makes the change."""
    con.execute(
        "INSERT INTO action_log (actor, action, detail) VALUES (?, ?, ?)",
        [actor, action, json.dumps(detail, ensure_ascii=False, default=str)],
    )


def audit_trail(
    project: Project,
    since: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
    newest: bool = False,
) -> list[dict[str, Any]]:
    """Every change, oldest first (`newest`: newest first, so `limit` keeps the latest):
    the action log, every coding event and every segment review, with who and when.
    `since` is an ISO date or timestamp; `actor` one person. A project bound to a
    coder shows that coder's own entries only (`qualcode.access`)."""
    query = """
        SELECT happened_at, actor, action, detail FROM (
            SELECT happened_at, actor, action, detail, 0 AS kind, id FROM action_log
            UNION ALL
            SELECT created_at, coder, 'coding.' || action,
                   json_object('event', id, 'segment', segment_id, 'code', code_id,
                               'source', source, 'start', start_offset, 'end', end_offset,
                               'memo', memo, 'recorded_by', recorded_by),
                   1, id
            FROM coding_events
            UNION ALL
            SELECT reviewed_at, coder, 'coding.reviewed', json_object('segment', segment_id),
                   2, id
            FROM segment_reviews
        )
        WHERE ($since::TIMESTAMP IS NULL OR happened_at >= $since::TIMESTAMP)
          AND ($actor::VARCHAR IS NULL OR actor = $actor::VARCHAR)
        ORDER BY happened_at {order}, kind {order}, id {order}
        """.format(order="DESC" if newest else "ASC")
    if limit:
        query += " LIMIT $limit"
    params = {"since": since, "actor": actor, **({"limit": limit} if limit else {})}
    try:
        with project.connect(read_only=True) as con:
            params["actor"] = readable_coder(con, project.user, actor)
            rows = con.execute(query, params).fetchall()
    except duckdb.ConversionException:
        raise ArgumentError(
            "since", f"must be a date or time, e.g. 2022-05-01 (got {since!r})"
        ) from None
    return [
        {"at": at.isoformat(sep=" "), "actor": who, "action": what, "detail": json.loads(detail)}
        for at, who, what, detail in rows
    ]
