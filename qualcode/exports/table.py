"""A table to export: a title, column names and rows, plus notes for the reader.

Every export (themes, matrix, codings, codebook) builds one of these and hands it
to the one renderer of the chosen format, so formats look the same for all tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Value = str | int | float | None
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


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
