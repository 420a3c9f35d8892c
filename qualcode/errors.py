"""Errors that reach users as one line: what failed and why, never a traceback."""

from __future__ import annotations

from pathlib import Path


class QualcodeError(Exception):
    """Base of every error qualcode reports to a user as a single line."""


class InputError(QualcodeError):
    """A file given to qualcode cannot be used; names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ProjectError(QualcodeError):
    """The project file cannot be opened or used (locked, too new, missing)."""
