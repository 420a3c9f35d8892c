"""Every current coding of a layer, one row each, with its case and its text."""

from __future__ import annotations

from qualcode.coding.layers import Layer, resolve_layer
from qualcode.exports.table import Table
from qualcode.store import Project

COLUMNS = [
    "document", "location", "session", "speaker", "segment", "start", "end",
    "code", "code_label", "coder", "source", "text",
]  # fmt: skip

_SQL = """
SELECT d.title, c.location, c.session, s.speaker, s.ordinal,
       coalesce(k.start_offset, s.start_offset) AS span_start,
       coalesce(k.end_offset, s.end_offset) AS span_end,
       k.code_id, coalesce(cb.label, k.code_id), k.coder, k.source,
       CASE WHEN k.start_offset IS NULL THEN s.text
            ELSE substring(d.text, k.start_offset + 1, k.end_offset - k.start_offset) END
FROM codings k
JOIN segments s ON s.id = k.segment_id
JOIN current_documents d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id
LEFT JOIN codes cb ON cb.id = k.code_id
    AND cb.codebook_version = (SELECT max(version) FROM codebook_versions)
WHERE {layer}
ORDER BY d.id, s.ordinal, span_start, cb.ordinal NULLS LAST, k.code_id, k.coder
"""


def codings_table(project: Project, layer: str | Layer = "all") -> Table:
    """One row per current coding in the layer; start and end are the coded span's
    code-point offsets (the segment's own when the whole segment was coded)."""
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        condition, params = chosen.predicate("k.coder")
        found = con.execute(_SQL.format(layer=condition), params).fetchall()
    return Table(
        "Codings",
        COLUMNS,
        [list(row) for row in found],
        [f"Current codings of the {chosen.name} layer; offsets are code points, end exclusive."],
        sheet="Codings",
    )
