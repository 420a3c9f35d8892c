"""qualcode on a machine without POSIX modules (Windows): the whole package imports with
`fcntl` unavailable, and a project's init, ingest and one decision run through
`qualcode.locking` with the platform's locker as Windows has it (no POSIX record locks).

portalocker's Windows lockers need Windows itself, so the child process stands in for
them with an in-process locker of the same interface that records every call; the test
then checks what the locking module asked of it: shared locks to read, exclusive to
write, every lock released; backup and restore run without the POSIX record lock
(the stand-in has none, as portalocker on Windows has none)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT

WITHOUT_POSIX = r"""
import enum, importlib, json, pkgutil, sys, types
for posix_only in ("fcntl", "pwd", "grp", "resource", "termios"):
    sys.modules[posix_only] = None  # importing it now raises ImportError, as on Windows

calls, held = [], {}

class LockFlags(enum.IntFlag):
    EXCLUSIVE = 1
    SHARED = 2
    NON_BLOCKING = 4

class LockException(Exception):
    pass

class AlreadyLocked(LockException):
    pass

def lock(handle, flags):
    key, mode = handle.name, "shared" if flags & LockFlags.SHARED else "exclusive"
    calls.append(mode)
    if held.get(key, (None, 0))[0] == "exclusive" or (held.get(key) and mode == "exclusive"):
        raise AlreadyLocked(key)
    held[key] = (mode, held.get(key, (mode, 0))[1] + 1)

def unlock(handle):
    mode, count = held.pop(handle.name)
    calls.append("unlock")
    if count > 1:
        held[handle.name] = (mode, count - 1)

stand_in = types.ModuleType("portalocker")
stand_in.LockFlags, stand_in.LockException, stand_in.AlreadyLocked = (
    LockFlags, LockException, AlreadyLocked)
stand_in.lock, stand_in.unlock = lock, unlock
stand_in.portalocker = types.SimpleNamespace(BaseLocker=object)  # no LockfLocker
sys.modules["portalocker"] = stand_in

import qualcode
failed = []
for module in pkgutil.walk_packages(qualcode.__path__, "qualcode."):
    try:
        importlib.import_module(module.name)
    except ImportError as exc:
        failed.append(f"{module.name}: {exc}")

from pathlib import Path
from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, record_decision
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project

folder = Path(sys.argv[1])
(folder / "t.txt").write_text("Amal: I want to go to college.\nBen: I need a home.\n")
project = Project.init(folder / "p.duckdb")
load_codebook(project, Path(sys.argv[2]))
report = ingest_paths(project, [folder / "t.txt"])
with project.connect(read_only=True) as con:
    segment = con.execute("SELECT min(id) FROM segments").fetchone()[0]
code = current_codebook(project).codable()[0].id
record_decision(project, Decision(segment, code, "ana", "add"))
from qualcode.maintenance import backup, restore
copy = backup(project, folder / "copy.duckdb")
record_decision(project, Decision(segment, code, "ana", "remove"))
restore(project.path, copy)  # back to the one decision
with project.connect(read_only=True) as con:
    events = con.execute("SELECT count(*) FROM coding_events").fetchone()[0]
print(json.dumps({"failed": failed, "stored": report.documents_added,
                  "events": events, "calls": calls, "held": held}))
"""


def test_package_runs_without_posix_modules(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_POSIX,
            str(tmp_path),
            str(REPO_ROOT / "codebook" / "csf-pof.yaml"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["failed"] == []
    assert result["stored"] == 1
    assert result["events"] == 1
    calls = result["calls"]
    assert {"shared", "exclusive"} <= set(calls)  # readers share, writers exclude
    assert calls.count("unlock") == calls.count("shared") + calls.count("exclusive")
    assert result["held"] == {}  # every lock released
