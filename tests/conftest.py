"""Shared fixtures: a fresh project, one with suggestions, and paths to shipped and
reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.store import Project

from .suggest_helpers import suggested_project

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "reference"
"""Data made by other people with known answers (published agreement values, other tools'
REFI-QDA files, the REFI schemas); `tests/data/README.md` names each file's source."""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.init(tmp_path / "project.duckdb")


@pytest.fixture
def suggested(project: Project, tmp_path: Path) -> list[int]:
    """Segment ids of `suggest_helpers.INTERVIEW` in a project with one suggestion run."""
    return suggested_project(project, tmp_path)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def rows(project: Project, sql: str, params: list | None = None) -> list[tuple]:
    """Query helper for tests."""
    with project.connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def load_codebook_at_old_schema(project: Project, path: Path) -> None:
    """Load a codebook into a project kept at a schema before 10 (for migration tests):
    today's loader writes schema 10's `codes.priorities`, so the column exists for the
    load only and is dropped again, leaving the older schema as it was."""
    from qualcode.codebook_files import load_codebook

    with project.transaction() as con:
        con.execute("ALTER TABLE codes ADD COLUMN priorities VARCHAR[]")
    load_codebook(project, path)
    with project.transaction() as con:
        con.execute("ALTER TABLE codes DROP COLUMN priorities")
