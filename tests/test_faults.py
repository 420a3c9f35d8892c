"""Faults: kill -9 in the middle of work, and several writers at once.

Nothing here is simulated. Child processes ingest files or append coding decisions
through the library, printing each committed document or event id (flushed) only
after the call that commits it has returned; the test SIGKILLs them at chosen points,
then reopens the project (DuckDB replays its write-ahead log) and checks:

- every document present has exactly the segments that re-reading and re-segmenting
  its file gives, with offsets that index its text; no orphan segment; no document
  without segments; one ingest entry in the action log per document;
- every id a child printed as committed is in the table; at most the one commit the
  child made but had no time to print is there besides; batches are whole;
- a write paused inside its transaction when killed left nothing;
- the project opens and accepts writes (the next run continues where the last stopped).

Then three writers (an app process with two sessions, a second library process and
the `qualcode codings import` CLI) write at once for a bounded time: every decision a
writer reported committed is present, nothing else is, and a writer locked out gets
one clean line naming the lock holder, never a traceback or a partial write.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import duckdb
import pytest

from qualcode import store
from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, record_decision
from qualcode.errors import ProjectError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.ingest.readers import read_document
from qualcode.ingest.segment import segment_document
from qualcode.store import LOCK_TIMEOUT_ENV, Project

from .conftest import REPO_ROOT, rows

CODEBOOK = REPO_ROOT / "codebook" / "csf-pof.yaml"
CHILD_TIMEOUT = 120  # a child still running after this is killed and the test fails

WORDS = (
    "safe home school friends food sleep worry lawyer interpreter college football music "
    "future family trust police social worker hotel room phone money church mosque bus "
    "card doctor dentist language english maths waiting decision letter interview court "
    "foster carer hostel park garden kitchen cooking laugh cry tired hope fear freedom"
).split()


def transcript(rnd: random.Random, turns: int, long_turns: bool) -> str:
    """A synthetic workshop transcript of speaker turns; with `long_turns`, a tenth of them
    have five sentences (so spaCy splits them)."""
    lines = []
    for t in range(turns):
        speaker = "Facilitator" if t % 3 == 0 else f"YP{rnd.randint(1, 4)}"
        sentences = [
            " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12))).capitalize()
            + rnd.choice(".?!")
            for _ in range(5 if long_turns and rnd.random() < 0.1 else rnd.randint(1, 3))
        ]
        lines.append(f"{speaker}: {' '.join(sentences)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty transcripts of 80 turns (about 6 KB each); the last ten have long turns. (The
    kills happen in the first thirty, so the children need not load spaCy, which takes
    seconds; the final run and the checks segment the long turns with it.)"""
    folder = tmp_path_factory.mktemp("corpus")
    rnd = random.Random(20240611)
    for n in range(40):
        text = transcript(rnd, 80, long_turns=n >= 30)
        (folder / f"session_{n:02d}.txt").write_text(text, encoding="utf-8")
    return folder


@cache
def expected_segments(path: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """What reading and segmenting the file gives: its text and segment offsets."""
    parsed = read_document(Path(path))
    return parsed.text, tuple((s.start, s.end) for s in segment_document(parsed))


# --- running and killing children ---------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def run_and_kill(
    script: str,
    args: list[str],
    kill_when: Callable[[list[str]], bool],
    delay: float = 0.0,
) -> tuple[list[str], int, str]:
    """Run a child, SIGKILL it `delay` seconds after `kill_when(lines so far)` holds, and
    return every line it printed (including any printed before the kill landed), its
    return code and its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    watchdog = threading.Timer(CHILD_TIMEOUT, proc.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if kill_when(lines):
                time.sleep(delay)
                os.kill(proc.pid, signal.SIGKILL)
                break
        lines += [line.rstrip("\n") for line in proc.stdout.read().splitlines()]
        stderr = proc.stderr.read()
        proc.wait()
    finally:
        watchdog.cancel()
    return lines, proc.returncode, stderr


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


# --- fault injection in the children ---------------------------------------------

CLOSE_HOOK = r"""
import time
from qualcode import store

_real_connect, _writes = store.connect_with_retry, 0

class _PausingConnection:
    # forwards to the DuckDB connection; stops in close() after the Nth write committed:
    # the data is in the WAL, not yet checkpointed into the file
    def __init__(self, con):
        self._con = con
    def __getattr__(self, name):
        return getattr(self._con, name)
    def close(self):
        global _writes
        _writes += 1
        if _writes == PAUSE_CLOSE_AT:
            print("closing", flush=True)
            time.sleep(600)
        self._con.close()

def _connect(path, read_only, timeout):
    con = _real_connect(path, read_only, timeout)
    return con if read_only else _PausingConnection(con)

def pause_after_commit(n):
    global PAUSE_CLOSE_AT
    PAUSE_CLOSE_AT = n
    store.connect_with_retry = _connect
"""


def stop_at(kind: str, n: int) -> Callable[[list[str]], bool]:
    """When to kill: after n reported commits, or when the child stopped at its fault."""
    if kind == "after":
        return lambda lines: sum(line.startswith("committed ") for line in lines) >= n
    return lambda lines: lines[-1] == "closing" or lines[-1].startswith("inside ")


# --- kill -9 during a large ingest ----------------------------------------------

INGEST_CHILD = (
    CLOSE_HOOK
    + r"""
import sys
from pathlib import Path
from qualcode.ingest import pipeline
from qualcode.store import Project

project = Project.open(sys.argv[1])
corpus, pause_at, pause_close_at = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pause_after_commit(pause_close_at)
real_ingest_file, real_insert_segments = pipeline.ingest_file, pipeline.insert_segments
inserted = 0

def insert_segments(con, document_id, segments):
    # fault injection: stop inside the transaction, rows written but not committed
    global inserted
    real_insert_segments(con, document_id, segments)
    inserted += 1
    if inserted == pause_at:
        print(f"inside {document_id}", flush=True)
        time.sleep(600)

def ingest_file(project, path, *args, **kwargs):
    result = real_ingest_file(project, path, *args, **kwargs)  # returns after COMMIT
    print(f"committed {result[0]} {path}" if result else f"skipped {path}", flush=True)
    return result

pipeline.insert_segments, pipeline.ingest_file = insert_segments, ingest_file
print("ready", flush=True)
pipeline.ingest_paths(project, [corpus])
print("done", flush=True)
"""
)


def committed_lines(lines: list[str]) -> list[tuple[int, str]]:
    found = []
    for line in lines:
        if line.startswith("committed "):
            _, document_id, path = line.split(" ", 2)
            found.append((int(document_id), path))
    return found


def assert_documents_whole(project: Project) -> dict[int, str]:
    """Every stored document is whole: its segments are exactly what re-segmenting its
    file gives; no orphan segments; one ingest entry per document. Returns id -> path."""
    documents = rows(
        project,
        "SELECT d.id, d.source_path, d.text, count(s.id) FROM documents d "
        "LEFT JOIN segments s ON s.document_id = d.id GROUP BY ALL ORDER BY d.id",
    )
    orphans = rows(
        project,
        "SELECT count(*) FROM segments s LEFT JOIN documents d ON d.id = s.document_id "
        "WHERE d.id IS NULL",
    )
    assert orphans == [(0,)]
    assert len({path for _, path, _, _ in documents}) == len(documents), "a file stored twice"
    for document_id, path, text, n_segments in documents:
        assert n_segments > 0, f"document {document_id} has no segments"
        expected_text, expected = expected_segments(path)
        assert text == expected_text
        stored = rows(
            project,
            "SELECT ordinal, start_offset, end_offset, text FROM segments "
            "WHERE document_id = ? ORDER BY ordinal",
            [document_id],
        )
        assert [(s, e) for _, s, e, _ in stored] == list(expected), path
        assert [o for o, _, _, _ in stored] == list(range(len(expected)))
        assert all(text[s:e] == t for _, s, e, t in stored)
    logged = [
        json.loads(detail)["document_id"]
        for (detail,) in rows(project, "SELECT detail FROM action_log WHERE action = 'ingest'")
    ]
    assert sorted(logged) == [d[0] for d in documents]
    return {document_id: path for document_id, path, _, _ in documents}


def test_kill_9_during_ingest_leaves_only_whole_documents(tmp_path: Path, corpus: Path) -> None:
    """Five kills during one 40-file ingest, restarting after each: after N reported
    commits (plus a little), inside a file's transaction after its rows are written, and
    after a commit before the connection closed (the document only in the WAL). After
    every kill the project holds only whole documents, every one the child reported, at
    most the one committed but not yet reported, and never the one killed inside."""
    project = Project.init(tmp_path / "ingest.duckdb")
    files = sorted(corpus.glob("*.txt"))
    # (kind, n, delay): kill `delay` s after the n-th reported commit; or pause inside
    # the n-th file's transaction; or pause after the n-th file's commit, before close
    kill_points = [
        ("after", 2, 0.0),
        ("inside", 3, 0.0),
        ("closing", 3, 0.0),
        ("after", 6, 0.004),
        ("after", 9, 0.02),
    ]
    summary = []
    stored: dict[int, str] = {}
    for kind, n, delay in kill_points:
        pause_inside = n if kind == "inside" else 0
        pause_close = len(stored) + n if kind == "closing" else 0  # stored files: skipped
        lines, code, stderr = run_and_kill(
            INGEST_CHILD,
            [str(project.path), str(corpus), str(pause_inside), str(pause_close)],
            stop_at(kind, n),
            delay,
        )
        assert code == -signal.SIGKILL, (code, stderr)
        assert "Traceback" not in stderr, stderr
        had_wal = wal_of(project.path).exists()
        reported = committed_lines(lines)
        skipped = [line for line in lines if line.startswith("skipped ")]
        assert len(skipped) == len(stored), "the restart re-stored a stored file"
        reopened = Project.open(project.path)  # replays the WAL
        now = assert_documents_whole(reopened)
        for document_id, path in reported:
            assert now.get(document_id) == str(Path(path).resolve())
        new = set(now) - set(stored)
        assert {d for d, _ in reported} <= new
        unreported = new - {d for d, _ in reported}
        if kind == "inside":
            paused = int(next(line for line in lines if line.startswith("inside ")).split()[1])
            assert len(reported) == n - 1
            assert paused not in now and not unreported, "a killed transaction left rows"
        elif kind == "closing":
            assert had_wal and len(reported) == n - 1
            assert len(unreported) == 1, "a committed document was lost"
        else:
            assert len(unreported) <= 1, unreported
        summary.append(
            f"{kind} {n}{f' +{delay * 1000:.0f} ms' if delay else ''}: {len(reported)} "
            f"reported, {len(unreported)} unreported, {len(now)} stored, "
            f"WAL {'replayed' if had_wal else 'absent'}"
        )
        stored = now
    assert 0 < len(stored) < 30  # the kills all fell before the files with long turns
    report = ingest_paths(reopened, [corpus])  # the project still accepts writes
    final = assert_documents_whole(reopened)
    assert report.documents_added == len(files) - len(stored) and not report.failed
    assert sorted(final.values()) == sorted(str(f.resolve()) for f in files)
    print("\ningest kill points:", "; ".join(summary))


# --- kill -9 during a burst of coding events ------------------------------------

BURST_CHILD = (
    CLOSE_HOOK
    + r"""
import sys
from pathlib import Path
from qualcode.coding import decisions as coding
from qualcode.codebook.versions import current_codebook
from qualcode.store import Project

project = Project.open(sys.argv[1])
run, pause_at, pause_close_at = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with project.connect(read_only=True) as con:
    segments = [r[0] for r in con.execute("SELECT id FROM segments ORDER BY id").fetchall()]
codes = [c.id for c in current_codebook(project).codable()]
pause_after_commit(pause_close_at)
real_append = coding.append_decisions

def append_decisions(con, decisions, **kwargs):
    ids = real_append(con, decisions, **kwargs)
    if decisions[0].memo == f"r{run}b{pause_at}":
        # fault injection: events inserted, transaction not committed
        print("inside " + " ".join(map(str, ids)), flush=True)
        time.sleep(600)
    return ids

coding.append_decisions = append_decisions
print("ready", flush=True)
actions = ("accept", "reject", "add", "remove")
for i in range(100000):
    batch = [
        coding.Decision(
            segments[(7 * i + k) % len(segments)], codes[(3 * i + k) % len(codes)], "burst",
            actions[(i + k) % 4], memo=f"r{run}b{i}",
        )
        for k in range(1 + i % 3)
    ]
    ids = coding.record_decisions(project, batch)  # returns after COMMIT
    print(f"committed r{run}b{i} " + " ".join(map(str, ids)), flush=True)
"""
)


@pytest.fixture(scope="module")
def coded_template(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A project with the CSF-POF codebook and four transcripts (about 500 segments)."""
    path = tmp_path_factory.mktemp("coded") / "template.duckdb"
    project = Project.init(path)
    load_codebook(project, CODEBOOK)
    ingest_paths(project, sorted(corpus.glob("*.txt"))[:4])
    return path


@pytest.fixture
def coded(coded_template: Path, tmp_path: Path) -> Project:
    target = tmp_path / "coded.duckdb"
    shutil.copy2(coded_template, target)
    return Project.open(target)


def test_kill_9_during_a_burst_of_coding_events_loses_no_committed_event(
    coded: Project,
) -> None:
    """Batches of one to three decisions, each its own transaction, killed at five points
    (as for ingest): every reported event is stored, every stored batch is whole, at most
    the one batch committed but not yet reported is there besides (and it is there when
    the kill came after its commit), and a batch killed inside its transaction left
    nothing."""
    kill_points = [
        ("after", 3, 0.0),
        ("inside", 8, 0.0),
        ("closing", 12, 0.0),
        ("after", 20, 0.003),
        ("after", 35, 0.011),
    ]
    summary = []
    for run, (kind, n, delay) in enumerate(kill_points):
        before = {r[0] for r in rows(coded, "SELECT id FROM coding_events")}
        pause_inside = n - 1 if kind == "inside" else -1  # batch numbers start at 0
        pause_close = n if kind == "closing" else 0
        lines, code, stderr = run_and_kill(
            BURST_CHILD,
            [str(coded.path), str(run), str(pause_inside), str(pause_close)],
            stop_at(kind, n),
            delay,
        )
        assert code == -signal.SIGKILL, (code, stderr)
        assert "Traceback" not in stderr, stderr
        had_wal = wal_of(coded.path).exists()
        reported = {
            parts[1]: sorted(int(x) for x in parts[2:])
            for parts in (line.split() for line in lines if line.startswith("committed "))
        }
        reopened = Project.open(coded.path)  # replays the WAL
        stored: dict[str, list[int]] = {}
        for event_id, memo in rows(
            reopened,
            "SELECT id, memo FROM coding_events WHERE id NOT IN (SELECT unnest(?::BIGINT[]))",
            [sorted(before)],
        ):
            stored.setdefault(memo, []).append(event_id)
        for tag, ids in reported.items():
            assert sorted(stored.get(tag, [])) == ids, f"batch {tag} lost or changed"
        for tag, ids in stored.items():
            assert tag.startswith(f"r{run}b")
            assert len(ids) == 1 + int(tag.split("b")[1]) % 3, f"batch {tag} is partial"
        unreported = sorted(set(stored) - set(reported), key=lambda t: int(t.split("b")[1]))
        if kind == "inside":
            paused = [int(x) for x in next(x for x in lines if x.startswith("inside ")).split()[1:]]
            assert len(reported) == n - 1 and not unreported
            assert not set(paused) & {i for ids in stored.values() for i in ids}
        elif kind == "closing":
            assert had_wal and len(reported) == n - 1
            assert unreported == [f"r{run}b{n - 1}"], "a committed batch was lost"
        else:
            assert unreported in ([], [f"r{run}b{len(reported)}"]), unreported
        orphans = rows(
            reopened,
            "SELECT count(*) FROM coding_events e LEFT JOIN segments s ON s.id = e.segment_id "
            "WHERE s.id IS NULL OR e.codebook_version IS NULL",
        )
        assert orphans == [(0,)]
        summary.append(
            f"{kind} {n}{f' +{delay * 1000:.0f} ms' if delay else ''}: "
            f"{sum(map(len, reported.values()))} events reported, "
            f"{sum(map(len, stored.values()))} stored, "
            f"WAL {'replayed' if had_wal else 'absent'}"
        )
    # the project still accepts writes, with ids after every stored one
    segment = rows(reopened, "SELECT min(id) FROM segments")[0][0]
    code = current_codebook(reopened).codable()[0].id
    new_id = record_decision(reopened, Decision(segment, code, "after-crash", "add"))
    assert (
        new_id > rows(reopened, "SELECT max(id) FROM coding_events WHERE id <> ?", [new_id])[0][0]
    )
    assert rows(reopened, "SELECT count(*) FROM codings WHERE coder = 'after-crash'") == [(1,)]
    print("\nevent burst kill points:", "; ".join(summary))


# --- a writer locked out --------------------------------------------------------

HOLDER = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("BEGIN TRANSACTION")
con.execute(
    "INSERT INTO coding_events (segment_id, code_id, coder, action, source, codebook_version) "
    "SELECT min(id), 'x', 'holder', 'add', 'manual', 1 FROM segments"
)
print("ready", flush=True)
time.sleep(600)
"""


def qualcode_command() -> list[str]:
    script = Path(sys.executable).with_name("qualcode")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qualcode.cli"]


def codings_csv(path: Path, coder: str, document: str, rows_: list[tuple[int, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["coder", "document", "segment", "code", "decision"])
        for ordinal, code in rows_:
            writer.writerow([coder, document, ordinal, code, "add"])
    return path


def test_writer_locked_out_gets_one_clean_line_and_writes_nothing(
    coded: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process holds the file inside an open write transaction: the library and the CLI
    give up after QUALCODE_LOCK_TIMEOUT with the holder's PID, and write nothing; after
    the holder is killed its uncommitted row is gone and both writes go through."""
    events = rows(coded, "SELECT count(*) FROM coding_events")[0][0]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(coded.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.3")
        started = time.monotonic()
        with pytest.raises(ProjectError) as caught:
            record_decision(coded, Decision(1, "any", "ana", "reject"))
        assert time.monotonic() - started >= 0.3
        where = re.escape(str(coded.path))
        assert re.fullmatch(
            rf"project file is in use by PID {holder.pid} \(.*python.*\): {where}",
            str(caught.value),
        ), str(caught.value)
        csv_path = codings_csv(tmp_path / "c.csv", "cli", "session_00.txt", [(0, "x")])
        result = subprocess.run(
            [*qualcode_command(), "--db", str(coded.path), "codings", "import", str(csv_path)],
            capture_output=True,
            text=True,
            env=child_env(**{LOCK_TIMEOUT_ENV: "0.3"}),
            timeout=60,
        )
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith(f"error: project file is in use by PID {holder.pid} (")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert rows(coded, "SELECT count(*) FROM coding_events")[0][0] == events
    assert rows(coded, "SELECT count(*) FROM coding_events WHERE coder = 'holder'") == [(0,)]
    code = current_codebook(coded).codable()[0].id
    codings_csv(csv_path, "cli", "session_00.txt", [(0, code)])
    result = subprocess.run(
        [*qualcode_command(), "--db", str(coded.path), "codings", "import", str(csv_path)],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    record_decision(coded, Decision(1, code, "ana", "reject"))
    assert rows(coded, "SELECT count(*) FROM coding_events")[0][0] == events + 2


def test_lock_retry_tries_often_and_out_of_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Bug: waiters slept 0.02, 0.04, ... up to 0.25 s between tries, so with two app
    sessions, a second writer and the CLI a write could wait 4.7 s of its 5 s timeout
    (bench_concurrency). Now every pause is random (waiters do not retry in step) and at
    most 50 ms, and the wait still ends at the timeout with the holder named."""
    calls = {"n": 0}
    pauses: list[float] = []

    def locked(path: str, read_only: bool = False) -> object:
        calls["n"] += 1
        if calls["n"] <= 40:
            raise duckdb.IOException(
                f'IO Error: Could not set lock on file "{path}": Conflicting lock is held '
                "in /usr/bin/python3.11 (PID 4242) by user ana."
            )
        return "connection"

    monkeypatch.setattr(store.duckdb, "connect", locked)
    monkeypatch.setattr(store.time, "sleep", pauses.append)
    assert store.connect_with_retry(tmp_path / "p.duckdb", False, 5.0) == "connection"
    store.release_file_lock(tmp_path / "p.duckdb")
    assert len(pauses) == 40
    assert max(pauses) <= 0.05 and len(set(pauses)) == 40  # short, and jittered
    assert sum(pauses) < 40 * 0.05

    monkeypatch.setattr(store.time, "sleep", time.sleep)
    calls["n"] = -(10**6)  # locked for good
    started = time.monotonic()
    with pytest.raises(ProjectError, match=r"^project file is in use by PID 4242 \("):
        store.connect_with_retry(tmp_path / "p.duckdb", False, 0.3)
    assert 0.3 <= time.monotonic() - started < 0.5


HOLD_LOCK_FILE = r"""
import sys, time
from pathlib import Path
from qualcode import locking
lock = Path(sys.argv[1] + ".lock")
handle = locking.open_lock_file(lock)
assert locking.try_lock(handle, shared=sys.argv[2] == "shared")
locking.note_holder(lock)
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("mode", ["exclusive", "shared"])
def test_connections_wait_for_the_project_lock_file(
    coded: Project, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Bug: DuckDB 2.0.0's own file lock can let a second process in while the first is
    still finishing its write, and the second then overwrites committed transactions
    (four processes appending for 20 s: the same event ids handed out twice in 3 runs
    of 6, and once "Could not read enough bytes from file"). Every connection now holds
    `<project>.lock` (exclusive to write, shared to read) from before it opens
    until after it closes. A process holding only that file keeps writers out, naming
    it; a shared holder (a reader) lets readers in."""
    segment = rows(coded, "SELECT min(id) FROM segments")[0][0]
    code = current_codebook(coded).codable()[0].id
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_FILE, str(coded.path), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.3")
        with pytest.raises(ProjectError) as caught:
            record_decision(coded, Decision(segment, code, "ana", "add"))
        assert str(caught.value).startswith(f"project file is in use by PID {holder.pid} (")
        if mode == "shared":
            assert rows(coded, "SELECT count(*) FROM coding_events WHERE coder = 'ana'") == [(0,)]
        else:
            with pytest.raises(ProjectError, match=f"in use by PID {holder.pid} "):
                rows(coded, "SELECT 1")
    finally:
        holder.kill()
        holder.wait()
    record_decision(coded, Decision(segment, code, "ana", "add"))  # the lock died with it
    assert rows(coded, "SELECT count(*) FROM coding_events WHERE coder = 'ana'") == [(1,)]


# --- writers at once -------------------------------------------------------------

WRITER = r"""
import json, random, sys, threading, time
from pathlib import Path
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.errors import ProjectError
from qualcode.store import Project
from qualcode.threaded import SharedProject

db, seconds, prefix, sessions, shared, batch, targets = sys.argv[1:8]
targets = json.loads(Path(targets).read_text())
project = (SharedProject if shared == "1" else Project)(Path(db))
out = threading.Lock()

def say(*parts):
    with out:
        print(*parts, flush=True)

def session(n):
    coder, rnd = f"{prefix}{n}", random.Random(f"{prefix}{n}")
    deadline, attempted, k = time.monotonic() + float(seconds), 0, 0
    while time.monotonic() < deadline:
        decisions = [
            Decision(rnd.choice(targets["segments"]), rnd.choice(targets["codes"]), coder,
                     rnd.choice(("accept", "add", "reject")), memo=f"{coder}#{k}")
            for _ in range(int(batch))
        ]
        attempted += len(decisions)
        try:
            ids = record_decisions(project, decisions)  # returns after COMMIT
        except ProjectError as exc:
            say("lockfail", coder, len(decisions), str(exc))
        else:
            say("ok", coder, *ids)
        k += 1
        time.sleep(rnd.uniform(0.02, 0.08))  # a person reading the next segment, quickly
    say("end", coder, attempted)

threads = [threading.Thread(target=session, args=(n,)) for n in range(int(sessions))]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_two_app_sessions_a_library_writer_and_the_cli_lose_nothing(
    coded: Project, tmp_path: Path
) -> None:
    """Ten seconds of three writer processes: an app process with two sessions
    (SharedProject threads, the default 5 s lock wait), a second library process that
    gives up after 0.05 s, and `qualcode codings import` run again and again (2 s).
    Every decision reported committed is stored, nothing else is, and every give-up is
    one clean ProjectError line. (benchmarks/bench_concurrency.py runs it for a minute.)"""
    seconds = 10.0
    segments = [r[0] for r in rows(coded, "SELECT id FROM segments ORDER BY id")]
    codes = [c.id for c in current_codebook(coded).codable()]
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps({"segments": segments, "codes": codes}))
    baseline = rows(coded, "SELECT count(*) FROM coding_events")[0][0]
    db = str(coded.path)

    def writer(prefix: str, sessions: int, shared: bool, batch: int, timeout: str):
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, db, str(seconds), prefix, str(sessions),
             "1" if shared else "0", str(batch), str(targets)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=child_env(**{LOCK_TIMEOUT_ENV: timeout}),
        )  # fmt: skip

    cli = {"committed": 0, "refused": 0, "runs": 0, "problems": []}
    titles = [
        r[0] for r in rows(coded, "SELECT DISTINCT title FROM current_documents ORDER BY title")
    ]

    def cli_loop() -> None:
        try:
            cli_runs()
        except Exception as exc:  # reported below: a dead loop must not pass silently
            cli["problems"].append(repr(exc))

    def cli_runs() -> None:
        rnd = random.Random(7)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            picks = [(rnd.randrange(0, 20), rnd.choice(codes)) for _ in range(3)]
            path = codings_csv(tmp_path / "cli.csv", "cli", rnd.choice(titles), picks)
            result = subprocess.run(
                [*qualcode_command(), "--db", db, "codings", "import", str(path), "--json"],
                capture_output=True, text=True, timeout=60,
                env=child_env(**{LOCK_TIMEOUT_ENV: "2"}),
            )  # fmt: skip
            cli["runs"] += 1
            if result.returncode == 0:
                cli["committed"] += json.loads(result.stdout)["events"]
            elif re.fullmatch(
                rf"error: project file is in use by PID \d+ \(.*\): {re.escape(db)}\n",
                result.stderr,
            ):
                cli["refused"] += 1
            else:
                cli["problems"].append((result.returncode, result.stdout, result.stderr))

    app = writer("app-session-", 2, True, 1, "5")
    library = writer("library-", 1, False, 2, "0.05")
    cli_thread = threading.Thread(target=cli_loop)
    cli_thread.start()
    outputs = {name: proc.communicate(timeout=seconds + 60) for name, proc in
               (("app", app), ("library", library))}  # fmt: skip
    cli_thread.join(timeout=seconds + 60)
    assert app.returncode == 0 and library.returncode == 0

    committed: dict[str, set[int]] = {}
    attempted: dict[str, int] = {}
    refused: dict[str, int] = {}
    for name, (stdout, stderr) in outputs.items():
        assert "Traceback" not in stderr and "Exception" not in stderr, (name, stderr)
        for line in stdout.splitlines():
            kind, coder, *rest = line.split(" ", 3) if line.startswith("lockfail") else line.split()
            if kind == "ok":
                committed.setdefault(coder, set()).update(int(x) for x in rest)
            elif kind == "lockfail":
                refused[coder] = refused.get(coder, 0) + int(rest[0])
                assert re.fullmatch(
                    rf"project file is in use by PID \d+ \(.*\): {re.escape(db)}", rest[1]
                ), rest[1]
            else:
                assert kind == "end"
                attempted[coder] = int(rest[0])
    assert cli["problems"] == []
    assert set(attempted) == {"app-session-0", "app-session-1", "library-0"}

    stored: dict[str, set[int]] = {}
    for event_id, coder in rows(coded, "SELECT id, coder FROM coding_events WHERE id > 0"):
        stored.setdefault(coder, set()).add(event_id)
    for coder, ids in committed.items():
        assert stored.get(coder, set()) == ids, f"{coder}: stored differs from committed"
    for coder in attempted:
        assert len(committed.get(coder, ())) + refused.get(coder, 0) == attempted[coder]
    assert len(stored.get("cli", ())) == cli["committed"]
    total_committed = sum(map(len, committed.values())) + cli["committed"]
    assert rows(coded, "SELECT count(*) FROM coding_events")[0][0] == baseline + total_committed
    assert all(len(committed.get(c, ())) > 0 for c in attempted) and cli["committed"] > 0
    print(
        f"\nconcurrency {seconds:.0f} s: "
        + "; ".join(
            f"{c}: {attempted[c]} attempted, {len(committed.get(c, ()))} committed, "
            f"{refused.get(c, 0)} refused (lock timeout)"
            for c in sorted(attempted)
        )
        + f"; cli: {cli['runs']} imports, {cli['committed']} decisions committed, "
        f"{cli['refused']} imports refused; stored {total_committed}, lost 0"
    )
