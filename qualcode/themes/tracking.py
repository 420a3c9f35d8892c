"""Themes and codes across locations and sessions: coded segments, participants, documents.

One grouped DuckDB query over a layer's current codings answers every theme and
code at once, per location x session, per location and overall (grouping sets, so
distinct counts are exact at every level rather than summed). Each segment's codes
are a bit mask (from the per-coder masks kept with the coding state, see `state`),
so a theme is one mask test per segment rather than a join of its codes.
Participants are distinct (location, speaker) pairs without facilitators (see
`people`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import duckdb

from qualcode.coding.layers import Layer, resolve_layer
from qualcode.coding.state import (
    MASK_BITS,
    fold_events,
    mask_bits,
    positions,
    state_sql,
)
from qualcode.jsonable import Jsonable
from qualcode.store import Project
from qualcode.themes.ordering import natural_key
from qualcode.themes.people import participant_key_sql, participant_sql
from qualcode.themes.targets import Target, read_targets

Scope = Literal["cell", "location", "total"]


@dataclass
class TrackRow(Jsonable):
    """Counts for one theme or code in one location x session (scope 'cell'), one
    location across its sessions ('location') or the whole project ('total')."""

    kind: str
    id: str
    label: str
    scope: Scope
    location: str | None
    session: str | None
    segments: int
    participants: int
    documents: int


@dataclass
class Tracking:
    """Every theme's and code's counts in a layer, and the project's denominators."""

    layer: str
    rows: list[TrackRow]
    targets: list[Target]
    cases: list[tuple[str | None, str | None]]  # (location, session) pairs with documents
    participants_total: int  # N: distinct participants in the project's current documents
    documents_total: int
    _index: dict[tuple, TrackRow] = field(default_factory=dict, repr=False)

    def get(
        self,
        kind: str,
        target_id: str,
        scope: Scope = "total",
        location: str | None = None,
        session: str | None = None,
    ) -> TrackRow:
        """One row; zeros when the target has no coding there."""
        if not self._index:
            self._index = {(r.kind, r.id, r.scope, r.location, r.session): r for r in self.rows}
        found = self._index.get((kind, str(target_id), scope, location, session))
        if found is not None:
            return found
        label = next((t.label for t in self.targets if t.kind == kind and t.id == target_id), "")
        return TrackRow(kind, str(target_id), label, scope, location, session, 0, 0, 0)


_STATE_MASKS = """
code_bits AS (
    SELECT unnest($codes::VARCHAR[]) AS code_id,
           generate_subscripts($codes::VARCHAR[], 1) - 1 AS bit
),
masks AS (
    SELECT e.segment_id, {segment_mask} AS mask
    FROM {state} e JOIN code_bits b ON b.code_id = e.code_id
    WHERE e.applied AND {layer}
    GROUP BY e.segment_id
)"""
"""Each segment's codes in the layer as a mask, from the decision state (any freshness)."""

_STORED_MASKS = """
masks AS (
    SELECT segment_id, bit_or(mask) AS mask FROM segment_masks
    WHERE {layer} GROUP BY segment_id
)"""
"""The same from the per-(coder, segment) masks kept with an up-to-date state."""

_COUNTS = """
people AS (
    SELECT s.id AS segment_id, s.document_id,
           CASE WHEN {participant}
                THEN dense_rank() OVER (ORDER BY c.location, trim(s.speaker)) END AS person
    FROM segments s JOIN current_documents d ON d.id = s.document_id
    LEFT JOIN cases c ON c.id = d.case_id
),
fine AS (
    SELECT p.document_id, p.person, m.mask, count(*) AS n
    FROM masks m JOIN people p ON p.segment_id = m.segment_id
    GROUP BY ALL
),
per_person AS (
    SELECT document_id, person, {target_sums} FROM fine GROUP BY document_id, person
),
hits AS (
    SELECT CAST(substr(target, 2) AS INTEGER) AS target, document_id, person, n
    FROM (UNPIVOT per_person ON {target_columns} INTO NAME target VALUE n)
)
SELECT h.target, c.location, c.session, GROUPING(c.location, c.session) AS level,
       sum(h.n)::BIGINT, count(DISTINCT h.person), count(DISTINCT h.document_id)
FROM hits h JOIN documents d ON d.id = h.document_id LEFT JOIN cases c ON c.id = d.case_id
GROUP BY GROUPING SETS ((h.target, c.location, c.session), (h.target, c.location), (h.target))
"""
"""Segments, participants and documents per target. Segments sharing a document,
participant and mask are grouped; per (document, participant) each target sums the
segments whose mask overlaps its own (one filtered sum per target, unpivoted)."""

_LEVELS: dict[int, Scope] = {0: "cell", 1: "location", 3: "total"}


def _mask_sql(bit_sets: list[set[int]], n_bits: int, wide: bool) -> tuple[str, list[str]]:
    """SQL for a segment's codes as a bit mask, and per target a condition that the
    mask overlaps the target's (bit i stands for code i). Up to 128 codes a mask is
    one 128-bit integer; beyond (or when `wide`), a bit string."""
    if n_bits <= MASK_BITS and not wide:
        masks = [sum(1 << bit for bit in bits) for bits in bit_sets]
        return (
            "bit_or((1::UHUGEINT) << b.bit::UHUGEINT)",
            [f"(mask & {mask}::UHUGEINT) <> 0" for mask in masks],
        )
    strings = ["".join("1" if i in bits else "0" for i in range(n_bits)) for bits in bit_sets]
    return (
        f"bitstring_agg(b.bit, 0, {n_bits - 1})",
        [f"bit_count(mask & '{text}'::BIT) > 0" for text in strings],
    )


def _counts_sql(overlaps: list[str]) -> str:
    sums = ", ".join(f"sum(n) FILTER (WHERE {test}) AS t{i}" for i, test in enumerate(overlaps))
    columns = ", ".join(f"t{i}" for i in range(len(overlaps)))
    return _COUNTS.format(participant=participant_sql(), target_sums=sums, target_columns=columns)


def project_cases(con: duckdb.DuckDBPyConnection) -> tuple[int, int, list[tuple]]:
    """(participants, documents, the (location, session) pairs with documents) in the
    project's current documents; pairs naturally sorted."""
    participants, documents, pairs = con.execute(
        f"SELECT count(DISTINCT {participant_key_sql()}), count(DISTINCT d.id), "
        "list(DISTINCT struct_pack(location := c.location, session := c.session)) "
        "FROM current_documents d JOIN segments s ON s.document_id = d.id "
        "LEFT JOIN cases c ON c.id = d.case_id"
    ).fetchone()
    cases = sorted(
        {(p["location"], p["session"]) for p in pairs or []},
        key=lambda r: (natural_key(r[0]), natural_key(r[1])),
    )
    return participants, documents, cases


def denominators(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(participants, documents) in the project's current documents."""
    participants, documents, _ = project_cases(con)
    return participants, documents


def track_with(
    con: duckdb.DuckDBPyConnection,
    layer: Layer,
    targets: list[Target],
    stored: bool = True,
    wide: bool = False,
) -> list[TrackRow]:
    """The grouped counts for targets in a layer, on an open connection (one query).

    Each segment's codes in the layer become a bit mask; a segment counts for a target
    when its mask overlaps the target's. The masks come from `segment_masks` when the
    state is up to date (and `stored`), else from the decision state; `wide` forces
    bit strings. Tests use both switches: every path gives the same rows.
    """
    if not targets:
        return []
    fast = mask_bits(con) if stored and not wide else None
    params: dict[str, object]
    if fast is not None:
        condition, params = layer.predicate("coder")
        bit_sets = [{fast[c] for c in t.codes if c in fast} for t in targets]
        _, overlaps = _mask_sql(bit_sets, MASK_BITS, wide=False)
        head = _STORED_MASKS.format(layer=condition)
    else:
        codes = list(dict.fromkeys(code for t in targets for code in t.codes))
        bits = {code: i for i, code in enumerate(codes)}
        condition, params = layer.predicate("e.coder")
        params = {**params, "codes": codes}
        bit_sets = [{bits[c] for c in t.codes} for t in targets]
        segment_mask, overlaps = _mask_sql(bit_sets, len(codes), wide)
        head = _STATE_MASKS.format(state=state_sql(con), layer=condition, segment_mask=segment_mask)
    found = con.execute(f"WITH {head},{_counts_sql(overlaps)}", params).fetchall()
    rows = [
        TrackRow(
            targets[index].kind,
            targets[index].id,
            targets[index].label,
            _LEVELS[level],
            None if level == 3 else location,
            None if level != 0 else session,
            segments,
            participants,
            documents,
        )
        for index, location, session, level, segments, participants, documents in found
    ]
    counted = {(r.kind, r.id) for r in rows if r.scope == "total"}
    rows += [
        TrackRow(t.kind, t.id, t.label, "total", None, None, 0, 0, 0)
        for t in targets
        if (t.kind, t.id) not in counted
    ]
    order = {(t.kind, t.id): i for i, t in enumerate(targets)}
    scope_order = {"total": 0, "location": 1, "cell": 2}
    rows.sort(
        key=lambda r: (
            order[(r.kind, r.id)],
            scope_order[r.scope],
            natural_key(r.location),
            natural_key(r.session),
        )
    )
    return rows


def tracking_with(
    con: duckdb.DuckDBPyConnection,
    layer: str | Layer,
    user: str | None,
    themes: bool = True,
    codes: bool = True,
) -> Tracking:
    """`track` on an open connection, for `user` (None: the file's holder)."""
    chosen = resolve_layer(con, layer, user)
    targets = read_targets(con, themes=themes, codes=codes)
    rows = track_with(con, chosen, targets)
    participants, documents, cases = project_cases(con)
    return Tracking(chosen.name, rows, targets, cases, participants, documents)


def track(
    project: Project,
    layer: str | Layer = "consensus",
    themes: bool = True,
    codes: bool = True,
    refresh: bool = True,
) -> Tracking:
    """Coded segments, distinct participants and documents per theme and code, by
    location x session, per location and overall, from one layer.

    With `refresh`, coding events newer than the stored coding state are first
    folded into it (a short write); without, they are merged in the query. The
    counts are the same either way.
    """
    with project.connect(read_only=True) as con:
        upto, top = positions(con)
        if not refresh or top == upto:
            return tracking_with(con, layer, project.user, themes, codes)
    with project.transaction() as con:  # fold, then read in the same short transaction
        fold_events(con)
        return tracking_with(con, layer, project.user, themes, codes)
