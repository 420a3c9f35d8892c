"""Illustrative quotes for a theme or code: the researcher's pinned ones, or by default
the highest-agreement ones.

Default choice, per theme or code: segments of the chosen layer coded with one of
its codes, facilitators' words left out, ordered by how many coders (the consensus
layer is not a coder) applied one of its codes to the segment, then by length
closest to 25 words, then by document and position, one quote per speaker turn (the
turn's other segments coded with the target are marked in it too). Pinned quotes (at
most three) replace the default choice entirely, in the researcher's order. Each quote
is shown in the project's `quote_context` (`qualcode.themes.context`): by default the
whole turn with the coded segments marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb

from qualcode.access import recorded_as
from qualcode.agreement.ratings import CONSENSUS_CODER
from qualcode.audit import log_action
from qualcode.coding.layers import Layer, resolve_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE, check_template
from qualcode.themes.context import add_context, quote_context
from qualcode.themes.matrix import SEGMENT_COLUMNS, Excerpt
from qualcode.themes.people import facilitator_sql
from qualcode.themes.targets import TARGETS_SQL, Target, read_targets, target_params

MAX_QUOTES = 3
TARGET_WORDS = 25
TargetType = Literal["theme", "code"]


@dataclass
class Quote(Excerpt):
    """A quote with its attribution and where it comes from."""

    coders: int  # coders who applied a code of the theme or code to this segment
    pinned: bool


_AGREEMENT = f"""
agreement AS (
    SELECT t.kind, t.target, k.segment_id, count(DISTINCT k.coder) AS coders
    FROM {{applied}} k JOIN targets t ON t.code_id = k.code_id
    WHERE k.coder <> '{CONSENSUS_CODER}'
    GROUP BY ALL
)"""


def _quote_rows(source: str, documents: str, more: str = "") -> str:
    """SQL: the rows `_quote` reads, of the segments in `source` h (kind, target,
    segment_id) whose document is in `documents`, with their coder agreement (and the
    `more` columns)."""
    return f"""
SELECT h.kind, h.target, {SEGMENT_COLUMNS}, coalesce(a.coders, 0) AS n_coders{more}
FROM {source} h
JOIN segments s ON s.id = h.segment_id
JOIN {documents} d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id
LEFT JOIN agreement a
    ON a.kind = h.kind AND a.target = h.target AND a.segment_id = h.segment_id"""


_TURN_COLUMNS = f""",
    list(s.id) OVER (PARTITION BY h.kind, h.target, s.document_id, s.turn) AS turn_hits,
    abs(len(regexp_split_to_array(trim(s.text), '\\s+')) - {TARGET_WORDS}) AS off_target"""
_DEFAULT_SQL = f"""
WITH targets AS ({TARGETS_SQL}),
hits AS (
    SELECT DISTINCT t.kind, t.target, k.segment_id
    FROM {{applied}} k JOIN targets t ON t.code_id = k.code_id WHERE {{layer}}
),{_AGREEMENT},
best_in_turn AS ({_quote_rows("hits", "current_documents", _TURN_COLUMNS)}
WHERE NOT {facilitator_sql()}
QUALIFY row_number() OVER (
    PARTITION BY h.kind, h.target, s.document_id, s.turn
    ORDER BY n_coders DESC, off_target, s.ordinal, s.id
) = 1
)
SELECT * EXCLUDE (off_target) FROM best_in_turn
QUALIFY row_number() OVER (
    PARTITION BY kind, target ORDER BY n_coders DESC, off_target, document_id, ordinal, id
) <= $n
"""

_PINNED_SQL = f"""
WITH targets AS ({TARGETS_SQL}),{_AGREEMENT},
pinned AS (
    SELECT target_type AS kind, target_id AS target, segment_id, position FROM pinned_quotes
){_quote_rows("pinned", "documents")}
ORDER BY h.kind, h.target, h.position
"""


def _quote(row: tuple, template: str, pinned: bool) -> Quote:
    """A quote from a row of `_quote_rows` (after kind and target), with the turn's other
    coded segments (`turn_hits`) when the row has them."""
    if pinned:
        *segment, coders = row
        return Quote.from_row(segment, template, coders=coders, pinned=True)
    *segment, coders, hits = row
    return Quote.from_row(
        segment, template, coders=coders, pinned=False, coded_ids=tuple(sorted(hits))
    )


def quotes_with(
    con: duckdb.DuckDBPyConnection,
    layer: Layer,
    targets: list[Target],
    n: int = MAX_QUOTES,
    template: str = DEFAULT_TEMPLATE,
    context: str | None = None,
) -> dict[tuple[str, str], list[Quote]]:
    """Quotes per (kind, id) of targets: pinned ones where any, else the default choice;
    each in its `context` (None: the project's `quote_context` setting)."""
    if not 1 <= n <= MAX_QUOTES:
        raise QualcodeError(f"between 1 and {MAX_QUOTES} quotes per theme")
    check_template(template)
    context = quote_context(con, context)
    if not targets:
        return {}
    params = target_params(targets)
    wanted = {(t.kind, t.id) for t in targets}
    found: dict[tuple[str, str], list[Quote]] = {key: [] for key in wanted}
    pinned = set()
    applied = applied_sql(con)
    for row in con.execute(_PINNED_SQL.format(applied=applied), params).fetchall():
        key = (row[0], row[1])
        if key in wanted:
            found[key].append(_quote(row[2:], template, pinned=True))
            pinned.add(key)
    condition, layer_params = layer.predicate("k.coder")
    rows = con.execute(
        _DEFAULT_SQL.format(layer=condition, applied=applied), {**params, **layer_params, "n": n}
    ).fetchall()
    for row in rows:
        key = (row[0], row[1])
        if key not in pinned:
            found[key].append(_quote(row[2:], template, pinned=False))
    add_context(con, [q for quotes in found.values() for q in quotes], context)
    return found


def illustrative_quotes(
    project: Project,
    target_type: TargetType,
    target_id: str | int,
    layer: str | Layer = "consensus",
    n: int = MAX_QUOTES,
    template: str = DEFAULT_TEMPLATE,
    context: str | None = None,
) -> list[Quote]:
    """The quotes a theme or code shows in the theme table, each in its `context` (None:
    the project's `quote_context` setting)."""
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        target = _target(con, target_type, target_id)
        return quotes_with(con, chosen, [target], n, template, context)[(target.kind, target.id)]


def _target(con: duckdb.DuckDBPyConnection, target_type: str, target_id: str | int) -> Target:
    if target_type not in ("theme", "code"):
        raise QualcodeError("quotes are pinned to a 'theme' or a 'code'")
    for target in read_targets(con, themes=target_type == "theme", codes=target_type == "code"):
        if target.id == str(target_id).strip():
            return target
    raise QualcodeError(f"no {target_type} '{target_id}'")


def _who(project: Project, actor: str, doing: str) -> str:
    """Who pins or unpins (the bound person, if any); refused when nobody is named."""
    actor = recorded_as(project, actor)
    if not actor or not actor.strip():
        raise QualcodeError(f"{doing} a quote needs who did it")
    return actor.strip()


def pin_quote(
    project: Project, target_type: TargetType, target_id: str | int, segment_id: int, actor: str
) -> int:
    """Pin a segment as an illustrative quote of a theme or code; return its position.

    The segment must be coded (by some coder) with one of the target's codes.
    """
    actor = _who(project, actor, "pinning")
    with project.transaction() as con:
        target = _target(con, target_type, target_id)
        coded = con.execute(
            "SELECT 1 FROM codings WHERE segment_id = ? AND list_contains(?, code_id) LIMIT 1",
            [segment_id, list(target.codes)],
        ).fetchone()
        if not coded:
            raise QualcodeError(
                f"segment {segment_id} is not coded with a code of {target_type} '{target.label}'"
            )
        pinned = [
            row[0]
            for row in con.execute(
                "SELECT segment_id FROM pinned_quotes WHERE target_type = ? AND target_id = ? "
                "ORDER BY position",
                [target.kind, target.id],
            ).fetchall()
        ]
        if segment_id in pinned:
            raise QualcodeError(f"segment {segment_id} is already pinned to '{target.label}'")
        if len(pinned) >= MAX_QUOTES:
            raise QualcodeError(f"'{target.label}' already has {MAX_QUOTES} pinned quotes")
        position = len(pinned) + 1
        con.execute(
            "INSERT INTO pinned_quotes (target_type, target_id, segment_id, position, pinned_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [target.kind, target.id, segment_id, position, actor],
        )
        log_action(
            con,
            actor,
            "quote.pin",
            {
                "target_type": target.kind,
                "target_id": target.id,
                "segment_id": segment_id,
                "position": position,
            },
        )
        return position


def unpin_quote(
    project: Project, target_type: TargetType, target_id: str | int, segment_id: int, actor: str
) -> None:
    """Unpin a quote; the ones after it move up."""
    actor = _who(project, actor, "unpinning")
    with project.transaction() as con:
        target = _target(con, target_type, target_id)
        row = con.execute(
            "SELECT position FROM pinned_quotes WHERE target_type = ? AND target_id = ? "
            "AND segment_id = ?",
            [target.kind, target.id, segment_id],
        ).fetchone()
        if row is None:
            raise QualcodeError(f"segment {segment_id} is not pinned to '{target.label}'")
        con.execute(
            "DELETE FROM pinned_quotes WHERE target_type = ? AND target_id = ? AND segment_id = ?",
            [target.kind, target.id, segment_id],
        )
        con.execute(
            "UPDATE pinned_quotes SET position = position - 1 WHERE target_type = ? "
            "AND target_id = ? AND position > ?",
            [target.kind, target.id, row[0]],
        )
        log_action(
            con,
            actor,
            "quote.unpin",
            {"target_type": target.kind, "target_id": target.id, "segment_id": segment_id},
        )
