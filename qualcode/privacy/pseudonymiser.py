"""Pseudonymisation at import: one object holding the detector and the replacement log.

    pseudonymiser = Pseudonymiser.open("/secure/team/project.pseudonyms.json", project_path)
    ingest_paths(project, paths, pseudonymise=pseudonymiser)

Ingest calls `transform` on each parsed document (with its file's name) before
segmenting it, stores it under `stored_name` (the file's name with any detected name
replaced, never a folder), and calls `commit` inside the document's transaction once
its rows are in, so the log
(with the mapping that keeps pseudonyms consistent across documents and runs)
is saved before the text is; a failed save rolls the document back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qualcode.ingest.model import ParsedDocument
from qualcode.privacy.detect import Detector
from qualcode.privacy.plan import PseudonymisationPlan, PseudonymisedDocument
from qualcode.privacy.pseudonyms import PseudonymMap
from qualcode.privacy.replacement_log import ReplacementLog, check_log_path


class Pseudonymiser:
    """Plans, applies and logs pseudonymisation against one replacement log."""

    def __init__(self, log: ReplacementLog, detector: Detector, notes: Iterable[str] = ()) -> None:
        self.log = log
        self.detector = detector
        self._notes = list(notes)
        self._documents = 0
        self._by_kind: Counter[str] = Counter()

    @classmethod
    def open(
        cls,
        log_path: str | Path,
        project_path: str | Path | None = None,
        *,
        allow: Iterable[str] | None = None,
        use_ner: bool = True,
        nationalities: bool = False,
    ) -> Pseudonymiser:
        """Open (or start) the replacement log at `log_path` for the project at `project_path`.

        `allow` replaces the default allow-list (extend it with
        ``DEFAULT_ALLOW | {...}``); see Detector for `use_ner` and `nationalities`.
        Raises PseudonymLogError for an unusable path or file.
        """
        notes = check_log_path(log_path, project_path)
        log = ReplacementLog.open(log_path, project_path)
        return cls(log, Detector(allow, use_ner, nationalities), notes)

    @property
    def mapping(self) -> PseudonymMap:
        """The project mapping as last read or saved."""
        return self.log.mapping

    @property
    def notes(self) -> list[str]:
        """Warnings for the user: a log beside the project, detection without spaCy."""
        detector_note = self.detector.note
        return self._notes + ([detector_note] if detector_note else [])

    def plan(self, parsed: ParsedDocument, name: str | None = None) -> PseudonymisationPlan:
        """A review plan for one parsed document and its file's `name` (nothing is saved)."""
        return PseudonymisationPlan(parsed, self.log.mapping, self.detector, name)

    def transform(self, parsed: ParsedDocument, name: str | None = None) -> PseudonymisedDocument:
        """The document with every detection replaced, in its text and in its file's
        `name` (nothing is saved until commit)."""
        return self.plan(parsed, name).apply()

    def stored_name(self, document: ParsedDocument, name: str) -> str:
        """The name a transformed document is stored under: the file's own name (no
        folder) with the names detected in it replaced."""
        renamed = document.name if isinstance(document, PseudonymisedDocument) else None
        return renamed or name.replace("\\", "/").rsplit("/", 1)[-1]

    def commit(
        self,
        document: ParsedDocument,
        document_id: int,
        source: str | Path,
        project: str | Path | None = None,
    ) -> None:
        """Record a stored document's pseudonyms and replacements in the log and save it."""
        if not isinstance(document, PseudonymisedDocument):
            raise TypeError("commit needs the document returned by transform or plan.apply()")
        self.log.record(document, document_id, source, project)
        self._documents += 1
        self._by_kind.update(r.kind for r in document.replacements)

    def summary(self) -> dict[str, Any]:
        """What was committed through this object: documents, replacements by kind, the log."""
        return {
            "documents": self._documents,
            "replacements": sum(self._by_kind.values()),
            "by_kind": dict(sorted(self._by_kind.items())),
            "log": str(self.log.path),
            "detector": self.detector.model_name,
        }
