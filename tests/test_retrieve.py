"""Code-and-retrieve, memos and progress on a small hand-made project."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.memos import add_memo, memos_for
from qualcode.coding.progress import acceptance_rates, review_progress
from qualcode.coding.retrieve import document_view, list_documents, segment_context
from qualcode.errors import QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.store import Project

from .conftest import REPO_ROOT

TEXT = "".join(f"YP{i}: Sentence number {i} about school.\n" for i in range(1, 7))


@pytest.fixture
def small(project: Project, tmp_path: Path) -> Project:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    (tmp_path / "s.txt").write_text(TEXT)
    ingest_paths(project, [tmp_path / "s.txt"], location="Location 2", session="3")
    record_decisions(
        project,
        [
            Decision(1, "education", "ann", "accept", "suggestion", 0.9),
            Decision(2, "education", "ann", "reject", "suggestion", 0.6),
            Decision(3, "education", "ann", "accept", "suggestion", 0.7),
            Decision(3, "education", "ann", "reject", "suggestion", 0.7),  # changed mind
            Decision(
                4,
                "education",
                "ben",
                "add",
                start=TEXT.index("Sentence number 4"),
                end=TEXT.index("Sentence number 4") + 17,
            ),
        ],
    )
    mark_reviewed(project, [5], "ann")
    return project


def test_document_view_lays_codings_over_the_text(small: Project) -> None:
    [info] = list_documents(small)
    assert (info.title, info.location, info.session, info.segments) == (
        "s.txt",
        "Location 2",
        "3",
        6,
    )
    view = document_view(small, info.id)
    assert [(c.segment_id, c.coder) for c in view.codings] == [(1, "ann"), (4, "ben")]
    for coding in view.codings:
        assert view.text[coding.start : coding.end] in {
            "Sentence number 1 about school.",
            "Sentence number 4",
        }
    assert [c.coder for c in document_view(small, info.id, "coder:ben").codings] == ["ben"]
    assert document_view(small, info.id, "consensus").codings == []
    with pytest.raises(QualcodeError, match="unknown layer 'bob' \\(choose consensus"):
        document_view(small, info.id, "bob")


def test_segment_context(small: Project) -> None:
    assert [s.ordinal for s in segment_context(small, 1)] == [0, 1, 2]
    assert [s.speaker for s in segment_context(small, 4, 1, 1)] == ["YP3", "YP4", "YP5"]


def test_progress_and_acceptance(small: Project) -> None:
    assert [(p["coder"], p["reviewed"], p["segments"]) for p in review_progress(small)] == [
        ("ann", 4, 6),
        ("ben", 1, 6),
    ]
    # latest decisions: seg 1 accept, seg 2 reject, seg 3 reject (changed) -> 1 of 3
    [rate] = acceptance_rates(small)
    assert (rate["code"], rate["accepted"], rate["rejected"]) == ("education", 1, 2)
    assert rate["rate"] == pytest.approx(1 / 3)


def test_memos_are_appended_and_blind_by_coder(small: Project) -> None:
    add_memo(small, "segment", 1, "ann", "School as safety?")
    add_memo(small, "segment", 1, "ben", "Mostly education.")
    assert [m.text for m in memos_for(small, "segment", 1)] == [
        "School as safety?",
        "Mostly education.",
    ]
    assert [m.coder for m in memos_for(small, "segment", "1", coder="ben")] == ["ben"]
    with pytest.raises(QualcodeError, match="empty memo"):
        add_memo(small, "segment", 1, "ann", "  ")
    with pytest.raises(QualcodeError, match="a memo is about one of"):
        add_memo(small, "theme", 1, "ann", "x")
