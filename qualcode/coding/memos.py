"""Memos: a coder's notes on a segment, a code, a document or the project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qualcode.access import acting_as, readable_coder
from qualcode.audit import log_action
from qualcode.errors import QualcodeError
from qualcode.store import Project

TARGETS = ("project", "document", "segment", "code")


@dataclass
class Memo:
    id: int
    target_type: str
    target_id: str | None
    coder: str
    text: str
    created_at: datetime


def add_memo(
    project: Project, target_type: str, target_id: str | int | None, coder: str, text: str
) -> int:
    """Append a memo; memos are never edited in place (a new memo supersedes)."""
    if target_type not in TARGETS:
        raise QualcodeError(f"a memo is about one of: {', '.join(TARGETS)}")
    if not text.strip():
        raise QualcodeError("an empty memo")
    if not coder.strip():
        raise QualcodeError("a memo needs a coder")
    coder = acting_as(project, coder.strip())
    target = None if target_id is None else str(target_id)
    with project.transaction() as con:
        memo_id = con.execute(
            "INSERT INTO memos (target_type, target_id, coder, text) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            [target_type, target, coder, text.strip()],
        ).fetchone()[0]
        log_action(con, coder, "memo.add", {"memo": memo_id, "about": target_type, "id": target})
    return memo_id


def memos_for(
    project: Project, target_type: str, target_id: str | int | None, coder: str | None = None
) -> list[Memo]:
    """Memos on one target, oldest first; only `coder`'s when given (blind coding).
    A project bound to a coder reads that coder's memos only (`qualcode.access`)."""
    sql = (
        "SELECT id, target_type, target_id, coder, text, created_at FROM memos "
        "WHERE target_type = ? AND target_id IS NOT DISTINCT FROM ?"
    )
    params: list = [target_type, None if target_id is None else str(target_id)]
    with project.connect(read_only=True) as con:
        coder = readable_coder(con, project.user, coder)
        if coder is not None:
            sql += " AND coder = ?"
            params.append(coder)
        return [Memo(*row) for row in con.execute(sql + " ORDER BY id", params).fetchall()]
