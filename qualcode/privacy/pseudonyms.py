"""Pseudonym kinds, the project-wide mapping original -> pseudonym, and key normalisation.

A pseudonym is ``[Label N]`` (``[Person 3]``, ``[Date of birth 1]``), numbered per
kind across the whole project. The same original (compared by `normalise_key`:
case, spacing and curly apostrophes ignored) always gets the same pseudonym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS: dict[str, str] = {
    "person": "Person",
    "place": "Place",
    "organisation": "Organisation",
    "email": "Email",
    "phone": "Phone",
    "date_of_birth": "Date of birth",
    "address": "Address",
    "postcode": "Postcode",
    "nationality": "Nationality",
}
"""Kind -> the label in its pseudonyms."""

PSEUDONYM = re.compile(r"\[(" + "|".join(KINDS.values()) + r") (\d+)\]")
"""qualcode's own pseudonyms, which are never replaced."""

_LABEL_KIND = {label: kind for kind, label in KINDS.items()}


def normalise_key(text: str) -> str:
    """The comparison form of an original: case-folded, single-spaced, straight apostrophes."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()


def key_for(text: str, kind: str | None) -> str:
    """The mapping key of an original: phone numbers by digits (+44 as 0), postcodes
    without spaces, everything else by `normalise_key`."""
    if kind == "phone":
        digits = "".join(c for c in text.replace("(0)", "") if c.isdigit())
        if text.lstrip().startswith("+"):
            digits = "0" + digits[2:] if digits.startswith("44") else "+" + digits
        elif digits.startswith("0044"):
            digits = "0" + digits[4:]
        return f"phone:{digits}"
    if kind == "postcode":
        return "postcode:" + "".join(text.split()).upper()
    return normalise_key(text)


def format_pseudonym(kind: str, number: int) -> str:
    """``[Person 3]`` for ("person", 3)."""
    return f"[{KINDS[kind]} {number}]"


def parse_pseudonym(text: str) -> tuple[str, int] | None:
    """(kind, number) of a pseudonym string, or None if it is not one."""
    match = PSEUDONYM.fullmatch(text)
    if match is None:
        return None
    return _LABEL_KIND[match.group(1)], int(match.group(2))


@dataclass(frozen=True)
class MappingEntry:
    """One original and the pseudonym it always gets."""

    original: str
    kind: str
    pseudonym: str


@dataclass
class PseudonymMap:
    """Originals -> pseudonyms for a project, per-kind counters, and kept strings.

    `entries` is keyed by `normalise_key(original)`; several keys may share a
    pseudonym (a first name alone and the full name). `kept` holds the keys a
    researcher chose never to replace, with the string as typed.
    """

    entries: dict[str, MappingEntry] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)

    def lookup(self, text: str, kind: str | None = None) -> MappingEntry | None:
        """The entry for an original, if it has one."""
        return self.entries.get(key_for(text, kind))

    def copy(self) -> PseudonymMap:
        return PseudonymMap(dict(self.entries), dict(self.counters), dict(self.kept))

    def next_number(self, kind: str) -> int:
        """Take the next number for `kind` (counters only grow, so numbers are never reused)."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def reserve(self, kind: str, number: int) -> None:
        """Make sure `number` is never handed out for `kind` (it is already in use)."""
        if number > self.counters.get(kind, 0):
            self.counters[kind] = number
