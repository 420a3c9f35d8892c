"""Reviewing one segment (qualcode.coding.card) and undo (qualcode.coding.undo):
blind segment cards, excerpts as spans, walking segments, and undo as appended events that
reopen the queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.agreement.sampling import create_sample
from qualcode.coding.card import (
    Filters,
    excerpt_span,
    filter_options,
    next_segment,
    segment_card,
)
from qualcode.coding.decisions import Decision, mark_reviewed, record_decision, record_decisions
from qualcode.coding.undo import UNDO_OPEN, UNDO_RESTORE, undo_last
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.suggest import review_queue, suggest

from .conftest import rows
from .suggest_helpers import INTERVIEW, HashEmbedder

TEXTS = INTERVIEW


def _queue_pairs(project: Project, coder: str) -> set[tuple[int, str]]:
    return {
        (i.segment_id, s.code_id)
        for i in review_queue(project, coder, limit=100)
        for s in i.suggestions
    }


def _codings(project: Project, coder: str) -> set[tuple[int, str]]:
    return set(rows(project, "SELECT segment_id, code_id FROM codings WHERE coder = ?", [coder]))


def test_card_shows_context_suggestions_and_only_this_coders_codings(
    project: Project, suggested: list[int]
) -> None:
    record_decision(project, Decision(suggested[2], "friends", "other", "accept", "suggestion"))
    card = segment_card(project, "ana", suggested[2], context=1)
    assert [t.text for t in card.context] == TEXTS[1:4]
    assert [t.current for t in card.context] == [False, True, False]
    assert card.text == TEXTS[2] and card.document_title == "doc"
    assert {s.state for s in card.suggestions} == {"open"}  # blind: 'other' accepted it
    assert card.codings == [] and not card.reviewed
    scores = [s.score for s in card.suggestions]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3


def test_card_states_follow_this_coders_decisions(project: Project, suggested: list[int]) -> None:
    first, second = segment_card(project, "ana", suggested[0]).suggestions[:2]
    record_decisions(
        project,
        [
            Decision(suggested[0], first.code_id, "ana", "accept", "suggestion", first.score),
            Decision(suggested[0], second.code_id, "ana", "reject", "suggestion", second.score),
        ],
    )
    card = segment_card(project, "ana", suggested[0])
    states = {s.code_id: s.state for s in card.suggestions}
    assert states[first.code_id] == "applied" and states[second.code_id] == "refused"
    assert [c.code_id for c in card.codings] == [first.code_id] and card.reviewed


def test_excerpt_becomes_document_offsets(project: Project, suggested: list[int]) -> None:
    card = segment_card(project, "ana", suggested[1])
    start, end = excerpt_span(card, "  my own room ")
    document = rows(project, "SELECT text FROM documents")[0][0]
    assert document[start:end] == "my own room"
    assert excerpt_span(card, TEXTS[1]) is None  # the whole segment
    with pytest.raises(QualcodeError, match="does not occur"):
        excerpt_span(card, "a house")
    with pytest.raises(QualcodeError, match="more than once"):
        excerpt_span(segment_card(project, "ana", suggested[3]), "a")
    record_decision(project, Decision(suggested[1], "housing", "ana", "add", start=start, end=end))
    coding = segment_card(project, "ana", suggested[1]).codings[0]
    assert (coding.start, coding.end, coding.excerpt) == (start, end, "my own room")


def test_undo_accept_reopens_the_suggestion(project: Project, suggested: list[int]) -> None:
    pair = sorted(p for p in _queue_pairs(project, "ana") if p[0] == suggested[0])[0]
    event = record_decision(project, Decision(*pair, "ana", "accept", "suggestion", 0.9, "m"))
    assert pair in _codings(project, "ana") and pair not in _queue_pairs(project, "ana")
    done = undo_last(project, "ana")
    assert done is not None and done.undone == [event]
    appended = rows(
        project, "SELECT action, memo FROM coding_events WHERE id = ?", [done.appended[0]]
    )
    assert appended == [("remove", f"{UNDO_OPEN}{event}")]
    assert pair not in _codings(project, "ana")
    assert pair in _queue_pairs(project, "ana")  # back in the queue
    assert {s.state for s in segment_card(project, "ana", suggested[0]).suggestions} == {"open"}
    assert undo_last(project, "ana") is None  # undo events are not undone
    assert rows(project, "SELECT count(*) FROM coding_events")[0][0] == 2  # nothing deleted


def test_undo_reject_reopens_and_undo_restores_an_earlier_decision(
    project: Project, suggested: list[int]
) -> None:
    pair = (suggested[2], "friends")
    record_decision(project, Decision(*pair, "ana", "reject", "suggestion", 0.4, "m"))
    assert pair not in _queue_pairs(project, "ana")
    undo_last(project, "ana")
    assert pair in _queue_pairs(project, "ana")
    accept = record_decision(project, Decision(*pair, "ana", "accept", "suggestion", 0.4, "m"))
    remove = record_decision(project, Decision(*pair, "ana", "remove"))
    assert pair not in _codings(project, "ana")
    done = undo_last(project, "ana")  # undoes the removal: the accept is restored
    assert done.undone == [remove]
    restored = rows(
        project,
        "SELECT action, source, score, model, memo FROM coding_events WHERE id = ?",
        [done.appended[0]],
    )
    assert restored == [("accept", "suggestion", 0.4, "m", f"{UNDO_RESTORE}{remove}")]
    assert pair in _codings(project, "ana") and pair not in _queue_pairs(project, "ana")
    assert undo_last(project, "ana").undone == [accept]  # then the accept itself
    assert pair not in _codings(project, "ana") and pair in _queue_pairs(project, "ana")


def test_undo_takes_back_one_action_with_all_its_events(
    project: Project, suggested: list[int]
) -> None:
    card = segment_card(project, "ana", suggested[4])
    record_decision(project, Decision(suggested[0], "education", "ana", "add"))
    rejects = record_decisions(
        project,
        [
            Decision(suggested[4], s.code_id, "ana", "reject", "suggestion")
            for s in card.suggestions
        ],
    )
    done = undo_last(project, "ana")
    assert sorted(done.undone) == rejects
    assert {s.state for s in segment_card(project, "ana", suggested[4]).suggestions} == {"open"}
    assert (suggested[0], "education") in _codings(project, "ana")  # the earlier action stays
    assert undo_last(project, "bo") is None  # another coder has nothing to undo


def test_undo_of_a_span_coding_restores_the_span_target(
    project: Project, suggested: list[int]
) -> None:
    card = segment_card(project, "ana", suggested[1])
    start, end = excerpt_span(card, "own room")
    record_decision(project, Decision(suggested[1], "housing", "ana", "add", start=start, end=end))
    undo_last(project, "ana")
    events = rows(
        project,
        "SELECT action, start_offset, end_offset FROM coding_events ORDER BY id",
    )
    assert events == [("add", start, end), ("remove", start, end)]
    assert segment_card(project, "ana", suggested[1]).codings == []


def test_next_segment_walks_in_reading_order_with_filters(
    project: Project, suggested: list[int]
) -> None:
    assert next_segment(project, "ana") == suggested[0]
    assert next_segment(project, "ana", after=suggested[1]) == suggested[2]
    assert next_segment(project, "ana", after=suggested[4]) is None
    assert next_segment(project, "ana", backwards=True) == suggested[4]
    assert next_segment(project, "ana", after=suggested[2], backwards=True) == suggested[1]
    record_decision(project, Decision(suggested[0], "education", "ana", "add"))
    mark_reviewed(project, [suggested[1]], "ana")
    unreviewed = Filters(unreviewed_only=True)
    assert next_segment(project, "ana", unreviewed) == suggested[2]
    assert next_segment(project, "bo", unreviewed) == suggested[0]
    undo_last(project, "ana")  # the add is undone: segment 1 is unreviewed again
    assert next_segment(project, "ana", unreviewed) == suggested[0]
    create_sample(project, "round1", 0.4)
    sample = set(rows(project, "SELECT segment_id FROM reliability_sample_segments"))
    walked = []
    after = None
    while (after := next_segment(project, "ana", Filters(sample="round1"), after)) is not None:
        walked.append((after,))
    assert set(walked) == sample
    assert filter_options(project).samples == ["round1"]


def test_queue_filters_location_session_sample_and_unreviewed(
    project: Project, suggested: list[int], tmp_path: Path
) -> None:
    from qualcode.ingest.pipeline import ingest_paths

    other = tmp_path / "elsewhere.txt"
    other.write_text("YP1: I love my English classes at college.\n", encoding="utf-8")
    ingest_paths(project, [other], location="Leeds", session="2")
    suggest(project, top_k=3, embedder=HashEmbedder())
    leeds = review_queue(project, "ana", location="Leeds", limit=10)
    assert [i.document_title for i in leeds] == ["elsewhere.txt"]
    assert review_queue(project, "ana", location="Leeds", session="1") == []
    assert len(review_queue(project, "ana", session="2", limit=10)) == 1
    create_sample(project, "r", 0.5)
    sample = {r[0] for r in rows(project, "SELECT segment_id FROM reliability_sample_segments")}
    assert {i.segment_id for i in review_queue(project, "ana", sample="r", limit=10)} == sample
    record_decision(project, Decision(suggested[0], "education", "ana", "accept", "suggestion"))
    partly = {i.segment_id for i in review_queue(project, "ana", limit=10)}
    untouched = {i.segment_id for i in review_queue(project, "ana", unreviewed_only=True, limit=10)}
    assert (
        suggested[0] in partly
        and suggested[0] not in untouched
        and untouched == partly - {suggested[0]}
    )


def test_trail_back_back_next_returns_to_the_segments_stepped_back_from() -> None:
    from qualcode.coding import Trail

    trail = Trail()
    current = 1
    for following in (2, 3):  # seen 1, 2, now on 3
        assert trail.forward(current) is None  # nothing stepped back from: a new one
        current = following
    current = trail.back(current)
    assert current == 2
    current = trail.back(current)
    assert current == 1 and trail.back(current) == 1  # nothing before the first
    assert trail.forward(current) == 2  # B, B, N: back to 2, not past 2 and 3
    assert trail.forward(2) == 3
    assert trail.forward(3) is None  # then new segments again
    assert trail.past == [1, 2, 3] and trail.ahead == []


def test_trail_jump_to_an_undone_segment_comes_back() -> None:
    from qualcode.coding import Trail

    trail = Trail(past=[1, 2], ahead=[])
    assert trail.jump(3, 2) == 2  # undo on 3 reopened 2, the segment seen before
    assert trail.past == [1] and trail.forward(2) == 3
    assert trail.jump(4, 4) == 4 and trail.ahead == []  # same segment: nothing moves
