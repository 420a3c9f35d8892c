"""The audit trail: an append-only record of every change to a project, who and when."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from qualcode.errors import QualcodeError
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
) -> list[dict[str, Any]]:
    """Every change, oldest first: the action log and every coding event, with who
    and when. `since` is an ISO date or timestamp; `actor` one person."""
    query = """
        SELECT happened_at, actor, action, detail FROM (
            SELECT happened_at, actor, action, detail, 0 AS kind, id FROM action_log
            UNION ALL
            SELECT created_at, coder, 'coding.' || action,
                   json_object('event', id, 'segment', segment_id, 'code', code_id,
                               'source', source, 'start', start_offset, 'end', end_offset,
                               'memo', memo),
                   1, id
            FROM coding_events
        )
        WHERE ($since::TIMESTAMP IS NULL OR happened_at >= $since::TIMESTAMP)
          AND ($actor::VARCHAR IS NULL OR actor = $actor::VARCHAR)
        ORDER BY happened_at, kind, id
        """ + (" LIMIT $limit" if limit else "")
    params = {"since": since, "actor": actor, **({"limit": limit} if limit else {})}
    try:
        with project.connect(read_only=True) as con:
            rows = con.execute(query, params).fetchall()
    except duckdb.ConversionException:
        raise QualcodeError(
            f"--since must be a date or time, e.g. 2022-05-01 (got {since!r})"
        ) from None
    return [
        {"at": at.isoformat(sep=" "), "actor": who, "action": what, "detail": json.loads(detail)}
        for at, who, what, detail in rows
    ]
