"""The action log: an append-only record of every change to a project."""

from __future__ import annotations

import json
from typing import Any

import duckdb


def log_action(
    con: duckdb.DuckDBPyConnection, actor: str, action: str, detail: dict[str, Any]
) -> None:
    """Append one entry; call inside the transaction that makes the change."""
    con.execute(
        "INSERT INTO action_log (actor, action, detail) VALUES (?, ?, ?)",
        [actor, action, json.dumps(detail, ensure_ascii=False, default=str)],
    )
