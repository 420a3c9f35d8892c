"""Units of coding: speaker turns, or (the project's `coding_unit` setting) sentences of
a long turn.

The unit is chosen per project before import and applies to the documents ingested
after it is set: a stored document's segments never change under its codings, and
each document records the unit it was segmented with (`documents.coding_unit`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from qualcode.errors import ArgumentError
from qualcode.ingest.model import ParsedDocument, Turn
from qualcode.settings import CODING_UNITS

MAX_TURN_SENTENCES = 3
"""At the sentence unit, a turn with more sentences than this is split into one segment
per sentence (a turn of up to three sentences stays whole)."""


_SENTENCE_END = re.compile(r"[.!?…]+")
_LONG_TURN_CHARS = 400


@dataclass
class Segment:
    """A unit of coding; offsets are code points into the document text, end exclusive."""

    ordinal: int
    turn: int
    speaker: str | None
    start: int
    end: int
    text: str
    cue_start: float | None = None
    cue_end: float | None = None
    activity: str | None = None
    attributes: str | None = None  # JSON of a workshop item's extra columns


def _may_be_long(text: str) -> bool:
    """Cheap pre-check so spaCy only sees turns that can have several sentences."""
    return len(_SENTENCE_END.findall(text)) > MAX_TURN_SENTENCES or len(text) > _LONG_TURN_CHARS


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_STAGE_DIRECTION = re.compile(r"^(\[[^\]]*\]|\([^)]*\))$")


def _mend(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Rejoin pieces a sentence splitter cuts off: a lone opening bracket or other
    piece without a letter or digit joins the next sentence, and a stage direction
    such as "[laughs]" joins the sentence before it."""
    mended: list[tuple[int, int]] = []
    carry: int | None = None
    for start, end in spans:
        piece = text[start:end].strip()
        if carry is not None:
            start, carry = carry, None
        if not any(ch.isalnum() for ch in piece):
            carry = start
            continue
        if mended and _STAGE_DIRECTION.match(text[start:end].strip()):
            mended[-1] = (mended[-1][0], end)
            continue
        mended.append((start, end))
    if carry is not None:
        if mended:
            mended[-1] = (mended[-1][0], spans[-1][1])
        else:
            mended.append((carry, spans[-1][1]))
    return mended


PIECE_CHARS = 50_000
"""The longest text spaCy is given at once: a longer turn is split at whitespace into
pieces of about this size, cut at a sentence end where there is one (spaCy refuses
texts over its `max_length`, a million characters, and its memory grows with the text)."""


def _pieces(text: str, size: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) covering `text`, each at most `size` characters, cut after the
    last sentence end (". ", "? ", "! " or a line break) before the limit, else after
    the last space, else at the limit."""
    pieces, start = [], 0
    while len(text) - start > size:
        window = start + size
        cut = max(text.rfind(mark, start, window) for mark in (". ", "? ", "! ", "\n"))
        if cut <= start:
            cut = text.rfind(" ", start, window)
        end = cut + 1 if cut > start else window
        pieces.append((start, text[start:end]))
        start = end
    pieces.append((start, text[start:]))
    return pieces


def _sentence_spans(turn_texts: list[str]) -> list[list[tuple[int, int]]]:
    """Sentence spans (relative offsets) for each long turn text, found piece by piece."""
    from qualcode.nlp import sentence_pipeline

    nlp = sentence_pipeline()
    owners, pieces = [], []
    for index, text in enumerate(turn_texts):
        for offset, piece in _pieces(text):
            owners.append((index, offset))
            pieces.append(piece)
    found: list[list[tuple[int, int]]] = [[] for _ in turn_texts]
    for (index, offset), doc in zip(owners, nlp.pipe(pieces, batch_size=64), strict=True):
        found[index] += [(offset + s.start_char, offset + s.end_char) for s in doc.sents]
    return [_mend(text, spans) for text, spans in zip(turn_texts, found, strict=True)]


def segment_document(doc: ParsedDocument, unit: str = "sentence") -> list[Segment]:
    """Segments for every turn of a parsed document, in reading order: one per turn at
    `unit` "turn"; at "sentence", one per sentence of a turn of more than three."""
    if unit not in CODING_UNITS:
        raise ArgumentError("unit", f"must be one of {', '.join(CODING_UNITS)}")
    long_turns = [
        i
        for i, t in enumerate(doc.turns)
        if unit == "sentence" and t.activity is None and _may_be_long(doc.text[t.start : t.end])
    ]
    split: dict[int, list[tuple[int, int]]] = {}
    if long_turns:
        spans = _sentence_spans(
            [doc.text[doc.turns[i].start : doc.turns[i].end] for i in long_turns]
        )
        for i, turn_spans in zip(long_turns, spans, strict=True):
            if len(turn_spans) > MAX_TURN_SENTENCES:
                split[i] = turn_spans
    segments: list[Segment] = []
    for i, turn in enumerate(doc.turns):
        pieces = split.get(i, [(0, turn.end - turn.start)])
        for rel_start, rel_end in pieces:
            start, end = _trimmed(doc.text, turn.start + rel_start, turn.start + rel_end)
            if start == end:
                continue
            segments.append(_segment(len(segments), i, turn, doc.text, start, end))
    return segments


def _segment(ordinal: int, index: int, turn: Turn, text: str, start: int, end: int) -> Segment:
    return Segment(
        ordinal=ordinal,
        turn=index,
        speaker=turn.speaker,
        start=start,
        end=end,
        text=text[start:end],
        cue_start=turn.cue_start,
        cue_end=turn.cue_end,
        activity=turn.activity,
        attributes=json.dumps(turn.attributes, ensure_ascii=False) if turn.attributes else None,
    )
