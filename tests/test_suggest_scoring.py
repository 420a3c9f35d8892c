"""Phrase pooling, sentence blending, calibration and roll-up on hand-made vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.suggest.calibration import (
    FEATURES,
    Combiner,
    fit_combiner,
    zero_shot_combiner,
)
from qualcode.suggest.hierarchy import at_level, roll_up_codes, roll_up_scores
from qualcode.suggest.learning import ACCEPTED, IMPLICIT, REJECTED, Training, nearest_decided
from qualcode.suggest.phrases import Phrase
from qualcode.suggest.scoring import PhraseIndex, blend_sentences, phrase_similarity

from .suggest_helpers import write_codebook


def unit(*rows: list[float]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def index_of_two_codes() -> PhraseIndex:
    phrases = [
        Phrase("a", "label", "a1"),
        Phrase("b", "label", "b1"),
        Phrase("a", "example", "a2"),
        Phrase("a", "example", "a3"),
    ]
    vectors = unit([1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [0, 0, 1])
    return PhraseIndex.build(["a", "b"], phrases, vectors)


def test_index_groups_phrases_by_code() -> None:
    index = index_of_two_codes()
    assert [p.text for p in index.phrases] == ["a1", "a2", "a3", "b1"]
    assert index.bounds.tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match="codes without phrases: c"):
        PhraseIndex.build(["a", "c"], [Phrase("a", "label", "x")], unit([1, 0]))


def test_top_n_mean_and_evidence() -> None:
    index = index_of_two_codes()
    text = unit([1, 0, 0])
    # similarities to a1, a2, a3 = 1.0, 0.6, 0.0: top-2 mean 0.8, top-3 mean 0.5333
    sim = phrase_similarity(index, text, top_n=2)
    assert sim.score[0].tolist() == pytest.approx([0.8, 0.0])
    assert phrase_similarity(index, text, top_n=3).score[0, 0] == pytest.approx(1.6 / 3)
    assert index.phrases[sim.evidence[0, 0]].text == "a1"
    assert sim.evidence_similarity[0, 0] == pytest.approx(1.0)


def test_soft_maximum_lies_between_mean_and_max() -> None:
    index = index_of_two_codes()
    text = unit([1, 0, 0])
    sharp = phrase_similarity(index, text, temperature=0.01).score[0, 0]
    soft = phrase_similarity(index, text, temperature=0.1).score[0, 0]
    flat = phrase_similarity(index, text, temperature=100.0).score[0, 0]
    # T * log(mean(exp(s / T))) at T = 0.1 over 1.0, 0.6, 0.0
    expected = 0.1 * np.log(np.mean(np.exp(np.array([1.0, 0.6, 0.0]) / 0.1)))
    assert soft == pytest.approx(expected, abs=1e-5)
    assert sharp == pytest.approx(1.0 + 0.01 * np.log(1 / 3), abs=1e-4)
    assert flat == pytest.approx(1.6 / 3, abs=1e-2)
    assert flat < soft < sharp


def test_blend_with_the_best_sentence() -> None:
    index = index_of_two_codes()
    whole = phrase_similarity(index, unit([0.5, 0.5, 0.7]), top_n=1)
    sentences = phrase_similarity(index, unit([0, 1, 0], [0, 0.2, 1]), top_n=1)
    blended = blend_sentences(whole, sentences, np.array([0, 0]), weight=0.5)
    best_b = max(sentences.score[:, 1])
    assert blended.score[0, 1] == pytest.approx(0.5 * whole.score[0, 1] + 0.5 * best_b)
    assert best_b == pytest.approx(1.0)
    assert index.phrases[blended.evidence[0, 1]].text == "b1"  # the closer sentence's phrase


def test_combiner_scores_lie_in_unit_interval() -> None:
    combiner = zero_shot_combiner("all-MiniLM-L6-v2")
    features = np.random.default_rng(1).normal(0, 50, size=(500, len(FEATURES)))
    scores = combiner(features.astype(np.float32))
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert combiner(np.zeros((1, len(FEATURES)), dtype=np.float32))[0] < 0.5


def test_fit_combiner_keeps_signs_and_the_prior_without_data() -> None:
    prior = Combiner((10.0, 20.0, 6.0, -6.0, 0.5), -3.0)
    assert fit_combiner(np.zeros((0, 5)), np.zeros(0), prior) == prior
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    # rejected_gain that *raises* the odds in the data: the fit may not flip its sign
    y = (x[:, 0] + x[:, 3] + rng.normal(0, 0.5, 400) > 0).astype(float)
    fitted = fit_combiner(x, y, prior)
    assert fitted.weights[3] <= 0.0
    assert fitted.weights[0] > 0.0
    assert all(w >= 0 for i, w in enumerate(fitted.weights) if i != 3)


def test_nearest_decided_leaves_the_text_itself_out() -> None:
    vectors = unit([1, 0], [0.8, 0.6], [0, 1])
    labels = np.array([[ACCEPTED, IMPLICIT], [ACCEPTED, REJECTED], [IMPLICIT, ACCEPTED]])
    training = Training(vectors, ["x", "y", "z"], labels.astype(np.int8))
    sim, row = nearest_decided(vectors, training, accepted=True, self_rows=np.arange(3))
    assert sim[0, 0] == pytest.approx(0.8) and row[0, 0] == 1  # not itself (1.0)
    assert np.isnan(sim[2, 1]) and row[2, 1] == -1  # its only accept for code 1 is itself
    rejected, _ = nearest_decided(vectors, training, accepted=False)
    assert rejected[2, 1] == pytest.approx(0.6)
    assert np.isnan(rejected[:, 0]).all()


def test_roll_up_takes_the_best_code_of_each_group(tmp_path: Path) -> None:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    codes = ["education", "housing", "friends"]
    assert at_level(codebook, "friends", 1) == "home"
    assert at_level(codebook, "friends", 0) == "friends"
    assert at_level(codebook, "friends", 5) == "friends"
    scores = np.array([[0.2, 0.7, 0.4], [0.9, 0.1, 0.3]], dtype=np.float32)
    labels, rolled = roll_up_scores(codebook, codes, scores, 1)
    assert labels == ["learning", "home"]
    np.testing.assert_allclose(rolled, [[0.2, 0.7], [0.9, 0.3]], rtol=1e-6)
    assert roll_up_codes(codebook, ["friends", "housing", "education"], 1) == ["home", "learning"]
