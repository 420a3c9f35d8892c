"""`qualcode suggest` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.store import Project

from .conftest import rows
from .suggest_helpers import small_project

SUGGEST_KEYS = {"segments", "suggestions", "model", "embedded", "cached", "seconds"}


def _run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "suggest", *args])


def test_suggest_json_has_exactly_the_contract_keys(project: Project, tmp_path: Path) -> None:
    small_project(project, tmp_path, ["I love my English class.", "My room is warm."])
    result = _run(project.path, "--top-k", "2", "--min-score", "0", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == SUGGEST_KEYS
    assert payload["model"] == "all-MiniLM-L6-v2"
    assert (payload["segments"], payload["suggestions"], payload["cached"]) == (2, 4, 0)
    assert isinstance(payload["seconds"], float) and payload["embedded"] > 2
    again = json.loads(_run(project.path, "--json").stdout)
    assert (again["embedded"], again["cached"]) == (0, payload["embedded"])
    assert again["suggestions"] == 6  # top-k 5 of 3 codes, 2 segments


def test_suggest_human_output_and_min_score(project: Project, tmp_path: Path) -> None:
    small_project(project, tmp_path, ["I love my English class.", "My room is warm."])
    result = _run(project.path, "--min-score", "0.99")
    assert result.exit_code == 0, result.output
    assert "suggestions for 2 segments (model all-MiniLM-L6-v2, codebook v1" in result.stdout
    stored = rows(project, "SELECT count(*) FROM suggestions WHERE score < 0.99")
    assert stored == [(0,)]


def test_suggest_with_an_unloadable_model_reports_the_fallback(
    project: Project, tmp_path: Path
) -> None:
    small_project(project, tmp_path, ["I love my English class."])
    result = _run(project.path, "--model", str(tmp_path / "nowhere"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == "tfidf-fallback"
    assert "note: model tfidf-fallback: cannot load embedding model" in result.stderr
    assert rows(project, "SELECT value FROM meta WHERE key = 'embedding_model'") == [
        (str(tmp_path / "nowhere"),)
    ]


def test_suggest_errors_are_one_line(project: Project, tmp_path: Path) -> None:
    result = _run(project.path, "--json")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no codebook loaded yet (load one: qualcode codebook load FILE)"
    )
    assert _run(project.path, "--top-k", "0").exit_code == 2
    assert _run(project.path, "--min-score", "1.5").exit_code == 2
