"""The phrases a code is recognised by: its label, definition, include clauses and
examples, each kept as its own vector (better than one averaged prototype).

Measured on a public benchmark, pooling a text's similarities to a code's phrases
beat one averaged prototype per code by four points (DESIGN.md). On the CSF-POF
gold file, adding the full definition's sentences, or exclude clauses as phrases of
the code they redirect to ("(use education)"), changed nothing beyond noise, so
the phrases are the four fields the codebook format names for this. Accepted
segments join these phrases as coders work (see `learning`).
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.codebook.model import Codebook
from qualcode.suggest.text import clauses, normalise


@dataclass(frozen=True)
class Phrase:
    """One text that stands for a code; shown to the coder as evidence."""

    code_id: str
    kind: str  # label | definition | include | example | accepted
    text: str


def code_phrases(codebook: Codebook) -> list[Phrase]:
    """The phrases of every codable code, in codebook order, without duplicates."""
    phrases: list[Phrase] = []
    seen: set[tuple[str, str]] = set()
    for code in codebook.codable():
        candidates = [
            ("label", code.label),
            ("definition", code.definition),
            *(("include", clause) for clause in clauses(code.include)),
            *(("example", example) for example in code.examples),
        ]
        for kind, raw in candidates:
            text = normalise(raw)
            key = (code.id, text.lower())
            if text and key not in seen:
                seen.add(key)
                phrases.append(Phrase(code.id, kind, text))
    return phrases
