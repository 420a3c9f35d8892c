"""Manifests: the attributes of each source file (location, session, date, group, ...)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import InputError
from qualcode.limits import read_limited
from qualcode.textio import decode_bytes, safe_load_yaml

STANDARD_FIELDS = ("location", "session", "date", "group")
_ALIASES = {"participant_group": "group", "filename": "file", "path": "file"}


@dataclass
class FileAttributes:
    """Attributes of one document; `extra` holds any further manifest column."""

    location: str | None = None
    session: str | None = None
    date: str | None = None
    group: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def with_defaults(self, location: str | None, session: str | None) -> FileAttributes:
        """These attributes, with the given location and session where the manifest has
        none."""
        return FileAttributes(
            location=self.location or location,
            session=self.session or session,
            date=self.date,
            group=self.group,
            extra=dict(self.extra),
        )


@dataclass
class Manifest:
    """Attributes by resolved file path, read from a CSV or YAML manifest."""

    path: Path
    rows: dict[Path, FileAttributes]

    def attributes_for(self, file: Path) -> FileAttributes:
        """The row for a file: by its path, else by its name when that is unique."""
        resolved = file.resolve()
        if resolved in self.rows:
            return self.rows[resolved]
        by_name = [attrs for path, attrs in self.rows.items() if path.name == file.name]
        return by_name[0] if len(by_name) == 1 else FileAttributes()

    def lists(self, file: Path) -> bool:
        return file.resolve() in self.rows

    def is_manifest(self, file: Path) -> bool:
        return file.resolve() == self.path.resolve()


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _rows_from_csv(text: str, path: Path) -> list[dict[str, Any]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV manifest ({exc})") from None
    columns = [
        (_ALIASES.get(c.strip().lower(), c.strip().lower())) for c in reader.fieldnames or []
    ]
    if "file" not in columns:
        found = ", ".join(reader.fieldnames or []) or "none"
        raise InputError(path, f"manifest has no 'file' column (found: {found})")
    for number, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"manifest line {number}: more values than columns")
    return [
        {_ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in row.items()}
        for row in rows
    ]


def _rows_from_yaml(text: str, path: Path) -> list[dict[str, Any]]:
    data = safe_load_yaml(text, path, "YAML manifest")
    if isinstance(data, dict):
        data = data.get("documents", data.get("files"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise InputError(path, "YAML manifest must be a list of entries with a 'file' key")
    rows = []
    for number, item in enumerate(data, start=1):
        row = {_ALIASES.get(str(k).lower(), str(k).lower()): v for k, v in item.items()}
        if "file" not in row:
            raise InputError(path, f"manifest entry {number} has no 'file' key")
        for key, value in row.items():  # never str() a list: a YAML alias can make it huge
            if isinstance(value, list | dict | set | tuple):
                raise InputError(path, f"manifest entry {number}: '{key}' must be a single value")
        rows.append(row)
    return rows


def read_manifest(path: str | Path, max_bytes: int | None = None) -> Manifest:
    """Parse a CSV or YAML manifest within the size limit (None: the configured one,
    see qualcode.limits); InputError names the file and the problem."""
    path = Path(path)
    _check_format(path)
    return parse_manifest(read_limited(path, max_bytes), path)


def _check_format(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise InputError(path, f"unsupported manifest format '{suffix}' (use .csv or .yaml)")


def parse_manifest(data: bytes, path: str | Path) -> Manifest:
    """A manifest from its bytes (an upload), as `read_manifest` parses the file `path`:
    `path` names it in errors, and its file entries are relative to `path`'s folder."""
    path = Path(path)
    _check_format(path)
    suffix = path.suffix.lower()
    text = decode_bytes(data, path)
    if suffix in (".yaml", ".yml"):
        raw_rows = _rows_from_yaml(text, path)
    else:
        raw_rows = _rows_from_csv(text, path)
    base = path.parent
    rows: dict[Path, FileAttributes] = {}
    for number, row in enumerate(raw_rows, start=1):
        name = _clean(row.pop("file", None))
        if name is None:
            raise InputError(path, f"manifest entry {number} has an empty 'file'")
        target = (base / name).resolve()
        if target in rows:
            raise InputError(path, f"manifest lists '{name}' twice")
        rows[target] = file_attributes(row)
    return Manifest(path=path, rows=rows)


def file_attributes(values: Mapping[str, Any]) -> FileAttributes:
    """One document's attributes from name -> value pairs, named as manifest columns are
    (any case; participant_group for group); blank values are left out."""
    row = {
        _ALIASES.get(name, name): v
        for name, v in ((str(k).strip().lower(), v) for k, v in values.items())
    }
    standard = {key: _clean(row.pop(key, None)) for key in STANDARD_FIELDS}
    extra = {str(k): v for k, v in ((k, _clean(v)) for k, v in row.items()) if v is not None}
    return FileAttributes(**standard, extra=extra)
