"""Errors that reach users as one line: what failed and why, never a traceback.

The library speaks in its own words: a message names the file (`InputError`) or the
parameter (`ArgumentError`) at fault, never a command-line flag, and a known way
forward is a `NextStep`, not a command. `str(error)` is the library's line, for
notebook users; each front end says the same error in its own words with
`error.render(...)`: the CLI names its options and commands, the app its pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path


class NextStep(Enum):
    """What gets a person past an error. The value is the library's own words for it
    (the hint `str(error)` ends with); front ends map each step to their own."""

    LOAD_CODEBOOK = "load one with qualcode.codebook_files.load_codebook"
    ADD_DOCUMENTS = "add some with qualcode.ingest.pipeline.ingest_paths"
    SUGGEST = "run qualcode.suggest.suggest first"
    SETTLE = (
        "settle disagreements with qualcode.agreement.adjudication.settle, "
        "or use layer 'all' or 'coder:NAME'"
    )
    CREATE_THEMES = (
        "create them with qualcode.themes.framework.create_framework_themes "
        "or qualcode.themes.catalog.create_theme"
    )
    SET_ROLE = "with qualcode.accounts.set_role"
    INIT = "create one with qualcode.store.Project.init"
    ADD_ADMIN = "add an admin account with qualcode.accounts.add_account first"
    CHOOSE_PASSWORD = (
        "choose one with qualcode.accounts.set_password, the one-time password as current"
    )


class QualcodeError(Exception):
    """Base of every error qualcode reports to a user as a single line.

    `message` says what is wrong in the library's words; `next_step`, when there is
    a known way forward, lets each front end add how to take it in its own words.
    """

    def __init__(self, message: str, *, next_step: NextStep | None = None) -> None:
        self.message = message
        self.next_step = next_step
        super().__init__(self.render())

    def _text(self, name: Callable[[str], str]) -> str:
        """The message without the next step; `name` words a parameter (unused here)."""
        return self.message

    def render(
        self,
        name: Callable[[str], str] = str,
        steps: Mapping[NextStep, str] | None = None,
    ) -> str:
        """The error as one line in a front end's words.

        `name(parameter)` is how the front end calls a library parameter (the CLI: its
        option); `steps` words each next step (None: the library's own words; a step
        missing from it is left out, so a front end never shows another's words).
        """
        text = self._text(name)
        if self.next_step is None:
            return text
        hint = self.next_step.value if steps is None else steps.get(self.next_step)
        return f"{text} ({hint})" if hint else text


class InputError(QualcodeError):
    """A file given to qualcode cannot be used; names the file and the problem."""

    def __init__(
        self, path: str | Path, problem: str, *, next_step: NextStep | None = None
    ) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}", next_step=next_step)

    @classmethod
    def about(cls, path: str | Path, error: QualcodeError) -> InputError:
        """`error`, met while using the file at `path`, as a problem with that file (its
        next step kept, for each front end to word)."""
        return cls(path, error.message, next_step=error.next_step)


class ArgumentError(QualcodeError):
    """An argument a library function was given cannot be used; names the parameter
    (as the function calls it) and the problem, so a front end can name its own
    control for it instead: `ArgumentError("top_k", "must be at least 1")`."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter} {problem}")

    def _text(self, name: Callable[[str], str]) -> str:
        return f"{name(self.parameter)} {self.problem}"


class ProjectError(QualcodeError):
    """The project file cannot be opened or used (locked, too new, missing)."""
