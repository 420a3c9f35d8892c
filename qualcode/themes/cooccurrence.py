"""How often codes occur together: on the same segment or on neighbouring ones.

Each segment of a current document opens a window of segments within `window`
positions of it in the same document (window 0: the segment alone). A code is
present in a window when a segment in it carries the code in the layer. The
co-occurrence of codes a and b is the number of windows holding both; their
similarity is the Ochiai (cosine) coefficient, n(a and b) / sqrt(n(a) n(b)).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from qualcode.coding.layers import Layer
from qualcode.coding.state import applied_sql


@dataclass
class Cooccurrence:
    """counts[i, j]: windows holding codes[i] and codes[j]; the diagonal, windows holding one."""

    codes: list[str]
    counts: np.ndarray  # int64, codes x codes
    segments: dict[str, int]  # coded segments per code in the layer

    def similarity(self) -> np.ndarray:
        """The Ochiai coefficient of every pair (1 on the diagonal of a used code)."""
        diagonal = np.diag(self.counts).astype(np.float64)
        scale = np.sqrt(np.outer(diagonal, diagonal))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(scale > 0, self.counts / scale, 0.0)


_SQL = """
WITH layer_codings AS (
    SELECT DISTINCT s.document_id, s.ordinal, k.code_id
    FROM {applied} k JOIN segments s ON s.id = k.segment_id
    JOIN current_documents d ON d.id = s.document_id
    WHERE {layer}
),
windows AS (
    SELECT DISTINCT s.id AS unit, l.code_id
    FROM segments s JOIN layer_codings l
      ON l.document_id = s.document_id
     AND l.ordinal BETWEEN s.ordinal - $window AND s.ordinal + $window
)
SELECT a.code_id, b.code_id, count(*) FROM windows a JOIN windows b ON a.unit = b.unit
GROUP BY ALL
"""


def cooccurrence(con: duckdb.DuckDBPyConnection, layer: Layer, window: int = 1) -> Cooccurrence:
    """Window co-occurrence counts of every code used in the layer, codebook order."""
    condition, params = layer.predicate("k.coder")
    pairs = con.execute(
        _SQL.format(layer=condition, applied=applied_sql(con)), {**params, "window": window}
    ).fetchall()
    segments = dict(
        con.execute(
            f"SELECT k.code_id, count(DISTINCT k.segment_id) FROM {applied_sql(con)} k "
            "JOIN segments s ON s.id = k.segment_id "
            f"JOIN current_documents d ON d.id = s.document_id WHERE {condition} GROUP BY ALL",
            params,
        ).fetchall()
    )
    order = {
        row[0]: row[1]
        for row in con.execute(
            "SELECT id, ordinal FROM codes WHERE codebook_version = "
            "(SELECT max(version) FROM codebook_versions)"
        ).fetchall()
    }
    codes = sorted({a for a, _, _ in pairs}, key=lambda c: (order.get(c, len(order)), c))
    index = {code: i for i, code in enumerate(codes)}
    counts = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for a, b, n in pairs:
        counts[index[a], index[b]] = n
    return Cooccurrence(codes, counts, {c: int(segments.get(c, 0)) for c in codes})
