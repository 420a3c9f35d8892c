"""Ingest: read each file, segment it, and store it in its own transaction.

A bad file is reported with its path and reason and leaves no rows; the other
files still go in. A file is known by its source (its resolved path), or else by its
file name in the same case; an upload by its name in its case. Re-ingesting what a
file last stored adds nothing; any other content (an edit, or a return to an earlier
version's text) becomes its document's next version, and codings on the old version
stay. A file or upload matching no stored document adds nothing when a current
document already holds its content (the same file copied).

A new document is segmented at the project's unit of coding (the `coding_unit`
setting, `qualcode.ingest.segment`); a new version of a stored document keeps the
unit its earlier version was segmented with, so a document's versions are coded alike.

`store_document` is the one insert of a document, its attributes and segments,
used by file ingest, uploads (`qualcode.uploads`) and REFI import. A transcript's
preamble (`qualcode.ingest.preamble`) is stored with the document's text and marked
by `documents.preamble_end`; its paragraphs become segments only when the project's
`preamble` setting is `segment`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from qualcode.access import recorded_as
from qualcode.audit import log_action
from qualcode.errors import InputError
from qualcode.ingest.manifest import FileAttributes, Manifest, read_manifest
from qualcode.ingest.model import ParsedDocument, Pseudonymising
from qualcode.ingest.preamble import preamble_end, without_preamble
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document
from qualcode.ingest.segment import Segment, segment_document
from qualcode.limits import max_file_bytes
from qualcode.settings import CODING_UNIT, PREAMBLE, read_setting, setting_value
from qualcode.store import Project

Progress = Callable[[int, int, str], None]
"""Called as progress(done, total, path) after each file."""

Added = tuple[int, int] | None
"""What storing one file gave: (document id, segments), or None if already stored."""

IngestJob = tuple[str, FileAttributes, Callable[[], Added]]
"""One file to ingest: its label in the report, its attributes, and the call storing it."""

_SKIPPED_NAMES = ("readme", "manifest")


@dataclass
class IngestReport:
    """What an ingest did, file by file."""

    documents_added: int = 0
    segments_added: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    without_location_session: list[str] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # passed over: not in the manifest

    def to_json(self) -> dict:
        return {
            "documents_added": self.documents_added,
            "segments_added": self.segments_added,
            "skipped": self.skipped,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of a document: its id, version number and content hash."""

    id: int
    version: int
    content_hash: str


def collect_files(
    paths: Iterable[str | Path], manifest: Manifest | None = None
) -> tuple[list[Path], list[Path]]:
    """The files to ingest, and the files a directory walk passed over as unlisted.

    Given files are taken as they are. A directory is walked in name order for
    supported formats, passing over hidden files and README and manifest files;
    with a manifest, the walk takes only the files the manifest lists, so other
    data kept beside the corpus (a codings table, say) is not read as a document.
    """
    files: list[Path] = []
    unlisted: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            files.append(path)
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file() or child.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            relative = child.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if child.stem.lower() in _SKIPPED_NAMES:
                continue
            if manifest is not None and manifest.is_manifest(child):
                continue
            if manifest is not None and not manifest.lists(child):
                unlisted.append(child)
                continue
            files.append(child)
    return files, unlisted


def ingest_paths(
    project: Project,
    paths: Iterable[str | Path],
    manifest: str | Path | None = None,
    location: str | None = None,
    session: str | None = None,
    actor: str = "cli",
    progress: Progress | None = None,
    pseudonymise: Pseudonymising | None = None,
    max_bytes: int | None = None,
) -> IngestReport:
    """Ingest files and directories into a project; see the module docstring.

    A malformed manifest raises InputError before any file is read. With
    `pseudonymise`, each document's identifying strings are replaced before it
    is segmented and stored (see qualcode.privacy). Files (the manifest too) over
    `max_bytes` are refused; None means the configured limit (qualcode.limits).
    """
    limit = max_file_bytes(max_bytes)
    parsed_manifest = read_manifest(manifest, limit) if manifest is not None else None
    files, unlisted = collect_files(paths, parsed_manifest)
    jobs: list[IngestJob] = []
    for path in files:
        attributes = (
            parsed_manifest.attributes_for(path) if parsed_manifest else FileAttributes()
        ).with_defaults(location, session)
        store = partial(ingest_file, project, path, attributes, actor, pseudonymise, limit)
        jobs.append((str(path), attributes, store))
    report = ingest_each(jobs, progress)
    report.unlisted = [str(p) for p in unlisted]
    return report


def ingest_each(
    jobs: Sequence[IngestJob],
    progress: Progress | None = None,
) -> IngestReport:
    """Run each file's store (label, attributes, store) in turn and report it by its label.

    A store raising InputError makes that file failed; the others still run.
    """
    report = IngestReport()
    for done, (label, attributes, store) in enumerate(jobs, start=1):
        try:
            added = store()
        except InputError as exc:
            report.failed.append({"path": label, "error": exc.problem})
        else:
            if added is None:
                report.skipped.append(label)
            else:
                document_id, n_segments = added
                report.documents_added += 1
                report.segments_added += n_segments
                report.document_ids.append(document_id)
                if not (attributes.location and attributes.session):
                    report.without_location_session.append(label)
        if progress is not None:
            progress(done, len(jobs), label)
    return report


def read_and_segment(
    path: Path,
    pseudonymise: Pseudonymising | None = None,
    max_bytes: int | None = None,
    unit: str = "sentence",
) -> tuple[ParsedDocument, list[Segment]]:
    """Parse (and pseudonymise) then segment one file at `unit`; InputError when it holds
    nothing to code."""
    return _segment_parsed(_read_file(path, max_bytes), path, pseudonymise, path.name, unit)


def _read_file(path: Path, max_bytes: int | None) -> ParsedDocument:
    if not path.exists():
        raise InputError(path, "no such file")
    return read_document(path, max_bytes=max_bytes)


def _segment_parsed(
    parsed: ParsedDocument,
    label: str | Path,
    pseudonymise: Pseudonymising | None = None,
    name: str | None = None,
    unit: str = "sentence",
) -> tuple[ParsedDocument, list[Segment]]:
    """Pseudonymise (when asked: the text, and the file's `name`) then segment a parsed
    document at `unit`; InputError naming `label` when it holds nothing to code."""
    if pseudonymise is not None:
        parsed = pseudonymise.transform(parsed, name)
    segments = segment_document(parsed, unit)
    if not segments:
        raise InputError(label, "no text to code (every turn is empty)")
    return parsed, segments


def ingest_file(
    project: Project,
    path: Path,
    attributes: FileAttributes,
    actor: str = "cli",
    pseudonymise: Pseudonymising | None = None,
    max_bytes: int | None = None,
) -> Added:
    """Store one file in one transaction; (document id, segments) or None if already stored.

    The document's source is the file's resolved path. A file over `max_bytes`
    (None: the configured limit) is refused before it is read.
    """
    return ingest_document(
        project,
        _read_file(path, max_bytes),
        title=path.name,
        source=str(path.resolve()),
        label=str(path),
        attributes=attributes,
        actor=actor,
        pseudonymise=pseudonymise,
    )


def ingest_document(
    project: Project,
    parsed: ParsedDocument,
    *,
    title: str,
    source: str,
    label: str,
    attributes: FileAttributes,
    actor: str = "cli",
    pseudonymise: Pseudonymising | None = None,
    known_by_source: bool = True,
) -> Added:
    """Segment and store one parsed file in one transaction, as the module docstring says;
    (document id, segments) or None if already stored.

    `title` and `source` are stored and identify the document with its case
    (`stored_versions`; an upload, `known_by_source=False`, by its title in its case);
    `label` names the file in errors, the action log and the replacement log. With
    `pseudonymise`, the replacement log is saved inside the transaction, after the rows
    are in: if saving fails, the document is rolled back. A file's name is data too:
    pseudonymised, the document's title, source and action-log entry are the file's own
    name (no folder) with its detected names replaced (`Pseudonymising.stored_name`),
    and it is known by that title in its case; only the replacement log, kept apart,
    holds `label` as given. The unit of coding is the project's setting, or for a new
    version the unit of the version it supersedes.
    """
    actor = recorded_as(project, actor)
    unit = read_setting(project, CODING_UNIT.key)
    parsed, segments = _segment_parsed(parsed, label, pseudonymise, title, unit)
    logged = label
    if pseudonymise is not None:
        title = source = logged = pseudonymise.stored_name(parsed, title)
        known_by_source = False
    digest = content_hash(parsed.text)
    with project.transaction() as con:
        case_id = find_case(con, attributes)
        last_hash, current = stored_versions(
            con,
            title,
            case_id,
            _case_name(attributes) is not None,
            source if known_by_source else None,
        )
        if last_hash == digest or (last_hash is None and held_by_a_current_document(con, digest)):
            return None
        kept = coding_unit_of(con, current.id) if current is not None else None
        if kept is not None and kept != unit:  # a new version is coded as its earlier one
            unit, segments = kept, segment_document(parsed, kept)
        if setting_value(con, PREAMBLE.key) == "context":
            segments = without_preamble(segments, preamble_end(parsed))
        stored = store_document(
            con,
            parsed,
            segments,
            title=title,
            source=source,
            case_id=case_id if case_id is not None else case_for(con, attributes),
            attributes=attributes.extra,
            previous=current,
            unit=unit,
        )
        if pseudonymise is not None:
            pseudonymise.commit(parsed, stored.id, label, project.path)
        log_action(
            con,
            actor,
            "ingest",
            {
                "document_id": stored.id,
                "path": logged,
                "segments": len(segments),
                "version": stored.version,
                "coding_unit": unit,
                "pseudonymised": pseudonymise is not None,
            },
        )
    return stored.id, len(segments)


def coding_unit_of(con: duckdb.DuckDBPyConnection, document_id: int) -> str | None:
    """The unit of coding a stored document was segmented with (None: segments an
    imported REFI project brought with it)."""
    row = con.execute("SELECT coding_unit FROM documents WHERE id = ?", [document_id]).fetchone()
    return row[0] if row else None


def content_hash(text: str) -> str:
    """The hash stored with a document's text (sha256 of its UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_versions(
    con: duckdb.DuckDBPyConnection,
    title: str,
    case_id: int | None,
    in_a_case: bool,
    source: str | None = None,
) -> tuple[str | None, StoredVersion | None]:
    """(content hash of what this file or upload last stored, the current version of its
    document); (None, None) for a document not stored yet.

    A file is known by its `source` (its resolved path), or else by its name `title` in
    its case `case_id`. An upload has no source of its own (its name is all it has), so
    it is known by its name in its case, "no case" included (`in_a_case` False): the same
    name uploaded for another location or session is another document. Content equal to
    what the file last stored adds nothing; anything else, a return to an earlier
    version's text included, is the document's next version."""
    if source is not None:
        row = con.execute(
            "SELECT id, content_hash FROM documents WHERE source_path = ? ORDER BY id DESC LIMIT 1",
            [source],
        ).fetchone()
        if row is not None:
            return row[1], _current_of(con, row[0])
    query = "SELECT id, version, content_hash FROM current_documents WHERE title = ? AND "
    order = " ORDER BY version DESC, id DESC LIMIT 1"
    found = None
    if case_id is not None:
        found = con.execute(query + "case_id = ?" + order, [title, case_id]).fetchone()
    elif source is None and not in_a_case:
        found = con.execute(query + "case_id IS NULL" + order, [title]).fetchone()
    current = StoredVersion(*found) if found else None
    return (current.content_hash if current else None), current


def _current_of(con: duckdb.DuckDBPyConnection, document_id: int) -> StoredVersion:
    """The current end of the version chain a stored document belongs to (a later version
    may have come from another file of the same name in the same case)."""
    row = con.execute(
        "SELECT id, version, content_hash FROM documents WHERE id = ?", [document_id]
    ).fetchone()
    seen = {row[0]}
    while True:
        later = con.execute(
            "SELECT id, version, content_hash FROM documents WHERE supersedes = ? "
            "ORDER BY id DESC LIMIT 1",
            [row[0]],
        ).fetchone()
        if later is None or later[0] in seen:
            return StoredVersion(*row)
        row = later
        seen.add(row[0])


def held_by_a_current_document(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    """Whether a current document holds content with `digest`: a new file with it (a copy
    of a stored one) adds nothing. Superseded versions never count."""
    return (
        con.execute(
            "SELECT 1 FROM current_documents WHERE content_hash = ? LIMIT 1", [digest]
        ).fetchone()
        is not None
    )


def store_document(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedDocument,
    segments: Sequence[Segment],
    *,
    title: str,
    source: str,
    case_id: int | None = None,
    attributes: Mapping[str, str] | None = None,
    previous: StoredVersion | None = None,
    unit: str | None = None,
) -> StoredVersion:
    """Insert a parsed document with its attributes and segments, in the caller's transaction.

    The text and format of `parsed` are stored under `title` and `source`, with where
    its preamble ends; with `previous`, the document is its next version and
    `supersedes` it, else version 1. `unit` records the unit of coding `segments` were
    made at (None: not segmented here). Deciding whether to store (see
    `stored_versions`) and which segments (the preamble's or not) is the caller's.
    """
    digest = content_hash(parsed.text)
    version = previous.version + 1 if previous else 1
    document_id = con.execute(
        "INSERT INTO documents (title, source_path, format, content_hash, version, "
        "supersedes, text, case_id, preamble_end, coding_unit) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        [
            title,
            source,
            parsed.format,
            digest,
            version,
            previous.id if previous else None,
            parsed.text,
            case_id,
            preamble_end(parsed),
            unit,
        ],
    ).fetchone()[0]
    if attributes:
        con.executemany(
            "INSERT INTO document_attributes (document_id, name, value) VALUES (?, ?, ?)",
            [[document_id, name, value] for name, value in attributes.items()],
        )
    if segments:
        insert_segments(con, document_id, segments)
    return StoredVersion(document_id, version, digest)


def _case_name(attributes: FileAttributes) -> str | None:
    """The case (workshop session at a location) a document's attributes name, if any."""
    if not (attributes.location or attributes.session):
        return None
    return f"{attributes.location or '?'} / session {attributes.session or '?'}"


def find_case(con: duckdb.DuckDBPyConnection, attributes: FileAttributes) -> int | None:
    """The stored case of a document's attributes, without creating it."""
    name = _case_name(attributes)
    if name is None:
        return None
    row = con.execute("SELECT id FROM cases WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def case_for(con: duckdb.DuckDBPyConnection, attributes: FileAttributes) -> int | None:
    """The case of a document, created on first use; a stored case gains a missing date
    or group."""
    name = _case_name(attributes)
    if name is None:
        return None
    row = con.execute("SELECT id, date, participant_group FROM cases WHERE name = ?", [name])
    found = row.fetchone()
    if found:
        case_id, date, group = found
        if (attributes.date and not date) or (attributes.group and not group):
            con.execute(
                "UPDATE cases SET date = coalesce(date, ?), "
                "participant_group = coalesce(participant_group, ?) WHERE id = ?",
                [attributes.date, attributes.group, case_id],
            )
        return case_id
    return con.execute(
        "INSERT INTO cases (name, location, session, date, participant_group) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        [name, attributes.location, attributes.session, attributes.date, attributes.group],
    ).fetchone()[0]


def insert_segments(
    con: duckdb.DuckDBPyConnection, document_id: int, segments: Sequence[Segment]
) -> None:
    """Bulk-insert a document's segments inside the caller's transaction."""
    table = pa.table(
        {
            "document_id": pa.array([document_id] * len(segments), pa.int32()),
            "ordinal": pa.array([s.ordinal for s in segments], pa.int32()),
            "turn": pa.array([s.turn for s in segments], pa.int32()),
            "speaker": pa.array([s.speaker for s in segments], pa.string()),
            "start_offset": pa.array([s.start for s in segments], pa.int32()),
            "end_offset": pa.array([s.end for s in segments], pa.int32()),
            "text": pa.array([s.text for s in segments], pa.string()),
            "cue_start": pa.array([s.cue_start for s in segments], pa.float64()),
            "cue_end": pa.array([s.cue_end for s in segments], pa.float64()),
            "activity": pa.array([s.activity for s in segments], pa.string()),
            "attributes": pa.array([s.attributes for s in segments], pa.string()),
        }
    )
    con.register("new_segments", table)
    try:
        con.execute(
            "INSERT INTO segments (document_id, ordinal, turn, speaker, start_offset, "
            "end_offset, text, cue_start, cue_end, activity, attributes) "
            "SELECT document_id, ordinal, turn, speaker, start_offset, end_offset, text, "
            "cue_start, cue_end, activity, attributes FROM new_segments"
        )
    finally:
        con.unregister("new_segments")
