"""Code vectors from the suggestion engine's embedding cache, when there is one.

A code's vector is the normalised mean of the cached embeddings of the segments
coded with it in the layer. The cache table `embeddings(model, text_hash, dim,
vector)` is keyed by the engine's text hash of the segment text; the model chosen
is the one whose vectors cover most of those segments. Without the suggestion
engine, the table or any cached vector, there are no code vectors and the reason
says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qualcode.coding.layers import Layer
from qualcode.coding.state import applied_sql


@dataclass
class CodeVectors:
    """Unit vectors per code (codes without cached segments are absent)."""

    model: str | None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    segments_with_vectors: int = 0
    segments: int = 0
    reason: str = ""  # why there are none, when there are none


def _hash_function() -> Callable[[str], str] | None:
    """The suggestion engine's text hash, or None without the engine."""
    try:
        from qualcode.suggest.text import text_hash
    except ImportError:
        return None
    return text_hash


def code_vectors(con: duckdb.DuckDBPyConnection, layer: Layer) -> CodeVectors:
    """Mean embedding of each code's coded segments, from the cache only (nothing is embedded)."""
    text_hash = _hash_function()
    if text_hash is None:
        return CodeVectors(None, reason="the suggestion engine is not installed")
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'embeddings'"
    ).fetchone()[0]
    if not has_table:
        return CodeVectors(None, reason="the project has no embedding cache")
    condition, params = layer.predicate("k.coder")
    coded = con.execute(
        f"SELECT DISTINCT k.segment_id, k.code_id, s.text FROM {applied_sql(con)} k "
        "JOIN segments s ON s.id = k.segment_id "
        f"JOIN current_documents d ON d.id = s.document_id WHERE {condition}",
        params,
    ).fetchall()
    texts = {segment_id: text for segment_id, _, text in coded}
    hashes = {segment_id: text_hash(text) for segment_id, text in texts.items()}
    wanted = pa.table({"text_hash": pa.array(sorted(set(hashes.values())), pa.string())})
    con.register("qualcode_wanted_hashes", wanted)
    try:
        ranked = con.execute(
            "SELECT e.model, count(*) FROM qualcode_wanted_hashes w JOIN embeddings e "
            "ON e.text_hash = w.text_hash GROUP BY e.model ORDER BY 2 DESC, 1"
        ).fetchall()
        if not ranked:
            return CodeVectors(
                None,
                segments=len(texts),
                reason="no coded segment has a cached embedding (suggesting codes makes them)",
            )
        table = con.sql(
            "SELECT e.text_hash, e.dim, e.vector FROM qualcode_wanted_hashes w JOIN embeddings e "
            "ON e.text_hash = w.text_hash AND e.model = $model",
            params={"model": ranked[0][0]},
        ).to_arrow_table()
    finally:
        con.unregister("qualcode_wanted_hashes")
    dim = int(table.column("dim")[0].as_py())
    flat = pc.list_flatten(table.column("vector").combine_chunks())
    matrix = flat.to_numpy(zero_copy_only=False).astype(np.float64).reshape(table.num_rows, dim)
    by_hash = dict(zip(table.column("text_hash").to_pylist(), matrix, strict=True))
    members: dict[str, list[np.ndarray]] = {}
    for segment_id, code_id, _ in coded:
        vector = by_hash.get(hashes[segment_id])
        if vector is not None:
            members.setdefault(code_id, []).append(vector)
    vectors = {}
    for code_id, rows in members.items():
        mean = np.mean(rows, axis=0)
        norm = np.linalg.norm(mean)
        if norm > 0:
            vectors[code_id] = mean / norm
    covered = sum(1 for h in hashes.values() if h in by_hash)
    return CodeVectors(ranked[0][0], vectors, covered, len(texts))
