"""Codebook versions in a project: loading a changed codebook adds a version.

Codings keep the version they were made under, ids never change meaning, and a
code that disappears from the file is carried forward as retired, not deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import duckdb

from qualcode.access import recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.codebook.model import Code, Codebook
from qualcode.store import Project

_CODE_COLUMNS = (
    "id, label, parent, codable, definition, full_definition, include, exclude, "
    "examples, color, provenance, retired, priorities"
)


@dataclass
class LoadResult:
    """What loading a codebook did."""

    version: int
    created: bool  # False when the file matched the current version
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def _hashed_fields(code: Code) -> dict:
    """A code's fields for the content hash; a field added later (priorities) counts only
    when set, so a codebook stored before it existed keeps its hash."""
    fields = asdict(code)
    if not fields["priorities"]:
        del fields["priorities"]
    return fields


def _content_hash(codebook: Codebook) -> str:
    payload = json.dumps(
        {"name": codebook.name, "codes": [_hashed_fields(c) for c in codebook.codes]},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _codes_at(con: duckdb.DuckDBPyConnection, version: int) -> list[Code]:
    rows = con.execute(
        f"SELECT {_CODE_COLUMNS} FROM codes WHERE codebook_version = ? ORDER BY ordinal",
        [version],
    ).fetchall()
    codes = []
    for row in rows:
        values = dict(zip([c.strip() for c in _CODE_COLUMNS.split(",")], row, strict=True))
        values["examples"] = list(values["examples"] or [])
        values["priorities"] = list(values["priorities"] or [])
        for key in ("definition", "full_definition", "include", "exclude", "provenance"):
            values[key] = values[key] or ""
        codes.append(Code(**values))
    return codes


def latest_version(con: duckdb.DuckDBPyConnection) -> int | None:
    return con.execute("SELECT max(version) FROM codebook_versions").fetchone()[0]


def codebook_at(con: duckdb.DuckDBPyConnection, version: int | None = None) -> Codebook | None:
    """The codebook of a version (the latest by default), retired codes included."""
    version = version if version is not None else latest_version(con)
    if version is None:
        return None
    name = con.execute("SELECT name FROM codebook_versions WHERE version = ?", [version]).fetchone()
    if name is None:
        return None
    return Codebook(name=name[0], codes=_codes_at(con, version), version=version)


def current_codebook(project: Project) -> Codebook | None:
    """The project's latest codebook version, or None before any is loaded."""
    with project.connect(read_only=True) as con:
        return codebook_at(con)


def _with_retired(new: Codebook, previous: Codebook | None) -> tuple[list[Code], list[str]]:
    """New codes, plus previous codes missing from the file carried forward as retired."""
    codes = list(new.codes)
    retired: list[str] = []
    if previous is None:
        return codes, retired
    present = {code.id for code in codes}
    for old in previous.codes:
        if old.id not in present:
            kept = Code(**{**asdict(old), "retired": True})
            codes.append(kept)
            if not old.retired:
                retired.append(old.id)
    return codes, retired


def store_codebook(
    project: Project, codebook: Codebook, source_text: str, source_path: str, actor: str
) -> LoadResult:
    """Store a validated codebook as the next version, unless it equals the current one;
    a supervisor's or admin's change when the project is bound to a person."""
    require_supervisor(project, "change the codebook")
    actor = recorded_as(project, actor)
    with project.transaction() as con:
        return append_codebook(con, codebook, source_text, source_path, actor)


def append_codebook(
    con: duckdb.DuckDBPyConnection,
    codebook: Codebook,
    source_text: str,
    source_path: str,
    actor: str,
) -> LoadResult:
    """`store_codebook` inside the caller's transaction."""
    previous = codebook_at(con)
    codes, retired = _with_retired(codebook, previous)
    candidate = Codebook(name=codebook.name, codes=codes)
    digest = _content_hash(candidate)
    if previous is not None:
        current_hash = con.execute(
            "SELECT content_hash FROM codebook_versions WHERE version = ?",
            [previous.version],
        ).fetchone()[0]
        if current_hash == digest:
            return LoadResult(version=previous.version, created=False)
    version = (previous.version or 0) + 1 if previous else 1
    con.execute(
        "INSERT INTO codebook_versions (version, name, source_path, content_hash, source_text)"
        " VALUES (?, ?, ?, ?, ?)",
        [version, codebook.name, source_path, digest, source_text],
    )
    con.executemany(
        f"INSERT INTO codes (codebook_version, ordinal, {_CODE_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                version,
                i,
                c.id,
                c.label,
                c.parent,
                c.codable,
                c.definition,
                c.full_definition,
                c.include,
                c.exclude,
                c.examples,
                c.color,
                c.provenance,
                c.retired,
                c.priorities,
            ]
            for i, c in enumerate(codes)
        ],
    )
    old = previous.by_id() if previous else {}
    added = [c.id for c in codebook.codes if c.id not in old]
    changed = [c.id for c in codebook.codes if c.id in old and old[c.id] != c]
    result = LoadResult(version, True, added, changed, retired)
    log_action(con, actor, "codebook.load", {"source": source_path, **asdict(result)})
    return result
