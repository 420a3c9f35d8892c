"""Learning from coders' decisions: accepted texts pull, rejected texts push.

Decisions enter the score three ways (combined and calibrated in `calibration`):
- nearest accepted text: a text closer to a segment accepted for a code than to
  the code's phrases gains (the accepted segment is then shown as evidence);
- nearest rejected text: the same for segments rejected for the code, which lowers;
- once a code has MIN_ACCEPTS accepts (and as many negatives), a per-code
  LogisticRegression on the embeddings (class_weight balanced) adds its logit.
Features of the decided texts themselves are computed leave-one-out (a text is
not its own neighbour) and with cross-fitted classifiers, so the calibration is
fitted on honest, held-out evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualcode.suggest.vectors import Matrix, cosine, rows

ACCEPTED = 1
REJECTED = -1  # an explicit reject (or, in cross-validation, a gold code's absence)
IMPLICIT = -2  # coded by a coder with other codes, but not this one
CHUNK = 4096  # texts per block when comparing with decided texts


@dataclass
class Training:
    """Decided texts as examples: labels[i, c] says what was decided for text i, code c."""

    vectors: Matrix  # (N, d)
    texts: list[str]
    labels: np.ndarray  # (N, C) int8: ACCEPTED, REJECTED, IMPLICIT or 0 (undecided)

    @property
    def decisions(self) -> int:
        """Decided (text, code) pairs: accepts, rejects and implicit negatives."""
        return int(np.count_nonzero(self.labels))


@dataclass(frozen=True)
class LearningConfig:
    """When a code gets a classifier, and how it is fitted."""

    min_accepts: int = 5  # accepts (and as many negatives) before a code gets a classifier
    inner_folds: int = 3  # cross-fitting folds for the decided texts' own classifier logits
    regularisation: float = 1.0  # LogisticRegression C


@dataclass
class Classifiers:
    """Per-code linear classifiers; codes without one have active False and logit 0."""

    coef: np.ndarray  # (C, d)
    intercept: np.ndarray  # (C,)
    active: np.ndarray  # (C,) bool

    def logits(self, vectors: Matrix) -> np.ndarray:
        if not self.active.any():
            return np.zeros((vectors.shape[0], len(self.active)), dtype=np.float32)
        z = np.asarray(vectors @ self.coef.T, dtype=np.float32) + self.intercept
        return np.where(self.active, z, 0.0).astype(np.float32)


def fit_classifiers(vectors: Matrix, labels: np.ndarray, config: LearningConfig) -> Classifiers:
    """A balanced logistic regression per code with enough accepts and negatives."""
    from sklearn.linear_model import LogisticRegression

    n_codes, dim = labels.shape[1], vectors.shape[1]
    coef = np.zeros((n_codes, dim), dtype=np.float32)
    intercept = np.zeros(n_codes, dtype=np.float32)
    active = np.zeros(n_codes, dtype=bool)
    for c in range(n_codes):
        column = labels[:, c]
        positive, negative = column == ACCEPTED, column < 0
        if min(positive.sum(), negative.sum()) < config.min_accepts:
            continue
        index = np.flatnonzero(positive | negative)
        model = LogisticRegression(C=config.regularisation, class_weight="balanced", max_iter=2000)
        model.fit(rows(vectors, index), positive[index])
        coef[c] = model.coef_[0]
        intercept[c] = model.intercept_[0]
        active[c] = True
    return Classifiers(coef, intercept, active)


def cross_fitted_logits(training: Training, config: LearningConfig) -> np.ndarray:
    """(N, C) classifier logits of each decided text from classifiers not fitted on it."""
    n = training.labels.shape[0]
    out = np.zeros(training.labels.shape, dtype=np.float32)
    folds = min(config.inner_folds, n)
    if folds < 2:
        return out
    assignment = np.random.default_rng(0).permutation(n) % folds
    for k in range(folds):
        held, kept = np.flatnonzero(assignment == k), np.flatnonzero(assignment != k)
        inner = fit_classifiers(rows(training.vectors, kept), training.labels[kept], config)
        out[held] = inner.logits(rows(training.vectors, held))
    return out


def nearest_decided(
    vectors: Matrix, training: Training, accepted: bool, self_rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(similarity, training row) of the closest text accepted (or rejected) for each
    code, both (n, C); NaN and -1 where the code has none. self_rows[i] >= 0 names
    text i's own training row, which is then left out."""
    labels = training.labels
    target = labels == ACCEPTED if accepted else labels == REJECTED
    n, n_codes = vectors.shape[0], labels.shape[1]
    similarity = np.full((n, n_codes), np.nan, dtype=np.float32)
    row = np.full((n, n_codes), -1, dtype=np.int64)
    decided = np.flatnonzero(target.any(axis=1))
    if n == 0 or decided.size == 0:
        return similarity, row
    decided_vectors = rows(training.vectors, decided)
    members = [np.flatnonzero(target[decided, c]) for c in range(n_codes)]
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        sims = cosine(vectors[start:stop], decided_vectors)
        if self_rows is not None:
            own = self_rows[start:stop]
            where = np.minimum(np.searchsorted(decided, own), decided.size - 1)
            hit = (own >= 0) & (decided[where] == own)
            sims[np.flatnonzero(hit), where[hit]] = -np.inf
        for c, cols in enumerate(members):
            if cols.size:
                arg = sims[:, cols].argmax(axis=1)
                best = sims[np.arange(stop - start), cols[arg]]
                found = np.isfinite(best)
                similarity[start:stop, c] = np.where(found, best, np.nan)
                row[start:stop, c] = np.where(found, decided[cols[arg]], -1)
    return similarity, row
