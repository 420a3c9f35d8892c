"""What a reader returns: the text to store and the turns found in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass
class Turn:
    """One speaker turn, cue or workshop item inside ParsedDocument.text.

    `start` and `end` are code-point offsets into the document text, end
    exclusive, and cover the utterance only (not the speaker label).
    """

    start: int
    end: int
    speaker: str | None = None
    cue_start: float | None = None  # seconds from the start of the recording
    cue_end: float | None = None
    activity: str | None = None  # workshop output kind: flipchart, sticky note, ...
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    """A decoded source file: its full text as stored, its format and its turns."""

    text: str
    format: str  # txt, md, docx, vtt, srt, csv, xlsx, pdf
    turns: list[Turn]


class Pseudonymising(Protocol):
    """What ingest asks of a pseudonymiser (`qualcode.privacy.Pseudonymiser` is one):
    the document's identifying strings replaced before it is segmented, and the
    replacement log saved inside the transaction that stores it. Declared here so that
    ingest, below privacy, needs nothing from it."""

    def transform(self, parsed: ParsedDocument, name: str | None = None) -> ParsedDocument: ...

    def stored_name(self, document: ParsedDocument, name: str) -> str: ...

    def commit(
        self, document: ParsedDocument, document_id: int, source: str | Path, project: Path
    ) -> None: ...
