"""A project's contents at a glance."""

from __future__ import annotations

from typing import Any

from qualcode.store import Project


def project_status(project: Project) -> dict[str, Any]:
    """Counts of documents, segments, codes, codings and coders, and documents
    per location and session (current document versions only)."""
    with project.connect(read_only=True) as con:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchone()[0]

        version = one("SELECT max(version) FROM codebook_versions")
        by_case = con.execute(
            "SELECT c.location, c.session, count(*) FROM current_documents d "
            "JOIN cases c ON c.id = d.case_id "
            "GROUP BY ALL ORDER BY c.location NULLS LAST, c.session NULLS LAST"
        ).fetchall()
        return {
            "documents": one("SELECT count(*) FROM current_documents"),
            "document_versions": one("SELECT count(*) FROM documents"),
            "segments": one(
                "SELECT count(*) FROM segments s JOIN current_documents d ON d.id = s.document_id"
            ),
            "codebook_version": version,
            "codes": one(
                "SELECT count(*) FROM codes WHERE codable AND NOT retired AND codebook_version = "
                "(SELECT max(version) FROM codebook_versions)"
            ),
            "codings": one("SELECT count(*) FROM codings"),
            "coders": one(
                "SELECT count(*) FROM (SELECT name FROM coders UNION "
                "SELECT DISTINCT coder FROM coding_events)"
            ),
            "documents_by_location_session": [
                {"location": loc, "session": ses, "documents": n} for loc, ses, n in by_case
            ],
            "documents_without_location_session": one(
                "SELECT count(*) FROM current_documents d LEFT JOIN cases c ON c.id = d.case_id "
                "WHERE c.location IS NULL OR c.session IS NULL"
            ),
        }
