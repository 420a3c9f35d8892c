"""Import a REFI-QDA project (.qdpx) into a qualcode project, all or nothing.

The archive is checked (`qualcode.refi.archive`), the project XML read
leniently (any namespace, any GUID case, `sources/` or `Sources/`) and every
source, selection and note resolved in memory first; then one transaction
stores it all, so a bad file leaves the project as it was.

Mapping:
- each `<TextSource>` becomes a document holding its plain text exactly as
  decoded (UTF-8, BOM removed, newlines kept, so positions stay valid),
  segmented by qualcode's own pipeline (speaker turns, then sentences), or
  with the segments a qualcode export recorded for exactly this text; a
  source whose text is already in the project, or in an earlier source of the
  same file, reuses that document and its segments (noted when two sources of
  the file share it); a source with no text to code (empty, or only blank
  lines) and no codings is left out with a note, as one with no plain text is;
- the codebook becomes a new codebook version (`store_codebook`), ids as in
  `qualcode.refi.codebook`; a non-codable code that carries codings is made
  codable;
- `<User>`s become coders (by name); a user named `consensus` or `model`
  (qualcode's own layers) is refused. The codings and notes go into their
  users' layers, each event recorded as the importer's; for a project bound to
  a person, codings or notes by anyone else need an admin
  (`qualcode.access.check_import_coders`), and the named coders cannot undo
  them (`qualcode.coding.undo`);
- each `<Coding>` in a `<PlainTextSelection>` becomes one coding event
  (action 'add', source 'import') by the coding's creating user (else the
  selection's, else the project's), with the selection's span converted to
  code points (see `qualcode.refi.positions`); it is anchored at the segment
  containing the span's start, or the next segment when the start falls
  between segments (a speaker label, blank lines), keeping the span as it is.
  A span equal to its segment is stored as a whole-segment coding. A coding
  on a whole source spans the whole text;
- `<Note>`s become memos on what references them (project, source, code, or
  the selection's segment); a note referenced from a coding becomes that
  coding's memo; unreferenced notes become project memos. A note's name
  goes before its text unless the text already starts with it. Source and
  selection descriptions become memos too;
- a `<Case>` becomes a case of the documents it refers to; its `location`,
  `session`, `date` and `participant_group` variables fill those columns and
  other variables become attributes of its documents, as source variables do.

Not imported (reported in `ImportReport.notes`): picture, PDF, audio and video
sources, text sources without text, sets, links and graphs, and empty selections.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from qualcode.access import (
    check_import_coders,
    check_not_reserved,
    recorded_as,
    require_supervisor,
)
from qualcode.audit import log_action
from qualcode.codebook.versions import append_codebook, latest_version
from qualcode.codebook.yaml_io import codebook_to_yaml
from qualcode.coding.decisions import Decision, append_decisions
from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.pipeline import store_document
from qualcode.ingest.segment import Segment, segment_document
from qualcode.ingest.turns import split_turns
from qualcode.refi.positions import PositionUnit
from qualcode.refi.project_read import CASE_VARIABLES, Case, ParsedProject, Source, read_qdpx
from qualcode.settings import CODING_UNIT, setting_value
from qualcode.store import Project


@dataclass
class ImportReport:
    """What an import stored."""

    documents: int = 0  # sources imported, new or matched to a stored document
    documents_reused: int = 0
    sources_skipped: int = 0  # text sources with no text to code, left out
    codes: int = 0
    coders: int = 0
    codings: int = 0
    memos: int = 0
    cases: int = 0
    codebook_version: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, int]:
        return {
            "documents": self.documents,
            "codes": self.codes,
            "coders": self.coders,
            "codings": self.codings,
            "memos": self.memos,
            "sources_skipped": self.sources_skipped,
        }


def _stored_document(con: duckdb.DuckDBPyConnection, digest: str) -> int | None:
    """A stored document with this text: the current version if there is one."""
    row = con.execute(
        "SELECT d.id FROM documents d LEFT JOIN current_documents c ON c.id = d.id "
        "WHERE d.content_hash = ? ORDER BY c.id IS NULL, d.id DESC LIMIT 1",
        [digest],
    ).fetchone()
    return row[0] if row else None


def _segment(text: str, unit: str) -> list[Segment]:
    return segment_document(ParsedDocument(text=text, format="txt", turns=split_turns(text)), unit)


def _case_id(con: duckdb.DuckDBPyConnection, case: Case) -> int:
    row = con.execute("SELECT id FROM cases WHERE name = ?", [case.name]).fetchone()
    if row is not None:
        return row[0]
    return con.execute(
        "INSERT INTO cases (name, location, session, date, participant_group) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        [case.name, *(case.columns.get(column) for column in CASE_VARIABLES)],
    ).fetchone()[0]


class _Anchors:
    """A document's segments, for anchoring spans (see the module docstring)."""

    def __init__(self, document_id: int, rows: list[tuple[int, int, int]]) -> None:
        self.document_id = document_id
        self.ids = [row[0] for row in rows]
        self.starts = [row[1] for row in rows]
        self.ends = [row[2] for row in rows]

    def anchor(self, start: int, end: int) -> tuple[int, int | None, int | None]:
        """(segment id, span start, span end); the span is None for a whole segment."""
        i = bisect_right(self.starts, start) - 1
        if not (i >= 0 and start < self.ends[i]) and i + 1 < len(self.ids):
            i += 1
        i = max(i, 0)
        if (start, end) == (self.starts[i], self.ends[i]):
            return self.ids[i], None, None
        return self.ids[i], start, end


def _store_document(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    case_ids: dict[str, int],
    path: Path,
    report: ImportReport,
    earlier: dict[str, str],
) -> _Anchors:
    """A source's document, reused or stored as a new one (`store_document`), ready
    for anchoring its selections. `earlier` maps the texts (digests) of this file's
    sources stored so far to their names."""
    document_id = _stored_document(con, source.digest)
    if source.digest in earlier:
        report.notes.append(
            f"source '{source.name}' has the same text as source '{earlier[source.digest]}': "
            "one document holds both"
        )
    earlier.setdefault(source.digest, source.name)
    if document_id is None:
        unit = setting_value(con, CODING_UNIT.key)
        document_id = store_document(
            con,
            ParsedDocument(text=source.text, format=source.format, turns=[]),
            source.segments if source.segments is not None else _segment(source.text, unit),
            title=source.name,
            source=str(path.resolve()),
            case_id=case_ids.get(source.case) if source.case else None,
            attributes=source.attributes,
            unit=source.coding_unit if source.segments is not None else unit,
        ).id
    else:
        report.documents_reused += 1
        if source.attributes:  # the stored document gains those it lacks
            con.executemany(
                "INSERT OR IGNORE INTO document_attributes (document_id, name, value) "
                "VALUES (?, ?, ?)",
                [[document_id, name, value] for name, value in source.attributes.items()],
            )
    rows = con.execute(
        "SELECT id, start_offset, end_offset FROM segments WHERE document_id = ? "
        "ORDER BY start_offset",
        [document_id],
    ).fetchall()
    if not rows and source.selections:
        raise InputError(path, f"source '{source.name}' has codings but no text to code")
    return _Anchors(document_id, rows)


def _store(project: Project, parsed: ParsedProject, path: Path, actor: str) -> ImportReport:
    report = ImportReport(notes=list(parsed.messages), sources_skipped=parsed.sources_skipped)
    events: list[Decision] = []
    memos: list[tuple[str, str | None, str, str]] = []  # target type, target id, coder, text
    notes_used: set[str] = set()

    def memo(target_type: str, target_id: str | None, note_guid: str) -> None:
        note = parsed.notes.get(note_guid)
        if note is not None:
            memos.append((target_type, target_id, note.creator, note.text))
            notes_used.add(note_guid)

    with project.transaction() as con:
        if parsed.codebook is not None:
            result = append_codebook(
                con,
                parsed.codebook,
                codebook_to_yaml(parsed.codebook),
                str(path),
                actor,
            )
            report.codebook_version = result.version
            report.codes = len(parsed.codebook.codes)
        else:
            report.codebook_version = latest_version(con)
        coders = set(parsed.users)
        case_ids = {case.name: _case_id(con, case) for case in parsed.cases}
        report.cases = len(case_ids)
        earlier: dict[str, str] = {}
        for source in parsed.sources:
            anchors = _store_document(con, source, case_ids, path, report, earlier)
            document_id = anchors.document_id
            report.documents += 1
            if source.description:
                memos.append(("document", str(document_id), source.creator, source.description))
            for note_guid in source.notes:
                memo("document", str(document_id), note_guid)
            for selection in source.selections:
                segment_id, start, end = anchors.anchor(selection.start, selection.end)
                for coding in selection.codings:
                    texts = [parsed.notes[g].text for g in coding.notes if g in parsed.notes]
                    notes_used.update(coding.notes)
                    events.append(
                        Decision(
                            segment_id,
                            coding.code_id,
                            coding.coder,
                            "add",
                            source="import",
                            memo="\n\n".join(texts) if texts else None,
                            start=start,
                            end=end,
                        )
                    )
                    coders.add(coding.coder)
                if selection.description:
                    memos.append(
                        ("segment", str(segment_id), selection.creator, selection.description)
                    )
                for note_guid in selection.notes:
                    memo("segment", str(segment_id), note_guid)
        for code_id, refs in (parsed.codes.note_refs if parsed.codes else {}).items():
            for note_guid in refs:
                memo("code", code_id, note_guid)
        for note_guid in parsed.project_notes:
            memo("project", None, note_guid)
        for note_guid, note in parsed.notes.items():
            if note_guid not in notes_used:
                memos.append(("project", None, note.creator, note.text))
        coders.update(m[2] for m in memos)
        if coders:
            con.executemany(
                "INSERT OR IGNORE INTO coders (name) VALUES (?)",
                [[name] for name in sorted(coders)],
            )
        try:
            append_decisions(con, events, recorded_by=actor)
        except QualcodeError as exc:
            raise InputError.about(path, exc) from None
        if memos:
            con.executemany(
                "INSERT INTO memos (target_type, target_id, coder, text) VALUES (?, ?, ?, ?)",
                [list(m) for m in memos],
            )
        report.coders = len(coders)
        report.codings = len(events)
        report.memos = len(memos)
        log_action(
            con,
            actor,
            "import.qdpx",
            {"source": str(path), **report.to_json(), "codebook_version": report.codebook_version},
        )
    return report


def _authors(parsed: ParsedProject) -> set[str]:
    """Everyone whose codings or memos the import writes (in their name)."""
    names = {note.creator for note in parsed.notes.values()}
    for source in parsed.sources:
        if source.description:
            names.add(source.creator)
        for selection in source.selections:
            names.update(coding.coder for coding in selection.codings)
            if selection.description:
                names.add(selection.creator)
    return names


def import_qdpx(
    project: Project,
    path: str | Path,
    positions: PositionUnit = "utf16",
    max_bytes: int | None = None,
    actor: str = "cli",
) -> ImportReport:
    """Import a .qdpx into `project` in one transaction; see the module docstring.

    Raises InputError (one line naming the file and the problem) and stores
    nothing when the archive or anything in it cannot be used, including an
    archive or unpacked content over `max_bytes` (None: the configured limit).
    """
    require_supervisor(project, "import a whole project")
    path = Path(path)
    parsed = read_qdpx(path, positions, max_bytes)
    for name in sorted({*parsed.users, *_authors(parsed)}):
        try:
            check_not_reserved(name)
        except QualcodeError as exc:
            raise InputError(path, f"user {exc.message}") from None
    with project.connect(read_only=True) as con:
        check_import_coders(con, project.user, _authors(parsed))
    with project.connect(read_only=True) as con:
        stored = {s.digest for s in parsed.sources if _stored_document(con, s.digest) is not None}
        unit = setting_value(con, CODING_UNIT.key)
    _segment_sources(parsed, stored, path, unit)
    return _store(project, parsed, path, recorded_as(project, actor))


def _segment_sources(parsed: ParsedProject, stored: set[str], path: Path, unit: str) -> None:
    """Segments for each new text at the project's `unit` of coding, once per text and
    before locking (spaCy is slow).

    A source with no text to code (no segments: empty, or blank lines only) would be
    a document nobody can code, which the integrity check counts as a problem: it is
    left out with a note when it has no codings, and refused when it has some."""
    segmented: dict[str, list[Segment]] = {}
    kept: list[Source] = []
    for source in parsed.sources:
        if source.digest not in stored:
            if source.segments is None:
                if source.digest not in segmented:
                    segmented[source.digest] = _segment(source.text, unit)
                source.segments = segmented[source.digest]
                source.coding_unit = unit
            if not source.segments:
                if source.selections:
                    raise InputError(
                        path, f"source '{source.name}' has codings but no text to code"
                    )
                parsed.messages.append(f"source '{source.name}' has no text to code: not imported")
                parsed.sources_skipped += 1
                continue
        kept.append(source)
    parsed.sources = kept
