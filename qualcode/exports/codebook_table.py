"""The codebook as an appendix table: every MacQueen field of every active code."""

from __future__ import annotations

from qualcode.codebook.versions import current_codebook
from qualcode.errors import NextStep, ProjectError
from qualcode.exports.table import Table
from qualcode.store import Project

COLUMNS = [
    "Code", "Label", "Parent", "Definition", "Full definition", "Include", "Exclude",
    "Examples", "Provenance",
]  # fmt: skip


def codebook_table(project: Project) -> Table:
    """The current codebook version, codes in codebook order (groups included)."""
    codebook = current_codebook(project)
    if codebook is None:
        raise ProjectError(
            f"{project.path}: no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK
        )
    rows = [
        [
            code.id,
            code.label,
            code.parent or "",
            code.definition,
            code.full_definition,
            code.include,
            code.exclude,
            "\n".join(code.examples),
            code.provenance,
        ]  # fmt: skip
        for code in codebook.active()
    ]
    groups = [code.id for code in codebook.active() if not code.codable]
    return Table(
        f"{codebook.name} (codebook version {codebook.version})",
        COLUMNS,
        rows,
        [f"Groups (not applied to text themselves): {', '.join(groups)}."] if groups else [],
        sheet="Codebook",
    )
