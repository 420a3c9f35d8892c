"""Themes as plain data: what the CLI prints, the app shows and exports render."""

from __future__ import annotations

from dataclasses import dataclass, field

from qualcode.jsonable import Jsonable

STATUSES = ("candidate", "reviewed", "final")
ORIGINS = ("manual", "framework", "suggestion")
EDITABLE = ("name", "definition", "central_concept", "status", "memo", "parent")


@dataclass
class Theme(Jsonable):
    """A theme: a central organising concept grouping codes; `parent` makes it a subtheme."""

    id: int
    name: str
    definition: str = ""
    central_concept: str = ""
    status: str = "candidate"
    memo: str = ""
    parent: int | None = None
    origin: str = "manual"
    framework_group: str | None = None
    created_by: str = ""
    codes: list[str] = field(default_factory=list)  # its own codes, codebook order
    subthemes: list[int] = field(default_factory=list)


def descendants(themes: list[Theme], theme_id: int) -> list[int]:
    """Subthemes, sub-subthemes, ... of a theme (not the theme itself)."""
    children: dict[int | None, list[int]] = {}
    for theme in themes:
        children.setdefault(theme.parent, []).append(theme.id)
    found: list[int] = []
    stack = list(children.get(theme_id, []))
    while stack:
        current = stack.pop(0)
        if current in found or current == theme_id:
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def theme_code_closure(themes: list[Theme]) -> dict[int, list[str]]:
    """Each theme's codes including those of its subthemes, first-seen order."""
    by_id = {t.id: t for t in themes}
    closure: dict[int, list[str]] = {}
    for theme in themes:
        codes = list(theme.codes)
        for sub in descendants(themes, theme.id):
            codes.extend(c for c in by_id[sub].codes if c not in codes)
        closure[theme.id] = codes
    return closure


def tree_order(themes: list[Theme]) -> list[tuple[Theme, int]]:
    """Themes depth-first (a parent, then its subthemes), with their depth."""
    children: dict[int | None, list[Theme]] = {}
    ids = {t.id for t in themes}
    for theme in themes:
        parent = theme.parent if theme.parent in ids else None
        children.setdefault(parent, []).append(theme)
    ordered: list[tuple[Theme, int]] = []

    def visit(parent: int | None, depth: int) -> None:
        for theme in children.get(parent, []):
            ordered.append((theme, depth))
            visit(theme.id, depth + 1)

    visit(None, 0)
    return ordered
