"""Gold files: texts with the codes human coders gave them, for `evaluate`.

A CSV with columns `text` and `codes` (code ids separated by ';') and optionally
`id`. Every problem is one InputError naming the file, and the row where it is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from qualcode.codebook.model import Codebook
from qualcode.errors import InputError
from qualcode.limits import read_limited
from qualcode.textio import decode_bytes


@dataclass(frozen=True)
class GoldRow:
    """One gold text and its codes (ids of the codebook, in file order)."""

    id: str
    text: str
    codes: tuple[str, ...]


def read_gold(path: str | Path, codebook: Codebook) -> list[GoldRow]:
    """The rows of a gold CSV; codes must be ids of the codebook (groups included)."""
    path = Path(path)
    reader = csv.DictReader(io.StringIO(decode_bytes(read_limited(path), path)))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    missing = [c for c in ("text", "codes") if c not in columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)} (need text and codes)")
    known = {code.id for code in codebook.active()}
    rows: list[GoldRow] = []
    for number, raw in enumerate(reader, start=2):
        text = " ".join((raw.get(columns["text"]) or "").split())
        codes = tuple(c.strip() for c in (raw.get(columns["codes"]) or "").split(";") if c.strip())
        row_id = (raw.get(columns["id"]) or "").strip() if "id" in columns else ""
        where = f"line {number}" + (f" (id {row_id})" if row_id else "")
        if not text:
            raise InputError(path, f"{where}: empty text")
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InputError(path, f"{where}: unknown code id '{unknown[0]}'")
        rows.append(GoldRow(row_id or str(number - 1), text, tuple(dict.fromkeys(codes))))
    if not rows:
        raise InputError(path, "no gold rows")
    if not any(row.codes for row in rows):
        raise InputError(path, "no row has a code")
    return rows
