"""The project file: short-lived DuckDB connections, lock handling and migrations.

One DuckDB file is one project. DuckDB lets one process write at a time, and a
process holding a read-write connection blocks every other process, so every
operation opens a connection, does its work in one transaction and closes it.
When another process holds the file, we retry for a few seconds and then raise
a ProjectError that names the holder.

Every connection also holds the project's lock file (`<project>.lock`, through
`qualcode.locking`: exclusive to write, shared to read) from before it opens until after it has
closed. DuckDB 2.0's own lock on the database file can let a second process in
while the first is still finishing its write, and the second then overwrites
committed transactions (tests/test_faults.py shows it); the lock file keeps
them apart.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import duckdb

from qualcode import locking
from qualcode.errors import NextStep, ProjectError
from qualcode.fileio import OWNER_ONLY

DEFAULT_DB = "qualcode.duckdb"
LOCK_TIMEOUT_ENV = "QUALCODE_LOCK_TIMEOUT"
_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<cmd>.*?) \(PID (?P<pid>\d+)\)")


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
    return locking.describe_process(match.group("pid"), match.group("cmd"))


_FILE_LOCKS: dict[str, list] = {}  # lock file -> [its open handle or None, connections open]
_FILE_LOCKS_GUARD = threading.Lock()


def _lock_file(path: Path) -> Path:
    return Path(os.path.abspath(f"{path}.lock"))


def _take_file_lock(path: Path, read_only: bool) -> bool:
    """Count one more connection of this process under the project's lock file: True when
    this process holds the file lock (or none can be made, say in a read-only folder),
    False while another process holds it (a writer; or readers, when this one writes).
    Threads of one process share the hold, as they share DuckDB's database."""
    key = _lock_file(path)
    with _FILE_LOCKS_GUARD:
        held = _FILE_LOCKS.get(str(key))
        if held is None:
            handle = locking.open_lock_file(key)
            if handle is not None:
                if not locking.try_lock(handle, shared=read_only):
                    handle.close()
                    return False
                locking.note_holder(key)  # for the in-use message
            held = _FILE_LOCKS[str(key)] = [handle, 0]
        held[1] += 1
        return True


def release_file_lock(path: Path) -> None:
    """One connection of this process fewer; the last one out releases the lock file."""
    key = str(_lock_file(path))
    with _FILE_LOCKS_GUARD:
        held = _FILE_LOCKS.get(key)
        if held is None:
            return
        held[1] -= 1
        if held[1] <= 0:
            del _FILE_LOCKS[key]
            if held[0] is not None:
                locking.release(held[0])


def _lock_file_holder(path: Path) -> str:
    """'PID n (command line)' of a process holding the lock file, as far as it says."""
    return locking.describe_holder(_lock_file(path))


def connect_with_retry(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """A connection, counted under the project's lock file: after closing it, call
    `release_file_lock(path)`."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if not _take_file_lock(path, read_only):
            holder = _lock_file_holder(path)
        else:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as exc:
                release_file_lock(path)
                message = str(exc)
                if "lock" not in message.lower():
                    raise ProjectError(f"{path}: cannot open project file: {message}") from None
                holder = _holder_description(message)
            except duckdb.Error as exc:
                release_file_lock(path)
                raise ProjectError(f"{path}: not a qualcode project file ({exc})") from None
            except BaseException:
                release_file_lock(path)
                raise
        if time.monotonic() >= deadline:
            raise ProjectError(f"project file is in use by {holder}: {path}")
        delay = locking.wait(deadline, delay)


@contextmanager
def exclusive_lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the project's lock file exclusively: no other process opens a connection
    meanwhile (this one still may). For replacing the file whole (a restore)."""
    deadline = time.monotonic() + (lock_timeout() if timeout is None else timeout)
    delay = 0.005
    while not _take_file_lock(path, read_only=False):
        if time.monotonic() >= deadline:
            raise ProjectError(f"project file is in use by {_lock_file_holder(path)}: {path}")
        delay = locking.wait(deadline, delay)
    try:
        yield
    finally:
        release_file_lock(path)


def lock_timeout() -> float:
    """Seconds a connection waits for a project file another process holds
    (`QUALCODE_LOCK_TIMEOUT`, default 5)."""
    try:
        return float(os.environ.get(LOCK_TIMEOUT_ENV, "5"))
    except ValueError:
        return 5.0


@dataclass(frozen=True)
class Project:
    """A qualcode project: the path of its DuckDB file.

    Holds no connection. `connect()` opens a short-lived one; `transaction()`
    wraps work that must land whole or not at all. `user` is the person the
    project acts for (`as_user`); None acts for whoever holds the file, and
    `qualcode.access` says what a bound person may see and change.
    """

    path: Path
    user: str | None = None

    def as_user(self, name: str) -> Project:
        """This project acting for one signed-in person (the app binds every page)."""
        if not name or not name.strip():
            raise ProjectError("a project acts for a named person")
        return replace(self, user=name.strip())

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """An existing project, migrated to this qualcode's schema if older."""
        project = cls(Path(path))
        if not project.path.exists():
            raise ProjectError(f"{project.path}: no project here", next_step=NextStep.INIT)
        if project.schema_version() == 0:  # a DuckDB file of something else: leave it be
            raise ProjectError(
                f"{project.path}: not a qualcode project file", next_step=NextStep.INIT
            )
        project._ensure_schema()
        return project

    @classmethod
    def init(cls, path: str | Path) -> Project:
        """Create a project file (or migrate an existing one) and return it. A new file
        is readable by its owner only: it holds transcripts of people."""
        project = cls(Path(path))
        project.path.parent.mkdir(parents=True, exist_ok=True)
        created = not project.path.exists()
        project._ensure_schema()
        if created:
            os.chmod(project.path, OWNER_ONLY)
        return project

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection that is closed when the block ends."""
        con = connect_with_retry(self.path, read_only, lock_timeout())
        try:
            yield con
        finally:
            try:
                con.close()
            finally:
                release_file_lock(self.path)

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
                os.chmod(backup, OWNER_ONLY)  # a copy of transcripts: its owner's only
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
