"""Reliability samples: a reproducible subset of segments (or documents) to double-code.

Each unit is ranked by a hash of (sample name, seed, unit id), and the first
round(fraction x stratum size) units of each stratum are taken (at least one per
non-empty stratum). The same name, seed and data always give the same sample.
Only units of coding are sampled (`qualcode.speakers.coding_unit_sql`): by default
no facilitator's turn and no transcript preamble.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from qualcode.access import recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.errors import ArgumentError, QualcodeError
from qualcode.jsonable import Jsonable
from qualcode.speakers import coding_unit_sql
from qualcode.store import Project

STRATA = ("location", "session")


@dataclass
class Sample(Jsonable):
    name: str
    unit: str
    fraction: float
    stratify: list[str]
    segments: int
    documents: int


def _rank(name: str, seed: int, unit_id: int) -> str:
    return hashlib.sha256(f"{name}\0{seed}\0{unit_id}".encode()).hexdigest()


def create_sample(
    project: Project,
    name: str,
    fraction: float,
    stratify: list[str] | None = None,
    unit: str = "segment",
    seed: int = 0,
    actor: str = "cli",
) -> Sample:
    """Pick and store a reliability sample of current documents' segments."""
    stratify = stratify or []
    if not name.strip():
        raise QualcodeError("a sample needs a name")
    if not 0 < fraction <= 1:
        raise ArgumentError("fraction", "must be greater than 0 and at most 1")
    if unit not in ("segment", "document"):
        raise ArgumentError("unit", "must be 'segment' or 'document'")
    unknown = [s for s in stratify if s not in STRATA]
    if unknown:
        raise QualcodeError(f"cannot stratify by '{unknown[0]}' (use {', '.join(STRATA)})")
    actor = recorded_as(project, actor)
    require_supervisor(project, "draw reliability samples")
    with project.transaction() as con:
        if con.execute("SELECT 1 FROM reliability_samples WHERE name = ?", [name]).fetchone():
            raise QualcodeError(f"a sample named '{name}' exists already")
        rows = con.execute(
            "SELECT s.id, s.document_id, c.location, c.session FROM segments s "
            "JOIN current_documents d ON d.id = s.document_id "
            f"LEFT JOIN cases c ON c.id = d.case_id WHERE {coding_unit_sql(con)} ORDER BY s.id"
        ).fetchall()
        if not rows:
            raise QualcodeError("the project has no segments to sample")
        strata: dict[tuple, dict[int, list[int]]] = {}
        for segment_id, document_id, location, session in rows:
            key = tuple({"location": location, "session": session}[s] for s in stratify)
            unit_id = segment_id if unit == "segment" else document_id
            strata.setdefault(key, {}).setdefault(unit_id, []).append(segment_id)
        chosen: list[int] = []
        for units in strata.values():
            ranked = sorted(units, key=lambda u: _rank(name, seed, u))
            take = max(1, round(fraction * len(ranked)))
            for unit_id in ranked[:take]:
                chosen.extend(units[unit_id])
        con.execute(
            "INSERT INTO reliability_samples (name, unit, fraction, stratify, seed, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [name, unit, fraction, ",".join(stratify), seed, actor],
        )
        con.execute(
            "INSERT INTO reliability_sample_segments SELECT ?, unnest(?::INTEGER[])",
            [name, sorted(chosen)],
        )
        documents = len({r[1] for r in rows if r[0] in set(chosen)})
        sample = Sample(name, unit, fraction, stratify, len(chosen), documents)
        log_action(con, actor, "sample.create", sample.__dict__)
    return sample


def sample_segment_ids(project: Project, name: str) -> list[int]:
    """The segments of a reliability sample, in id order."""
    with project.connect(read_only=True) as con:
        if not con.execute("SELECT 1 FROM reliability_samples WHERE name = ?", [name]).fetchone():
            raise QualcodeError(f"no reliability sample named '{name}'")
        return [
            r[0]
            for r in con.execute(
                "SELECT segment_id FROM reliability_sample_segments WHERE sample = ? "
                "ORDER BY segment_id",
                [name],
            ).fetchall()
        ]
