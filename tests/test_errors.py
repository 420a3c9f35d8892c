"""Errors in the library's own words: library messages name parameters and files, never
CLI flags or commands; the CLI says them with its options and commands, the app with its
pages. A scan of the package's raise-messages keeps it that way."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from qualcode.accounts import add_account
from qualcode.agreement.report import BY_CHOICES, agreement_report
from qualcode.agreement.sampling import create_sample
from qualcode.audit import audit_trail
from qualcode.cli import NEXT_STEPS as CLI_STEPS
from qualcode.cli import app
from qualcode.coders import add_coder
from qualcode.errors import ArgumentError, InputError, NextStep, QualcodeError
from qualcode.exports.render import FORMATS, format_for
from qualcode.store import Project
from qualcode.suggest import suggest
from qualcode.suggest.evaluate import evaluate
from qualcode.themes.tracking import track
from qualcode.ui.common import NEXT_STEPS as APP_STEPS
from qualcode.ui.common import PAGES, one_line

from .conftest import REPO_ROOT
from .test_app_pages import empty, open_page, plain  # noqa: F401  (empty: a fixture)

CLI_COMMAND = typer.main.get_command(app)

# --- the library names its parameters -------------------------------------------------

BAD_ARGUMENTS: list[tuple[str, Callable[[Project], Any], str]] = [
    ("top_k", lambda p: suggest(p, top_k=0), "top_k must be at least 1"),
    ("min_score", lambda p: suggest(p, min_score=1.5), "min_score must be between 0 and 1"),
    ("fraction", lambda p: create_sample(p, "s", 2.0), "fraction must be greater than 0"),
    ("unit", lambda p: create_sample(p, "s", 0.5, unit="turn"), "unit must be 'segment'"),
    ("by", lambda p: agreement_report(p, by="colour"), "by must be one of code, document"),
    ("since", lambda p: audit_trail(p, since="last week"), "since must be a date or time"),
    ("fmt", lambda p: format_for("x.pdf", None), "fmt is needed (csv, xlsx"),
    ("level", lambda p: evaluate("gold.csv", level=-1), "level must be 0 (codes) or more"),
    ("cv", lambda p: evaluate("gold.csv", cv=1), "cv needs at least 2 folds"),
]


@pytest.mark.parametrize(
    ("parameter", "call", "message"), BAD_ARGUMENTS, ids=[case[0] for case in BAD_ARGUMENTS]
)
def test_a_bad_argument_names_the_parameter_not_a_flag(
    project: Project, parameter: str, call: Callable[[Project], Any], message: str
) -> None:
    add_coder(project, "ann")  # something in the audit trail for `since` to be compared with
    with pytest.raises(ArgumentError) as caught:
        call(project)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(message)
    assert "--" not in str(caught.value) and "qualcode " not in str(caught.value)


def test_a_next_step_is_said_in_the_library_s_words(project: Project) -> None:
    with pytest.raises(QualcodeError) as caught:
        track(project, "all")
    error = caught.value
    assert error.next_step is NextStep.LOAD_CODEBOOK
    assert error.message == "the project is empty: no codebook loaded yet"
    assert str(error) == (
        "the project is empty: no codebook loaded yet "
        "(load one with qualcode.codebook_files.load_codebook)"
    )


def test_every_library_next_step_names_a_real_function() -> None:
    for step in NextStep:
        names = re.findall(r"qualcode(?:\.\w+)+", step.value)
        assert names, step
        for dotted in names:
            parts = dotted.split(".")
            # the longest importable module, then attributes (a class's method too)
            cut = max(i for i in range(1, len(parts)) if _importable(".".join(parts[:i])))
            found = importlib.import_module(".".join(parts[:cut]))
            for attribute in parts[cut:]:
                found = getattr(found, attribute)
            assert callable(found), dotted


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def test_render_in_a_front_end_s_words() -> None:
    error = ArgumentError("top_k", "must be at least 1")
    assert (str(error), error.problem) == ("top_k must be at least 1", "must be at least 1")
    assert error.render(name=lambda p: "--top-k") == "--top-k must be at least 1"
    step = QualcodeError("no themes yet", next_step=NextStep.CREATE_THEMES)
    assert step.render(steps={NextStep.CREATE_THEMES: "make some"}) == "no themes yet (make some)"
    assert step.render(steps={}) == "no themes yet"  # never another front end's words
    assert str(InputError("a.txt", "empty file")) == "a.txt: empty file"


# --- the CLI names its flags and commands ---------------------------------------------


def _cli(project: Project, *args: str):
    return CliRunner().invoke(app, ["--db", str(project.path), *args])


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("agreement", "--by", "colour"), f"--by must be one of {', '.join(BY_CHOICES)}"),
        (
            ("agreement", "sample", "--name", "s", "--fraction", "2"),
            "--fraction must be greater than 0 and at most 1",
        ),
        (
            ("audit", "--since", "last week"),
            "--since must be a date or time, e.g. 2022-05-01 (got 'last week')",
        ),
        (
            ("export", "codebook", "-o", "x.pdf"),
            f"--format is needed ({', '.join(FORMATS)}): cannot tell the format from 'x.pdf'",
        ),
        (
            ("themes", "track"),
            "the project is empty: no codebook loaded yet (load one: qualcode codebook load FILE)",
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_the_cli_names_its_flags_and_commands(project: Project, args: tuple, line: str) -> None:
    add_coder(project, "ann")
    result = _cli(project, *args)
    assert (result.exit_code, result.stderr) == (1, f"error: {line}\n")


def test_a_file_error_keeps_its_next_step(project: Project, tmp_path: Path) -> None:
    """An error met while using a file (codings imported before any codebook) is that
    file's problem, with the way forward still in each front end's words."""
    from qualcode.ingest.pipeline import ingest_paths

    transcript = tmp_path / "t.txt"
    transcript.write_text("YP1: I want a home.\n", encoding="utf-8")
    ingest_paths(project, [transcript])
    codings = tmp_path / "c.csv"
    codings.write_text("coder,document,segment,code,decision\nann,t.txt,0,home,accept\n")
    result = _cli(project, "codings", "import", str(codings))
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {codings}: no codebook loaded yet (load one: qualcode codebook load FILE)\n",
    )


def test_a_next_step_in_each_front_end_s_words(project: Project) -> None:
    add_account(project, "root", "admin-secret-42", "admin")
    with pytest.raises(QualcodeError) as caught:
        add_coder(project, "root", "coder")
    said = "'root' has an account: only an admin changes its role"
    assert str(caught.value) == f"{said} (with qualcode.accounts.set_role)"
    assert one_line(caught.value) == f"{said} (on the Accounts page)"
    result = _cli(project, "coders", "add", "root", "--role", "coder")
    assert result.stderr == f"error: {said} (qualcode accounts add NAME --role R --as ADMIN)\n"


def _command_words(text: str) -> Iterator[list[str]]:
    """The words after each 'qualcode' in a hint, up to the first that is not a name."""
    for match in re.finditer(r"\bqualcode((?: [a-z]+)+)", text):
        yield match.group(1).split()


def test_every_next_step_has_a_cli_command_that_exists() -> None:
    assert set(CLI_STEPS) == set(NextStep)
    every_option = set()
    stack = [CLI_COMMAND]
    while stack:
        command = stack.pop()
        every_option |= {o for p in command.params for o in getattr(p, "opts", ())}
        stack += list(getattr(command, "commands", {}).values())
    for step, hint in CLI_STEPS.items():
        paths = list(_command_words(hint))
        assert paths, step
        for words in paths:
            command = CLI_COMMAND
            for word in words:
                command = command.commands[word]  # KeyError: the hint names no command
            assert not hasattr(command, "commands") or command.invoke_without_command, hint
        assert set(re.findall(r"--[a-z-]+", hint)) <= every_option, hint


# --- the app names its pages ----------------------------------------------------------


def test_every_next_step_has_app_words_that_name_a_page() -> None:
    # the app serves a project that exists (the server opens it first): no INIT there
    assert set(APP_STEPS) == set(NextStep) - {NextStep.INIT}
    for step, hint in APP_STEPS.items():
        assert "qualcode" not in hint and "--" not in hint, step
        pages = re.findall(r"the (\w+) page", hint)
        assert pages and all(page.lower() in PAGES for page in pages), hint


def test_one_line_says_the_next_step_as_a_page(project: Project) -> None:
    with pytest.raises(QualcodeError) as caught:
        track(project, "all")
    assert one_line(caught.value) == (
        "the project is empty: no codebook loaded yet (load one on the Codebook page)"
    )


def test_an_app_page_shows_a_library_error_without_cli_words(
    monkeypatch: pytest.MonkeyPatch,
    empty: Project,  # noqa: F811
) -> None:
    at = open_page(monkeypatch, empty, "matrix", coder="ana", role="supervisor",
                   state={"matrix_columns": "code", "matrix_layer": "all"})  # fmt: skip
    shown = [plain(str(e.value)) for e in at.info]
    assert "the project is empty: no codebook loaded yet (load one on the Codebook page)" in shown
    assert not any("qualcode " in text or "--" in text for text in shown)


# --- the rule, kept: no library raise-message names a flag or a command ---------------

PACKAGE = REPO_ROOT / "qualcode"
FRONT_END = {PACKAGE / "cli.py"}
"""The CLI names its own flags and commands."""
KNOWN: set[tuple[str, str]] = set()
"""Messages in files other people own, still to be put in the library's words."""
MESSAGE_KEYWORDS = {"reason", "problem", "error", "note", "message", "hint"}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
COMMAND = re.compile(rf"\bqualcode (?:{'|'.join(map(re.escape, CLI_COMMAND.commands))})\b")


def _strings(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> Iterator[str]:
    """The string literals a message is made of, through the names assigned in its module
    (constants, and variables such as a hint built before the raise)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value
        elif isinstance(child, ast.Name) and child.id in assigned:
            for value in assigned.pop(child.id):  # each name once: no cycles
                yield from _strings(value, assigned)


def _messages(tree: ast.Module) -> Iterator[str]:
    """Strings that end up in an error or a reported problem: the raised expression, the
    arguments of any *Error(...) call, message-like keyword arguments and dict values
    (never docstrings: those are bare expression statements)."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, ast.Raise) and node.exc is not None:
            parts.append(node.exc)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name.endswith("Error"):
                parts += [*node.args, *(k.value for k in node.keywords)]
            parts += [k.value for k in node.keywords if k.arg in MESSAGE_KEYWORDS]
        elif isinstance(node, ast.Dict):
            parts += [
                value
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value in MESSAGE_KEYWORDS
            ]
        for part in parts:
            yield from _strings(part, {k: list(v) for k, v in assigned.items()})


def _violations(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        (path.name, text) for text in _messages(tree) if FLAG.search(text) or COMMAND.search(text)
    }


SAMPLE = '''
"""Docstrings may say `qualcode suggest --top-k 3`."""
HINT = " (run qualcode ingest)"


def f(k):
    """Nor is this flagged: qualcode evaluate --cv 5."""
    if k < 1:
        raise ValueError("--top-k must be at least 1")
    if k > 9:
        hint = " (or use --layer all)" if k > 10 else ""
        raise QualcodeError(f"no codings{hint}")
    problem = {"error": "try qualcode codebook load"}
    raise QualcodeError(f"no documents{HINT}")


r = Result(reason="qualcode themes suggest")
ok = QualcodeError("a qualcode project file; 2--3 codes; qualcode's own layer")
'''


def test_the_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(SAMPLE, encoding="utf-8")
    assert _violations(source) == {
        ("sample.py", "--top-k must be at least 1"),
        ("sample.py", " (or use --layer all)"),
        ("sample.py", "try qualcode codebook load"),
        ("sample.py", " (run qualcode ingest)"),
        ("sample.py", "qualcode themes suggest"),
    }


def test_no_library_message_names_a_cli_flag_or_command() -> None:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path not in FRONT_END:
            found |= _violations(path)
    assert found - KNOWN == set()
