"""A table to export: a title, column names and rows, plus notes for the reader.

Every export (themes, matrix, codings, codebook) builds one of these and hands it
to the one renderer of the chosen format, so formats look the same for all tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Value = str | int | float | None
Run = tuple[str, bool]
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # as str.splitlines


@dataclass
class Table:
    """Rows of values under named columns; a value may hold line breaks."""

    title: str
    columns: list[str]
    rows: list[list[Value]]
    notes: list[str] = field(default_factory=list)
    sheet: str = ""  # a short name for a spreadsheet tab; from the title when empty

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"row {i} has {len(row)} values for {len(self.columns)} columns")

    @property
    def sheet_name(self) -> str:
        """A valid spreadsheet tab name (31 characters, none of []:*?/\\)."""
        name = _SHEET_BAD.sub(" ", self.sheet or self.title).strip() or "Table"
        return name[:31]


def text(value: Value) -> str:
    """A value as display text ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Marked(str):
    """Text with runs to emphasise (a quote's coded words inside the speaker's turn): as a
    `str` it is the plain text; each renderer shows the emphasis its own way (bold; in
    CSV between ** and **)."""

    runs: tuple[Run, ...]

    def __new__(cls, runs: list[Run] | tuple[Run, ...]) -> Marked:
        merged: list[Run] = []
        for piece, emphasis in runs:
            if not piece:
                continue
            if merged and merged[-1][1] == emphasis:
                merged[-1] = (merged[-1][0] + piece, emphasis)
            else:
                merged.append((piece, emphasis))
        made = super().__new__(cls, "".join(piece for piece, _ in merged))
        made.runs = tuple(merged)
        return made


def runs(value: Value) -> list[Run]:
    """A value as (text, emphasised) runs: a plain value is one unemphasised run."""
    if isinstance(value, Marked):
        return list(value.runs)
    return [(text(value), False)]


def lines(value: Value) -> list[list[Run]]:
    """A value's runs line by line (a line break inside a run starts a new line)."""
    found: list[list[Run]] = [[]]
    for piece, emphasis in runs(value):
        for i, line in enumerate(_LINE_BREAK.split(piece)):
            if i:
                found.append([])
            if line:
                found[-1].append((line, emphasis))
    if len(found) > 1 and not found[-1]:  # a final line break ends the last line
        found.pop()
    return found


def starred(value: Value) -> str:
    """A value as plain text with its emphasised runs between ** and ** (for CSV)."""
    return "".join(f"**{piece}**" if emphasis else piece for piece, emphasis in runs(value))
