"""Code-and-retrieve: documents, segments in context, and codings laid over the text."""

from __future__ import annotations

from dataclasses import dataclass, field

from qualcode.access import check_layer
from qualcode.coding.layers import parse_layer
from qualcode.errors import QualcodeError
from qualcode.store import Project


@dataclass
class DocumentInfo:
    id: int
    title: str
    format: str
    location: str | None
    session: str | None
    date: str | None
    group: str | None
    segments: int
    version: int
    coding_unit: str | None = None  # turn or sentence (None: segments a REFI import brought)


@dataclass
class SegmentRow:
    id: int
    document_id: int
    ordinal: int
    speaker: str | None
    start: int
    end: int
    text: str


@dataclass
class CodedSpan:
    """A coding shown over the document text: offsets are code points, end exclusive."""

    segment_id: int
    start: int
    end: int
    code_id: str
    coder: str


@dataclass
class DocumentView:
    info: DocumentInfo
    text: str
    segments: list[SegmentRow]
    codings: list[CodedSpan] = field(default_factory=list)
    preamble: str = ""  # the note above the first speaker turn, when it is no segment


def list_documents(project: Project) -> list[DocumentInfo]:
    """Current documents with their case attributes, in title order."""
    with project.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT d.id, d.title, d.format, c.location, c.session, c.date, "
            "c.participant_group, (SELECT count(*) FROM segments s WHERE s.document_id = d.id), "
            "d.version FROM current_documents d LEFT JOIN cases c ON c.id = d.case_id "
            "ORDER BY c.location NULLS LAST, c.session NULLS LAST, d.title"
        ).fetchall()
    return [DocumentInfo(*row) for row in rows]


def document_view(project: Project, document_id: int, layer: str = "all") -> DocumentView:
    """A document's text, its segments and the codings of a layer over it (a layer
    the project's person may see, `qualcode.access`)."""
    chosen = parse_layer(layer)
    condition, params = chosen.predicate("k.coder")
    with project.connect(read_only=True) as con:
        check_layer(con, project.user, chosen.name)
        row = con.execute(
            "SELECT d.id, d.title, d.format, c.location, c.session, c.date, "
            "c.participant_group, (SELECT count(*) FROM segments s WHERE s.document_id = d.id), "
            "d.version, d.text, d.preamble_end, d.coding_unit FROM documents d "
            "LEFT JOIN cases c ON c.id = d.case_id "
            "WHERE d.id = ?",
            [document_id],
        ).fetchone()
        if row is None:
            raise QualcodeError(f"no document with id {document_id}")
        segments = [
            SegmentRow(*r)
            for r in con.execute(
                "SELECT id, document_id, ordinal, speaker, start_offset, end_offset, text "
                "FROM segments WHERE document_id = ? ORDER BY ordinal",
                [document_id],
            ).fetchall()
        ]
        spans = [
            CodedSpan(*r)
            for r in con.execute(
                "SELECT k.segment_id, coalesce(k.start_offset, s.start_offset), "
                "coalesce(k.end_offset, s.end_offset), k.code_id, k.coder "
                "FROM codings k JOIN segments s ON s.id = k.segment_id "
                f"WHERE s.document_id = $document AND {condition} ORDER BY 2, 3, k.code_id",
                {"document": document_id, **params},
            ).fetchall()
        ]
    text, end = row[9], row[10] or 0
    in_segments = any(s.start < end for s in segments)
    preamble = "" if in_segments else text[:end].strip()
    info = DocumentInfo(*row[:9], coding_unit=row[11])
    return DocumentView(info, text, segments, spans, preamble)


def segment_context(
    project: Project, segment_id: int, before: int = 2, after: int = 2
) -> list[SegmentRow]:
    """A segment with its neighbours in the same document, in reading order."""
    with project.connect(read_only=True) as con:
        found = con.execute(
            "SELECT document_id, ordinal FROM segments WHERE id = ?", [segment_id]
        ).fetchone()
        if found is None:
            raise QualcodeError(f"no segment with id {segment_id}")
        document_id, ordinal = found
        rows = con.execute(
            "SELECT id, document_id, ordinal, speaker, start_offset, end_offset, text "
            "FROM segments WHERE document_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
            [document_id, ordinal - before, ordinal + after],
        ).fetchall()
    return [SegmentRow(*r) for r in rows]


def code_counts(project: Project, layer: str) -> dict[str, int]:
    """Coded segments per code in a layer, over the current documents: the counts shown
    beside a codebook's codes. Codes with none are left out; a layer the project's
    person may not read is refused (`qualcode.access`)."""
    chosen = parse_layer(layer)
    condition, params = chosen.predicate("k.coder")
    with project.connect(read_only=True) as con:
        check_layer(con, project.user, chosen.name)
        found = con.execute(
            "SELECT k.code_id, count(DISTINCT k.segment_id) FROM codings k "
            "JOIN segments s ON s.id = k.segment_id "
            "JOIN current_documents d ON d.id = s.document_id "
            f"WHERE {condition} GROUP BY k.code_id",
            params,
        ).fetchall()
    return {code: int(count) for code, count in found}
