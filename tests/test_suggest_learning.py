"""Learning from decisions: accepts raise a code on similar text, rejects lower it,
classifiers start at five accepts, and scores stay calibrated in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualcode.coding.decisions import Decision, record_decisions
from qualcode.store import Project
from qualcode.suggest import suggest
from qualcode.suggest.config import DEFAULT_MODEL
from qualcode.suggest.embedder import load_embedder
from qualcode.suggest.learning import ACCEPTED, IMPLICIT, Training
from qualcode.suggest.model import CodeModel
from qualcode.suggest.phrases import Phrase

from .conftest import rows
from .suggest_helpers import HashEmbedder, small_project

COOKING = [
    "On Fridays we cook dinner together and everyone laughs.",
    "Cooking with the other girls is the best part of my week.",
    "We made rice and chicken together in the big kitchen.",
    "Everybody brings a dish from their country and we eat together.",
    "I taught them how to make bread from my country.",
    "We bake cakes together when someone has a birthday.",
]
PROBE = "Tonight we are cooking pasta together and eating at one big table."
OTHER = ["I passed my English exam.", "My flat is cold in winter."]


@pytest.fixture(scope="session")
def real_embedder():
    """The installed all-MiniLM-L6-v2, loaded once for the whole test session."""
    embedder = load_embedder()
    assert embedder.name == DEFAULT_MODEL
    return embedder


def _scores(project: Project, segment_id: int) -> dict[str, float]:
    return dict(
        rows(
            project,
            "SELECT code_id, score FROM suggestions WHERE segment_id = ? "
            "AND run_id = (SELECT max(id) FROM suggestion_runs)",
            [segment_id],
        )
    )


def _decide(
    project: Project, segment_ids: list[int], code: str, action: str, coder: str = "ana"
) -> None:
    record_decisions(
        project, [Decision(s, code, coder, action, source="suggestion") for s in segment_ids]
    )


def test_accepts_raise_and_rejects_lower_a_code_on_similar_text(
    project: Project, tmp_path: Path, real_embedder
) -> None:
    ids = small_project(project, tmp_path, [*COOKING, PROBE, *OTHER])
    cooking, probe = ids[: len(COOKING)], ids[len(COOKING)]
    suggest(project, top_k=3)
    before = _scores(project, probe)
    _decide(project, cooking, "friends", "accept")
    report = suggest(project, top_k=3)
    assert report.decisions == len(COOKING)
    accepted = _scores(project, probe)
    assert accepted["friends"] > before["friends"] + 0.05
    _decide(project, cooking, "housing", "reject")
    rejected = _scores(project, probe)  # not re-run yet: unchanged
    assert rejected == accepted
    suggest(project, top_k=3)
    after = _scores(project, probe)
    assert after["housing"] < accepted["housing"]
    assert after["friends"] >= accepted["friends"] - 0.02
    evidence = rows(
        project,
        "SELECT evidence_kind, evidence FROM suggestions WHERE "
        "segment_id = ? AND code_id = 'friends' AND run_id = "
        "(SELECT max(id) FROM suggestion_runs)",
        [probe],
    )
    assert evidence[0][0] == "accepted" and evidence[0][1] in COOKING
    scores = rows(project, "SELECT min(score), max(score) FROM suggestions")[0]
    assert 0.0 <= scores[0] <= scores[1] <= 1.0


def test_a_segments_own_decision_does_not_score_it(
    project: Project, tmp_path: Path, real_embedder
) -> None:
    """Blind coding: what one coder decided on a segment must not show in the
    suggestions another coder gets for that same segment."""
    twin = COOKING[0] + " "  # the same words, a different segment
    ids = small_project(project, tmp_path, [*COOKING, twin, *OTHER])
    decided, undecided = ids[0], ids[len(COOKING)]
    _decide(project, [decided], "friends", "accept")
    suggest(project, top_k=3)
    own = rows(
        project,
        "SELECT evidence_kind, evidence, score FROM suggestions WHERE "
        "segment_id = ? AND code_id = 'friends'",
        [decided],
    )
    other = rows(
        project,
        "SELECT evidence_kind, evidence, score FROM suggestions WHERE "
        "segment_id = ? AND code_id = 'friends'",
        [undecided],
    )
    # the undecided twin learns from the accepted segment; the segment itself does not
    assert other[0][0] == "accepted" and other[0][1] == COOKING[0]
    assert own[0][0] != "accepted"
    assert own[0][2] < other[0][2]


def test_classifiers_start_at_five_accepts_and_scores_stay_in_unit_interval() -> None:
    embedder = HashEmbedder(dim=64)
    texts = (
        [f"friends word{i} together" for i in range(6)]
        + [f"flat room{i} key" for i in range(6)]
        + [f"nothing here {i}" for i in range(5)]
    )  # reviewed, no code applies
    vectors = embedder.encode(texts)
    labels = np.full((17, 2), IMPLICIT, dtype=np.int8)
    labels[:6, 0] = ACCEPTED
    labels[6:12, 1] = ACCEPTED
    phrases = [Phrase("friends", "label", "friends"), Phrase("housing", "label", "flat")]
    phrase_vectors = embedder.encode([p.text for p in phrases])

    def build(n_accepts: int) -> CodeModel:
        keep = np.r_[np.arange(n_accepts), np.arange(6, 17)]
        training = Training(vectors[keep], [texts[i] for i in keep], labels[keep])
        return CodeModel.build(
            "test-hash", ["friends", "housing"], phrases, phrase_vectors, training=training
        )

    assert build(4).classifiers.active.tolist() == [False, True]
    model = build(5)
    assert model.classifiers.active.tolist() == [True, True]
    assert model.combiner.weights[2] >= 0 and model.combiner.weights[3] <= 0
    probe = embedder.encode(["friends together again", "a key to my room"])
    from qualcode.suggest.model import TextVectors

    scores = model.score(TextVectors(probe))
    assert scores.probability.min() >= 0.0 and scores.probability.max() <= 1.0
    assert scores.probability[0].argmax() == 0 and scores.probability[1].argmax() == 1
