"""The public API: each package's `__all__` is exactly what it makes public (in the
style of httpx's exported-members test), everything in it exists, and the front ends
import the library through these packages, not their inner modules."""

from __future__ import annotations

import ast
import importlib
import types

import pytest

import qualcode

from .conftest import REPO_ROOT

PACKAGES = [
    "qualcode",
    "qualcode.agreement",
    "qualcode.codebook",
    "qualcode.coding",
    "qualcode.exports",
    "qualcode.ingest",
    "qualcode.privacy",
    "qualcode.refi",
    "qualcode.suggest",
    "qualcode.themes",
]


def test_every_library_package_is_listed() -> None:
    found = {
        f"qualcode.{p.parent.name}"
        for p in (REPO_ROOT / "qualcode").glob("*/__init__.py")
        if p.parent.name not in ("ui", "migrations")  # the app's pages; SQL files
    }
    assert found == set(PACKAGES) - {"qualcode"}


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_exactly_what_the_package_makes_public(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        member
        for member, value in vars(package).items()
        if (not member.startswith("_") or member == "__version__")
        and member != "annotations"
        and not isinstance(value, types.ModuleType)
    }
    assert sorted(package.__all__) == sorted(public)
    assert len(set(package.__all__)) == len(package.__all__)


def test_the_top_level_exports_the_errors_and_the_version() -> None:
    assert sorted(qualcode.__all__) == [
        "ArgumentError",
        "InputError",
        "NextStep",
        "ProjectError",
        "QualcodeError",
        "__version__",
    ]


def test_front_ends_import_the_library_through_its_packages() -> None:
    """The CLI, the app script and its pages import `qualcode.<package>` (or a top-level
    module), never `qualcode.<package>.<module>` (the pages' own helpers excepted)."""
    deep = []
    for path in [REPO_ROOT / "qualcode" / "cli.py", REPO_ROOT / "app.py"] + sorted(
        (REPO_ROOT / "qualcode" / "ui").glob("*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qualcode."):
                parts = node.module.split(".")
                if len(parts) > 2 and parts[1] != "ui":
                    deep.append(f"{path.name}:{node.lineno} {node.module}")
    assert deep == []
