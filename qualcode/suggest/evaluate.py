"""Measured quality: score a gold file against a codebook, zero-shot or learned.

Nothing here reads or writes a project: the gold texts are embedded in memory
and scored against the codebook given. Zero-shot uses the codebook alone; with
`cv` folds, each held-out fold is scored by a model that learned from the other
folds' gold labels as accepted decisions (and their absence as rejected ones),
the way the engine learns from coders. Metrics are defined in `metrics`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qualcode.codebook.model import Codebook
from qualcode.codebook.versions import current_codebook
from qualcode.codebook_files import read_codebook_file
from qualcode.errors import ArgumentError, NextStep, QualcodeError
from qualcode.fileio import OWNER_ONLY, spreadsheet_text, write_atomic
from qualcode.store import Project
from qualcode.suggest.cache import Progress, embed
from qualcode.suggest.calibration import THRESHOLD
from qualcode.suggest.config import DEFAULT_MODEL, configured_model
from qualcode.suggest.embedder import Embedder, load_embedder
from qualcode.suggest.gold import GoldRow, read_gold
from qualcode.suggest.hierarchy import at_level, roll_up_codes, roll_up_scores
from qualcode.suggest.learning import ACCEPTED, REJECTED, LearningConfig, Training
from qualcode.suggest.metrics import compute_metrics, ranked
from qualcode.suggest.model import CodeModel, ScoringConfig, TextVectors
from qualcode.suggest.phrases import Phrase, code_phrases
from qualcode.suggest.text import sentence_rows
from qualcode.suggest.vectors import Matrix, rows

SEED = 0
TOP_IN_PREDICTIONS = 5


@dataclass
class GoldVectors:
    """A gold file's texts and a codebook's phrases, embedded once."""

    rows: list[GoldRow]
    codebook: Codebook
    codes: list[str]  # codable codes, in codebook order
    phrases: list[Phrase]
    phrase_vectors: Matrix
    texts: TextVectors
    model_name: str


def embed_gold(
    rows_: Sequence[GoldRow],
    codebook: Codebook,
    embedder: Embedder,
    progress: Progress | None = None,
) -> GoldVectors:
    """Embed gold texts, their sentences and the codebook's phrases in one pass."""
    texts = [row.text for row in rows_]
    phrases = code_phrases(codebook)
    sentences, owners = sentence_rows(texts)
    everything = [p.text for p in phrases] + texts + sentences
    vectors = embed(embedder, everything, project=None, progress=progress).vectors
    n_phrases, n_texts = len(phrases), len(texts)
    text_vectors = TextVectors(
        vectors[n_phrases : n_phrases + n_texts],
        vectors[n_phrases + n_texts :],
        np.asarray(owners, dtype=np.int64),
    )
    return GoldVectors(
        list(rows_),
        codebook,
        [c.id for c in codebook.codable()],
        phrases,
        vectors[:n_phrases],
        text_vectors,
        embedder.name,
    )


def zero_shot_scores(gold: GoldVectors, scoring: ScoringConfig | None = None) -> np.ndarray:
    """(n, C) calibrated scores from the codebook alone."""
    model = CodeModel.build(
        gold.model_name, gold.codes, gold.phrases, gold.phrase_vectors, scoring=scoring
    )
    return model.score(gold.texts).probability


def training_labels(gold: GoldVectors, index: np.ndarray) -> np.ndarray:
    """(len(index), C) labels: a gold code is accepted, every other code rejected
    (codes under a gold group label stay undecided)."""
    column = {code: c for c, code in enumerate(gold.codes)}
    labels = np.full((len(index), len(gold.codes)), REJECTED, dtype=np.int8)
    for r, i in enumerate(index):
        for code in gold.rows[i].codes:
            if code in column:
                labels[r, column[code]] = ACCEPTED
            else:
                for c, other in enumerate(gold.codes):
                    if code in gold.codebook.ancestors(other):
                        labels[r, c] = 0
    return labels


def cv_folds(gold: GoldVectors, k: int, seed: int = SEED) -> list[np.ndarray]:
    """Held-out indices of k folds, stratified on each text's first gold code when
    every stratum has k texts (rarer codes are stratified by their top-level group)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(gold.rows)
    if not 2 <= k <= n:
        raise ArgumentError("k", f"needs between 2 and {n} folds for {n} gold rows")
    first = [row.codes[0] if row.codes else "" for row in gold.rows]
    counts = Counter(first)
    strata = [c if counts[c] >= k or not c else at_level(gold.codebook, c, 1) for c in first]
    counts = Counter(strata)
    strata = [s if counts[s] >= k else "(rare)" for s in strata]
    counts = Counter(strata)
    indices = np.arange(n)
    if min(counts.values()) >= k:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return [test for _, test in splitter.split(indices, strata)]
    return [test for _, test in KFold(n_splits=k, shuffle=True, random_state=seed).split(indices)]


def cross_validated_scores(
    gold: GoldVectors,
    k: int,
    scoring: ScoringConfig | None = None,
    learning: LearningConfig | None = None,
    seed: int = SEED,
) -> np.ndarray:
    """(n, C) scores of each text by a model that learned from the other folds."""
    scores = np.zeros((len(gold.rows), len(gold.codes)), dtype=np.float32)
    all_index = np.arange(len(gold.rows))
    for test in cv_folds(gold, k, seed):
        train = np.setdiff1d(all_index, test)
        training = Training(
            rows(gold.texts.vectors, train),
            [gold.rows[i].text for i in train],
            training_labels(gold, train),
        )
        model = CodeModel.build(
            gold.model_name,
            gold.codes,
            gold.phrases,
            gold.phrase_vectors,
            training=training,
            scoring=scoring,
            learning=learning,
        )
        scores[test] = model.score(gold.texts.subset(test)).probability
    return scores


def predictions_csv(
    rows_: Sequence[GoldRow], labels: Sequence[str], scores: np.ndarray, threshold: float
) -> str:
    """CSV text: id, predicted (labels at or above threshold), top (top-5 as id:score)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "predicted", "top"])
    order = ranked(scores)
    for i, row in enumerate(rows_):
        best = order[i, :TOP_IN_PREDICTIONS]
        predicted = [labels[j] for j in order[i] if scores[i, j] >= threshold]
        top = ";".join(f"{labels[j]}:{scores[i, j]:.3f}" for j in best)
        writer.writerow([spreadsheet_text(row.id), ";".join(predicted), top])
    return out.getvalue()


def report(
    gold: GoldVectors, scores: np.ndarray, level: int, mode: str, threshold: float = THRESHOLD
) -> tuple[dict[str, Any], list[str], np.ndarray]:
    """The evaluation JSON for code scores at a level, and the rolled-up labels and scores."""
    labels, rolled = roll_up_scores(gold.codebook, gold.codes, scores, level)
    truth = [roll_up_codes(gold.codebook, row.codes, level) for row in gold.rows]
    metrics = asdict(compute_metrics(labels, rolled, truth, threshold))
    payload = {"n": metrics.pop("n"), "mode": mode, "model": gold.model_name}
    payload.update(metrics)
    payload["level"] = level
    payload["threshold"] = threshold
    return payload, labels, rolled


def evaluate_gold(
    gold_path: str | Path,
    codebook: Codebook,
    embedder: Embedder,
    level: int = 0,
    cv: int = 0,
    predictions: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate a gold CSV (zero-shot, or learned with cv folds); optionally write
    per-row predictions. Returns the `qualcode evaluate --json` object."""
    gold_rows = read_gold(gold_path, codebook)
    if cv and not 2 <= cv <= len(gold_rows):  # before embedding: a caller's cv, not cv_folds' k
        n = len(gold_rows)
        raise ArgumentError("cv", f"needs between 2 and {n} folds for {n} gold rows")
    gold = embed_gold(gold_rows, codebook, embedder, progress)
    if cv:
        scores = cross_validated_scores(gold, cv)
        mode = "learned"
    else:
        scores = zero_shot_scores(gold)
        mode = "zero-shot"
    payload, labels, rolled = report(gold, scores, level, mode)
    if predictions is not None:
        text = predictions_csv(gold.rows, labels, rolled, THRESHOLD)
        write_atomic(predictions, text.encode("utf-8"), mode=OWNER_ONLY)
    return payload


def evaluate(
    gold_path: str | Path,
    codebook_path: str | Path | None = None,
    project: Project | None = None,
    level: int = 0,
    cv: int = 0,
    predictions: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`qualcode evaluate`: against a codebook file (no project needed, default model)
    or the project's current codebook and configured model; the project's data is
    only read."""
    if level < 0:
        raise ArgumentError("level", "must be 0 (codes) or more")
    if cv == 1 or cv < 0:
        raise ArgumentError("cv", "needs at least 2 folds (or 0 for zero-shot)")
    if codebook_path is not None:
        codebook, _ = read_codebook_file(codebook_path)
        spec = DEFAULT_MODEL
    elif project is not None:
        codebook = current_codebook(project)
        if codebook is None:
            raise QualcodeError("no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK)
        spec = configured_model(project)
    else:
        raise ArgumentError("codebook_path", "or a project with a codebook is needed")
    return evaluate_gold(
        gold_path,
        codebook,
        load_embedder(spec),
        level=level,
        cv=cv,
        predictions=predictions,
        progress=progress,
    )
