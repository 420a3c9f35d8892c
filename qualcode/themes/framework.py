"""The framework's own theme set: one theme per top-level group of the codebook.

For the CSF-POF codebook that is one theme per UNCRC principle (articles 2, 3, 6
and 12) plus the barriers group, each with every codable code under it. Creating
them is idempotent: a group that already has its framework theme is left as the
team left it (renamed, edited, codes moved), and nothing new is made for it.

A code retired from the codebook after it was applied keeps its place: its codings
were made under the group it belonged to, so the theme made for that group still
counts them (the theme table marks the code as retired). A retired code nobody
applied is left out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from qualcode.access import recorded_as
from qualcode.codebook.model import Codebook
from qualcode.codebook.versions import codebook_at
from qualcode.errors import NextStep, QualcodeError
from qualcode.store import Project
from qualcode.themes.catalog import insert_theme, read_themes
from qualcode.themes.model import Theme


@dataclass
class FrameworkResult:
    """Which framework themes were created now and which existed already."""

    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)


def framework_groups(
    codebook: Codebook, applied: Collection[str] = ()
) -> list[tuple[str, list[str]]]:
    """(top-level group id, its codable codes in codebook order), for every top-level
    code with at least one codable code under it (itself included): the active codes,
    and the retired ones among `applied` (codes with codings) where they were."""
    groups: dict[str, list[str]] = {}
    for code in codebook.active():
        if code.parent is None:
            groups.setdefault(code.id, [])
    for code in codebook.codes:
        if not code.codable or (code.retired and code.id not in applied):
            continue
        top = codebook.top_level(code.id)
        if top in groups:
            groups[top].append(code.id)
    return [(group, codes) for group, codes in groups.items() if codes]


def create_framework_themes(project: Project, actor: str) -> FrameworkResult:
    """Create the missing framework themes from the current codebook, in one transaction."""
    actor = recorded_as(project, actor)
    with project.transaction() as con:
        codebook = codebook_at(con)
        if codebook is None:
            raise QualcodeError("no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK)
        index = codebook.by_id()
        result = FrameworkResult()
        have = {t.framework_group: t.id for t in read_themes(con) if t.framework_group}
        applied = {row[0] for row in con.execute("SELECT DISTINCT code_id FROM codings").fetchall()}
        for group, codes in framework_groups(codebook, applied):
            if group in have:
                result.existing.append(have[group])
                continue
            top = index[group]
            result.created.append(
                insert_theme(
                    con,
                    top.label,
                    actor,
                    definition=top.definition,
                    memo=f"From codebook group '{group}' ({codebook.name}, "
                    f"codebook v{codebook.version}).",
                    codes=codes,
                    origin="framework",
                    framework_group=group,
                    retired_allowed=applied,
                )
            )
        wanted = set(result.created) | set(result.existing)
        result.themes = [t for t in read_themes(con) if t.id in wanted]
        return result
