"""No stray text on any page: Streamlit's "magic" writes every bare expression of a page
script (a string under a constant, meant as its note) onto the page.

Two checks: each page file's syntax tree holds no bare expression Streamlit would write
(only docstrings and calls), and every page, rendered for a coder and for a supervisor,
shows no text equal to a note string of the app's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.store import Project
from qualcode.ui.common import PAGES

from .test_app_pages import APP, demo, open_page  # noqa: F401  (demo: the fixture)

UI = Path(PAGES["code"]).parent
SCRIPTS = [APP, *(Path(p) for p in PAGES.values())]
_DOC_PARENTS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NOT_WRITTEN = (ast.Call, ast.Yield, ast.YieldFrom, ast.Await)


def stray_expressions(source: str) -> list[tuple[int, str]]:
    """(line, text) of each bare expression statement magic would write: anything but
    a call, a yield or an await, docstrings (first statement of a module, class or
    function) excepted."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0])
        for node in ast.walk(tree)
        if isinstance(node, _DOC_PARENTS)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    return [
        (node.lineno, ast.unparse(node.value)[:80])
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and id(node) not in docstrings
        and not isinstance(node.value, _NOT_WRITTEN)
    ]


def note_strings() -> set[str]:
    """Every bare string statement (not a docstring) in the app's modules: the texts that
    would show if such a note stood in a page script."""
    found: set[str] = set()
    for path in [APP, *UI.glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0]) for node in ast.walk(tree) if isinstance(node, _DOC_PARENTS)}
        found |= {
            " ".join(node.value.value.split())
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr)
            and id(node) not in docstrings
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
    return found


def shown_texts(at: AppTest) -> list[str]:
    """The plain texts a page shows (where magic writes a string: markdown and text)."""
    return [" ".join(str(e.value).split()) for kind in ("markdown", "text") for e in at.get(kind)]


def test_the_checks_find_a_note_under_a_constant() -> None:
    page = 'import streamlit as st\n\nLIMIT = 5\n"""Rows shown at most."""\nst.title("T")\n'
    assert stray_expressions(page) == [(4, "'Rows shown at most.'")]
    at = AppTest.from_string(page).run()
    assert "Rows shown at most." in shown_texts(at)
    assert stray_expressions('"""Doc."""\n\ndef f():\n    """Doc."""\n    g()\n') == []
    assert stray_expressions("def f():\n    x\n") == [(2, "x")]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_page_script_holds_a_bare_expression(script: Path) -> None:
    assert stray_expressions(script.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("role", ["coder", "supervisor"])
def test_no_page_shows_a_note_string(
    monkeypatch: pytest.MonkeyPatch,
    demo: Project,  # noqa: F811
    role: str,
) -> None:
    notes = note_strings()
    assert "The library's next steps as the pages where they are taken (never a CLI command)." in (
        notes
    )  # common.py's notes: there the module is imported, not run as a page
    for page in PAGES:
        at = open_page(monkeypatch, demo, page, coder=f"stray_{role}", role=role)
        stray = [t for t in shown_texts(at) if t in notes]
        assert not stray, (page, role, stray)
