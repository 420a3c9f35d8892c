"""A transcript's preamble: the note above its first speaker turn.

Transcripts often open with a header ("Location 1, session 1, 8 March 2022. Ground
rules, then the flipchart.") before anyone speaks. That text describes the document;
it is nobody's words, so coding it would count the researcher's note as data. The
preamble of a prose transcript (.txt, .md, .docx, .pdf) is every speaker-less
paragraph before the first speaker turn, and only when there is one: a file with no
speaker labels (a workshop write-up) has no preamble, every paragraph being data.
Captions and tables have none either: an unlabelled cue is speech, a row an item.

The document keeps its whole text; `preamble_end` marks where the preamble ends, and
the project's `preamble` setting (`qualcode.speakers`) decides whether its paragraphs
are also made into segments.
"""

from __future__ import annotations

from dataclasses import replace

from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.segment import Segment

PREAMBLE_FORMATS = frozenset({"txt", "md", "docx", "pdf"})


def preamble_end(doc: ParsedDocument) -> int:
    """The offset where the document's preamble ends (`text[:end]` holds it; 0: none)."""
    if doc.format not in PREAMBLE_FORMATS:
        return 0
    end = 0
    for turn in doc.turns:
        if turn.speaker:
            return end
        if turn.cue_start is not None or turn.activity is not None:
            return 0
        end = turn.end
    return 0  # nobody speaks: a write-up, all of it data


def without_preamble(segments: list[Segment], end: int) -> list[Segment]:
    """The segments after a preamble ending at `end`, numbered again from 0 (turn
    numbers are kept: they say where in the document a segment is)."""
    if end <= 0:
        return segments
    kept = [s for s in segments if s.start >= end]
    return [replace(s, ordinal=i) for i, s in enumerate(kept)]
