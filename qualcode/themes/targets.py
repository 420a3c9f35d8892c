"""What gets counted: each theme (its codes and its subthemes' codes) and each code.

A target maps to a set of code ids; queries join a layer's codings to the
(kind, target, code) rows given as parallel lists, so one grouped query counts
every theme and every code at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from qualcode.codebook.versions import codebook_at
from qualcode.themes.catalog import read_themes
from qualcode.themes.model import Theme, theme_code_closure, tree_order


@dataclass(frozen=True)
class Target:
    """A theme or a code as a set of codes; `depth` > 0 for subthemes."""

    kind: Literal["theme", "code"]
    id: str
    label: str
    codes: tuple[str, ...]
    depth: int = 0
    color: str | None = None


def theme_targets(themes: list[Theme]) -> list[Target]:
    """Themes in tree order, each with its own and its subthemes' codes."""
    closure = theme_code_closure(themes)
    return [
        Target("theme", str(theme.id), theme.name, tuple(closure[theme.id]), depth)
        for theme, depth in tree_order(themes)
    ]


def code_targets(con: duckdb.DuckDBPyConnection) -> list[Target]:
    """The current codebook's codable, active codes, in codebook order."""
    codebook = codebook_at(con)
    if codebook is None:
        return []
    return [Target("code", c.id, c.label, (c.id,), color=c.color) for c in codebook.codable()]


def read_targets(
    con: duckdb.DuckDBPyConnection, themes: bool = True, codes: bool = True
) -> list[Target]:
    """Theme targets then code targets."""
    found: list[Target] = []
    if themes:
        found += theme_targets(read_themes(con))
    if codes:
        found += code_targets(con)
    return found


def target_params(targets: list[Target]) -> dict[str, Any]:
    """Parameters for `TARGETS_SQL`: one (kind, target, code) triple per code of a target."""
    triples = [(t.kind, t.id, code) for t in targets for code in t.codes]
    return {
        "t_kind": [k for k, _, _ in triples],
        "t_id": [i for _, i, _ in triples],
        "t_code": [c for _, _, c in triples],
    }


TARGETS_SQL = (
    "SELECT unnest($t_kind::VARCHAR[]) AS kind, unnest($t_id::VARCHAR[]) AS target, "
    "unnest($t_code::VARCHAR[]) AS code_id"
)
"""A relation (kind, target, code_id) from `target_params`."""
