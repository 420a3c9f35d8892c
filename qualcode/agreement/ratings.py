"""Coders' decisions on a project as a coders x segments x codes array.

The unit is the segment. For a code, a coder's value on a segment is 1 (the coder
applied the code, to the whole segment or a span anchored in it), 0 (the coder
reviewed the segment and did not apply the code) or NaN (the coder never
reviewed the segment: missing, not absent). A coder reviewed a segment when they
made any decision on it or marked it reviewed.

Only units of coding count (`qualcode.speakers.coding_unit_sql`): under the default
settings a facilitator's turn or a transcript's preamble is not a unit, so a decision
on one is left out, and changing a speaker's role or a setting moves its segments in
or out.

The suggestion model can take part as the coder "model": it has reviewed every
segment of the latest suggestion run, and applies a code when its calibrated
score is at least 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from qualcode.access import (
    CONSENSUS_CODER,
    MODEL_CODER,
    SUPERVISOR_ROLES,
    check_read_coder,
    require_roles,
)
from qualcode.errors import NextStep, QualcodeError
from qualcode.speakers import coding_unit_sql
from qualcode.store import Project

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


def _columns(con: duckdb.DuckDBPyConnection, sql: str, params: Any) -> dict[str, np.ndarray]:
    """A query's columns as numpy arrays (strings as object arrays)."""
    return {name: np.asarray(col) for name, col in con.execute(sql, params).fetchnumpy().items()}


def _units_filter(con: duckdb.DuckDBPyConnection) -> str:
    """SQL: ` AND segment_id` is a unit of coding under the project's settings."""
    return f" AND segment_id IN (SELECT s.id FROM segments s WHERE {coding_unit_sql(con)})"


def _model_columns(
    con: duckdb.DuckDBPyConnection, sample: str | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    run = con.execute("SELECT max(run_id) FROM suggestions").fetchone()[0]
    if run is None:
        raise QualcodeError("the model has no suggestions yet", next_step=NextStep.SUGGEST)
    in_sample = (_SAMPLE_FILTER if sample else "") + _units_filter(con)
    params = {"run": run, "threshold": MODEL_THRESHOLD, "model": MODEL_CODER}
    if sample:
        params["sample"] = sample
    reviewed = _columns(
        con,
        "SELECT DISTINCT segment_id, $model AS coder FROM suggestions "
        f"WHERE run_id = $run{in_sample}",
        {k: v for k, v in params.items() if k != "threshold"},
    )
    coded = _columns(
        con,
        "SELECT DISTINCT segment_id, code_id, $model AS coder FROM suggestions "
        f"WHERE run_id = $run AND score >= $threshold{in_sample}",
        params,
    )
    return reviewed, coded


_SAMPLE_FILTER = (
    " AND segment_id IN (SELECT segment_id FROM reliability_sample_segments WHERE sample = $sample)"
)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def load_layers(
    project: Project, coders: list[str] | None = None, sample: str | None = None
) -> Layers:
    """The decisions of `coders` (default: every human coder) on reviewed segments.

    With `sample`, only the segments of that reliability sample count. A project
    bound to a coder reads that coder's own layer only (`qualcode.access`).
    """
    with project.connect(read_only=True) as con:
        if not coders and project.user is not None:
            require_roles(con, project.user, SUPERVISOR_ROLES, "compare coders' decisions")
        chosen = list(coders) if coders else human_coders(con)
        for coder in chosen:
            check_read_coder(con, project.user, coder)
        if len(set(chosen)) != len(chosen):
            raise QualcodeError("a coder is named twice")
        if (
            sample is not None
            and not con.execute(
                "SELECT 1 FROM reliability_samples WHERE name = ?", [sample]
            ).fetchone()
        ):
            raise QualcodeError(f"no reliability sample named '{sample}'")
        in_sample = (_SAMPLE_FILTER if sample else "") + _units_filter(con)
        params: dict[str, Any] = {"coders": [c for c in chosen if c != MODEL_CODER]}
        if sample:
            params["sample"] = sample
        reviewed = [
            _columns(
                con,
                "SELECT DISTINCT segment_id, coder FROM (SELECT segment_id, coder "
                "FROM coding_events UNION ALL SELECT segment_id, coder FROM segment_reviews) "
                f"WHERE list_contains($coders, coder){in_sample}",
                params,
            )
        ]
        coded = [
            _columns(
                con,
                "SELECT DISTINCT segment_id, code_id, coder FROM codings "
                f"WHERE list_contains($coders, coder){in_sample}",
                params,
            )
        ]
        if MODEL_CODER in chosen:
            model_reviewed, model_coded = _model_columns(con, sample)
            reviewed.append(model_reviewed)
            coded.append(model_coded)
        codable = [
            r[0]
            for r in con.execute(
                "SELECT id FROM codes WHERE codable AND NOT retired AND codebook_version = "
                "(SELECT max(version) FROM codebook_versions) ORDER BY ordinal"
            ).fetchall()
        ]
        seen = _concat(reviewed)
        applied = _concat(coded)
        segment_ids = np.unique(seen["segment_id"].astype(np.int64))
        context = con.execute(
            "SELECT s.id, s.document_id, c.location, c.session FROM segments s "
            "JOIN documents d ON d.id = s.document_id LEFT JOIN cases c ON c.id = d.case_id "
            "WHERE list_contains($ids, s.id) ORDER BY s.id",
            {"ids": segment_ids.tolist()},
        ).fetchall()
    present_coders = set(seen["coder"].tolist())
    missing = [c for c in chosen if c not in present_coders]
    if missing:
        raise QualcodeError(f"coder '{missing[0]}' has no decisions to compare")
    codes = codable + sorted(set(applied["code_id"].tolist()) - set(codable))
    coder_index = {c: i for i, c in enumerate(chosen)}
    code_index = {k: i for i, k in enumerate(codes)}
    values = np.full((len(chosen), len(segment_ids), len(codes)), np.nan)
    seg = np.searchsorted(segment_ids, seen["segment_id"].astype(np.int64))
    values[_lookup(seen["coder"], coder_index), seg, :] = 0.0
    if applied["segment_id"].size:
        seg = np.searchsorted(segment_ids, applied["segment_id"].astype(np.int64))
        who = _lookup(applied["coder"], coder_index)
        values[who, seg, _lookup(applied["code_id"], code_index)] = 1.0
    return Layers(
        coders=chosen,
        segment_ids=segment_ids,
        codes=codes,
        values=values,
        documents=np.array([r[1] for r in context], dtype=np.int64),
        locations=[r[2] for r in context],
        sessions=[r[3] for r in context],
    )


def _lookup(labels: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Positions of string labels, mapping each distinct label once."""
    distinct, inverse = np.unique(labels.astype(str), return_inverse=True)
    return np.array([index[label] for label in distinct], dtype=np.int64)[inverse]
