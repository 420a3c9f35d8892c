"""`qualcode suggest`: score every current segment against the codebook and store
the top suggestions with their evidence.

Suggestions are derived data: a run replaces the previous set for its codebook
version and model, and never touches coding_events. Connections are short:
one read, then embedding (cache reads and writes in their own short
transactions), scoring in memory, and one write transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from qualcode.codebook.versions import codebook_at
from qualcode.errors import ArgumentError, NextStep, QualcodeError
from qualcode.store import Project
from qualcode.suggest.cache import Progress, embed
from qualcode.suggest.config import configured_model
from qualcode.suggest.decisions import read_decisions
from qualcode.suggest.embedder import Embedder, EmbedderUnavailable, TfidfEmbedder, load_embedder
from qualcode.suggest.learning import Training
from qualcode.suggest.model import CodeModel, Scores, TextVectors
from qualcode.suggest.phrases import Phrase, code_phrases
from qualcode.suggest.text import sentence_rows

DEFAULT_TOP_K = 5


@dataclass
class SuggestReport:
    """What a suggest run did."""

    segments: int
    suggestions: int
    model: str
    embedded: int
    cached: int
    seconds: float
    codebook_version: int
    decisions: int
    fallback_reason: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def to_json(self) -> dict[str, Any]:
        """The `qualcode suggest --json` object (exactly these keys)."""
        return {
            "segments": self.segments,
            "suggestions": self.suggestions,
            "model": self.model,
            "embedded": self.embedded,
            "cached": self.cached,
            "seconds": round(self.seconds, 3),
        }


def top_suggestions(
    scores: Scores, top_k: int, min_score: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text index, code index, rank) of each text's top_k codes scoring >= min_score."""
    probability = scores.probability
    n, n_codes = probability.shape
    k = min(top_k, n_codes)
    if n == 0 or k == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    best = np.argpartition(-probability, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(probability, best, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(best, order, axis=1)
    text = np.repeat(np.arange(n), k)
    code = best.ravel()
    rank = np.tile(np.arange(1, k + 1), n)
    keep = probability[text, code] >= min_score
    return text[keep], code[keep], rank[keep]


def _read_inputs(project: Project) -> tuple[Any, list[int], list[str], Any]:
    with project.connect(read_only=True) as con:
        codebook = codebook_at(con)
        if codebook is None:
            raise QualcodeError("no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK)
        segments = con.execute(
            "SELECT s.id, s.text FROM segments s "
            "JOIN current_documents d ON d.id = s.document_id ORDER BY s.id"
        ).fetchall()
        decisions = read_decisions(con, [c.id for c in codebook.codable()])
    return codebook, [r[0] for r in segments], [r[1] for r in segments], decisions


def _store(
    project: Project,
    report: SuggestReport,
    top_k: int,
    min_score: float,
    segment_ids: list[int],
    scores: Scores,
    picked: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    text, code, rank = picked
    # evidence indices point into the phrases, then into the accepted texts
    sources = [*scores.phrases, *(Phrase("", "accepted", t) for t in scores.accepted_texts)]
    evidence_text = np.array([p.text for p in sources], dtype=object)
    evidence_kind = np.array([p.kind for p in sources], dtype=object)
    chosen = scores.evidence[text, code]
    table = pa.table(
        {
            "segment_id": pa.array(np.asarray(segment_ids, dtype=np.int32)[text]),
            "code_id": pa.array([scores.codes[c] for c in code], pa.string()),
            "score": pa.array(scores.probability[text, code].astype(np.float64)),
            "rank": pa.array(rank.astype(np.int32)),
            "evidence": pa.array(evidence_text[chosen], pa.string()),
            "evidence_kind": pa.array(evidence_kind[chosen], pa.string()),
            "similarity": pa.array(scores.evidence_similarity[text, code].astype(np.float64)),
        }
    )
    with project.transaction() as con:
        con.execute(
            "DELETE FROM suggestions WHERE codebook_version = ? AND model = ?",
            [report.codebook_version, report.model],
        )
        run_id = con.execute(
            "INSERT INTO suggestion_runs (model, codebook_version, segments, suggestions, "
            "top_k, min_score, decisions) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                report.model,
                report.codebook_version,
                report.segments,
                report.suggestions,
                top_k,
                min_score,
                report.decisions,
            ],
        ).fetchone()[0]
        con.register("new_suggestions", table)
        con.execute(
            "INSERT INTO suggestions (run_id, segment_id, code_id, codebook_version, model, "
            "score, rank, evidence, evidence_kind, similarity) "
            "SELECT ?, segment_id, code_id, ?, ?, score, rank, evidence, evidence_kind, "
            "similarity FROM new_suggestions",
            [run_id, report.codebook_version, report.model],
        )
        con.unregister("new_suggestions")


def suggest(
    project: Project,
    top_k: int = DEFAULT_TOP_K,
    min_score: float = 0.0,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> SuggestReport:
    """Suggest codes for every segment of the current documents and store them.

    Learns from all coders' decisions so far. The embedding model is the
    project's configured one (loaded only if something is not cached yet); when
    it cannot be loaded, TF-IDF is used and the report says so.
    """
    if top_k < 1:
        raise ArgumentError("top_k", "must be at least 1")
    if not 0.0 <= min_score <= 1.0:
        raise ArgumentError("min_score", "must be between 0 and 1")
    started = time.perf_counter()
    timings: dict[str, float] = {}
    codebook, segment_ids, segment_texts, decisions = _read_inputs(project)
    timings["read"] = time.perf_counter() - started
    phrases = code_phrases(codebook)
    sentences, owners = sentence_rows(segment_texts)
    everything = [p.text for p in phrases] + segment_texts + sentences + decisions.texts
    embedder = embedder or load_embedder(configured_model(project), lazy=True)
    try:
        embedded = embed(embedder, everything, project, progress)
    except EmbedderUnavailable as exc:
        embedder = TfidfEmbedder(reason=str(exc))
        embedded = embed(embedder, everything, project, progress)
    timings["embed"] = time.perf_counter() - started - timings["read"]
    vectors = embedded.vectors
    bounds = np.cumsum([0, len(phrases), len(segment_texts), len(sentences)])
    codes = [c.id for c in codebook.codable()]
    training = Training(vectors[bounds[3] :], decisions.texts, decisions.labels)
    model = CodeModel.build(
        embedder.name,
        codes,
        phrases,
        vectors[: bounds[1]],
        training=training if len(decisions.texts) else None,
    )
    texts = TextVectors(
        vectors[bounds[1] : bounds[2]],
        vectors[bounds[2] : bounds[3]],
        np.asarray(owners, dtype=np.int64),
    )
    row_of = {segment_id: row for row, segment_id in enumerate(decisions.segment_ids)}
    self_rows = np.array([row_of.get(s, -1) for s in segment_ids], dtype=np.int64)
    scores = model.score(texts, self_rows)
    picked = top_suggestions(scores, top_k, min_score)
    timings["score"] = time.perf_counter() - started - timings["read"] - timings["embed"]
    report = SuggestReport(
        segments=len(segment_ids),
        suggestions=int(len(picked[0])),
        model=embedder.name,
        embedded=embedded.embedded,
        cached=embedded.cached,
        seconds=0.0,
        codebook_version=int(codebook.version),
        decisions=decisions.count,
        fallback_reason=getattr(embedder, "reason", ""),
        timings=timings,
    )
    _store(project, report, top_k, min_score, segment_ids, scores, picked)
    report.seconds = time.perf_counter() - started
    timings["store"] = report.seconds - sum(timings.values())
    return report
