"""Calibrated scores: a logistic combination of the evidence for a code.

Per text and code the evidence is five features:
- similarity: pooled similarity to the code's phrases;
- margin: similarity minus the text's best similarity to any code (texts carry
  one or two codes, so how a code compares with the others matters most);
- accepted_gain: how much closer the text is to a text accepted for the code
  than to the code's phrases (0 before any accept);
- rejected_gain: the same for texts rejected for the code (pushes down);
- classifier: the logit of the code's own classifier (0 until it has one).

score = sigmoid(intercept + weights . features), in [0, 1]. Zero-shot, the
weights are fixed constants fitted on the CSF-POF gold file; with decisions
they are refitted (Platt scaling, a MAP fit that shrinks toward the zero-shot
weights, so a handful of decisions cannot overturn them, with signs fixed so
accepts only ever pull and rejects only ever push). Positives weigh
POSITIVE_WEIGHT times negatives in every fit: a score of 0.5 means odds of 1:2
that the code applies, the point where a missed code (which a coder must find
unaided) costs twice a wrong suggestion (one click to reject). THRESHOLD is
that 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from qualcode.suggest.config import DEFAULT_MODEL, FALLBACK_MODEL

FEATURES = ("similarity", "margin", "accepted_gain", "rejected_gain", "classifier")
THRESHOLD = 0.5  # a score at or above this is a predicted code
POSITIVE_WEIGHT = 2.0
PRIOR_STRENGTH = 1.0  # L2 pull toward the zero-shot weights (in units of one decision)
# Allowed signs per feature: similarity, margin, accepted_gain and classifier only raise
# a score, rejected_gain only lowers it.
_BOUNDS = [(0.0, None), (0.0, None), (0.0, None), (None, 0.0), (0.0, None)]


class Scored(Protocol):
    score: float


S = TypeVar("S", bound=Scored)


def is_predicted(score: float) -> bool:
    """Whether a calibrated score predicts the code: at or above THRESHOLD."""
    return bool(score >= THRESHOLD)


def primary_suggestion(suggestions: Sequence[S]) -> S | None:
    """The suggestion one key press may accept: the best scored, when it reaches the
    threshold; None otherwise. Below the threshold the model itself predicts the code
    does not apply, so such a suggestion is accepted only by choosing it."""
    best = max(suggestions, key=lambda s: s.score, default=None)
    return best if best is not None and is_predicted(best.score) else None


@dataclass(frozen=True)
class Combiner:
    """score = sigmoid(intercept + weights . features)."""

    weights: tuple[float, ...]
    intercept: float

    def logit(self, features: np.ndarray) -> np.ndarray:
        """features: (..., len(FEATURES)) -> logits (...)."""
        return features @ np.asarray(self.weights, dtype=np.float32) + np.float32(self.intercept)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        z = np.clip(self.logit(features), -50.0, 50.0)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


# Zero-shot constants: similarity, margin and intercept fitted (POSITIVE_WEIGHT-weighted
# logistic regression) on tests/data/gold_csf_pof.csv, per model; the
# accepted/rejected/classifier weights are priors that decisions refit.
_ZERO_SHOT = {
    DEFAULT_MODEL: Combiner((10.05, 21.86, 6.0, -6.0, 0.5), -2.85),
    FALLBACK_MODEL: Combiner((49.35, 27.57, 6.0, -6.0, 0.5), -2.30),
}


def zero_shot_combiner(model: str) -> Combiner:
    """The fixed combiner for a model (the default model's for models not measured)."""
    return _ZERO_SHOT.get(model, _ZERO_SHOT[DEFAULT_MODEL])


def fit_combiner(
    features: np.ndarray,
    labels: np.ndarray,
    prior: Combiner,
    strength: float = PRIOR_STRENGTH,
) -> Combiner:
    """Refit a combiner on decided (text, code) pairs: features (N, F), labels (N,) 0/1.

    Minimises the POSITIVE_WEIGHT-weighted log loss plus strength * |theta - prior|^2,
    with the sign bounds above; the prior alone comes back when there is no data.
    """
    from scipy.optimize import minimize

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if len(y) == 0 or y.min() == y.max():
        return prior
    sample = np.where(y > 0, POSITIVE_WEIGHT, 1.0)
    theta0 = np.r_[np.asarray(prior.weights, dtype=np.float64), prior.intercept]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        # log(1 + exp(-z)) for positives, log(1 + exp(z)) for negatives, stably
        signed = np.where(y > 0, -z, z)
        value = np.sum(sample * np.logaddexp(0.0, signed))
        p = 1.0 / (1.0 + np.exp(-z))
        residual = sample * (p - y)
        grad = np.r_[x.T @ residual, residual.sum()]
        diff = theta - theta0
        return value + strength * diff @ diff, grad + 2 * strength * diff

    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=[*_BOUNDS, (None, None)])
    theta = result.x
    return Combiner(tuple(float(w) for w in theta[:-1]), float(theta[-1]))
