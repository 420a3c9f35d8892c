"""Coding decisions as append-only events, and the current-codings view over them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, record_decision, record_decisions
from qualcode.errors import QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project

from .conftest import REPO_ROOT, rows


@pytest.fixture
def coded(project: Project, tmp_path: Path) -> Project:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    path = tmp_path / "t.txt"
    path.write_text("YP1: I feel safe in my room now.\nYP2: My solicitor explained my case.\n")
    ingest_paths(project, [path])
    return project


def test_latest_event_decides_the_current_coding(coded: Project) -> None:
    record_decision(coded, Decision(1, "physical_safety", "alice", "accept", "suggestion", 0.8))
    record_decision(coded, Decision(1, "physical_safety", "bob", "reject", "suggestion", 0.8))
    record_decision(coded, Decision(2, "legal_advice", "alice", "add"))
    record_decision(coded, Decision(2, "legal_advice", "alice", "remove"))
    assert rows(coded, "SELECT segment_id, code_id, coder FROM codings") == [
        (1, "physical_safety", "alice")
    ]
    # nothing was updated or deleted: four events remain, with the codebook version
    assert rows(coded, "SELECT action, codebook_version FROM coding_events ORDER BY id") == [
        ("accept", 1),
        ("reject", 1),
        ("add", 1),
        ("remove", 1),
    ]


def test_span_codings_are_separate_from_the_whole_segment(coded: Project) -> None:
    start, end = rows(coded, "SELECT start_offset, end_offset FROM segments WHERE id = 1")[0]
    record_decisions(
        coded,
        [
            Decision(1, "safety", "alice", "add"),
            Decision(1, "safety", "alice", "add", start=start, end=start + 6),
        ],
    )
    assert rows(coded, "SELECT start_offset, end_offset FROM codings ORDER BY event_id") == [
        (None, None),
        (start, start + 6),
    ]
    doc_length = rows(coded, "SELECT length(text) FROM documents")[0][0]
    record_decision(coded, Decision(1, "safety", "bob", "add", start=start, end=doc_length))
    with pytest.raises(QualcodeError, match="must overlap segment 1"):
        record_decision(coded, Decision(1, "safety", "alice", "add", start=end, end=end + 1))
    with pytest.raises(QualcodeError, match="lie inside its document"):
        record_decision(
            coded, Decision(1, "safety", "alice", "add", start=start, end=doc_length + 1)
        )


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision(99, "safety", "alice", "add"), "no segment with id 99"),
        (Decision(1, "art6", "alice", "add"), "'art6' is not a codable code in codebook v1"),
        (Decision(1, "nope", "alice", "accept"), "'nope' is not a codable code"),
        (Decision(1, "safety", " ", "add"), "a decision needs a coder"),
        (Decision(1, "safety", "alice", "keep"), "unknown action 'keep'"),
    ],
)
def test_invalid_decisions_write_nothing(coded: Project, decision: Decision, message: str) -> None:
    with pytest.raises(QualcodeError, match=message):
        record_decisions(coded, [Decision(2, "legal_advice", "alice", "add"), decision])
    assert rows(coded, "SELECT count(*) FROM coding_events") == [(0,)]
