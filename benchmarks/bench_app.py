"""Server time of one accept on the Code page, on a project of 20,000 segments.

Builds a synthetic project with bulk inserts (pyarrow tables + INSERT ... SELECT):
the CSF-POF codebook, 3 locations x 8 sessions, 240 documents, 20,000 segments, a
fake suggestion run (5 suggestions per segment, 100,000 rows in `suggestions`) and
60,000 earlier coding events by three coders (a third of them by the coder under
test). Then, on the project bound to that coder as the app binds it (so the access
checks run), times the library calls the Code page makes for one accept:
`record_decision` (the button's write), `segment_card` (the page's rerun on the
same segment) and the next `review_queue` page (limit 1 as the page asks when it
moves on, and limit 20), and prints the medians in milliseconds. Goal: an accept
well under 300 ms of server time.

    .venv/bin/python benchmarks/bench_app.py [--segments N] [--events N] [--repeat N]
        [--quick]

(defaults 20000 segments, 60000 events, 30 repeats; --quick: 2000 segments, 6000
events, 5 repeats unless given, a smoke run of a few seconds)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from sizes import parse_sizes

from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.card import segment_card
from qualcode.coding.decisions import Decision, record_decision
from qualcode.coding.undo import undo_last
from qualcode.resources import csf_pof_codebook
from qualcode.store import Project
from qualcode.suggest.queue import review_queue

LOCATIONS = 3
SESSIONS = 8
DOCUMENTS_PER_CASE = 10
SUGGESTIONS_PER_SEGMENT = 5
CODERS = ["coder_a", "coder_b", "coder_c"]
CODER = "coder_a"
MODEL = "bench-model"
QUEUE_PAGE = 21  # the Code page asks for 20 upcoming segments plus the one it shows
FULL = {"segments": 20_000, "events": 60_000, "repeat": 30}
QUICK = {"segments": 2_000, "events": 6_000, "repeat": 5}
WORDS = "I felt safe at school and my friends helped me with English when I was scared".split()


def _texts(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(4, 25, n)
    return [" ".join(rng.choice(WORDS, size=k)) + "." for k in lengths]


def build(path: Path, n_segments: int, n_events: int, seed: int = 0) -> Project:
    """A project of the given size, written in a few bulk transactions."""
    rng = np.random.default_rng(seed)
    project = Project.init(path)
    load_codebook(project, csf_pof_codebook(), actor="bench")
    codes = np.array([c.id for c in current_codebook(project).codable()])
    n_cases = LOCATIONS * SESSIONS
    n_documents = n_cases * DOCUMENTS_PER_CASE
    case_ids = np.arange(1, n_cases + 1, dtype=np.int32)
    cases = pa.table({
        "id": case_ids,
        "name": [f"case {i}" for i in case_ids],
        "location": [f"Location {(i - 1) // SESSIONS + 1}" for i in case_ids],
        "session": [str((i - 1) % SESSIONS + 1) for i in case_ids],
    })  # fmt: skip
    seg_ids = np.arange(1, n_segments + 1, dtype=np.int32)
    seg_docs = ((seg_ids - 1) % n_documents + 1).astype(np.int32)
    ordinals = ((seg_ids - 1) // n_documents).astype(np.int32)
    texts = _texts(rng, n_segments)
    starts = np.zeros(n_segments, dtype=np.int32)
    ends = np.zeros(n_segments, dtype=np.int32)
    bodies: dict[int, list[str]] = {}
    for i in np.argsort(seg_docs * n_segments + ordinals, kind="stable"):
        parts = bodies.setdefault(int(seg_docs[i]), [])
        offset = sum(len(p) + 1 for p in parts)
        starts[i], ends[i] = offset, offset + len(texts[i])
        parts.append(texts[i])
    doc_ids = np.arange(1, n_documents + 1, dtype=np.int32)
    documents = pa.table({
        "id": doc_ids,
        "title": [f"doc{i:04d}.txt" for i in doc_ids],
        "text": ["\n".join(bodies.get(int(i), [])) for i in doc_ids],
        "case_id": ((doc_ids - 1) // DOCUMENTS_PER_CASE + 1).astype(np.int32),
    })  # fmt: skip
    segments = pa.table({
        "id": seg_ids, "document_id": seg_docs, "ordinal": ordinals,
        "speaker": pa.array([f"YP{k}" for k in rng.integers(1, 7, n_segments)]),
        "seg_start": starts, "seg_end": ends, "text": texts,
    })  # fmt: skip
    k = SUGGESTIONS_PER_SEGMENT
    picked = np.argsort(rng.random((n_segments, len(codes))), axis=1)[:, :k]
    scores = np.sort(rng.beta(0.6, 2.0, (n_segments, k)), axis=1)[:, ::-1]
    suggestions = pa.table({
        "segment_id": np.repeat(seg_ids, k),
        "code_id": codes[picked].ravel(),
        "score": scores.ravel(),
        "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), n_segments),
    })  # fmt: skip
    events = pa.table({
        "segment_id": rng.integers(1, n_segments + 1, n_events).astype(np.int32),
        "code_id": codes[rng.integers(0, len(codes), n_events)],
        "coder": np.array(CODERS)[rng.integers(0, len(CODERS), n_events)],
        "action": np.array(["accept", "reject", "add"])[rng.choice(3, n_events, p=[.4, .4, .2])],
    })  # fmt: skip
    with project.transaction() as con:
        for name, table in (
            ("b_cases", cases), ("b_docs", documents), ("b_segs", segments),
            ("b_sugg", suggestions), ("b_events", events),
        ):  # fmt: skip
            con.register(name, table)
        con.execute(
            "INSERT INTO cases (id, name, location, session) "
            "SELECT id, name, location, session FROM b_cases"
        )
        con.execute(
            "INSERT INTO documents (id, title, format, content_hash, text, case_id) "
            "SELECT id, title, 'txt', md5(text), text, case_id FROM b_docs"
        )
        con.execute(
            "INSERT INTO segments (id, document_id, ordinal, turn, speaker, start_offset, "
            "end_offset, text) SELECT id, document_id, ordinal, ordinal, speaker, seg_start, "
            "seg_end, text FROM b_segs"
        )
        run = con.execute(
            "INSERT INTO suggestion_runs (model, codebook_version, segments, suggestions, "
            "top_k, min_score, decisions) VALUES (?, 1, ?, ?, ?, 0, 0) RETURNING id",
            [MODEL, n_segments, n_segments * k, k],
        ).fetchone()[0]
        con.execute(
            "INSERT INTO suggestions (run_id, segment_id, code_id, codebook_version, model, "
            "score, rank, evidence, evidence_kind, similarity) SELECT ?, segment_id, code_id, "
            "1, ?, score, rank, 'an include clause', 'include', score FROM b_sugg",
            [run, MODEL],
        )
        con.execute(
            "INSERT INTO coding_events (segment_id, code_id, coder, action, source, score, "
            "model, codebook_version, recorded_by) SELECT segment_id, code_id, coder, action, "
            "CASE WHEN action = 'add' THEN 'manual' ELSE 'suggestion' END, 0.5, ?, 1, coder "
            "FROM b_events",
            [MODEL],
        )
    return project


def _median_ms(timings: list[float]) -> str:
    ms = [t * 1000 for t in timings]
    return f"median {statistics.median(ms):6.1f} ms (min {min(ms):6.1f}, max {max(ms):6.1f})"


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    args = parse_sizes(__doc__.splitlines()[0], FULL, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        project = build(Path(tmp) / "bench.duckdb", args.segments, args.events)
        for name in CODERS:
            add_coder(project, name)
        project = project.as_user(CODER)  # as the app's pages see it: access checked
        print(
            f"built in {time.perf_counter() - started:.1f} s: {args.segments:,} segments, "
            f"{args.segments * SUGGESTIONS_PER_SEGMENT:,} suggestions, {args.events:,} "
            f"coding events by {len(CODERS)} coders"
        )
        review_queue(project, CODER, limit=1)  # warm-up
        writes, cards, pages, accepts, worst = [], [], [], [], []
        for _ in range(args.repeat):
            item = review_queue(project, CODER, limit=1)[0]
            best = item.suggestions[0]
            decision = Decision(
                item.segment_id, best.code_id, CODER, "accept", "suggestion", best.score, MODEL
            )
            write = _timed(lambda d=decision: record_decision(project, d))
            card = _timed(lambda i=item: segment_card(project, CODER, i.segment_id))
            page = _timed(lambda: review_queue(project, CODER, limit=QUEUE_PAGE))
            writes.append(write)
            cards.append(card)
            pages.append(page)
            accepts.append(write + card)
            worst.append(write + card + page)
        undos = [_timed(lambda: undo_last(project, CODER)) for _ in range(5)]
        print(f"record_decision (the accept)         {_median_ms(writes)}")
        print(f"segment_card (the page's rerun)      {_median_ms(cards)}")
        print(f"review_queue, a page of {QUEUE_PAGE}          {_median_ms(pages)}")
        print(f"undo_last                            {_median_ms(undos)}")
        print(f"accept: write + card                 {_median_ms(accepts)}")
        print(f"accept + next queue page (worst)     {_median_ms(worst)}")
        print("goal: an accept well under 300 ms; the Code page reads the queue a page at a time")


if __name__ == "__main__":
    main()
