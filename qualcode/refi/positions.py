"""Text positions at the REFI-QDA boundary: UTF-16 code units <-> code points.

qualcode stores code-point offsets (Python string indices), end exclusive. The
REFI-QDA standard says positions count characters, but NVivo (and other .NET
or Java tools) count UTF-16 code units: a character outside the Basic
Multilingual Plane (most emoji) counts 2. Both conventions agree on text
without such characters. `PositionMap` converts between them for one text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Literal

PositionUnit = Literal["utf16", "codepoints"]
POSITION_UNITS: tuple[PositionUnit, ...] = ("utf16", "codepoints")

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class PositionMap:
    """Convert offsets into one text between code points and another unit.

    Only astral characters (two UTF-16 units each) make the units differ, so
    the map keeps their code-point indices and converts with a binary search.
    """

    def __init__(self, text: str, unit: PositionUnit = "utf16") -> None:
        if unit not in POSITION_UNITS:
            raise ValueError(f"unknown position unit '{unit}' (one of {', '.join(POSITION_UNITS)})")
        self.unit = unit
        self.length = len(text)
        self._astral = [m.start() for m in _ASTRAL.finditer(text)] if unit == "utf16" else []
        # UTF-16 index of the second unit of each astral character (a position inside it)
        self._inside = [cp + k + 1 for k, cp in enumerate(self._astral)]

    @property
    def external_length(self) -> int:
        """The text's length in the external unit."""
        return self.length + len(self._astral)

    def to_external(self, offset: int) -> int:
        """A code-point offset in the external unit."""
        return offset + bisect_left(self._astral, offset)

    def to_codepoint(self, position: int, *, round_up: bool = False) -> int:
        """An external position as a code-point offset.

        A position between the two units of one character (only seen in
        broken files) moves to that character's start, or past it when
        `round_up` is set (for the end of a selection).
        """
        k = bisect_left(self._inside, position)
        inside = k < len(self._inside) and self._inside[k] == position
        offset = position - k
        if inside:
            return offset if round_up else offset - 1
        return offset
