"""Candidate themes: codes clustered by co-occurrence and by what their segments say.

Codes used in the layer are clustered (scikit-learn agglomerative clustering,
average linkage, on distance 1 - similarity). Similarity is the Ochiai
co-occurrence of two codes over segment windows (see `cooccurrence`), averaged
with the cosine similarity of the codes' mean segment embeddings when the
suggestion engine's cache has vectors for both. Cosines of codes from one domain
are all fairly high, so they are rescaled like the mostly-zero co-occurrence:
pairs at or below the median cosine get 0, the most similar pair 1. Without
vectors, co-occurrence alone, and the result says so. Under the `all` layer, two
coders giving different codes to one segment also counts as co-occurrence: the
codes were found in the same data.

Proposals are only suggestions: `propose_themes` writes nothing; a researcher
accepts one (possibly renamed, with codes added or dropped) with `accept_proposal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from qualcode.access import recorded_as
from qualcode.codebook.versions import codebook_at
from qualcode.coding.layers import Layer, resolve_layer
from qualcode.coding.state import applied_sql
from qualcode.errors import QualcodeError
from qualcode.jsonable import Jsonable
from qualcode.store import Project
from qualcode.themes.catalog import find_theme, insert_theme, read_themes
from qualcode.themes.code_vectors import code_vectors
from qualcode.themes.cooccurrence import cooccurrence
from qualcode.themes.model import Theme

DEFAULT_THRESHOLD = 0.75
"""Clusters merge while their average distance (1 - similarity) stays below this."""


@dataclass
class Proposal:
    """A group of codes offered as a candidate theme."""

    key: str  # the sorted code ids joined by '+': stable across runs
    name: str  # a suggested name, from its two most-coded codes
    codes: list[str]
    labels: list[str]
    segments: int  # segments coded with any of its codes in the layer
    cohesion: float  # mean pairwise similarity used for clustering
    cooccurrence: float  # mean pairwise Ochiai co-occurrence
    embedding_similarity: float | None  # mean pairwise cosine of code vectors, if any
    groups: list[str]  # codebook top-level groups its codes come from


@dataclass
class Proposals(Jsonable):
    """The proposals and how they were made."""

    layer: str
    basis: str  # "co-occurrence" or "co-occurrence and embeddings"
    model: str | None
    note: str
    window: int
    threshold: float
    proposals: list[Proposal] = field(default_factory=list)


def _scaled_embedding_similarity(
    codes: list[str], vectors: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(cosine matrix, same rescaled from the median pair (0) to the most similar (1));
    NaN where a code has no vector."""
    n = len(codes)
    raw = np.full((n, n), np.nan)
    have = [i for i, c in enumerate(codes) if c in vectors]
    if len(have) >= 2:
        stacked = np.stack([vectors[codes[i]] for i in have])
        raw[np.ix_(have, have)] = stacked @ stacked.T
    off = raw[~np.eye(n, dtype=bool)]
    off = off[~np.isnan(off)]
    if off.size == 0:
        return raw, raw.copy()
    low, high = float(np.median(off)), float(off.max())
    scaled = (raw - low) / (high - low) if high > low else raw.copy()
    return raw, np.clip(scaled, 0.0, 1.0)


def _mean_pair(matrix: np.ndarray, members: list[int]) -> float | None:
    values = [matrix[i, j] for a, i in enumerate(members) for j in members[a + 1 :]]
    values = [v for v in values if not np.isnan(v)]
    return round(float(np.mean(values)), 4) if values else None


def propose_themes(
    project: Project,
    layer: str | Layer = "all",
    window: int = 1,
    threshold: float = DEFAULT_THRESHOLD,
    embedding_weight: float = 0.5,
) -> Proposals:
    """Candidate themes (clusters of two or more codes), most cohesive first. Writes nothing."""
    if window < 0:
        raise QualcodeError("the co-occurrence window must be 0 or more segments")
    if not 0 < threshold <= 1:
        raise QualcodeError("the clustering threshold must be above 0 and at most 1")
    if not 0 <= embedding_weight <= 1:
        raise QualcodeError("the embedding weight must be between 0 and 1")
    from sklearn.cluster import AgglomerativeClustering

    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        co = cooccurrence(con, chosen, window)
        found = code_vectors(con, chosen)
        codebook = codebook_at(con)
        condition, params = chosen.predicate("k.coder")
        coded = {
            code: set(ids)
            for code, ids in con.execute(
                f"SELECT k.code_id, list(DISTINCT k.segment_id) FROM {applied_sql(con)} k "
                "JOIN segments s ON s.id = k.segment_id "
                f"JOIN current_documents d ON d.id = s.document_id WHERE {condition} "
                "GROUP BY ALL",
                params,
            ).fetchall()
        }
    codes = co.codes
    ochiai = co.similarity()
    raw, scaled = _scaled_embedding_similarity(codes, found.vectors)
    use_embeddings = not np.isnan(scaled).all() if len(codes) else False
    similarity = ochiai.copy()
    if use_embeddings:
        both = ~np.isnan(scaled)
        similarity[both] = (1 - embedding_weight) * ochiai[both] + embedding_weight * scaled[both]
    basis = "co-occurrence and embeddings" if use_embeddings else "co-occurrence"
    if use_embeddings:
        note = (
            f"embeddings: {found.model}, cached for {found.segments_with_vectors} of "
            f"{found.segments} coded segments"
        )
    else:
        note = f"co-occurrence only: {found.reason or 'fewer than two codes have embeddings'}"
    result = Proposals(
        chosen.name, basis, found.model if use_embeddings else None, note, window, threshold
    )
    if len(codes) < 2:
        return result
    distance = np.clip(1.0 - similarity, 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    ).fit_predict(distance)
    index = codebook.by_id()

    def label(code: str) -> str:
        return index[code].label if code in index else code

    def group(code: str) -> str:
        return codebook.top_level(code) if code in index else code

    for cluster in sorted(set(labels.tolist())):
        members = [i for i, label in enumerate(labels) if label == cluster]
        if len(members) < 2:
            continue
        member_codes = [codes[i] for i in members]
        by_use = sorted(member_codes, key=lambda c: -co.segments.get(c, 0))
        name = " / ".join(label(c) for c in by_use[:2])
        if len(member_codes) > 2:
            name += f" (+{len(member_codes) - 2})"
        result.proposals.append(
            Proposal(
                key="+".join(sorted(member_codes)),
                name=name,
                codes=member_codes,
                labels=[label(c) for c in member_codes],
                segments=len(set().union(*(coded.get(c, set()) for c in member_codes))),
                cohesion=_mean_pair(similarity, members) or 0.0,
                cooccurrence=_mean_pair(ochiai, members) or 0.0,
                embedding_similarity=_mean_pair(raw, members),
                groups=sorted({group(c) for c in member_codes}),
            )
        )
    result.proposals.sort(key=lambda p: (-p.cohesion, p.key))
    return result


def accept_proposal(
    project: Project,
    proposal: Proposal,
    actor: str,
    name: str | None = None,
    codes: Iterable[str] | None = None,
    definition: str = "",
    central_concept: str = "",
    parent: int | None = None,
) -> Theme:
    """Create a candidate theme from a proposal the researcher accepted, as offered or
    edited (another name, other codes); the memo records where it came from."""
    actor = recorded_as(project, actor)
    chosen = list(codes) if codes is not None else list(proposal.codes)
    if not chosen:
        raise QualcodeError("an accepted theme needs at least one code")
    memo = (
        f"Accepted from a candidate proposal ({proposal.key}): mean co-occurrence "
        f"{proposal.cooccurrence:.2f}"
        + (
            f", mean embedding similarity {proposal.embedding_similarity:.2f}"
            if proposal.embedding_similarity is not None
            else ""
        )
        + f"; {proposal.segments} coded segments."
    )
    with project.transaction() as con:
        theme_id = insert_theme(
            con,
            name or proposal.name,
            actor,
            definition=definition,
            central_concept=central_concept,
            memo=memo,
            parent=parent,
            codes=chosen,
            origin="suggestion",
            user=project.user,
        )
        return find_theme(read_themes(con), theme_id)
