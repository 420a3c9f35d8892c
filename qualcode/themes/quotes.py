"""Illustrative quotes for a theme or code: the researcher's pinned ones, or by default
the highest-agreement ones.

Default choice, per theme or code: segments of the chosen layer coded with one of
its codes, facilitators' words left out, ordered by how many coders (the consensus
layer is not a coder) applied one of its codes to the segment, then by length
closest to 25 words, then by document and position. Pinned quotes (at most three)
replace the default choice entirely, in the researcher's order.

Pins belong to the layer they were pinned on, as matrix summaries do: the theme
table of a layer shows that layer's pins only. A pin is checked against that layer
(the segment must be coded there with one of the target's codes), and a coder pins
on their own layer only (`access.check_write_layer`), so pinning can never tell a
coder what another coder coded: a segment someone else coded is refused with the
very words a segment nobody coded is. Likewise the coder counts behind the default
order, and on each quote, count only the coders whose decisions the reader may
read (`access.readable_coder`): for a coder, themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb

from qualcode.access import check_write_layer, readable_coder, recorded_as
from qualcode.agreement.ratings import CONSENSUS_CODER
from qualcode.audit import log_action
from qualcode.coding.layers import Layer, parse_layer, resolve_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE, check_template
from qualcode.themes.matrix import SEGMENT_COLUMNS, Excerpt
from qualcode.themes.people import facilitator_sql
from qualcode.themes.targets import TARGETS_SQL, Target, read_targets, target_params

MAX_QUOTES = 3
TARGET_WORDS = 25
TargetType = Literal["theme", "code"]


@dataclass
class Quote(Excerpt):
    """A quote with its attribution and where it comes from."""

    coders: int  # coders the reader may read who applied a code of the target to it
    pinned: bool


_AGREEMENT = f"""
agreement AS (
    SELECT t.kind, t.target, k.segment_id, count(DISTINCT k.coder) AS coders
    FROM {{applied}} k JOIN targets t ON t.code_id = k.code_id
    WHERE k.coder <> '{CONSENSUS_CODER}' AND ($any_coder OR k.coder = $reader)
    GROUP BY ALL
)"""


def _quote_rows(source: str, documents: str) -> str:
    """SQL: the rows `_quote` reads, of the segments in `source` h (kind, target,
    segment_id) whose document is in `documents`, with their coder agreement."""
    return f"""
SELECT h.kind, h.target, {SEGMENT_COLUMNS}, coalesce(a.coders, 0) AS n_coders
FROM {source} h
JOIN segments s ON s.id = h.segment_id
JOIN {documents} d ON d.id = s.document_id
LEFT JOIN cases c ON c.id = d.case_id
LEFT JOIN agreement a
    ON a.kind = h.kind AND a.target = h.target AND a.segment_id = h.segment_id"""


_DEFAULT_SQL = f"""
WITH targets AS ({TARGETS_SQL}),
hits AS (
    SELECT DISTINCT t.kind, t.target, k.segment_id
    FROM {{applied}} k JOIN targets t ON t.code_id = k.code_id WHERE {{layer}}
),{_AGREEMENT}{_quote_rows("hits", "current_documents")}
WHERE NOT {facilitator_sql()}
QUALIFY row_number() OVER (
    PARTITION BY h.kind, h.target
    ORDER BY n_coders DESC,
             abs(len(regexp_split_to_array(trim(s.text), '\\s+')) - {TARGET_WORDS}),
             d.id, s.ordinal, s.id
) <= $n
"""

_PINNED_SQL = f"""
WITH targets AS ({TARGETS_SQL}),{_AGREEMENT},
pinned AS (
    SELECT target_type AS kind, target_id AS target, segment_id, position
    FROM pinned_quotes WHERE layer = $pin_layer
){_quote_rows("pinned", "documents")}
ORDER BY h.kind, h.target, h.position
"""


def _quote(row: tuple, template: str, pinned: bool) -> Quote:
    *segment, coders = row
    return Quote.from_row(segment, template, coders=coders, pinned=pinned)


def quotes_with(
    con: duckdb.DuckDBPyConnection,
    layer: Layer,
    targets: list[Target],
    n: int = MAX_QUOTES,
    template: str = DEFAULT_TEMPLATE,
    *,
    reader: str | None,
) -> dict[tuple[str, str], list[Quote]]:
    """Quotes per (kind, id) of targets: the layer's pinned ones where any, else the
    default choice. `reader`: the bound person (`Project.user`), whose readable coders
    alone are counted; the caller has checked `layer` for them (`resolve_layer`)."""
    if not 1 <= n <= MAX_QUOTES:
        raise QualcodeError(f"between 1 and {MAX_QUOTES} quotes per theme")
    check_template(template)
    if not targets:
        return {}
    only = readable_coder(con, reader, None)
    params = {
        **target_params(targets),
        "any_coder": only is None,
        "reader": only or "",
        "pin_layer": layer.name,
    }
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
    default_params = {k: v for k, v in params.items() if k != "pin_layer"}
    rows = con.execute(
        _DEFAULT_SQL.format(layer=condition, applied=applied),
        {**default_params, **layer_params, "n": n},
    ).fetchall()
    for row in rows:
        key = (row[0], row[1])
        if key not in pinned:
            found[key].append(_quote(row[2:], template, pinned=False))
    return found


def illustrative_quotes(
    project: Project,
    target_type: TargetType,
    target_id: str | int,
    layer: str | Layer = "consensus",
    n: int = MAX_QUOTES,
    template: str = DEFAULT_TEMPLATE,
) -> list[Quote]:
    """The quotes a theme or code shows in the theme table of a layer."""
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        target = _target(con, target_type, target_id)
        found = quotes_with(con, chosen, [target], n, template, reader=project.user)
        return found[(target.kind, target.id)]


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


def _pin_layer(con: duckdb.DuckDBPyConnection, project: Project, layer: str | Layer) -> Layer:
    """The layer a pin is made on or removed from: one the bound person may write on."""
    chosen = parse_layer(layer)
    check_write_layer(con, project.user, chosen.name)
    return chosen


def _pins(con: duckdb.DuckDBPyConnection, target: Target, layer: Layer) -> list[int]:
    """The segments pinned to a target on a layer, in order."""
    return [
        row[0]
        for row in con.execute(
            "SELECT segment_id FROM pinned_quotes WHERE target_type = ? AND target_id = ? "
            "AND layer = ? ORDER BY position",
            [target.kind, target.id, layer.name],
        ).fetchall()
    ]


def pin_quote(
    project: Project,
    target_type: TargetType,
    target_id: str | int,
    segment_id: int,
    actor: str,
    layer: str | Layer = "consensus",
) -> int:
    """Pin a segment as an illustrative quote of a theme or code on a layer; return its
    position there.

    The segment must be coded with one of the target's codes in that layer, and the
    layer must be one the bound person may write on. A segment coded only outside the
    layer, one nobody coded and one that does not exist are refused alike.
    """
    actor = _who(project, actor, "pinning")
    with project.transaction() as con:
        chosen = resolve_layer(con, _pin_layer(con, project, layer), project.user)
        target = _target(con, target_type, target_id)
        condition, params = chosen.predicate("coder")
        coded = con.execute(
            f"SELECT 1 FROM codings WHERE segment_id = $segment "
            f"AND list_contains($codes, code_id) AND {condition} LIMIT 1",
            {**params, "segment": segment_id, "codes": list(target.codes)},
        ).fetchone()
        if not coded:
            raise QualcodeError(
                f"segment {segment_id} is not coded with a code of {target_type} "
                f"'{target.label}' in layer {chosen.name}"
            )
        pinned = _pins(con, target, chosen)
        if segment_id in pinned:
            raise QualcodeError(
                f"segment {segment_id} is already pinned to '{target.label}' in layer {chosen.name}"
            )
        if len(pinned) >= MAX_QUOTES:
            raise QualcodeError(
                f"'{target.label}' already has {MAX_QUOTES} pinned quotes in layer {chosen.name}"
            )
        position = len(pinned) + 1
        con.execute(
            "INSERT INTO pinned_quotes (target_type, target_id, layer, segment_id, position, "
            "pinned_by) VALUES (?, ?, ?, ?, ?, ?)",
            [target.kind, target.id, chosen.name, segment_id, position, actor],
        )
        log_action(
            con,
            actor,
            "quote.pin",
            {
                "target_type": target.kind,
                "target_id": target.id,
                "layer": chosen.name,
                "segment_id": segment_id,
                "position": position,
            },
        )
        return position


def unpin_quote(
    project: Project,
    target_type: TargetType,
    target_id: str | int,
    segment_id: int,
    actor: str,
    layer: str | Layer = "consensus",
) -> None:
    """Unpin a quote from a layer; the ones after it move up."""
    actor = _who(project, actor, "unpinning")
    with project.transaction() as con:
        chosen = _pin_layer(con, project, layer)
        target = _target(con, target_type, target_id)
        where = "target_type = ? AND target_id = ? AND layer = ?"
        key = [target.kind, target.id, chosen.name]
        row = con.execute(
            f"SELECT position FROM pinned_quotes WHERE {where} AND segment_id = ?",
            [*key, segment_id],
        ).fetchone()
        if row is None:
            raise QualcodeError(
                f"segment {segment_id} is not pinned to '{target.label}' in layer {chosen.name}"
            )
        con.execute(
            f"DELETE FROM pinned_quotes WHERE {where} AND segment_id = ?", [*key, segment_id]
        )
        con.execute(
            f"UPDATE pinned_quotes SET position = position - 1 WHERE {where} AND position > ?",
            [*key, row[0]],
        )
        log_action(
            con,
            actor,
            "quote.unpin",
            {
                "target_type": target.kind,
                "target_id": target.id,
                "layer": chosen.name,
                "segment_id": segment_id,
            },
        )
