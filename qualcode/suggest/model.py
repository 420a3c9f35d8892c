"""The code model: phrase similarity, learning from decisions and calibration,
combined into one calibrated score per text and code, with its evidence.

Used the same way by `suggest` (over a project's segments) and by `evaluate`
(over a gold file), so what is measured is what coders get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qualcode.suggest.calibration import (
    FEATURES,
    Combiner,
    fit_combiner,
    zero_shot_combiner,
)
from qualcode.suggest.learning import (
    ACCEPTED,
    Classifiers,
    LearningConfig,
    Training,
    cross_fitted_logits,
    fit_classifiers,
    nearest_decided,
)
from qualcode.suggest.phrases import Phrase
from qualcode.suggest.scoring import PhraseIndex, Similarity, blend_sentences, phrase_similarity
from qualcode.suggest.vectors import Matrix, rows

CHUNK = 4096  # texts scored per block, to bound memory on large projects


@dataclass(frozen=True)
class ScoringConfig:
    """How phrase similarities are pooled, and the best-sentence blend weight."""

    temperature: float = 0.1  # soft maximum over a code's phrases; 0 = mean of the top_n
    top_n: int = 3
    sentence_weight: float = 0.3


@dataclass
class TextVectors:
    """Vectors of texts, and of the sentences of those with several (owners: text index)."""

    vectors: Matrix
    sentence_vectors: Matrix | None = None
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def subset(self, index: np.ndarray) -> TextVectors:
        """The given texts (in that order) with their sentences, owners renumbered."""
        index = np.asarray(index, dtype=np.int64)
        if self.sentence_vectors is None or len(self.owners) == 0:
            return TextVectors(rows(self.vectors, index))
        position = np.full(len(self), -1, dtype=np.int64)
        position[index] = np.arange(len(index))
        new_owner = position[self.owners]
        keep = np.flatnonzero(new_owner >= 0)
        keep = keep[np.argsort(new_owner[keep], kind="stable")]
        return TextVectors(
            rows(self.vectors, index), rows(self.sentence_vectors, keep), new_owner[keep]
        )


@dataclass
class Scores:
    """Calibrated scores in [0, 1] per text and code, and the phrase behind each."""

    codes: list[str]
    probability: np.ndarray  # (n, C) float32
    similarity: np.ndarray  # (n, C) float32, pooled phrase similarity
    evidence: np.ndarray  # (n, C): index into phrases, or len(phrases) + accepted text row
    evidence_similarity: np.ndarray  # (n, C) cosine similarity to the evidence
    phrases: list[Phrase]
    accepted_texts: list[str] = field(default_factory=list)

    def evidence_of(self, text: int, code: int) -> Phrase:
        """The phrase (or accepted segment) this text matched best for this code."""
        index = int(self.evidence[text, code])
        if index < len(self.phrases):
            return self.phrases[index]
        return Phrase(self.codes[code], "accepted", self.accepted_texts[index - len(self.phrases)])


@dataclass
class CodeModel:
    """Everything needed to score texts against a codebook's codable codes."""

    model_name: str
    codes: list[str]
    index: PhraseIndex
    scoring: ScoringConfig
    combiner: Combiner
    training: Training | None = None
    classifiers: Classifiers | None = None
    held_out_logits: np.ndarray | None = None  # (N training, C): cross-fitted, for self-scoring

    @classmethod
    def build(
        cls,
        model_name: str,
        codes: Sequence[str],
        phrases: Sequence[Phrase],
        phrase_vectors: Matrix,
        training: Training | None = None,
        scoring: ScoringConfig | None = None,
        learning: LearningConfig | None = None,
        combiner: Combiner | None = None,
    ) -> CodeModel:
        """A model from code phrases and, optionally, coders' decisions.

        With decisions, per-code classifiers are fitted and the combiner is refitted
        on the decided pairs' held-out features (leave-one-out neighbours,
        cross-fitted classifier logits).
        """
        model = cls(
            model_name=model_name,
            codes=list(codes),
            index=PhraseIndex.build(list(codes), list(phrases), phrase_vectors),
            scoring=scoring or ScoringConfig(),
            combiner=combiner or zero_shot_combiner(model_name),
        )
        if training is None or not training.decisions:
            return model
        learning = learning or LearningConfig()
        model.training = training
        held_out = cross_fitted_logits(training, learning)
        n = training.labels.shape[0]
        features, _, _ = model._features(TextVectors(training.vectors), np.arange(n), held_out)
        decided = training.labels != 0
        model.combiner = fit_combiner(
            features[decided], training.labels[decided] == ACCEPTED, model.combiner
        )
        model.classifiers = fit_classifiers(training.vectors, training.labels, learning)
        model.held_out_logits = held_out
        return model

    def similarity(self, texts: TextVectors) -> Similarity:
        """Pooled phrase similarity, blended with the best sentence's."""
        top_n, temperature = self.scoring.top_n, self.scoring.temperature
        result = phrase_similarity(self.index, texts.vectors, top_n, temperature)
        if texts.sentence_vectors is not None and len(texts.owners):
            by_sentence = phrase_similarity(self.index, texts.sentence_vectors, top_n, temperature)
            weight = self.scoring.sentence_weight
            result = blend_sentences(result, by_sentence, texts.owners, weight)
        return result

    def _features(
        self,
        texts: TextVectors,
        self_rows: np.ndarray | None = None,
        logits: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Similarity, np.ndarray]:
        """(features (n, C, F), similarity, nearest accepted training row (n, C))."""
        sim = self.similarity(texts)
        s = sim.score
        n, n_codes = s.shape
        out = np.zeros((n, n_codes, len(FEATURES)), dtype=np.float32)
        out[..., 0] = s
        out[..., 1] = s - s.max(axis=1, keepdims=True) if n_codes else 0
        nearest_row = np.full((n, n_codes), -1, dtype=np.int64)
        if self.training is not None:
            accepted, nearest_row = nearest_decided(texts.vectors, self.training, True, self_rows)
            rejected, _ = nearest_decided(texts.vectors, self.training, False, self_rows)
            out[..., 2] = np.nan_to_num(np.maximum(accepted - s, 0), nan=0.0)
            out[..., 3] = np.nan_to_num(np.maximum(rejected - s, 0), nan=0.0)
            if logits is None and self.classifiers is not None:
                logits = self.classifiers.logits(texts.vectors)
            if logits is not None:
                out[..., 4] = logits
            gain = np.nan_to_num(accepted, nan=-np.inf) > sim.evidence_similarity
            sim.evidence = np.where(gain, len(self.index.phrases) + nearest_row, sim.evidence)
            sim.evidence_similarity = np.where(gain, accepted, sim.evidence_similarity)
        return out, sim, nearest_row

    def score(self, texts: TextVectors, self_rows: np.ndarray | None = None) -> Scores:
        """Calibrated scores of texts, with the evidence for each (in blocks of CHUNK).

        self_rows[i] >= 0 says text i is training row self_rows[i] (a segment some
        coder decided): it is then scored as if held out, without its own decisions
        (no nearest-neighbour match with itself, cross-fitted classifier logits), so a
        segment's score never reflects what another coder decided on it.
        """
        n, n_codes = len(texts), len(self.codes)
        probability = np.zeros((n, n_codes), dtype=np.float32)
        similarity = np.zeros((n, n_codes), dtype=np.float32)
        evidence = np.zeros((n, n_codes), dtype=np.int64)
        evidence_similarity = np.zeros((n, n_codes), dtype=np.float32)
        for start in range(0, n, CHUNK):
            block = slice(start, min(n, start + CHUNK))
            part = texts.subset(np.arange(block.start, block.stop)) if n > CHUNK else texts
            own = None if self_rows is None else self_rows[block]
            logits = None
            if own is not None and self.classifiers is not None and (own >= 0).any():
                logits = self.classifiers.logits(part.vectors)
                mine = own >= 0
                logits[mine] = self.held_out_logits[own[mine]]
            features, sim, _ = self._features(part, own, logits)
            probability[block] = np.clip(self.combiner(features), 0.0, 1.0)
            similarity[block] = sim.score
            evidence[block] = sim.evidence
            evidence_similarity[block] = sim.evidence_similarity
        accepted = self.training.texts if self.training is not None else []
        return Scores(
            self.codes,
            probability,
            similarity,
            evidence,
            evidence_similarity,
            self.index.phrases,
            list(accepted),
        )
