"""Row-vector matrices: dense numpy from a sentence model, sparse from TF-IDF.

The rest of the engine calls these helpers so it works with either kind.
Every row is L2-normalised, so a dot product is a cosine similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Matrix = Any  # np.ndarray (n, d) float32, or a scipy.sparse CSR matrix


def is_sparse(matrix: Matrix) -> bool:
    return hasattr(matrix, "toarray")


def cosine(a: Matrix, b: Matrix) -> np.ndarray:
    """Dense (len(a), len(b)) float32 cosine similarities of normalised rows."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((a.shape[0], b.shape[0]), dtype=np.float32)
    product = a @ b.T
    if is_sparse(product):
        product = product.toarray()
    return np.asarray(product, dtype=np.float32)


def stack(parts: Sequence[Matrix], like: Matrix) -> Matrix:
    """Rows of several matrices, one after the other (`like` gives kind and width)."""
    parts = [p for p in parts if p.shape[0] > 0]
    if not parts:
        return like[:0]
    if is_sparse(like):
        from scipy.sparse import vstack

        return vstack(parts, format="csr")
    return np.vstack(parts)


def rows(matrix: Matrix, index: Sequence[int] | np.ndarray) -> Matrix:
    """The given rows, in order."""
    return matrix[np.asarray(index, dtype=np.int64)]
