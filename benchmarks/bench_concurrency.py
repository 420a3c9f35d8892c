"""Writers at once on one project for a minute: is every decision kept, and how long do
writers wait for the file lock?

Builds the demo project (sample corpus, CSF-POF codebook, the sample codings), then runs
at the same time, for `--seconds` (60):

- an app process with two sessions (`--sessions`): threads sharing a `SharedProject`, as
  the Streamlit app's browser sessions do, each appending one decision at a time with a
  short think time between decisions;
- a second library process (a notebook, or a second app) appending batches of two;
- the CLI: `qualcode codings import` of a three-row CSV, run again and again.

Every writer uses the lock retry (`QUALCODE_LOCK_TIMEOUT`, `--lock-timeout`, default 5 s)
and prints each decision's event id after its commit returns. Every connect is timed
inside the writers (the CLI runs `qualcode.cli:app` with the same instrumentation), so a
"lock wait" is a connect that found the project locked at least once (its lock file or
DuckDB's own lock), and its wait is the time until it got in. Afterwards the project is
read back: every id a writer reported committed must be there, and nothing else by that
writer (a reported id stored under another writer means two processes wrote at once).

Prints, per writer and in total: decisions attempted, committed, refused (lock timeout:
a clean ProjectError), lost (reported committed but missing: must be 0), extra (stored
but never reported: must be 0), lock waits and the longest wait.

    .venv/bin/python benchmarks/bench_concurrency.py [--seconds 60] [--sessions 2]
        [--lock-timeout 5] [--think 0.02 0.2] [--quick]

(--quick: 3 seconds of writing unless --seconds is given, a smoke run of about ten seconds
with the demo build.) The project lives in a temporary directory, removed at the end.
Exits with 1 if a decision was lost or extra, or a writer failed unexpectedly.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from qualcode.codebook.versions import current_codebook
from qualcode.demo import build_demo
from qualcode.store import LOCK_TIMEOUT_ENV, Project

INSTRUMENT = r"""
import atexit, json, sys, threading, time
import duckdb
from qualcode import store, threaded

_real_duckdb_connect, _real_retry = duckdb.connect, store.connect_with_retry
_real_take = store._take_file_lock
_local, _waits, _connects = threading.local(), [], [0]

def _duckdb_connect(*args, **kwargs):
    try:
        return _real_duckdb_connect(*args, **kwargs)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            _local.locked = True
        raise

def _take_file_lock(path, read_only):
    taken = _real_take(path, read_only)
    if not taken:
        _local.locked = True
    return taken

def _timed_retry(path, read_only, timeout):
    _local.locked, started = False, time.monotonic()
    try:
        return _real_retry(path, read_only, timeout)
    finally:
        _connects[0] += 1
        if _local.locked:
            _waits.append([threading.current_thread().name, time.monotonic() - started])

duckdb.connect, store._take_file_lock = _duckdb_connect, _take_file_lock
store.connect_with_retry = threaded.connect_with_retry = _timed_retry
atexit.register(lambda: sys.stderr.write(
    "BENCH " + json.dumps({"waits": _waits, "connects": _connects[0]}) + "\n"))
"""

WRITER = (
    INSTRUMENT
    + r"""
import random
from pathlib import Path
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.errors import ProjectError
from qualcode.store import Project
from qualcode.threaded import SharedProject

db, seconds, prefix, sessions, shared, batch, targets, think_low, think_high = sys.argv[1:10]
targets = json.loads(Path(targets).read_text())
project = (SharedProject if shared == "1" else Project)(Path(db))
out = threading.Lock()

def say(*parts):
    with out:
        print(*parts, flush=True)

def session(n):
    coder, rnd = f"{prefix}{n}", random.Random(f"{prefix}{n}")
    deadline, attempted, k, slowest = time.monotonic() + float(seconds), 0, 0, 0.0
    while time.monotonic() < deadline:
        decisions = [
            Decision(rnd.choice(targets["segments"]), rnd.choice(targets["codes"]), coder,
                     rnd.choice(("accept", "add", "reject")), memo=f"{coder}#{k}")
            for _ in range(int(batch))
        ]
        attempted += len(decisions)
        started = time.monotonic()
        try:
            ids = record_decisions(project, decisions)
        except ProjectError as exc:
            say("lockfail", coder, len(decisions), str(exc))
        else:
            say("ok", coder, *ids)
        slowest = max(slowest, time.monotonic() - started)
        k += 1
        time.sleep(rnd.uniform(float(think_low), float(think_high)))
    say("end", coder, attempted, slowest)

threads = [
    threading.Thread(target=session, args=(n,), name=f"{prefix}{n}") for n in range(int(sessions))
]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""
)

CLI = INSTRUMENT + "\nfrom qualcode.cli import app\napp(prog_name='qualcode')\n"


def writer(
    db: Path, seconds: float, prefix: str, sessions: int, shared: bool, batch: int,
    targets: Path, think: tuple[float, float], timeout: float,
) -> subprocess.Popen:  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(seconds), prefix, str(sessions),
         "1" if shared else "0", str(batch), str(targets), str(think[0]), str(think[1])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, LOCK_TIMEOUT_ENV: str(timeout)},
    )  # fmt: skip


def waits_from(stderr: str) -> tuple[list[tuple[str, float]], int, list[str]]:
    """The instrumentation's (thread, wait)s and connect count, and other stderr lines."""
    waits: list[tuple[str, float]] = []
    connects = 0
    other = []
    for line in stderr.splitlines():
        if line.startswith("BENCH "):
            found = json.loads(line[6:])
            waits += [(name, wait) for name, wait in found["waits"]]
            connects += found["connects"]
        elif line.strip():
            other.append(line)
    return waits, connects, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="default 60")
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--lock-timeout", type=float, default=5.0)
    parser.add_argument("--think", type=float, nargs=2, default=(0.02, 0.2))
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 seconds")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 3.0 if args.quick else 60.0
    with tempfile.TemporaryDirectory(
        prefix="qualcode-bench-concurrency-", ignore_cleanup_errors=True
    ) as tmp:
        failed = run(args, Path(tmp))
    if failed:
        sys.exit(1)


def run(args: argparse.Namespace, work: Path) -> bool:
    """Run the writers in work; True if a decision was lost or extra, or a writer failed."""
    build_demo(work, with_suggestions=False)
    project = Project.open(work / "qualcode.duckdb")
    db = project.path
    with project.connect(read_only=True) as con:
        segments = [r[0] for r in con.execute("SELECT id FROM segments ORDER BY id").fetchall()]
        titles = [r[0] for r in con.execute("SELECT title FROM current_documents").fetchall()]
        baseline = con.execute("SELECT max(id) FROM coding_events").fetchone()[0] or 0
    codes = [c.id for c in current_codebook(project).codable()]
    targets = work / "targets.json"
    targets.write_text(json.dumps({"segments": segments, "codes": codes}))
    print(
        f"bench_concurrency: {args.seconds:.0f} s on the demo project ({len(titles)} documents, "
        f"{len(segments)} segments); {args.sessions} app sessions + 1 library writer + CLI "
        f"loop; lock timeout {args.lock_timeout:g} s; think {args.think[0]}-{args.think[1]} s"
    )

    cli: dict = {"attempted": 0, "committed": 0, "refused": 0, "runs": 0, "waits": [],
                 "connects": 0, "problems": [], "slowest": 0.0}  # fmt: skip

    def cli_loop() -> None:
        rnd = random.Random(7)
        deadline = time.monotonic() + args.seconds
        path = work / "cli.csv"
        while time.monotonic() < deadline:
            with path.open("w", newline="", encoding="utf-8") as handle:
                out = csv.writer(handle)
                out.writerow(["coder", "document", "segment", "code", "decision"])
                title = rnd.choice(titles)
                for _ in range(3):
                    out.writerow(["cli", title, rnd.randrange(0, 20), rnd.choice(codes), "add"])
            run_started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-c", CLI, "--db", str(db), "codings", "import", str(path),
                 "--json"],
                capture_output=True, text=True,
                env={**os.environ, LOCK_TIMEOUT_ENV: str(args.lock_timeout)},
            )  # fmt: skip
            run_time = time.monotonic() - run_started
            waits, connects, other = waits_from(result.stderr)
            cli["waits"] += [wait for _, wait in waits]
            cli["connects"] += connects
            cli["runs"] += 1
            cli["attempted"] += 3
            if result.returncode == 0:
                cli["committed"] += json.loads(result.stdout)["events"]
                cli["slowest"] = max(cli["slowest"], run_time)
            elif len(other) == 1 and other[0].startswith("error: project file is in use by"):
                cli["refused"] += 3
            else:
                cli["problems"].append(result.stderr)

    started = time.monotonic()
    procs = {
        "app": writer(db, args.seconds, "app-session-", args.sessions, True, 1, targets,
                      tuple(args.think), args.lock_timeout),
        "library": writer(db, args.seconds, "library-", 1, False, 2, targets,
                          tuple(args.think), args.lock_timeout),
    }  # fmt: skip
    cli_thread = threading.Thread(target=cli_loop)
    cli_thread.start()
    outputs = {name: proc.communicate() for name, proc in procs.items()}
    cli_thread.join()
    elapsed = time.monotonic() - started

    committed: dict[str, set[int]] = {}
    attempted: dict[str, int] = {}
    slowest: dict[str, float] = {}
    refused: dict[str, int] = {}
    waits: dict[str, list[float]] = {}
    connects: dict[str, int] = {}
    problems = list(cli["problems"])
    for name, (stdout, stderr) in outputs.items():
        found, count, other = waits_from(stderr)
        for thread, wait in found:
            waits.setdefault(thread, []).append(wait)
        connects[name] = count
        problems += other
        for line in stdout.splitlines():
            if line.startswith("lockfail "):
                _, coder, n, _message = line.split(" ", 3)
                refused[coder] = refused.get(coder, 0) + int(n)
                continue
            kind, coder, *rest = line.split()
            if kind == "ok":
                committed.setdefault(coder, set()).update(int(x) for x in rest)
            elif kind == "end":
                attempted[coder], slowest[coder] = int(rest[0]), float(rest[1])
    with project.connect(read_only=True) as con:
        stored: dict[str, set[int]] = {}
        for event_id, coder in con.execute(
            "SELECT id, coder FROM coding_events WHERE id > ?", [baseline]
        ).fetchall():
            stored.setdefault(coder, set()).add(event_id)

    header = (
        f"{'writer':<18}{'attempted':>10}{'committed':>10}{'refused':>9}{'lost':>6}"
        f"{'extra':>7}{'lock waits':>12}{'longest wait':>14}{'slowest write':>15}"
    )
    print(header)
    print("-" * len(header))
    totals = dict(attempted=0, committed=0, refused=0, lost=0, extra=0)

    def line(
        name: str, a: int, c: int, r: int, lost: int, extra: int, w: list[float], slow: float
    ) -> None:
        longest = f"{max(w):.3f} s" if w else "-"
        print(
            f"{name:<18}{a:>10}{c:>10}{r:>9}{lost:>6}{extra:>7}{len(w):>12}{longest:>14}"
            f"{slow:>13.3f} s"
        )
        for key, value in zip(totals, (a, c, r, lost, extra), strict=True):
            totals[key] += value

    for coder in sorted(attempted):
        mine, there = committed.get(coder, set()), stored.get(coder, set())
        line(coder, attempted[coder], len(mine), refused.get(coder, 0), len(mine - there),
             len(there - mine), waits.get(coder, []), slowest[coder])  # fmt: skip
    cli_stored = len(stored.get("cli", ()))
    line(f"cli ({cli['runs']} runs)", cli["attempted"], cli["committed"], cli["refused"],
         max(cli["committed"] - cli_stored, 0), max(cli_stored - cli["committed"], 0),
         cli["waits"], cli["slowest"])  # fmt: skip
    all_waits = [w for found in waits.values() for w in found] + cli["waits"]
    print("-" * len(header))
    print(
        f"{'total':<18}{totals['attempted']:>10}{totals['committed']:>10}{totals['refused']:>9}"
        f"{totals['lost']:>6}{totals['extra']:>7}{len(all_waits):>12}"
        f"{(f'{max(all_waits):.3f} s' if all_waits else '-'):>14}"
    )
    n_connects = sum(connects.values()) + cli["connects"]
    median = sorted(all_waits)[len(all_waits) // 2] if all_waits else 0.0
    print(
        f"{n_connects} connects in {elapsed:.1f} s; median lock wait {median:.3f} s. "
        "Slowest write: one record_decisions call (the CLI: one whole import process)."
    )
    owner = {i: coder for coder, ids in stored.items() for i in ids}
    for coder, mine in sorted(committed.items()):
        for event_id in sorted(mine - stored.get(coder, set())):
            where = f"stored under {owner[event_id]!r}" if event_id in owner else "not stored"
            others = [c for c, ids in committed.items() if c != coder and event_id in ids]
            print(f"LOST: {coder} reported event {event_id}: {where}; also reported by {others}")
    if problems:
        print("PROBLEMS (tracebacks or unexpected errors):")
        for problem in problems[:80]:
            print("  " + problem.rstrip().replace("\n", "\n  "))
    return bool(totals["lost"] or totals["extra"] or problems)


if __name__ == "__main__":
    main()
