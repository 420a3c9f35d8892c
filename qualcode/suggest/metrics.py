"""Evaluation arithmetic: ranking and multi-label metrics of scores against gold.

Definitions (labels are codes, or groups after a roll-up):
- top1_accuracy: among texts with at least one gold label, the share whose
  highest-scored label is one of its gold labels (ties: codebook order).
- hit_at_3: among the same texts, the share with a gold label among the 3
  highest-scored labels.
- predicted labels of a text: those scored at or above the threshold.
- per label precision, recall, F1 and support (texts with the gold label), by
  sklearn.metrics over the binary present/absent columns.
- micro_f1: F1 over all (text, label) decisions pooled.
- macro_f1: the unweighted mean of per-label F1 over labels with support > 0.
- cohen_kappa_per_code: Cohen's kappa of predicted vs gold presence per label;
  None when undefined (both columns constant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Metrics:
    n: int
    top1_accuracy: float
    hit_at_3: float
    micro_f1: float
    macro_f1: float
    per_code: dict[str, dict[str, float | int]]
    cohen_kappa_per_code: dict[str, float | None]


def indicator(labels: Sequence[str], sets: Sequence[Sequence[str]]) -> np.ndarray:
    """(n, L) 0/1 matrix of which labels each text has."""
    column = {label: j for j, label in enumerate(labels)}
    out = np.zeros((len(sets), len(labels)), dtype=np.int8)
    for i, chosen in enumerate(sets):
        for label in chosen:
            if label in column:
                out[i, column[label]] = 1
    return out


def ranked(scores: np.ndarray) -> np.ndarray:
    """Label indices per text, best first (stable: ties keep label order)."""
    return np.argsort(-scores, axis=1, kind="stable")


def _kappa(truth: np.ndarray, predicted: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(np.unique(np.r_[truth, predicted])) < 2:
        return None
    value = cohen_kappa_score(truth, predicted)
    return None if np.isnan(value) else float(value)


def compute_metrics(
    labels: Sequence[str], scores: np.ndarray, gold: Sequence[Sequence[str]], threshold: float
) -> Metrics:
    """All metrics of scores (n, L) for labels against gold label lists (see module doc)."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    truth = indicator(labels, gold)
    predicted = (scores >= threshold).astype(np.int8)
    order = ranked(scores)
    has_gold = truth.sum(axis=1) > 0
    rows = np.flatnonzero(has_gold)
    top1 = truth[rows, order[rows, 0]] if rows.size else np.zeros(0)
    top3 = truth[rows[:, None], order[rows, :3]].max(axis=1) if rows.size else np.zeros(0)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0
    )
    with_support = support > 0
    per_code = {
        label: {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "support": int(support[j]),
        }
        for j, label in enumerate(labels)
    }
    return Metrics(
        n=len(gold),
        top1_accuracy=float(top1.mean()) if rows.size else 0.0,
        hit_at_3=float(top3.mean()) if rows.size else 0.0,
        micro_f1=float(f1_score(truth, predicted, average="micro", zero_division=0)),
        macro_f1=float(f1[with_support].mean()) if with_support.any() else 0.0,
        per_code=per_code,
        cohen_kappa_per_code={
            label: _kappa(truth[:, j], predicted[:, j]) for j, label in enumerate(labels)
        },
    )
