"""How far coding has got: reviewed segments per coder and document, and how often
each code's suggestions were accepted. Progress counts units of coding only
(`qualcode.speakers.coding_unit_sql`), so a coder who has reviewed every participant's
turn is done, whatever facilitators said."""

from __future__ import annotations

from typing import Any

from qualcode.access import readable_coder
from qualcode.speakers import coding_unit_sql
from qualcode.store import Project

_REVIEWED = (
    "SELECT DISTINCT segment_id, coder FROM (SELECT segment_id, coder FROM coding_events "
    "UNION ALL SELECT segment_id, coder FROM segment_reviews) WHERE coder <> 'consensus'"
)


def review_progress(project: Project) -> list[dict[str, Any]]:
    """Per coder and current document: units of coding reviewed out of all of them (a
    project bound to a coder: that coder's rows only, `qualcode.access`)."""
    with project.connect(read_only=True) as con:
        only = readable_coder(con, project.user, None)
        units = coding_unit_sql(con, "s")
        rows = con.execute(
            "WITH reviewed AS (" + _REVIEWED + "), "
            f"totals AS (SELECT document_id, count(*) AS n FROM segments s WHERE {units} "
            "GROUP BY ALL) "
            "SELECT r.coder, d.id, d.title, count(*) AS done, t.n FROM reviewed r "
            "JOIN segments s ON s.id = r.segment_id "
            "JOIN current_documents d ON d.id = s.document_id "
            "JOIN totals t ON t.document_id = d.id "
            f"WHERE {units} AND ($only::VARCHAR IS NULL OR r.coder = $only::VARCHAR) "
            "GROUP BY ALL ORDER BY r.coder, d.title",
            {"only": only},
        ).fetchall()
    return [
        {
            "coder": c,
            "document_id": d,
            "document": t,
            "reviewed": done,
            "segments": n,
            "share": done / n if n else 0.0,
        }
        for c, d, t, done, n in rows
    ]


def acceptance_rates(project: Project, coder: str | None = None) -> list[dict[str, Any]]:
    """Per code: suggestions accepted and rejected (each coder's latest decision);
    `coder`'s only when given, and always for a project bound to a coder."""
    with project.connect(read_only=True) as con:
        coder = readable_coder(con, project.user, coder)
        where = "WHERE coder = ?" if coder else "WHERE coder <> 'consensus'"
        rows = con.execute(
            "SELECT code_id, count(*) FILTER (action = 'accept'), "
            "count(*) FILTER (action = 'reject') FROM ("
            "  SELECT *, row_number() OVER (PARTITION BY segment_id, code_id, coder "
            "  ORDER BY id DESC) AS rn FROM coding_events "
            f"  {where} AND action IN ('accept', 'reject') AND source = 'suggestion'"
            ") WHERE rn = 1 GROUP BY code_id ORDER BY code_id",
            [coder] if coder else [],
        ).fetchall()
    return [
        {"code": code, "accepted": a, "rejected": r, "rate": a / (a + r) if a + r else None}
        for code, a, r in rows
    ]
