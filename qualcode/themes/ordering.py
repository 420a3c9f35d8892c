"""Sorting locations and sessions the way people read them: "Location 10" after "Location 9"."""

from __future__ import annotations

import re
from functools import lru_cache

_PARTS = re.compile(r"(\d+)")


@lru_cache(maxsize=4096)
def natural_key(value: str | None) -> tuple:
    """A sort key: numbers inside the text compare as numbers; None sorts last."""
    if value is None:
        return (1, ())
    parts = _PARTS.split(value)
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts if p))
