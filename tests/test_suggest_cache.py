"""The embedding cache, re-runs, codebook edits and the TF-IDF fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualcode.codebook_files import load_codebook
from qualcode.store import Project
from qualcode.suggest import configure_model, suggest
from qualcode.suggest.cache import embed, read_cached, write_cached
from qualcode.suggest.config import DEFAULT_MODEL, FALLBACK_MODEL
from qualcode.suggest.embedder import load_embedder
from qualcode.suggest.text import text_hash

from .conftest import rows
from .suggest_helpers import SMALL_CODEBOOK, HashEmbedder, small_project, write_codebook

SEGMENTS = [
    "I started college in September and I study English every day.",
    "The hostel was so loud that I could not sleep.",
    "My friends from the youth club came to my birthday.",
    "My teacher said my English is getting better.",
]


@pytest.fixture(scope="session")
def real_embedder():
    """The installed all-MiniLM-L6-v2, loaded once for the whole test session."""
    embedder = load_embedder()
    assert embedder.name == DEFAULT_MODEL, getattr(embedder, "reason", "")
    return embedder


def test_cache_round_trip_keeps_vectors(project: Project) -> None:
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    hashes = [text_hash(t) for t in ("a", "b", "c")]
    write_cached(project, "m", hashes, vectors)
    write_cached(project, "m", hashes[:1], vectors[:1] * 0)  # already there: kept
    found, matrix = read_cached(project, "m", [hashes[2], "absent", hashes[0]])
    assert sorted(found) == sorted([hashes[0], hashes[2]])
    by_hash = dict(zip(found, matrix, strict=True))
    np.testing.assert_array_equal(by_hash[hashes[0]], vectors[0])
    np.testing.assert_array_equal(by_hash[hashes[2]], vectors[2])
    assert read_cached(project, "other-model", hashes)[0] == []


def test_embed_encodes_each_distinct_text_once(project: Project) -> None:
    embedder = HashEmbedder()
    first = embed(embedder, ["x y", "z", "x y"], project)
    assert (first.embedded, first.cached, embedder.encoded) == (2, 0, 2)
    np.testing.assert_array_equal(first.vectors[0], first.vectors[2])
    second = embed(embedder, ["z", "new text", "x y"], project)
    assert (second.embedded, second.cached, embedder.encoded) == (1, 2, 3)
    np.testing.assert_allclose(second.vectors[0], first.vectors[1])


def test_second_run_embeds_nothing_and_replaces_suggestions(
    project: Project, tmp_path: Path, real_embedder
) -> None:
    small_project(project, tmp_path, SEGMENTS)
    first = suggest(project, top_k=2)
    assert first.model == DEFAULT_MODEL and first.segments == 4 and first.suggestions == 8
    assert first.cached == 0 and first.embedded > len(SEGMENTS)
    second = suggest(project, top_k=2)
    assert (second.embedded, second.cached) == (0, first.embedded)
    assert rows(project, "SELECT count(*) FROM suggestions") == [(8,)]
    assert rows(project, "SELECT count(*) FROM suggestion_runs") == [(2,)]
    assert rows(project, "SELECT count(*) FROM coding_events") == [(0,)]
    dims = rows(project, "SELECT DISTINCT model, dim FROM embeddings")
    assert dims == [(DEFAULT_MODEL, 384)]


def test_codebook_edit_embeds_only_the_changed_phrase(
    project: Project, tmp_path: Path, real_embedder
) -> None:
    small_project(project, tmp_path, SEGMENTS)
    before = suggest(project)
    edited = SMALL_CODEBOOK.replace(
        "Having a safe, stable place to live, a room or a flat of one's own.",
        "Having a safe and stable home, a room, a flat or a house of one's own.",
    )
    load_codebook(project, write_codebook(tmp_path, edited, "edited.yaml"))
    after = suggest(project)
    assert after.codebook_version == 2
    assert (after.embedded, after.cached) == (1, before.embedded - 1)  # old definition unused
    versions = rows(
        project, "SELECT codebook_version, count(*) FROM suggestions GROUP BY ALL ORDER BY 1"
    )
    assert versions == [(1, 12), (2, 12)]  # 4 segments x 3 codes, per version


def test_unloadable_model_falls_back_to_tfidf_and_says_so(project: Project, tmp_path: Path) -> None:
    small_project(project, tmp_path, SEGMENTS)
    configure_model(project, str(tmp_path / "no-such-model"))
    report = suggest(project, top_k=1)
    assert report.model == FALLBACK_MODEL
    assert report.to_json()["model"] == "tfidf-fallback"
    assert "no-such-model" in report.fallback_reason
    assert report.suggestions == 4 and report.cached == 0
    assert rows(project, "SELECT DISTINCT model FROM suggestions") == [(FALLBACK_MODEL,)]
    assert rows(project, "SELECT count(*) FROM embeddings") == [(0,)]  # not cacheable
    top = dict(rows(project, "SELECT segment_id, code_id FROM suggestions"))
    assert top[1] == "education" and top[2] == "housing"


def test_evaluate_uses_the_project_model_setting(project: Project, tmp_path: Path) -> None:
    from qualcode.suggest.evaluate import evaluate

    small_project(project, tmp_path, SEGMENTS)
    configure_model(project, str(tmp_path / "missing"))
    gold = tmp_path / "gold.csv"
    gold.write_text("text,codes\nI go to college,education\nmy flat,housing\n", encoding="utf-8")
    result = evaluate(gold, project=project)
    assert result["model"] == FALLBACK_MODEL and result["n"] == 2
    assert rows(project, "SELECT count(*) FROM embeddings") == [(0,)]
