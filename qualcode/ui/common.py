"""What every page shares: the project, one-line errors, and the page frame."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from qualcode.errors import NextStep, QualcodeError
from qualcode.limits import ENV_VAR, RAISE_HINT
from qualcode.store import DEFAULT_DB, Project
from qualcode.threaded import SharedProject
from qualcode.ui.identity import Identity, require_identity
from qualcode.ui.markup import md

DB_ENV = "QUALCODE_DB"

_UI = Path(__file__).resolve().parent
PAGES = {
    name: str(_UI / f"{module}.py")
    for name, module in {
        "signin": "signin",
        "import": "ingest",
        "code": "code",
        "document": "document",
        "codebook": "codebook",
        "themes": "themes",
        "matrix": "matrix",
        "progress": "progress",
        "agreement": "agreement",
        "export": "export",
        "audit": "audit",
        "accounts": "accounts",
    }.items()
}
"""Page files (what st.Page and st.switch_page take), as absolute paths: the app script
is `app.py` in a checkout but a copy inside the package once installed, and these
resolve the same from either."""


def project_path() -> Path:
    """The project file the app serves: $QUALCODE_DB, as for the CLI."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@st.cache_resource(show_spinner=False)
def _open(path: str) -> Project:
    return SharedProject.open(path)


def project() -> Project:
    """The project (a path, no connection held), migrated once per app process; its
    connections are safe for many sessions at once (see `qualcode.threaded`)."""
    return _open(str(project_path().resolve()))


NEXT_STEPS: dict[NextStep, str] = {
    NextStep.LOAD_CODEBOOK: "load one on the Codebook page",
    NextStep.ADD_DOCUMENTS: "import transcripts on the Import page",
    NextStep.SUGGEST: "suggest codes on the Import page first",
    NextStep.SETTLE: "settle disagreements on the Agreement page, or choose another layer",
    NextStep.CREATE_THEMES: "create them on the Themes page",
    NextStep.SET_ROLE: "on the Accounts page",
    NextStep.ADD_ADMIN: "add an admin on the Accounts page first",
    NextStep.CHOOSE_PASSWORD: "sign in with it on the Signin page to choose your own",
}
"""The library's next steps as the pages where they are taken (never a CLI command)."""

LIMIT_HINT = f"whoever starts the app can raise it with {ENV_VAR}"
"""How the size limit is raised for the app: it has no control of its own for it."""


def in_app_words(text: str) -> str:
    """Library text (a file's problem, a report line) with its size-limit hint in the
    app's words."""
    return text.replace(RAISE_HINT, LIMIT_HINT)


def one_line(exc: Exception) -> str:
    """An error as the one line a person reads: a library error in the app's words
    (next steps as pages; parameters keep the library's names)."""
    if isinstance(exc, QualcodeError):
        return in_app_words(exc.render(steps=NEXT_STEPS))
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"the project could not be read or written just now ({first}); try again"


@contextmanager
def reporting() -> Iterator[None]:
    """Show a QualcodeError (a locked file, a bad input) or a database error as one
    line, not a traceback."""
    try:
        yield
    except (QualcodeError, duckdb.Error) as exc:
        st.error(md(one_line(exc)), icon=":material/error:")


def success_next_run(key: str, message: str) -> None:
    """After a change: keep a success message for the page's next run, and rerun."""
    st.session_state[key] = message
    st.rerun()


def show_success(key: str) -> None:
    """The success message the last change left under `key`, once."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(md(message))


def run_page(body: Callable[[Project, Identity], None], needs_coder: bool = True) -> None:
    """Open the project, require a signed-in coder, and run a page body with the
    project bound to them (`Project.as_user`: the library then refuses what their
    role may not see or change); a QualcodeError anywhere in it ends the page with
    its one-line message."""
    try:
        proj = project()
        if needs_coder:
            identity = require_identity(proj, PAGES["signin"])
            body(proj.as_user(identity.name), identity)
        else:
            body(proj, None)  # type: ignore[arg-type]
    except (QualcodeError, duckdb.Error) as exc:
        st.error(md(one_line(exc)), icon=":material/error:")


def choice(label: str, options: list, key: str, format_func: Callable = str, **kwargs) -> object:
    """A selectbox whose first option, None, reads 'All'."""
    return st.selectbox(
        label,
        [None, *options],
        format_func=lambda v: "All" if v is None else format_func(v),
        key=key,
        **kwargs,
    )
