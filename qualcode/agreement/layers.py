"""Coders' decisions on a project as a coders x segments x codes array.

The unit is the segment. For a code, a coder's value on a segment is 1 (the coder
applied the code, to the whole segment or a span anchored in it), 0 (the coder
reviewed the segment and did not apply the code) or NaN (the coder never
reviewed the segment: missing, not absent). A coder reviewed a segment when they
made any decision on it or marked it reviewed.

The suggestion model can take part as the coder "model": it has reviewed every
segment of the latest suggestion run, and applies a code when its calibrated
score is at least 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from qualcode.errors import QualcodeError
from qualcode.store import Project

MODEL_CODER = "model"
CONSENSUS_CODER = "consensus"
MODEL_THRESHOLD = 0.5


@dataclass
class Layers:
    """values[c, s, k]: coder c's value for code k on segment s (1, 0 or NaN)."""

    coders: list[str]
    segment_ids: np.ndarray  # int64, sorted
    codes: list[str]
    values: np.ndarray  # float64, coders x segments x codes
    documents: np.ndarray  # per segment: document id
    locations: list[str | None]  # per segment
    sessions: list[str | None]  # per segment


def human_coders(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every coder with a decision or review, except the consensus layer."""
    found = con.execute(
        "SELECT DISTINCT coder FROM (SELECT coder FROM coding_events UNION ALL "
        "SELECT coder FROM segment_reviews) WHERE coder <> ? ORDER BY coder",
        [CONSENSUS_CODER],
    ).fetchall()
    return [row[0] for row in found]


def _model_pairs(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:
    run = con.execute("SELECT max(run_id) FROM suggestions").fetchone()[0]
    if run is None:
        raise QualcodeError("the model has no suggestions yet (run 'qualcode suggest' first)")
    reviewed = con.execute(
        "SELECT DISTINCT segment_id, ? FROM suggestions WHERE run_id = ?", [MODEL_CODER, run]
    ).fetchall()
    coded = con.execute(
        "SELECT DISTINCT segment_id, code_id, ? FROM suggestions WHERE run_id = ? AND score >= ?",
        [MODEL_CODER, run, MODEL_THRESHOLD],
    ).fetchall()
    return reviewed, coded


def load_layers(
    project: Project, coders: list[str] | None = None, sample: str | None = None
) -> Layers:
    """The decisions of `coders` (default: every human coder) on reviewed segments.

    With `sample`, only the segments of that reliability sample count.
    """
    with project.connect(read_only=True) as con:
        chosen = list(coders) if coders else human_coders(con)
        if len(set(chosen)) != len(chosen):
            raise QualcodeError("a coder is named twice")
        if (
            sample is not None
            and not con.execute(
                "SELECT 1 FROM reliability_samples WHERE name = ?", [sample]
            ).fetchone()
        ):
            raise QualcodeError(f"no reliability sample named '{sample}'")
        sample_filter = (
            " AND segment_id IN (SELECT segment_id FROM reliability_sample_segments "
            "WHERE sample = $sample)"
            if sample
            else ""
        )
        people = [c for c in chosen if c != MODEL_CODER]
        params: dict = {"coders": people}
        if sample:
            params["sample"] = sample
        reviewed = con.execute(
            "SELECT DISTINCT segment_id, coder FROM (SELECT segment_id, coder FROM coding_events "
            "UNION ALL SELECT segment_id, coder FROM segment_reviews) "
            f"WHERE list_contains($coders, coder){sample_filter}",
            params,
        ).fetchall()
        coded = con.execute(
            "SELECT DISTINCT segment_id, code_id, coder FROM codings "
            f"WHERE list_contains($coders, coder){sample_filter}",
            params,
        ).fetchall()
        if MODEL_CODER in chosen:
            model_reviewed, model_coded = _model_pairs(con)
            if sample:
                members = {
                    r[0]
                    for r in con.execute(
                        "SELECT segment_id FROM reliability_sample_segments WHERE sample = ?",
                        [sample],
                    ).fetchall()
                }
                model_reviewed = [r for r in model_reviewed if r[0] in members]
                model_coded = [r for r in model_coded if r[0] in members]
            reviewed += model_reviewed
            coded += model_coded
        codable = [
            r[0]
            for r in con.execute(
                "SELECT id FROM codes WHERE codable AND NOT retired AND codebook_version = "
                "(SELECT max(version) FROM codebook_versions) ORDER BY ordinal"
            ).fetchall()
        ]
        segment_ids = np.array(sorted({r[0] for r in reviewed}), dtype=np.int64)
        context = con.execute(
            "SELECT s.id, s.document_id, c.location, c.session FROM segments s "
            "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
            "WHERE list_contains($ids, s.id) ORDER BY s.id",
            {"ids": segment_ids.tolist()},
        ).fetchall()
    missing = [c for c in chosen if c not in {r[1] for r in reviewed}]
    if missing:
        raise QualcodeError(f"coder '{missing[0]}' has no decisions to compare")
    codes = codable + sorted({r[1] for r in coded} - set(codable))
    coder_index = {c: i for i, c in enumerate(chosen)}
    code_index = {k: i for i, k in enumerate(codes)}
    values = np.full((len(chosen), len(segment_ids), len(codes)), np.nan)
    if reviewed:
        seg = np.searchsorted(segment_ids, np.fromiter((r[0] for r in reviewed), np.int64))
        who = np.fromiter((coder_index[r[1]] for r in reviewed), np.int64)
        values[who, seg, :] = 0.0
    if coded:
        seg = np.searchsorted(segment_ids, np.fromiter((r[0] for r in coded), np.int64))
        what = np.fromiter((code_index[r[1]] for r in coded), np.int64)
        who = np.fromiter((coder_index[r[2]] for r in coded), np.int64)
        values[who, seg, what] = 1.0
    return Layers(
        coders=chosen,
        segment_ids=segment_ids,
        codes=codes,
        values=values,
        documents=np.array([r[1] for r in context], dtype=np.int64),
        locations=[r[2] for r in context],
        sessions=[r[3] for r in context],
    )
