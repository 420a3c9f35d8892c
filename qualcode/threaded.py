"""A project for a process that serves many threads at once (the Streamlit app).

DuckDB lets one process have several connections to a file only when they share
one configuration: while one thread holds a read-write connection, another
thread's read-only connection fails ("different configuration"), and the other
way round. In the app every browser session runs in its own thread, so two
coders working at once would see their reads (or worse, their decisions) refused.

`SharedProject` is a `Project` whose connections pass a gate: connections of one
mode may be open together (DuckDB shares the database between them), and a
connection of the other mode waits until they have closed, briefly, since every
connection is short. A thread that already holds a connection of a mode never
waits for another of the same mode, so nested reads cannot deadlock. Opening and
closing are serialised too (see `_OPENING`). Other processes (the CLI) are
unaffected: they meet the file lock, and the retry, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from qualcode.store import Project, connect_with_retry, lock_timeout, release_file_lock


class ModeGate:
    """Admits connections of one mode (read-only or read-write) at a time."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._mode: bool | None = None
        self._open = 0
        self._waiting = {True: 0, False: 0}
        self._held = threading.local()

    def _mine(self, read_only: bool) -> int:
        return getattr(self._held, "ro" if read_only else "rw", 0)

    def _add(self, read_only: bool, step: int) -> None:
        setattr(self._held, "ro" if read_only else "rw", self._mine(read_only) + step)

    def acquire(self, read_only: bool) -> None:
        with self._cond:
            if not (self._open and self._mode == read_only and self._mine(read_only)):
                self._waiting[read_only] += 1
                try:
                    while self._open and (self._mode != read_only or self._waiting[not read_only]):
                        self._cond.wait()
                finally:
                    self._waiting[read_only] -= 1
            self._mode = read_only
            self._open += 1
            self._add(read_only, 1)

    def holds(self, read_only: bool) -> bool:
        """Whether this thread has a connection of that mode open."""
        return self._mine(read_only) > 0

    def release(self, read_only: bool) -> None:
        with self._cond:
            self._open -= 1
            self._add(read_only, -1)
            if not self._open:
                self._mode = None
            self._cond.notify_all()


_GATES: dict[str, ModeGate] = {}
_GATES_LOCK = threading.Lock()


def _gate(project: Project) -> ModeGate:
    key = str(project.path.resolve())
    with _GATES_LOCK:
        return _GATES.setdefault(key, ModeGate())


_OPENING = threading.Lock()
"""Opening and closing connections one at a time: DuckDB's Python client can hand a
connection made while another thread creates or tears down the shared database a
database without its Python scans ("python_arrow_scan does not exist")."""


@dataclass(frozen=True)
class SharedProject(Project):
    """A `Project` safe to use from many threads of one process at once."""

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        gate = _gate(self)
        nested_other = gate.holds(not read_only)  # DuckDB refuses that: let it say so
        if not nested_other:
            gate.acquire(read_only)
        try:
            with _OPENING:
                con = connect_with_retry(self.path, read_only, lock_timeout())
            try:
                yield con
            finally:
                with _OPENING:
                    try:
                        con.close()
                    finally:
                        release_file_lock(self.path)
        finally:
            if not nested_other:
                gate.release(read_only)
