"""Speed of the themes-by-location-by-session table over 1,000,000 coding events.

Builds a synthetic project with bulk inserts (pyarrow tables + INSERT ... SELECT):
the CSF-POF codebook and its framework themes, 3 locations x 8 sessions, 240
documents, 20,000 segments and 1,000,000 coding events by three coders and the
consensus layer. Then times `qualcode.themes.track` end to end (open the project
file, one grouped query, rows built) per layer, and prints the median. The first
call folds the new events into the stored coding state (a one-off, timed apart);
later calls read the state. Goal: under 200 ms.

    .venv/bin/python benchmarks/bench_themes.py [--events N] [--segments N] [--repeat N]
        [--quick]

(defaults 1000000 events, 20000 segments, 20 repeats; --quick: 20000 events, 2000
segments, 3 repeats unless given, a smoke run of a few seconds)
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from sizes import parse_sizes

from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, record_decision
from qualcode.coding.layers import parse_layer
from qualcode.resources import csf_pof_codebook
from qualcode.store import Project
from qualcode.themes.framework import create_framework_themes
from qualcode.themes.targets import read_targets
from qualcode.themes.tracking import track, track_with

LOCATIONS = 3
SESSIONS = 8
DOCUMENTS_PER_CASE = 10
FULL = {"events": 1_000_000, "segments": 20_000, "repeat": 20}
QUICK = {"events": 20_000, "segments": 2_000, "repeat": 3}
CODERS = ["coder_a", "coder_b", "coder_c", "consensus"]
SPEAKERS = ["YP1", "YP2", "YP3", "YP4", "YP5", "YP6", "Facilitator", "Facilitator 2"]


def build(path: Path, n_segments: int, n_events: int, seed: int = 0) -> Project:
    """A project of the given size, written in one transaction per table group."""
    rng = np.random.default_rng(seed)
    project = Project.init(path)
    load_codebook(project, csf_pof_codebook(), actor="bench")
    create_framework_themes(project, "bench")
    codes = [c.id for c in current_codebook(project).codable()]
    n_cases = LOCATIONS * SESSIONS
    n_documents = n_cases * DOCUMENTS_PER_CASE
    case_ids = np.arange(1, n_cases + 1, dtype=np.int32)
    cases = pa.table({
        "id": case_ids,
        "name": [f"Location {(i - 1) // SESSIONS + 1} / session {(i - 1) % SESSIONS + 1}"
                 for i in case_ids],
        "location": [f"Location {(i - 1) // SESSIONS + 1}" for i in case_ids],
        "session": [str((i - 1) % SESSIONS + 1) for i in case_ids],
        "date": [f"2022-{(i - 1) % SESSIONS + 3:02d}-15" for i in case_ids],
    })  # fmt: skip
    doc_ids = np.arange(1, n_documents + 1, dtype=np.int32)
    documents = pa.table({
        "id": doc_ids,
        "title": [f"doc{i:04d}.txt" for i in doc_ids],
        "case_id": ((doc_ids - 1) // DOCUMENTS_PER_CASE + 1).astype(np.int32),
    })  # fmt: skip
    seg_ids = np.arange(1, n_segments + 1, dtype=np.int32)
    seg_docs = ((seg_ids - 1) % n_documents + 1).astype(np.int32)
    segments = pa.table({
        "id": seg_ids,
        "document_id": seg_docs,
        "ordinal": ((seg_ids - 1) // n_documents).astype(np.int32),
        "speaker": pa.array(np.array(SPEAKERS)[rng.integers(0, len(SPEAKERS), n_segments)]),
    })  # fmt: skip
    events = pa.table({
        "segment_id": rng.integers(1, n_segments + 1, n_events).astype(np.int32),
        "code_id": pa.array(np.array(codes)[rng.integers(0, len(codes), n_events)]),
        "coder": pa.array(np.array(CODERS)[rng.choice(4, n_events, p=[0.3, 0.3, 0.3, 0.1])]),
        "action": pa.array(np.array(["add", "accept", "reject", "remove"])[
            rng.choice(4, n_events, p=[0.6, 0.2, 0.1, 0.1])]),
    })  # fmt: skip
    with project.transaction() as con:
        for name, table in (("b_cases", cases), ("b_docs", documents), ("b_segs", segments)):
            con.register(name, table)
        con.execute(
            "INSERT INTO cases (id, name, location, session, date) "
            "SELECT id, name, location, session, date FROM b_cases"
        )
        con.execute(
            "INSERT INTO documents (id, title, format, content_hash, text, case_id) "
            "SELECT id, title, 'txt', md5(title), 'synthetic', case_id FROM b_docs"
        )
        con.execute(
            "INSERT INTO segments (id, document_id, ordinal, turn, speaker, start_offset, "
            "end_offset, text) SELECT id, document_id, ordinal, ordinal, speaker, 0, 1, "
            "'synthetic segment ' || id FROM b_segs"
        )
    with project.transaction() as con:
        con.register("b_events", events)
        con.execute(
            "INSERT INTO coding_events (segment_id, code_id, coder, action, source, "
            "codebook_version) SELECT segment_id, code_id, coder, action, 'manual', 1 "
            "FROM b_events"
        )
    return project


def time_track(project: Project, layer: str, repeat: int) -> list[float]:
    """Seconds per `track` call (after one warm-up call)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        track(project, layer)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    args = parse_sizes(__doc__.splitlines()[0], FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        project = build(Path(tmp) / "bench.duckdb", args.segments, args.events)
        built = time.perf_counter() - started
        with project.connect(read_only=True) as con:
            n_events = con.execute("SELECT count(*) FROM coding_events").fetchone()[0]
            n_codings = con.execute("SELECT count(*) FROM codings").fetchone()[0]
        print(
            f"built in {built:.1f} s: {n_events:,} coding events ({n_codings:,} current "
            f"codings), {args.segments:,} segments, {LOCATIONS * SESSIONS} location x session "
            f"cases, 5 themes + {len(current_codebook(project).codable())} codes"
        )
        started = time.perf_counter()
        track(project, "all")
        print(
            f"first track: {time.perf_counter() - started:.2f} s (folds {n_events:,} events "
            "into the coding state, once)"
        )
        codes = [c.id for c in current_codebook(project).codable()]
        worst = 0.0
        for layer in ("consensus", "coder:coder_a", "all"):
            timings = time_track(project, layer, args.repeat)
            median = statistics.median(timings) * 1000
            worst = max(worst, median)
            print(
                f"track(layer={layer}): median {median:.0f} ms, "
                f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
                f"over {args.repeat} runs (open + one grouped query + rows)"
            )
        after = []
        for i in range(5):
            record_decision(project, Decision(1 + i, codes[i], "coder_a", "add"))
            started = time.perf_counter()
            track(project, "all")
            after.append(time.perf_counter() - started)
        print(
            f"track(layer=all) right after one new decision (folds it, then reads): median "
            f"{statistics.median(after) * 1000:.0f} ms over 5"
        )
        with project.connect(read_only=True) as con:
            targets = read_targets(con)
            for layer in ("consensus", "all"):
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    track_with(con, parse_layer(layer), targets)
                    timings.append(time.perf_counter() - started)
                print(
                    f"  query alone on an open connection (layer={layer}): median "
                    f"{statistics.median(timings) * 1000:.0f} ms"
                )
        verdict = "meets" if worst < 200 else "misses"
        load = (
            ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
        )
        print(
            f"slowest median {worst:.0f} ms: {verdict} the 200 ms goal "
            f"({os.cpu_count()} CPUs, load average {load})"
        )


if __name__ == "__main__":
    main()
