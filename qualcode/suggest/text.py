"""Text helpers for suggestions: stable text hashes, sentences and clauses.

The sentence splitter is a small rule, not spaCy: segments are usually single
sentences already (ingest splits long turns), so it only has to find the
sentences of the occasional long text cheaply and deterministically.
"""

from __future__ import annotations

import hashlib
import re

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]*[A-Z0-9])")
_MIN_SENTENCE_CHARS = 12
LONG_TEXT = 160  # characters: texts at least this long are also scored sentence by sentence


def text_hash(text: str) -> str:
    """The cache key of a text: blake2b-128 of its UTF-8 bytes, as hex."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, ends trimmed."""
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """The sentences of a text; short fragments are joined to the sentence before.

    A text of one sentence gives a one-element list.
    """
    text = normalise(text)
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    merged: list[str] = []
    for part in parts:
        if merged and len(part) < _MIN_SENTENCE_CHARS:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged or ([text] if text else [])


def clauses(text: str) -> list[str]:
    """A codebook field split on ';' into trimmed, non-empty clauses."""
    return [c.strip() for c in text.split(";") if c.strip()]


def sentence_rows(texts: list[str]) -> tuple[list[str], list[int]]:
    """The sentences of every long text (LONG_TEXT characters or more) with two or
    more sentences, and the text each belongs to. Short texts are scored whole:
    splitting them costs embedding time and gains nothing measurable."""
    found: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        if len(text) < LONG_TEXT:
            continue
        parts = sentences(text)
        if len(parts) > 1:
            found.extend(parts)
            owners.extend([i] * len(parts))
    return found, owners
