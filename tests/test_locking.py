"""qualcode.locking between real processes: exclusive to write, shared to read, the
holder named, a bounded wait, and the lock gone with its process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qualcode import locking

HOLDER = r"""
import sys, time
from pathlib import Path
from qualcode import locking
path = Path(sys.argv[1])
handle = locking.open_lock_file(path)
assert locking.try_lock(handle, shared=sys.argv[2] == "shared")
locking.note_holder(path)
print("ready", flush=True)
time.sleep(600)
"""


def _holder(path: Path, mode: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), mode, "--marker"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def _can_take(path: Path, shared: bool) -> bool:
    handle = locking.open_lock_file(path)
    try:
        return locking.try_lock(handle, shared=shared)
    finally:
        locking.release(handle)


@pytest.mark.parametrize(("mode", "reader_gets_in"), [("exclusive", False), ("shared", True)])
def test_a_held_lock_keeps_out_what_conflicts(
    tmp_path: Path, mode: str, reader_gets_in: bool
) -> None:
    path = tmp_path / "p.lock"
    process = _holder(path, mode)
    try:
        assert _can_take(path, shared=True) is reader_gets_in
        assert _can_take(path, shared=False) is False
        described = locking.describe_holder(path)
        assert described.startswith(f"PID {process.pid} (")
        assert described.startswith(f"PID {process.pid} (python -c ")  # its command line
        assert "--marker" in locking.holder_file(path).read_text(encoding="utf-8")
    finally:
        process.kill()
        process.wait()
    assert _can_take(path, shared=False)  # the lock died with its process
    assert locking.describe_holder(path) == "another process"  # the note names no live one


def test_lock_and_note_files_are_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    handle = locking.open_lock_file(path)
    assert locking.try_lock(handle, shared=False)
    locking.note_holder(path)
    locking.release(handle)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(locking.holder_file(path).stat().st_mode) == 0o600
    pid, command = locking.holder_file(path).read_text(encoding="utf-8").splitlines()
    assert pid == str(os.getpid()) and command


def test_hold_waits_then_raises_the_callers_error(tmp_path: Path) -> None:
    path = tmp_path / "log.lock"
    process = _holder(path, "exclusive")
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="^busy$"):
            with locking.hold(path, timeout=0.3, busy=lambda: RuntimeError("busy")):
                pass
        assert 0.3 <= time.monotonic() - started < 1.0
    finally:
        process.kill()
        process.wait()
    with locking.hold(path, timeout=0.3, busy=lambda: RuntimeError("busy")):
        assert not _can_take(path, shared=True)  # held for the block
    assert _can_take(path, shared=False)  # and released after it


def test_hold_reports_a_lock_file_it_cannot_make(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match="^cannot: "):
        with locking.hold(
            blocker / "x.lock",
            timeout=0.1,
            busy=lambda: RuntimeError("busy"),
            unopenable=lambda exc: RuntimeError(f"cannot: {exc.strerror}"),
        ):
            pass
    assert locking.open_lock_file(blocker / "x.lock") is None


def test_a_process_is_described_by_its_note_where_there_is_no_proc() -> None:
    assert locking.describe_process("999999999", "qualcode  app\n --port 1") == (
        "PID 999999999 (qualcode app --port 1)"
    )
    long = locking.describe_process("999999999", "x" * 200)
    assert len(long) == len("PID 999999999 ()") + 80 and long.endswith("…)")
