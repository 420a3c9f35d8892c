"""Zero-shot similarity of texts to codes, with the phrase that explains it.

A text's similarity to a code pools its cosine similarities to the code's
phrases: a soft maximum, T * log(mean(exp(sim / T))), which lies between the
best phrase (T -> 0) and the mean over all phrases (large T, like one averaged
prototype); or the plain mean of the top-n. On the CSF-POF gold file the soft
maximum with T = 0.1 ranked best (top-3 mean was within noise). For a text of
several sentences the pooled score is blended with the best single sentence's,
so one on-topic sentence in a long turn counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qualcode.suggest.phrases import Phrase
from qualcode.suggest.vectors import Matrix, cosine, rows


@dataclass
class PhraseIndex:
    """Phrases grouped by code: code c owns rows bounds[c]:bounds[c + 1]."""

    codes: list[str]
    phrases: list[Phrase]
    vectors: Matrix
    bounds: np.ndarray

    @classmethod
    def build(cls, codes: Sequence[str], phrases: Sequence[Phrase], vectors: Matrix) -> PhraseIndex:
        """Index phrases (with their vectors, row for row) of the given codes.

        Every code needs at least one phrase; phrases of other codes are dropped.
        """
        position = {code: i for i, code in enumerate(codes)}
        keep = [i for i, p in enumerate(phrases) if p.code_id in position]
        order = sorted(keep, key=lambda i: (position[phrases[i].code_id], i))
        counts = np.bincount([position[phrases[i].code_id] for i in order], minlength=len(codes))
        missing = [codes[c] for c in np.flatnonzero(counts == 0)]
        if missing:
            raise ValueError(f"codes without phrases: {', '.join(missing)}")
        bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(list(codes), [phrases[i] for i in order], rows(vectors, order), bounds)


@dataclass
class Similarity:
    """Per text and code: the similarity score, and the best-matching phrase."""

    score: np.ndarray  # (n, C) float32
    evidence: np.ndarray  # (n, C) int64, index into PhraseIndex.phrases
    evidence_similarity: np.ndarray  # (n, C) float32


def phrase_similarity(
    index: PhraseIndex, vectors: Matrix, top_n: int = 3, temperature: float = 0.0
) -> Similarity:
    """Pooled phrase similarity per text and code, and the best phrase.

    temperature > 0: soft maximum over all the code's phrases; else top_n mean.
    """
    sims = cosine(vectors, index.vectors)
    n, n_codes = sims.shape[0], len(index.codes)
    score = np.empty((n, n_codes), dtype=np.float32)
    evidence = np.empty((n, n_codes), dtype=np.int64)
    best = np.empty((n, n_codes), dtype=np.float32)
    for c in range(n_codes):
        lo, hi = int(index.bounds[c]), int(index.bounds[c + 1])
        block = sims[:, lo:hi]
        arg = block.argmax(axis=1)
        peak = block[np.arange(n), arg]
        if temperature > 0:
            spread = np.exp((block - peak[:, None]) / temperature).mean(axis=1)
            score[:, c] = peak + temperature * np.log(spread)
        else:
            k = min(top_n, hi - lo)
            top = np.partition(block, hi - lo - k, axis=1)[:, hi - lo - k :]
            score[:, c] = top.mean(axis=1)
        evidence[:, c] = lo + arg
        best[:, c] = peak
    return Similarity(score, evidence, best)


def blend_sentences(
    whole: Similarity, sentences: Similarity, owners: np.ndarray, weight: float
) -> Similarity:
    """Blend each text's score with its best sentence's: (1 - w) whole + w best.

    owners[i] is the text sentence i belongs to (non-decreasing); texts without
    sentence rows keep their whole-text score. Evidence follows the closer match.
    """
    if len(owners) == 0 or weight == 0:
        return whole
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    texts = owners[starts]
    best_sentence = np.maximum.reduceat(sentences.score, starts, axis=0)
    score = whole.score.copy()
    score[texts] = (1 - weight) * whole.score[texts] + weight * best_sentence
    evidence = whole.evidence.copy()
    evidence_similarity = whole.evidence_similarity.copy()
    top_sim = np.maximum.reduceat(sentences.evidence_similarity, starts, axis=0)
    for j, text in enumerate(texts):
        lo = starts[j]
        hi = starts[j + 1] if j + 1 < len(starts) else len(owners)
        better = top_sim[j] > evidence_similarity[text]
        if better.any():
            which = lo + sentences.evidence_similarity[lo:hi].argmax(axis=0)
            cols = np.flatnonzero(better)
            evidence[text, cols] = sentences.evidence[which[cols], cols]
            evidence_similarity[text, cols] = top_sim[j, cols]
    return Similarity(score, evidence, evidence_similarity)
