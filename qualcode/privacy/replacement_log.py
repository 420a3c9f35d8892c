"""The replacement log: the only place original identifying strings are kept.

A JSON file kept apart from the project (never inside the DuckDB file or an
export) holding the project mapping (original -> pseudonym, per-kind counters,
strings kept by review) and every replacement made (document, original,
pseudonym, kind, offsets in the original and stored text). It is written
atomically (a temporary file renamed into place, so a failure leaves the
previous log whole) with permissions 0600, under a lock file beside it so two
qualcode processes cannot interleave their changes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualcode import locking
from qualcode.errors import QualcodeError
from qualcode.fileio import OWNER_ONLY, write_atomic
from qualcode.privacy.plan import PseudonymisedDocument, absorb
from qualcode.privacy.pseudonyms import KINDS, MappingEntry, PseudonymMap, parse_pseudonym

LOG_FORMAT = "qualcode-pseudonym-log"
LOG_VERSION = 1
LOCK_TIMEOUT = 5.0
_WARNING = (
    "This file holds the original names and contact details behind the pseudonyms in a "
    "qualcode project. Keep it apart from the project file and exports, readable only by "
    "the research team; never share or upload it."
)
_PROJECT_SUFFIXES = (".duckdb", ".db", ".wal")


class PseudonymLogError(QualcodeError):
    """The pseudonym log cannot be used: a bad path, unreadable or unwritable, or not a log."""


@dataclass
class ReplacementLog:
    """The log file's content in memory; `record` adds a document and saves the file."""

    path: Path
    mapping: PseudonymMap = field(default_factory=PseudonymMap)
    documents: list[dict[str, Any]] = field(default_factory=list)
    replacements: list[dict[str, Any]] = field(default_factory=list)
    _stamp: tuple[int, int] | None = None

    @classmethod
    def open(cls, path: str | Path, project: str | Path | None = None) -> ReplacementLog:
        """Check the path (see `check_log_path`) and read the log, or start an empty one."""
        path = Path(path)
        check_log_path(path, project)
        log = cls(path)
        if path.exists():
            log._load()
        return log

    def replacements_for(self, document_id: int) -> list[dict[str, Any]]:
        """The logged replacements of one document, in text order."""
        return [r for r in self.replacements if r["document_id"] == document_id]

    def record(
        self,
        document: PseudonymisedDocument,
        document_id: int,
        source: str | Path,
        project: str | Path | None = None,
    ) -> None:
        """Merge a pseudonymised document's new pseudonyms and replacements, then save.

        Raises PseudonymLogError, leaving the file as it was, when the file cannot be
        written or another process gave out the same pseudonym numbers meanwhile.
        """
        with _locked(self.path):
            if self.path.exists() and _stamp(self.path) != self._stamp:
                self._load()  # changed by another process: merge onto what is there now
            before = (self.mapping.copy(), len(self.documents), len(self.replacements))
            try:
                self._record(document, document_id, source, project)
            except BaseException:
                self.mapping = before[0]
                del self.documents[before[1] :], self.replacements[before[2] :]
                raise

    def _record(
        self,
        document: PseudonymisedDocument,
        document_id: int,
        source: str | Path,
        project: str | Path | None,
    ) -> None:
        self._merge(document)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        name = Path(source).name
        self.documents.append(
            {
                "document_id": document_id,
                "document": name,
                "source_path": str(source),
                "project": str(project) if project is not None else None,
                "pseudonymised_at": now,
                "detector": document.detector,
                "replacements": len(document.replacements),
            }
        )
        self.replacements.extend(
            {
                "document_id": document_id,
                "document": name,
                "original": r.original,
                "pseudonym": r.pseudonym,
                "kind": r.kind,
                "source": r.source,
                "start": r.start,
                "end": r.end,
                "stored_start": r.new_start,
                "stored_end": r.new_end,
            }
            for r in document.replacements
        )
        self.save()

    def _merge(self, document: PseudonymisedDocument) -> None:
        """Add new mapping entries, raising counters; refuse numbers given out meanwhile
        (the counters moved past those the document was planned against)."""
        mapping = self.mapping
        fresh_kinds = set()
        conflict = False
        for key, entry in document.new_entries.items():
            existing = mapping.entries.get(key)
            conflict |= existing is not None and existing.pseudonym != entry.pseudonym
            parsed = parse_pseudonym(entry.pseudonym)
            if parsed is not None and parsed[1] > document.base_counters.get(parsed[0], 0):
                fresh_kinds.add(parsed[0])
        conflict |= any(
            mapping.counters.get(kind, 0) > document.base_counters.get(kind, 0)
            for kind in fresh_kinds
        )
        if conflict:
            raise PseudonymLogError(
                f"{self.path}: the pseudonym log was changed by another qualcode "
                "process while this document was prepared; import it again"
            )
        absorb(mapping, document)

    def save(self) -> None:
        """Write the whole log atomically with permissions 0600."""
        data = {
            "format": LOG_FORMAT,
            "version": LOG_VERSION,
            "warning": _WARNING,
            "counters": dict(sorted(self.mapping.counters.items())),
            "pseudonyms": [
                {"key": key, "original": e.original, "kind": e.kind, "pseudonym": e.pseudonym}
                for key, e in self.mapping.entries.items()
            ],
            "kept": [{"key": k, "text": t} for k, t in self.mapping.kept.items()],
            "documents": self.documents,
            "replacements": self.replacements,
        }
        payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
        try:
            write_atomic(self.path, payload, mode=OWNER_ONLY)
        except OSError as exc:
            raise PseudonymLogError(
                f"{self.path}: cannot write the pseudonym log ({exc.strerror or exc})"
            ) from None
        self._stamp = _stamp(self.path)

    def _load(self) -> None:
        """Read and validate the file; PseudonymLogError with a one-line reason if unusable."""
        try:
            raw = self.path.read_bytes()
            stamp = _stamp(self.path)
        except OSError as exc:
            raise PseudonymLogError(
                f"{self.path}: cannot read the pseudonym log ({exc.strerror or exc})"
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != LOG_FORMAT:
                raise ValueError("no qualcode-pseudonym-log header")
            if not isinstance(data.get("version"), int) or data["version"] > LOG_VERSION:
                raise ValueError(f"version {data.get('version')!r} is newer than this qualcode")
            mapping = PseudonymMap()
            for kind, number in dict(data.get("counters", {})).items():
                if kind not in KINDS or not isinstance(number, int):
                    raise ValueError(f"bad counter {kind!r}")
                mapping.counters[kind] = number
            for item in data.get("pseudonyms", []):
                entry = MappingEntry(str(item["original"]), item["kind"], item["pseudonym"])
                parsed = parse_pseudonym(entry.pseudonym)
                if parsed is None or entry.kind not in KINDS:
                    raise ValueError(f"bad pseudonym entry {entry.pseudonym!r}")
                mapping.entries[str(item["key"])] = entry
                mapping.reserve(*parsed)
            for item in data.get("kept", []):
                mapping.kept[str(item["key"])] = str(item["text"])
            documents = list(data.get("documents", []))
            replacements = list(data.get("replacements", []))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PseudonymLogError(
                f"{self.path}: not a qualcode pseudonym log (not JSON)"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PseudonymLogError(f"{self.path}: not a qualcode pseudonym log ({exc})") from None
        self.mapping, self.documents, self.replacements = mapping, documents, replacements
        self._stamp = stamp


def check_log_path(path: str | Path, project: str | Path | None = None) -> list[str]:
    """Refuse a log path that cannot work; return notes about a risky but usable one.

    Refused (PseudonymLogError): a folder, a missing or unwritable folder, the
    project file itself or a database-like name. Noted: a log in the project's folder.
    """
    path = Path(path)
    parent = path.resolve().parent
    if path.is_dir():
        raise PseudonymLogError(f"{path}: is a folder; give the pseudonym log a file name")
    if not parent.exists():
        raise PseudonymLogError(f"{path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise PseudonymLogError(f"{path}: {parent} is not a folder")
    if project is not None and path.resolve() == Path(project).resolve():
        raise PseudonymLogError(f"{path}: is the project file; the log must be a separate file")
    if path.suffix.lower() in _PROJECT_SUFFIXES:
        raise PseudonymLogError(
            f"{path}: looks like a database file; give the pseudonym log a .json name"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PseudonymLogError(f"{path}: cannot write in folder {parent} (permission denied)")
    if path.exists() and not os.access(path, os.R_OK):
        raise PseudonymLogError(f"{path}: cannot read the pseudonym log (permission denied)")
    notes = []
    if project is not None and parent == Path(project).resolve().parent:
        notes.append(
            f"the pseudonym log {path} is in the project's folder: it holds the original "
            "names, so keep it somewhere only the research team can reach, apart from the "
            "project and exports"
        )
    return notes


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def _locked(path: Path):
    """Hold an exclusive lock on ``.<name>.lock`` beside the log: one writer at a time."""
    return locking.hold(
        path.parent / f".{path.name}.lock",
        timeout=LOCK_TIMEOUT,
        busy=lambda: PseudonymLogError(
            f"{path}: the pseudonym log is in use by another qualcode process"
        ),
        unopenable=lambda exc: PseudonymLogError(
            f"{path}: cannot lock the pseudonym log ({exc.strerror or exc})"
        ),
    )
