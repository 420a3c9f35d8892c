"""The review queue: per-coder filtering, score and uncertainty order, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.suggest import review_queue, suggest

from .suggest_helpers import (
    INTERVIEW,
    HashEmbedder,
    add_document,
    small_project,
    write_codebook,
)

TEXTS = INTERVIEW


def _pairs(items) -> set[tuple[int, str]]:
    return {(i.segment_id, s.code_id) for i in items for s in i.suggestions}


def test_queue_lists_segments_with_ranked_suggestions_and_evidence(
    project: Project, suggested: list[int]
) -> None:
    items = review_queue(project, "ana", limit=10)
    assert len(items) == 5 and len(_pairs(items)) == 15
    first = next(i for i in items if i.segment_id == suggested[0])
    assert first.text == TEXTS[0] and first.document_title == "doc" and first.speaker == "YP"
    assert [s.rank for s in first.suggestions] == [1, 2, 3]
    assert first.suggestions[0].code_id == "education"
    assert first.suggestions[0].label == "Education and school"
    assert first.suggestions[0].evidence and first.suggestions[0].evidence_kind in {
        "label",
        "definition",
        "include",
        "example",
    }
    scores = [s.score for s in first.suggestions]
    assert scores == sorted(scores, reverse=True)
    best = [i.priority for i in items]
    assert best == sorted(best, reverse=True)  # order="score": best suggestion first


def test_rejected_suggestion_does_not_come_back_for_that_coder_only(
    project: Project, suggested: list[int]
) -> None:
    segment = suggested[1]
    record_decisions(project, [Decision(segment, "housing", "ana", "reject", source="suggestion")])
    suggest(project, top_k=3, embedder=HashEmbedder())  # a new run: still not back for ana
    assert (segment, "housing") not in _pairs(review_queue(project, "ana", limit=10))
    assert (segment, "friends") in _pairs(review_queue(project, "ana", limit=10))
    assert (segment, "housing") in _pairs(review_queue(project, "ben", limit=10))


def test_reviewed_segments_leave_that_coders_queue(project: Project, suggested: list[int]) -> None:
    mark_reviewed(project, [suggested[2]], "ana")
    assert suggested[2] not in {i.segment_id for i in review_queue(project, "ana")}
    assert suggested[2] in {i.segment_id for i in review_queue(project, "ben")}


def test_uncertainty_order_puts_scores_near_the_threshold_first(
    project: Project, suggested: list[int]
) -> None:
    items = review_queue(project, "ana", order="uncertainty", limit=10)
    closeness = [min(abs(s.score - 0.5) for s in i.suggestions) for i in items]
    assert closeness == sorted(closeness)
    assert [i.priority for i in items] == pytest.approx(closeness)
    assert all(i.margin >= 0 for i in items)


def test_filters_limit_and_offset(project: Project, suggested: list[int]) -> None:
    other = add_document(project, ["My teacher at college is kind."], title="other")
    suggest(project, top_k=2, embedder=HashEmbedder())
    both = review_queue(project, "ana", limit=100)
    assert {i.segment_id for i in both} == {*suggested, *other}
    document_id = next(i.document_id for i in both if i.segment_id == other[0])
    by_document = review_queue(project, "ana", document_id=document_id)
    assert [i.segment_id for i in by_document] == other
    with_code = review_queue(project, "ana", code_id="education", limit=100)
    assert all("education" in {s.code_id for s in i.suggestions} for i in with_code)
    strong = review_queue(project, "ana", min_score=0.5, limit=100)
    assert all(s.score >= 0.5 for i in strong for s in i.suggestions)
    page = review_queue(project, "ana", limit=2, offset=1)
    everything = review_queue(project, "ana", limit=100)
    assert [i.segment_id for i in page] == [i.segment_id for i in everything[1:3]]


def test_queue_rejects_unknown_order_and_missing_coder(project: Project) -> None:
    with pytest.raises(QualcodeError, match="unknown queue order"):
        review_queue(project, "ana", order="random")  # type: ignore[arg-type]
    with pytest.raises(QualcodeError, match="needs a coder"):
        review_queue(project, " ")
    assert review_queue(project, "ana") == []  # no suggestions yet


def test_suggest_on_a_project_without_segments(project: Project, tmp_path: Path) -> None:
    small_project(project, tmp_path, [])
    report = suggest(project, embedder=HashEmbedder())
    assert (report.segments, report.suggestions) == (0, 0)
    assert review_queue(project, "ana") == []


def test_decisions_become_training_labels(project: Project, tmp_path: Path) -> None:
    from qualcode.suggest.decisions import read_decisions
    from qualcode.suggest.learning import ACCEPTED, IMPLICIT, REJECTED

    ids = small_project(project, tmp_path, TEXTS[:4])
    first = record_decisions(
        project,
        [
            Decision(ids[0], "education", "ana", "accept", source="suggestion"),
            Decision(ids[1], "housing", "ana", "reject", source="suggestion"),
            Decision(ids[3], "friends", "ana", "reject", source="suggestion"),
        ],
    )
    mark_reviewed(project, [ids[2]], "ana")
    # an undo that reopened the reject on segment 4: undecided again, not a rejection
    record_decisions(
        project, [Decision(ids[3], "friends", "ana", "remove", memo=f"undo of event {first[2]}")]
    )
    codes = ["education", "housing", "friends"]
    with project.connect(read_only=True) as con:
        labels = read_decisions(con, codes)
    assert labels.segment_ids == [ids[0], ids[1], ids[2]]
    assert labels.texts == TEXTS[:3]
    assert labels.labels.tolist() == [
        [ACCEPTED, IMPLICIT, IMPLICIT],
        [0, REJECTED, 0],
        [IMPLICIT, IMPLICIT, IMPLICIT],
    ]
    assert labels.count == 2


def test_location_session_and_unreviewed_filters(project: Project, tmp_path: Path) -> None:
    load_codebook(project, write_codebook(tmp_path))
    with project.transaction() as con:
        case = con.execute(
            "INSERT INTO cases (name, location, session) VALUES ('L1 S2', 'L1', '2') RETURNING id"
        ).fetchone()[0]
    ids = add_document(project, TEXTS, case_id=case)
    suggest(project, top_k=2, embedder=HashEmbedder())
    assert len(review_queue(project, "ana", location="L1", session="2", limit=10)) == 5
    assert review_queue(project, "ana", location="L2") == []
    item = review_queue(project, "ana", limit=1)[0]
    assert (item.location, item.session) == ("L1", "2")
    record_decisions(
        project,
        [Decision(ids[0], item.suggestions[0].code_id, "ana", "accept", source="suggestion")],
    )
    everything = {i.segment_id for i in review_queue(project, "ana", limit=10)}
    untouched = {i.segment_id for i in review_queue(project, "ana", unreviewed_only=True, limit=10)}
    assert ids[0] in everything and untouched == everything - {ids[0]}


def test_one_key_accepts_only_a_suggestion_at_or_above_the_threshold() -> None:
    from dataclasses import dataclass

    from qualcode.suggest import THRESHOLD, is_predicted, primary_suggestion

    @dataclass
    class Scored:
        code_id: str
        score: float

    weak, strong, edge = Scored("a", 0.04), Scored("b", 0.81), Scored("c", THRESHOLD)
    assert primary_suggestion([weak, strong]) is strong  # the best, wherever it stands
    assert primary_suggestion([weak]) is None  # 0.04: below, no one-key accept
    assert primary_suggestion([weak, edge]) is edge  # at the threshold counts
    assert primary_suggestion([]) is None
    assert is_predicted(0.5) and not is_predicted(0.4999) and THRESHOLD == 0.5
