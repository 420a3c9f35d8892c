"""Advisory file locks on Linux, macOS and Windows: exclusive to write, shared to read.

portalocker takes the locks (flock on POSIX; on Windows msvcrt.locking, and LockFileEx
from pywin32 for shared locks), so nothing here imports a POSIX-only module. A lock belongs to an
open file: the operating system drops it when its process exits or is killed, so a
crash never leaves a project locked.

Who holds a lock is noted in a file beside it (`<lock>.holder`: process id and command
line), not in the lock file itself: Windows locks are mandatory byte-range locks, so a
waiting process could not read a lock file that a writer holds.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

import portalocker

from qualcode.fileio import OWNER_ONLY

RETRY_MAX_DELAY = 0.05
"""Longest pause between two tries for a held lock. Writes hold a project for tens of
milliseconds; waiters pausing up to 0.25 s kept missing the gaps (a write waited 4.7 s
of its 5 s in benchmarks/bench_concurrency.py)."""

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)


def open_lock_file(path: Path) -> BinaryIO | None:
    """`path` opened for locking, created readable by its owner only; None when it cannot
    be made (a read-only folder), where the caller goes on without the lock."""
    try:
        return _open(path)
    except OSError:
        return None


def _open(path: Path) -> BinaryIO:
    return os.fdopen(os.open(path, _OPEN_FLAGS, OWNER_ONLY), "r+b", buffering=0)


def try_lock(handle: BinaryIO, shared: bool, record_lock: bool = False) -> bool:
    """Take the lock without waiting: True when taken, False while another process holds
    a conflicting one. `record_lock` takes a POSIX record lock (fcntl F_SETLK, the kind
    DuckDB holds on its database file) instead of flock; only where `has_record_locks`."""
    flags = portalocker.LockFlags.SHARED if shared else portalocker.LockFlags.EXCLUSIVE
    flags |= portalocker.LockFlags.NON_BLOCKING
    try:
        if record_lock:
            _record_locker().lock(handle, flags)
        else:
            portalocker.lock(handle, flags)
    except portalocker.LockException:
        return False
    return True


def release(handle: BinaryIO) -> None:
    """Unlock and close (Windows wants the unlock before the close; POSIX drops the lock
    on close in any case)."""
    with suppress(portalocker.LockException, OSError):
        portalocker.unlock(handle)
    handle.close()


def has_record_locks() -> bool:
    """Whether the platform has POSIX record locks: portalocker has a record locker on
    POSIX only (not on Windows, where an open file cannot be replaced in any case)."""
    return hasattr(portalocker.portalocker, "LockfLocker")


def _record_locker() -> portalocker.portalocker.BaseLocker:
    return portalocker.portalocker.LockfLocker()


def wait(deadline: float, delay: float) -> float:
    """Pause before the next try (jittered, so waiters do not try in step); return the
    next pause, doubling up to `RETRY_MAX_DELAY`. Raises nothing: the caller checks
    `deadline` and reports who holds the lock."""
    time.sleep(random.uniform(0, min(delay, max(0.0, deadline - time.monotonic()))))
    return min(delay * 2, RETRY_MAX_DELAY)


@contextmanager
def hold(
    path: Path,
    timeout: float,
    busy: Callable[[], Exception],
    unopenable: Callable[[OSError], Exception] | None = None,
    record_lock: bool = False,
) -> Iterator[None]:
    """Hold `path` exclusively for the block, retrying for `timeout` seconds; then raise
    `busy()`. A lock file that cannot be made raises `unopenable(error)` (by default the
    OSError itself). For one-writer files beside a project (the pseudonym log, a restore)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = _open(path)
    except OSError as exc:
        if unopenable is None:
            raise
        raise unopenable(exc) from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while not try_lock(handle, shared=False, record_lock=record_lock):
            if time.monotonic() >= deadline:
                raise busy()
            delay = wait(deadline, delay)
        yield
    finally:
        release(handle)


def holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


_NOTE_WIDTH = 256


def note_holder(lock_path: Path) -> None:
    """Write this process's id and command line beside the lock, for the in-use message
    of a process that finds it held. Best effort: a lock without a note still locks.

    The note is a fixed-width record written over the last one, never truncated: a
    truncation costs a journal commit (0.2 ms here), and this runs at every first
    connection of a process."""
    with suppress(OSError):
        fd = os.open(holder_file(lock_path), os.O_WRONLY | os.O_CREAT, OWNER_ONLY)
        try:
            os.write(fd, _note())
        finally:
            os.close(fd)


def _note() -> bytes:
    command = " ".join([Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]])
    record = f"{os.getpid()}\n{' '.join(command.split())}".encode(errors="replace")
    return record[: _NOTE_WIDTH - 1].ljust(_NOTE_WIDTH - 1) + b"\n"


def describe_holder(lock_path: Path) -> str:
    """'PID n (command line)' of the process the note beside the lock names, while that
    process still runs; 'another process' when nothing says."""
    try:
        note = holder_file(lock_path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return "another process"
    pid, _, command = note.partition("\n")
    pid = pid.strip()
    if not pid.isdigit() or not process_running(int(pid)):
        return "another process"
    return describe_process(pid, command.strip() or "unknown command")


def process_running(pid: int) -> bool:
    """Whether a process of this id runs. On Windows `os.kill` would terminate it, so
    there the process is opened and its exit code read instead."""
    if os.name == "nt":
        return _windows_process_running(pid)
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # running, as another user
    except OSError:
        return False
    return True


def _windows_process_running(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it runs, as another user
    try:
        code = ctypes.c_ulong()
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
    finally:
        kernel32.CloseHandle(handle)


def describe_process(pid: str, command: str) -> str:
    """'PID n (command line)', the command line read from /proc where there is one."""
    with suppress(OSError):
        raw = Path("/proc", pid, "cmdline").read_bytes()
        parts = [p for p in raw.decode(errors="replace").split("\0") if p]
        if parts:
            command = " ".join(Path(parts[0]).name if i == 0 else p for i, p in enumerate(parts))
    command = " ".join(command.split())
    if len(command) > 80:
        command = command[:79] + "…"
    return f"PID {pid} ({command})"
