"""Disagreements between coders, and a supervisor's settlement of each.

A settlement is a coding event under the coder "consensus" (source
"adjudication"), so every coder's own layer stays untouched and exports can
read the consensus layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qualcode.access import (
    CONSENSUS_CODER,
    SUPERVISOR_ROLES,
    acting_as,
    check_write_coders,
    require_roles,
)
from qualcode.agreement.ratings import load_layers
from qualcode.audit import log_action
from qualcode.coding.decisions import Decision, append_decisions
from qualcode.errors import QualcodeError
from qualcode.jsonable import Jsonable
from qualcode.store import Project


@dataclass
class Disagreement(Jsonable):
    """Coders who reviewed a segment differ on whether a code applies."""

    segment_id: int
    code_id: str
    document: str
    ordinal: int
    speaker: str | None
    text: str
    decisions: dict[str, str]  # coder -> "present" | "absent"
    memos: list[dict[str, str]] = field(default_factory=list)
    settled: str | None = None  # the consensus decision, once settled


def disagreements(
    project: Project,
    coders: list[str] | None = None,
    code: str | None = None,
    sample: str | None = None,
) -> list[Disagreement]:
    """Every (segment, code) where the coders' present/absent values differ."""
    layers = load_layers(project, coders, sample)
    values = layers.values
    rated = ~np.isnan(values)
    n_rated = rated.sum(axis=0)
    present = np.nansum(values, axis=0)
    differ = (n_rated >= 2) & (present > 0) & (present < n_rated)
    seg_index, code_index = np.nonzero(differ)
    keep = [
        (int(s), int(k))
        for s, k in zip(seg_index, code_index, strict=True)
        if code is None or layers.codes[k] == code
    ]
    if not keep:
        return []
    segment_ids = sorted({int(layers.segment_ids[s]) for s, _ in keep})
    with project.connect(read_only=True) as con:
        info = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT s.id, d.title, s.ordinal, s.speaker, s.text FROM segments s "
                "JOIN documents d ON d.id = s.document_id WHERE list_contains($ids, s.id)",
                {"ids": segment_ids},
            ).fetchall()
        }
        memo_rows = con.execute(
            "SELECT segment_id, code_id, coder, memo FROM coding_events "
            "WHERE memo IS NOT NULL AND list_contains($ids, segment_id) ORDER BY id",
            {"ids": segment_ids},
        ).fetchall()
        memo_rows += [
            (int(r[0]), None, r[1], r[2])
            for r in con.execute(
                "SELECT target_id, coder, text FROM memos WHERE target_type = 'segment' "
                "AND list_contains($ids, target_id) ORDER BY id",
                {"ids": [str(s) for s in segment_ids]},
            ).fetchall()
        ]
        settled = {
            (row[0], row[1]): row[2]
            for row in con.execute(
                "SELECT segment_id, code_id, action FROM ("
                "  SELECT *, row_number() OVER (PARTITION BY segment_id, code_id "
                "  ORDER BY id DESC) AS rn FROM coding_events WHERE coder = ?"
                ") WHERE rn = 1 AND list_contains(?, segment_id)",
                [CONSENSUS_CODER, segment_ids],
            ).fetchall()
        }
    result = []
    for s, k in keep:
        segment_id = int(layers.segment_ids[s])
        code_id = layers.codes[k]
        title, ordinal, speaker, text = info[segment_id]
        decisions = {
            coder: ("present" if values[c, s, k] == 1 else "absent")
            for c, coder in enumerate(layers.coders)
            if not np.isnan(values[c, s, k])
        }
        memos = [
            {"coder": coder, "memo": memo}
            for seg, memo_code, coder, memo in memo_rows
            if seg == segment_id and memo_code in (None, code_id)
        ]
        action = settled.get((segment_id, code_id))
        result.append(
            Disagreement(
                segment_id=segment_id,
                code_id=code_id,
                document=title,
                ordinal=ordinal,
                speaker=speaker,
                text=text,
                decisions=decisions,
                memos=memos,
                settled=None
                if action is None
                else ("present" if action in ("accept", "add") else "absent"),
            )
        )
    return sorted(result, key=lambda d: (d.code_id, d.document, d.ordinal))


def settle(
    project: Project,
    segment_id: int,
    code_id: str,
    supervisor: str,
    decision: Literal["present", "absent"] | None = None,
    adopt: str | None = None,
    reason: str | None = None,
) -> int:
    """Record the consensus on one (segment, code): adopt a coder's decision, or
    decide otherwise, which needs a reason. Returns the coding event id."""
    supervisor = acting_as(project, supervisor)
    with project.connect(read_only=True) as con:
        require_roles(con, supervisor, SUPERVISOR_ROLES, "settle disagreements")
    if (decision is None) == (adopt is None):
        raise QualcodeError("settle with either a coder's decision to adopt or a decision")
    if adopt is not None:
        layers = load_layers(project, [adopt])
        where = np.nonzero(layers.segment_ids == segment_id)[0]
        if where.size == 0:
            raise QualcodeError(f"coder '{adopt}' did not review segment {segment_id}")
        if code_id not in layers.codes:
            value = 0.0
        else:
            value = layers.values[0, where[0], layers.codes.index(code_id)]
        decision = "present" if value == 1 else "absent"
        note = f"adopted {adopt}'s decision; settled by {supervisor}"
        if reason:
            note += f": {reason}"
    else:
        if decision not in ("present", "absent"):
            raise QualcodeError("decision must be 'present' or 'absent'")
        if not reason or not reason.strip():
            raise QualcodeError("deciding otherwise than a coder needs a reason")
        note = f"settled by {supervisor}: {reason.strip()}"
    action = "add" if decision == "present" else "reject"
    settlement = Decision(
        segment_id, code_id, CONSENSUS_CODER, action, source="adjudication", memo=note
    )
    with project.transaction() as con:
        check_write_coders(con, project.user, [CONSENSUS_CODER])
        event = append_decisions(con, [settlement], recorded_by=supervisor)[0]
        log_action(
            con,
            supervisor,
            "adjudication.settle",
            {"event": event, "segment": segment_id, "code": code_id, "decision": decision,
             "adopted": adopt, "reason": reason},
        )  # fmt: skip
    return event
