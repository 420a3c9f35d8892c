"""The embedding cache: vectors in DuckDB by (model, text hash).

Texts already embedded with a model are read back instead of embedded again, so a
second `suggest` on unchanged data embeds nothing and a codebook edit embeds only
the changed code phrases. Connections are opened per read and per chunk written,
never held while the model works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qualcode.store import Project
from qualcode.suggest.embedder import Embedder
from qualcode.suggest.text import text_hash
from qualcode.suggest.vectors import Matrix, stack

CHUNK = 1024  # texts per encode call and per cache write; also the progress step
Progress = Callable[[int, int, str], None]


@dataclass
class Embedded:
    """Vectors aligned with the texts asked for, and how many came from where."""

    vectors: Matrix
    embedded: int  # distinct texts encoded in this call
    cached: int  # distinct texts read from the cache


def read_cached(
    project: Project, model: str, hashes: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """The cached ones among hashes: (their hashes, their vectors row for row)."""
    if not hashes:
        return [], np.zeros((0, 0), dtype=np.float32)
    wanted = pa.table({"text_hash": pa.array(list(hashes), pa.string())})
    with project.connect(read_only=True) as con:
        con.register("wanted_hashes", wanted)
        table = con.sql(
            "SELECT e.text_hash, e.dim, e.vector FROM wanted_hashes w "
            "JOIN embeddings e ON e.model = $model AND e.text_hash = w.text_hash",
            params={"model": model},
        ).to_arrow_table()
        con.unregister("wanted_hashes")
    if table.num_rows == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    dim = int(table.column("dim")[0].as_py())
    flat = pc.list_flatten(table.column("vector").combine_chunks())
    matrix = flat.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return table.column("text_hash").to_pylist(), matrix.reshape(table.num_rows, dim)


def write_cached(project: Project, model: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Store vectors in one short transaction; rows another process wrote first are kept."""
    if not hashes:
        return
    dim = vectors.shape[1]
    offsets = pa.array(np.arange(0, (len(hashes) + 1) * dim, dim, dtype=np.int32))
    values = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
    table = pa.table(
        {"text_hash": pa.array(list(hashes)), "vector": pa.ListArray.from_arrays(offsets, values)}
    )
    with project.transaction() as con:
        con.register("new_vectors", table)
        con.execute(
            "INSERT OR IGNORE INTO embeddings (model, text_hash, dim, vector) "
            "SELECT ?, text_hash, ?, vector FROM new_vectors",
            [model, dim],
        )
        con.unregister("new_vectors")


def embed(
    embedder: Embedder,
    texts: Sequence[str],
    project: Project | None = None,
    progress: Progress | None = None,
) -> Embedded:
    """Vectors for texts (row i for texts[i]), through the project's cache when given.

    Each distinct text is embedded once. Without a project, or with an embedder
    whose vectors cannot be cached (TF-IDF), everything is embedded.
    """
    hashes = [text_hash(t) for t in texts]
    first: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        first.setdefault(h, t)
    use_cache = project is not None and embedder.cacheable
    found, cached = read_cached(project, embedder.name, list(first)) if use_cache else ([], None)
    known = set(found)
    missing = [h for h in first if h not in known]
    if not embedder.cacheable:
        embedder.fit(list(first.values()))
    parts: list[Matrix] = []
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        vectors = embedder.encode([first[h] for h in chunk])
        if use_cache:
            write_cached(project, embedder.name, chunk, vectors)
        parts.append(vectors)
        if progress is not None:
            progress(start + len(chunk), len(missing), "")
    if cached is not None and len(found):
        parts.append(cached)
    everything = stack(parts, parts[0]) if parts else embedder.encode([])
    order = {h: i for i, h in enumerate([*missing, *found])}
    index = np.fromiter((order[h] for h in hashes), dtype=np.int64, count=len(hashes))
    return Embedded(vectors=everything[index], embedded=len(missing), cached=len(found))
