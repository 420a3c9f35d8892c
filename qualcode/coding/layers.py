"""Which codings count: the consensus layer, one coder's layer, or all coders' union.

`consensus` is the supervisor-settled layer (coder "consensus"); `coder:NAME` one
coder's current codings; `all` the union of every coder's own layer (a segment
counts for a code if any coder applied it; the consensus layer is not a coder and
is left out). A sub-span coding counts at its segment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from qualcode.access import CONSENSUS_CODER, check_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import NextStep, QualcodeError
from qualcode.store import Project

LAYER_CHOICES = "consensus, coder:NAME or all"


@dataclass(frozen=True)
class Layer:
    """A parsed layer choice."""

    kind: Literal["consensus", "coder", "all"]
    coder: str | None = None

    @property
    def name(self) -> str:
        return f"coder:{self.coder}" if self.kind == "coder" else self.kind

    def predicate(self, column: str = "coder") -> tuple[str, dict[str, Any]]:
        """A SQL condition on a coder column selecting this layer, and its parameters."""
        if self.kind == "all":
            return f"{column} <> $layer_coder", {"layer_coder": CONSENSUS_CODER}
        coder = CONSENSUS_CODER if self.kind == "consensus" else self.coder
        return f"{column} = $layer_coder", {"layer_coder": coder}


def parse_layer(text: str | Layer) -> Layer:
    """`consensus`, `coder:NAME` or `all` as a Layer; QualcodeError otherwise."""
    if isinstance(text, Layer):
        return text
    value = (text or "").strip()
    if value in ("consensus", "all"):
        return Layer(value)  # type: ignore[arg-type]
    if value.startswith("coder:"):
        coder = value.removeprefix("coder:").strip()
        if not coder:
            raise QualcodeError("layer 'coder:' needs a coder name, e.g. coder:alice")
        if coder == CONSENSUS_CODER:
            return Layer("consensus")
        return Layer("coder", coder)
    raise QualcodeError(f"unknown layer '{text}' (choose {LAYER_CHOICES})")


def require_content(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a project without a codebook or without documents."""
    if con.execute("SELECT max(version) FROM codebook_versions").fetchone()[0] is None:
        raise QualcodeError(
            "the project is empty: no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK
        )
    if not con.execute("SELECT 1 FROM current_documents LIMIT 1").fetchone():
        raise QualcodeError(
            "the project is empty: no documents yet", next_step=NextStep.ADD_DOCUMENTS
        )


def resolve_layer(con: duckdb.DuckDBPyConnection, text: str | Layer, user: str | None) -> Layer:
    """Parse a layer and check it against the project: one `user` may see (None: the
    file's holder, see `qualcode.access`), a known coder, some codings.

    An empty layer is refused rather than exported as a table of zeros.
    """
    layer = parse_layer(text)
    check_layer(con, user, layer.name)
    require_content(con)
    if layer.kind == "coder":
        known = con.execute(
            "SELECT 1 FROM (SELECT coder FROM coding_events UNION ALL "
            "SELECT coder FROM segment_reviews UNION ALL SELECT name FROM coders) "
            "WHERE coder = ? LIMIT 1",
            [layer.coder],
        ).fetchone()
        if not known:
            raise QualcodeError(f"unknown coder '{layer.coder}' in layer '{layer.name}'")
    condition, params = layer.predicate()
    found = con.execute(
        f"SELECT 1 FROM {applied_sql(con)} WHERE {condition} LIMIT 1", params
    ).fetchall()
    if not found:
        raise QualcodeError(
            f"layer '{layer.name}' has no codings yet",
            next_step=NextStep.SETTLE if layer.kind == "consensus" else None,
        )
    return layer


def layers_with_codings(project: Project, layers: Iterable[str]) -> list[str]:
    """The layers among `layers` (as `visible_layers` names them) that hold at least one
    coding, in the order given: the ones an export or an analysis can be made from
    (`resolve_layer` refuses an empty one)."""
    wanted = list(layers)
    with project.connect(read_only=True) as con:
        coders = {
            row[0]
            for row in con.execute(f"SELECT DISTINCT coder FROM {applied_sql(con)}").fetchall()
        }
    found = []
    for name in wanted:
        layer = parse_layer(name)
        if layer.kind == "all":
            has = bool(coders - {CONSENSUS_CODER})
        else:
            has = (CONSENSUS_CODER if layer.kind == "consensus" else layer.coder) in coders
        if has:
            found.append(name)
    return found
