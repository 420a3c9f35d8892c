"""Many threads of one process on one project (the app's sessions): reads and writes
at once must neither fail nor lose a decision."""

from __future__ import annotations

import threading
from pathlib import Path

from qualcode.coding.card import segment_card
from qualcode.coding.decisions import Decision, record_decision
from qualcode.store import Project
from qualcode.threaded import ModeGate, SharedProject

from .conftest import rows
from .suggest_helpers import add_document, write_codebook


def _hammer(project: Project, coders: list[str], segments: list[int]) -> list[str]:
    errors: list[str] = []

    def work(coder: str) -> None:
        for segment in segments:
            try:
                record_decision(project, Decision(segment, "housing", coder, "add"))
                segment_card(project, coder, segment)
            except Exception as exc:  # every failure is a finding
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(c,)) for c in coders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_concurrent_sessions_keep_every_decision(tmp_path: Path) -> None:
    from qualcode.codebook_files import load_codebook

    plain = Project.init(tmp_path / "p.duckdb")
    load_codebook(plain, write_codebook(tmp_path))
    segments = add_document(plain, [f"Segment number {i}." for i in range(15)])
    shared = SharedProject.open(plain.path)
    coders = ["ana", "bo", "cy", "di"]
    assert _hammer(shared, coders, segments) == []
    assert rows(plain, "SELECT coder, count(*) FROM coding_events GROUP BY 1 ORDER BY 1") == [
        (c, len(segments)) for c in coders
    ]


def test_nested_reads_do_not_wait_for_a_waiting_writer() -> None:
    gate = ModeGate()
    gate.acquire(True)
    writer = threading.Thread(target=lambda: (gate.acquire(False), gate.release(False)))
    writer.start()
    while not gate._waiting[False]:  # the writer is queued behind our read
        pass
    gate.acquire(True)  # a nested read in the same thread goes ahead
    assert gate.holds(True)
    gate.release(True)
    gate.release(True)
    writer.join(timeout=10)
    assert not writer.is_alive() and not gate.holds(True)
