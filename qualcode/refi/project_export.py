"""Export a project as a REFI-QDA project (.qdpx), valid against Project.xsd.

`export_qdpx` writes the archive to a file (the CLI); `qdpx_bytes` returns the same
archive's bytes (the app's download). Both log the export in the action log.

What goes in:
- the current version of each document, as `sources/<guid>.txt` (UTF-8, no
  BOM) referenced by a `<TextSource plainTextPath="internal://<guid>.txt">`,
  with qualcode's segmentation (offsets, speakers, cue times) and the original
  format in an XML comment that other tools ignore and qualcode's importer
  reads back, so a round trip keeps segments exactly;
- the latest codebook, nested, with structured fields in `<Description>`
  (see `qualcode.refi.codebook`); retired codes only when codings or memos
  still use them, marked `Retired: yes`;
- coders as `<User>`s; each current coding (the `codings` view) as a
  `<Coding>` by its coder inside a `<PlainTextSelection>` covering its span,
  or its segment when it codes the whole segment; codings on the same range
  share one selection; a coding's memo becomes a note referenced from it;
  the consensus layer is left out (counted in the report's notes): REFI-QDA
  has no agreed layer, and imports refuse qualcode's reserved layer names;
- memos as `<Note>`s referenced from the project, source, code, or a
  selection covering the segment they are about;
- cases with `location`, `session`, `date` and `participant_group` as
  variables and `<SourceRef>`s to their documents; document attributes as
  source variables. Every variable is of type Text.

Positions: `startPosition`/`endPosition` are written in UTF-16 code units by
default, end exclusive, because that is what NVivo writes and reads (the
standard says characters, which differs only for characters outside the
Basic Multilingual Plane, e.g. emoji). `positions="codepoints"` writes code
points instead. The importer converts back with the same setting, so a
round trip is exact either way.

GUIDs are UUID5s of the project's UUID and the entity's kind and key (see
`qualcode.refi.guids`), so repeated exports of a project agree.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from lxml import etree

from qualcode.access import RESERVED, recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.versions import codebook_at
from qualcode.errors import ProjectError
from qualcode.fileio import OWNER_ONLY, write_atomic
from qualcode.refi.codebook import ORIGIN, append_codes
from qualcode.refi.guids import entity_guid, project_uuid
from qualcode.refi.positions import PositionMap, PositionUnit
from qualcode.refi.project_read import CASE_VARIABLES
from qualcode.refi.xmlutil import PROJECT_NS, name_comment, segments_comment, xml_safe
from qualcode.store import Project


@dataclass
class ExportReport:
    """What an export wrote, and what it had to leave out."""

    path: Path
    documents: int = 0
    codes: int = 0
    coders: int = 0
    codings: int = 0
    memos: int = 0
    cases: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "documents": self.documents,
            "codes": self.codes,
            "coders": self.coders,
            "codings": self.codings,
            "memos": self.memos,
            "cases": self.cases,
            "notes": self.notes,
        }


@dataclass
class _Snapshot:
    """Everything exported, read in one connection."""

    codebook: Codebook | None
    documents: list[tuple[int, str, str, int | None, str]]  # id, title, text, case, format
    segments: dict[int, tuple[int, int, int]]  # id -> document id, start, end
    segment_rows: dict[int, list[list[Any]]]  # document id -> segments in order, for the comment
    codings: list[tuple]  # segment, start, end, code, coder, created_at, memo
    memos: list[tuple]  # id, target type, target id, coder, text, created_at
    cases: list[tuple]  # id, name, location, session, date, participant_group
    attributes: list[tuple[int, str, str | None]]  # document id, name, value
    coders: list[str]


def _read(con: duckdb.DuckDBPyConnection) -> _Snapshot:
    documents = con.execute(
        "SELECT id, title, text, case_id, format FROM current_documents ORDER BY id"
    ).fetchall()
    segments: dict[int, tuple[int, int, int]] = {}
    segment_rows: dict[int, list[list[Any]]] = defaultdict(list)
    for row in con.execute(
        "SELECT s.id, s.document_id, s.start_offset, s.end_offset, s.turn, s.speaker, "
        "s.cue_start, s.cue_end, s.activity, s.attributes FROM segments s "
        "JOIN current_documents d ON d.id = s.document_id ORDER BY s.document_id, s.ordinal"
    ).fetchall():
        segments[row[0]] = (row[1], row[2], row[3])
        segment_rows[row[1]].append(list(row[2:]))
    return _Snapshot(
        codebook=codebook_at(con),
        documents=documents,
        segments=segments,
        segment_rows=segment_rows,
        codings=con.execute(
            "SELECT segment_id, start_offset, end_offset, code_id, coder, created_at, memo "
            "FROM codings ORDER BY event_id"
        ).fetchall(),
        memos=con.execute(
            "SELECT id, target_type, target_id, coder, text, created_at FROM memos ORDER BY id"
        ).fetchall(),
        cases=con.execute(
            "SELECT id, name, location, session, date, participant_group FROM cases ORDER BY id"
        ).fetchall(),
        attributes=con.execute(
            "SELECT a.document_id, a.name, a.value FROM document_attributes a "
            "JOIN current_documents d ON d.id = a.document_id ORDER BY a.document_id, a.name"
        ).fetchall(),
        coders=[
            row[0]
            for row in con.execute(
                "SELECT name FROM coders UNION SELECT coder FROM coding_events "
                "UNION SELECT coder FROM memos ORDER BY 1"
            ).fetchall()
        ],
    )


def _timestamp(value: datetime | None) -> str | None:
    """An xsd:dateTime without a time zone (the stored timestamps carry none)."""
    return value.replace(microsecond=0).isoformat() if value is not None else None


class _Writer:
    """Builds the project XML from a snapshot."""

    def __init__(self, snap: _Snapshot, space: uuid.UUID, unit: PositionUnit) -> None:
        self.snap = snap
        self.space = space
        self.unit = unit
        self.report_notes: list[str] = []
        self.notes: list[etree._Element] = []
        self.project_note_refs: list[str] = []

    def guid(self, kind: str, key: object) -> str:
        return entity_guid(self.space, kind, key)

    def el(self, parent: etree._Element, tag: str, /, **attrs: str | None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{PROJECT_NS}}}{tag}")
        for key, value in attrs.items():
            if value is not None:
                element.set(key, xml_safe(value))
        return element

    def text(self, parent: etree._Element, tag: str, value: str) -> etree._Element:
        element = self.el(parent, tag)
        element.text = xml_safe(value)
        return element

    def note(self, key: object, text: str, coder: str, created: datetime | None) -> str:
        """Add a `<Note>` holding `text`; return its GUID. Its name is the first line."""
        guid = self.guid("note", key)
        note = etree.Element(f"{{{PROJECT_NS}}}Note")
        note.set("guid", guid)
        note.set("name", xml_safe(text.split("\n", 1)[0]))
        note.set("creatingUser", self.guid("user", coder))
        if created is not None:
            note.set("creationDateTime", _timestamp(created))
        etree.SubElement(note, f"{{{PROJECT_NS}}}PlainTextContent").text = xml_safe(text)
        self.notes.append(note)
        return guid


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _exported_codes(snap: _Snapshot, used: set[str]) -> list[Code]:
    """Active codes, plus retired ones still used by codings or memos (with their ancestors)."""
    if snap.codebook is None:
        return []
    index = snap.codebook.by_id()
    keep = {code.id for code in snap.codebook.active()}
    for code_id in used & set(index):
        keep.add(code_id)
        keep.update(snap.codebook.ancestors(code_id))
    return [code for code in snap.codebook.codes if code.id in keep]


def build_project_xml(
    snap: _Snapshot, space: uuid.UUID, name: str, unit: PositionUnit
) -> tuple[bytes, dict[str, bytes], ExportReport]:
    """The .qde bytes, the source files by member name, and the counts."""
    w = _Writer(snap, space, unit)
    report = ExportReport(path=Path())
    documents = {doc[0]: doc for doc in snap.documents}
    code_memos = [m for m in snap.memos if m[1] == "code"]
    used_codes = {c[3] for c in snap.codings} | {m[2] for m in code_memos}
    codes = _exported_codes(snap, used_codes)
    code_ids = {code.id for code in codes}

    # selections: (document, start, end) -> codings and memo note GUIDs
    selections: dict[tuple[int, int, int], dict[str, list]] = defaultdict(
        lambda: {"codings": [], "notes": []}
    )
    skipped_codings = 0
    consensus_codings = 0
    for segment_id, start, end, code_id, coder, created, memo in snap.codings:
        if coder in RESERVED:
            consensus_codings += 1
            continue
        segment = snap.segments.get(segment_id)
        if segment is None or code_id not in code_ids:
            skipped_codings += 1
            continue
        document_id, seg_start, seg_end = segment
        span = (start, end) if start is not None else (seg_start, seg_end)
        selections[(document_id, *span)]["codings"].append((code_id, coder, created, memo))
    if skipped_codings:
        report.notes.append(
            f"{skipped_codings} codings on earlier versions of documents were not exported"
        )
    if consensus_codings:
        report.notes.append(
            f"{consensus_codings} codings of the consensus layer were not exported: "
            "REFI-QDA has no agreed layer, and a user named for it is refused on import"
        )

    source_notes: dict[int, list[str]] = defaultdict(list)
    code_notes: dict[str, list[str]] = defaultdict(list)
    skipped_memos = 0
    for memo_id, target_type, target_id, coder, text, created in snap.memos:
        target: Any = None
        number = _number(target_id)
        if target_type == "document" and number in documents:
            target = source_notes[number]
        elif target_type == "code" and target_id in code_ids:
            target = code_notes[target_id]
        elif target_type == "segment" and number in snap.segments:
            document_id, seg_start, seg_end = snap.segments[number]
            target = selections[(document_id, seg_start, seg_end)]["notes"]
        elif target_type == "project":
            target = w.project_note_refs
        if target is None:
            skipped_memos += 1
            continue
        target.append(w.note(f"memo:{memo_id}", text, coder, created))
        report.memos += 1
    if skipped_memos:
        report.notes.append(f"{skipped_memos} memos on items not exported were left out")

    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS})
    root.set("name", name)
    root.set("origin", ORIGIN)

    if snap.coders:
        users = w.el(root, "Users")
        for coder in snap.coders:
            if coder in RESERVED:
                continue
            w.el(users, "User", guid=w.guid("user", coder), name=coder)
        report.coders = sum(coder not in RESERVED for coder in snap.coders)

    if codes:
        codes_element = w.el(w.el(root, "CodeBook"), "Codes")
        report.codes = append_codes(
            codes_element, codes, PROJECT_NS, lambda cid: w.guid("code", cid), code_notes
        )
        root.addprevious(name_comment(snap.codebook.name if snap.codebook else name))

    attributes: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for document_id, attr_name, value in snap.attributes:
        attributes[document_id].append((attr_name, value))
    variable_names = sorted(
        {attr_name for _, attr_name, _ in snap.attributes}
        | {
            column
            for case in snap.cases
            for column, value in zip(CASE_VARIABLES, case[2:], strict=True)
            if value is not None
        }
    )
    if variable_names:
        variables = w.el(root, "Variables")
        for variable in variable_names:
            w.el(
                variables,
                "Variable",
                guid=w.guid("variable", variable),
                name=variable,
                typeOfVariable="Text",
            )

    def variable_value(parent: etree._Element, variable: str, value: str | None) -> None:
        holder = w.el(parent, "VariableValue")
        w.el(holder, "VariableRef", targetGUID=w.guid("variable", variable))
        w.text(holder, "TextValue", value or "")

    if snap.cases:
        cases = w.el(root, "Cases")
        for case_id, case_name, *columns in snap.cases:
            case = w.el(cases, "Case", guid=w.guid("case", case_id), name=case_name)
            for column, value in zip(CASE_VARIABLES, columns, strict=True):
                if value is not None:
                    variable_value(case, column, value)
            for document_id, _, _, doc_case, _ in snap.documents:
                if doc_case == case_id:
                    w.el(case, "SourceRef", targetGUID=w.guid("document", document_id))
        report.cases = len(snap.cases)

    files: dict[str, bytes] = {}
    if snap.documents:
        sources = w.el(root, "Sources")
        by_document: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for document_id, start, end in selections:
            by_document[document_id].append((start, end))
        for document_id, title, text, _, fmt in snap.documents:
            guid = w.guid("document", document_id)
            source = w.el(
                sources, "TextSource", guid=guid, name=title, plainTextPath=f"internal://{guid}.txt"
            )
            source.append(
                segments_comment(
                    {
                        "format": fmt,
                        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                        "segments": snap.segment_rows.get(document_id, []),
                    }
                )
            )
            files[f"sources/{guid}.txt"] = text.encode("utf-8")
            positions = PositionMap(text, unit)
            for start, end in sorted(by_document[document_id]):
                entry = selections[(document_id, start, end)]
                key = f"{document_id}:{start}:{end}"
                first = entry["codings"][0] if entry["codings"] else None
                selection = w.el(
                    source,
                    "PlainTextSelection",
                    guid=w.guid("selection", key),
                    startPosition=str(positions.to_external(start)),
                    endPosition=str(positions.to_external(end)),
                    creatingUser=w.guid("user", first[1]) if first else None,
                    creationDateTime=_timestamp(first[2]) if first else None,
                )
                for code_id, coder, created, memo in entry["codings"]:
                    coding_key = f"{key}:{code_id}:{coder}"
                    coding = w.el(
                        selection,
                        "Coding",
                        guid=w.guid("coding", coding_key),
                        creatingUser=w.guid("user", coder),
                        creationDateTime=_timestamp(created),
                    )
                    w.el(coding, "CodeRef", targetGUID=w.guid("code", code_id))
                    if memo:
                        note = w.note(f"coding:{coding_key}", memo, coder, created)
                        w.el(coding, "NoteRef", targetGUID=note)
                    report.codings += 1
                for note in entry["notes"]:
                    w.el(selection, "NoteRef", targetGUID=note)
            for note in source_notes.get(document_id, []):
                w.el(source, "NoteRef", targetGUID=note)
            for attr_name, value in attributes.get(document_id, []):
                variable_value(source, attr_name, value)
        report.documents = len(snap.documents)

    if w.notes:
        notes = w.el(root, "Notes")
        for note in w.notes:
            notes.append(note)
    for note in w.project_note_refs:
        w.el(root, "NoteRef", targetGUID=note)

    xml = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="utf-8", pretty_print=True
    )
    return xml, files, report


def _archive(project: Project, positions: PositionUnit) -> tuple[bytes, ExportReport]:
    """The .qdpx archive's bytes and what went into it: every coder's codings, so a
    project bound to a coder is refused."""
    require_supervisor(project, "export the whole project (every coder's codings)")
    space = project_uuid(project)
    with project.connect(read_only=True) as con:
        snap = _read(con)
    if not snap.documents and snap.codebook is None:
        raise ProjectError(f"{project.path}: nothing to export (no documents and no codebook)")
    xml, files, report = build_project_xml(snap, space, project.path.stem, positions)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for member, data in files.items():
            archive.writestr(member, data)
    return buffer.getvalue(), report


def _log(
    con: duckdb.DuckDBPyConnection,
    project: Project,
    actor: str,
    report: ExportReport,
    positions: PositionUnit,
    output: Path | None,
) -> None:
    detail = {**report.to_json(), "path": str(output) if output else None, "positions": positions}
    log_action(con, recorded_as(project, actor), "export.qdpx", detail)


def qdpx_bytes(
    project: Project, positions: PositionUnit = "utf16", actor: str = "app"
) -> tuple[bytes, ExportReport]:
    """The project as .qdpx bytes (for a download) and its counts, logged; the same
    archive `export_qdpx` writes."""
    data, report = _archive(project, positions)
    with project.transaction() as con:
        _log(con, project, actor, report, positions, None)
    return data, report


def export_qdpx(
    project: Project, output: str | Path, positions: PositionUnit = "utf16", actor: str = "cli"
) -> ExportReport:
    """Write the project to a .qdpx file (whole or not at all), logged in the transaction
    that writes it, so a failed write logs nothing; see the module docstring."""
    output = Path(output)
    data, report = _archive(project, positions)
    report.path = output
    with project.transaction() as con:
        write_atomic(output, data, mode=OWNER_ONLY)
        _log(con, project, actor, report, positions, output)
    return report
