"""The project file: short-lived DuckDB connections, lock handling and migrations.

One DuckDB file is one project. DuckDB lets one process write at a time, and a
process holding a read-write connection blocks every other process, so every
operation opens a connection, does its work in one transaction and closes it.
When another process holds the file, we retry for a few seconds and then raise
a ProjectError that names the holder.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from qualcode.errors import ProjectError

DEFAULT_DB = "qualcode.duckdb"
LOCK_TIMEOUT_ENV = "QUALCODE_LOCK_TIMEOUT"
_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<cmd>.*?) \(PID (?P<pid>\d+)\)")
_RETRY_MAX_DELAY = 0.05
"""Longest pause between two tries for a locked file. Writes hold the file for tens of
milliseconds; waiters pausing up to 0.25 s kept missing the gaps (a write waited 4.7 s
of its 5 s in benchmarks/bench_concurrency.py)."""


def migrations() -> list[tuple[int, str]]:
    """The numbered schema migrations shipped with the package, in order."""
    found = []
    for entry in resources.files("qualcode.migrations").iterdir():
        match = re.match(r"(\d{4})_.*\.sql$", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_schema_version() -> int:
    return migrations()[-1][0]


def _holder_description(message: str) -> str:
    """'PID n (command line)' for DuckDB's conflicting-lock message."""
    match = _LOCK_RE.search(message)
    if not match:
        return "another process"
    pid = match.group("pid")
    command = match.group("cmd")
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        parts = [p for p in raw.decode(errors="replace").split("\0") if p]
        if parts:
            command = " ".join(Path(parts[0]).name if i == 0 else p for i, p in enumerate(parts))
    except OSError:
        pass
    command = " ".join(command.split())
    if len(command) > 80:
        command = command[:79] + "…"
    return f"PID {pid} ({command})"


def _connect_with_retry(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise ProjectError(f"{path}: cannot open project file: {message}") from None
            if time.monotonic() >= deadline:
                raise ProjectError(
                    f"project file is in use by {_holder_description(message)}: {path}"
                ) from None
            time.sleep(random.uniform(0, delay))  # jitter: waiters do not try in step
            delay = min(delay * 2, _RETRY_MAX_DELAY)
        except duckdb.Error as exc:
            raise ProjectError(f"{path}: not a qualcode project file ({exc})") from None


def _lock_timeout() -> float:
    try:
        return float(os.environ.get(LOCK_TIMEOUT_ENV, "5"))
    except ValueError:
        return 5.0


@dataclass(frozen=True)
class Project:
    """A qualcode project: the path of its DuckDB file.

    Holds no connection. `connect()` opens a short-lived one; `transaction()`
    wraps work that must land whole or not at all.
    """

    path: Path

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """An existing project, migrated to this qualcode's schema if older."""
        project = cls(Path(path))
        if not project.path.exists():
            raise ProjectError(f"{project.path}: no project here (run 'qualcode init' first)")
        project._ensure_schema()
        return project

    @classmethod
    def init(cls, path: str | Path) -> Project:
        """Create a project file (or migrate an existing one) and return it."""
        project = cls(Path(path))
        project.path.parent.mkdir(parents=True, exist_ok=True)
        project._ensure_schema()
        return project

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that is closed when the block ends."""
        con = _connect_with_retry(self.path, read_only, _lock_timeout())
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: committed whole or rolled back."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def schema_version(self) -> int:
        with self.connect(read_only=True) as con:
            return _schema_version(con)

    def _ensure_schema(self) -> None:
        latest = latest_schema_version()
        existed = self.path.exists() and self.path.stat().st_size > 0
        with self.connect() as con:
            current = _schema_version(con)
            if current > latest:
                raise ProjectError(
                    f"{self.path}: written by a newer qualcode (schema {current}; "
                    f"this qualcode knows up to {latest}); upgrade qualcode to open it"
                )
            if current == latest:
                return
            if existed and current > 0:
                con.execute("CHECKPOINT")
                con.close()
                backup = self.path.with_name(f"{self.path.name}.schema{current}.bak")
                shutil.copy2(self.path, backup)
        with self.connect() as con:
            _apply_migrations(con, _schema_version(con))


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _apply_migrations(con: duckdb.DuckDBPyConnection, current: int) -> None:
    for number, sql in migrations():
        if number <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(number)],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
