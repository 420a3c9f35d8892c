"""The one way a result becomes command output: `to_json()`, plain data for json.dumps.

Result types that are plain dataclasses inherit `Jsonable` (their fields, nested
dataclasses included); the others define `to_json()` themselves when their JSON is not
just their fields (a report's exact keys)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any


class Jsonable:
    """Mixin for a dataclass whose JSON form is its fields."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]
