"""Ingest: read each file, segment it, and store it in its own transaction.

A bad file is reported with its path and reason and leaves no rows; the other
files still go in. Re-ingesting content already in the project adds nothing; a
changed file at the path of a stored one (or with its name, in the same case)
becomes that document's next version; codings on the old version stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from qualcode.access import recorded_as
from qualcode.audit import log_action
from qualcode.errors import InputError
from qualcode.ingest.manifest import FileAttributes, Manifest, read_manifest
from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document
from qualcode.ingest.segment import Segment, segment_document
from qualcode.limits import max_file_bytes
from qualcode.store import Project

if TYPE_CHECKING:
    from qualcode.privacy import Pseudonymiser

Progress = Callable[[int, int, str], None]
"""Called as progress(done, total, path) after each file."""

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
    pseudonymise: Pseudonymiser | None = None,
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
    report = IngestReport(unlisted=[str(p) for p in unlisted])
    for done, path in enumerate(files, start=1):
        try:
            attributes = (
                parsed_manifest.attributes_for(path) if parsed_manifest else FileAttributes()
            ).with_defaults(location, session)
            added = ingest_file(project, path, attributes, actor, pseudonymise, limit)
        except InputError as exc:
            report.failed.append({"path": str(path), "error": exc.problem})
        else:
            if added is None:
                report.skipped.append(str(path))
            else:
                document_id, n_segments = added
                report.documents_added += 1
                report.segments_added += n_segments
                report.document_ids.append(document_id)
                if not (attributes.location and attributes.session):
                    report.without_location_session.append(str(path))
        if progress is not None:
            progress(done, len(files), str(path))
    return report


def read_and_segment(
    path: Path, pseudonymise: Pseudonymiser | None = None, max_bytes: int | None = None
) -> tuple[ParsedDocument, list[Segment]]:
    """Parse (and pseudonymise) then segment one file; InputError when it holds nothing to code."""
    if not path.exists():
        raise InputError(path, "no such file")
    parsed = read_document(path, max_bytes=max_bytes)
    if pseudonymise is not None:
        parsed = pseudonymise.transform(parsed)
    segments = segment_document(parsed)
    if not segments:
        raise InputError(path, "no text to code (every turn is empty)")
    return parsed, segments


def ingest_file(
    project: Project,
    path: Path,
    attributes: FileAttributes,
    actor: str = "cli",
    pseudonymise: Pseudonymiser | None = None,
    max_bytes: int | None = None,
) -> tuple[int, int] | None:
    """Store one file in one transaction; (document id, segments) or None if already stored.

    With `pseudonymise`, the replacement log is saved inside the transaction, after the
    rows are in: if saving fails, the document is rolled back. A file over `max_bytes`
    (None: the configured limit) is refused before it is read.
    """
    actor = recorded_as(project, actor)
    parsed, segments = read_and_segment(path, pseudonymise, max_bytes)
    digest = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    with project.transaction() as con:
        if con.execute(
            "SELECT 1 FROM documents WHERE content_hash = ? LIMIT 1", [digest]
        ).fetchone():
            return None
        case_id = _case_id(con, attributes)
        previous = _previous_version(con, path, case_id)
        document_id = con.execute(
            "INSERT INTO documents (title, source_path, format, content_hash, version, "
            "supersedes, text, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                path.name,
                str(path.resolve()),
                parsed.format,
                digest,
                previous[1] + 1 if previous else 1,
                previous[0] if previous else None,
                parsed.text,
                case_id,
            ],
        ).fetchone()[0]
        if attributes.extra:
            con.executemany(
                "INSERT INTO document_attributes (document_id, name, value) VALUES (?, ?, ?)",
                [[document_id, name, value] for name, value in attributes.extra.items()],
            )
        insert_segments(con, document_id, segments)
        if pseudonymise is not None:
            pseudonymise.commit(parsed, document_id, path, project.path)
        log_action(
            con,
            actor,
            "ingest",
            {
                "document_id": document_id,
                "path": str(path),
                "segments": len(segments),
                "version": previous[1] + 1 if previous else 1,
                "pseudonymised": pseudonymise is not None,
            },
        )
    return document_id, len(segments)


def _previous_version(
    con: duckdb.DuckDBPyConnection, path: Path, case_id: int | None
) -> tuple[int, int] | None:
    """(id, version) of the latest stored version of this file: same source path,
    or else same file name in the same case."""
    row = con.execute(
        "SELECT id, version FROM documents WHERE source_path = ? ORDER BY version DESC LIMIT 1",
        [str(path.resolve())],
    ).fetchone()
    if row is None and case_id is not None:
        row = con.execute(
            "SELECT id, version FROM documents WHERE title = ? AND case_id = ? "
            "ORDER BY version DESC LIMIT 1",
            [path.name, case_id],
        ).fetchone()
    return row


def _case_id(con: duckdb.DuckDBPyConnection, attributes: FileAttributes) -> int | None:
    """The case (workshop session at a location) of a document, created on first use."""
    if not (attributes.location or attributes.session):
        return None
    name = f"{attributes.location or '?'} / session {attributes.session or '?'}"
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
    con: duckdb.DuckDBPyConnection, document_id: int, segments: list[Segment]
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
