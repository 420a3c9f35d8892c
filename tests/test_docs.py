"""The README agrees with the code: every command and option it names exists, every
command is documented, and its table of app pages is the app's set of pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile

import typer.main

from qualcode.cli import app
from qualcode.ui.common import PAGES

from .conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _table(header: str) -> list[str]:
    """The first cells of the rows of the Markdown table whose header line is `header`."""
    lines = README.splitlines()
    start = lines.index(header) + 2
    rows = takewhile(lambda line: line.startswith("|"), lines[start:])
    return [re.split(r"(?<!\\)\|", row)[1].strip() for row in rows]


def _commands() -> dict[tuple[str, ...], set[str]]:
    """Every command path (groups too) with the options it accepts, its groups' and the
    global ones included."""
    found: dict[tuple[str, ...], set[str]] = {}

    def walk(command, path: tuple[str, ...], inherited: set[str]) -> None:
        options = inherited | {
            opt
            for param in command.params
            for opt in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
            if opt.startswith("-")
        }
        found[path] = options
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name), options)

    walk(typer.main.get_command(app), (), set())
    return found


COMMANDS = _commands()
LEAVES = {p for p in COMMANDS if p and not any(q[: len(p)] == p and q != p for q in COMMANDS)}


def _documented() -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """(command path, options named) for every command the README's command table names."""
    for cell in _table("| command | what it does |"):
        for span in re.findall(r"`([^`]+)`", cell):
            words = span.removeprefix("qualcode ").split()
            head = list(takewhile(lambda w: re.fullmatch(r"[a-z\\|]+", w), words))
            options = [
                re.match(r"--[a-z-]+", w).group(0)  # type: ignore[union-attr]
                for w in words
                if re.match(r"\(?--[a-z]", w.lstrip("(["))
                for w in [w.lstrip("([")]
            ]
            alternatives = " ".join(head).split("\\|")
            parent: tuple[str, ...] = ()
            for alternative in alternatives:
                path = tuple(alternative.split())
                if parent and (*parent, *path) in COMMANDS:
                    path = (*parent, *path)
                yield path, options
                parent = path[:-1] or parent


def test_every_command_and_option_in_the_readme_exists() -> None:
    named = list(_documented())
    assert len(named) >= 30
    for path, options in named:
        assert path in COMMANDS, f"README names `qualcode {' '.join(path)}`, which does not exist"
        unknown = [o for o in options if o not in COMMANDS[path]]
        assert not unknown, f"`qualcode {' '.join(path)}` has no option {unknown}"


def test_every_command_is_in_the_readme() -> None:
    documented = {path for path, _ in _documented()}
    missing = sorted(" ".join(p) for p in LEAVES if p not in documented)
    assert not missing, f"commands missing from the README's table: {missing}"


def test_the_readme_lists_the_apps_pages() -> None:
    listed = {cell.lower().replace(" ", "") for cell in _table("| page | what it is for |")}
    assert listed == set(PAGES)


def test_architecture_names_every_module() -> None:
    text = (REPO_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    package = REPO_ROOT / "qualcode"
    missing = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if path.name != "__init__.py"
        and f"`{path.name}`" not in text
        and f"`{path.relative_to(package).as_posix()}`" not in text
        and f"`{path.stem}`" not in text
    ]
    assert not missing, f"modules ARCHITECTURE.md does not name: {missing}"
