"""Rolling codes up the codebook tree: a group's score is its best descendant's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from qualcode.codebook.model import Codebook


def at_level(codebook: Codebook, code_id: str, level: int) -> str:
    """The code's ancestor at depth `level` (1 = top-level group); level 0 or a code
    shallower than `level` gives the code itself."""
    if level <= 0:
        return code_id
    path = [*reversed(codebook.ancestors(code_id)), code_id]
    return path[level - 1] if len(path) >= level else code_id


def level_labels(codebook: Codebook, codes: Sequence[str], level: int) -> list[str]:
    """The distinct labels that codes roll up to, in codebook order."""
    wanted = {at_level(codebook, c, level) for c in codes}
    return [c.id for c in codebook.codes if c.id in wanted]


def roll_up_scores(
    codebook: Codebook, codes: Sequence[str], scores: np.ndarray, level: int
) -> tuple[list[str], np.ndarray]:
    """(labels, (n, L) scores): each label's score is the max over the codes under it."""
    if level <= 0:
        return list(codes), scores
    labels = level_labels(codebook, codes, level)
    column = {label: i for i, label in enumerate(labels)}
    out = np.full((scores.shape[0], len(labels)), -np.inf, dtype=scores.dtype)
    for c, code in enumerate(codes):
        j = column[at_level(codebook, code, level)]
        np.maximum(out[:, j], scores[:, c], out=out[:, j])
    return labels, out


def roll_up_codes(codebook: Codebook, codes: Iterable[str], level: int) -> list[str]:
    """Distinct labels of a set of codes at a level, first occurrence first."""
    seen: dict[str, None] = {}
    for code in codes:
        seen.setdefault(at_level(codebook, code, level), None)
    return list(seen)
