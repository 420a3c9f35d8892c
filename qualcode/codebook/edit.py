"""Editing the codebook from the app: every change stores a new codebook version.

Each edit reads the latest version and appends the changed one in the same
transaction, so two people editing at once never lose each other's change
silently (the second edit applies to the first one's result). Codes are never
deleted: retiring a code keeps it, marked retired, and codings made with it
keep the version they were made under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qualcode.access import acting_as, require_supervisor
from qualcode.codebook.model import Code, Codebook, codebook_from_mapping
from qualcode.codebook.versions import LoadResult, append_codebook, codebook_at
from qualcode.codebook.yaml_io import codebook_to_yaml
from qualcode.errors import InputError, QualcodeError
from qualcode.store import Project

EDITABLE = ("label", "definition", "full_definition", "include", "exclude", "examples", "color",
            "provenance", "priorities")  # fmt: skip
SOURCE = "qualcode app"


def _change(project: Project, actor: str, edit: Callable[[Codebook], list[Code]]) -> LoadResult:
    """Apply `edit` (the current codebook -> its new codes) and store the result; a
    supervisor's or admin's change when the project is bound to a person."""
    if not actor or not actor.strip():
        raise QualcodeError("a codebook change needs the name of who made it")
    actor = acting_as(project, actor)
    require_supervisor(project, "change the codebook")
    with project.transaction() as con:
        current = codebook_at(con)
        if current is None:
            raise QualcodeError("no codebook loaded yet: import one first")
        candidate = Codebook(current.name, edit(current), description=current.description)
        data = candidate.to_dict()
        try:
            checked = codebook_from_mapping(data, SOURCE)
        except InputError as exc:
            raise QualcodeError(exc.problem) from None
        return append_codebook(con, checked, codebook_to_yaml(checked), SOURCE, actor)


def _find(codebook: Codebook, code_id: str) -> Code:
    code = codebook.by_id().get(code_id)
    if code is None:
        raise QualcodeError(f"no code '{code_id}' in the codebook")
    return code


def edit_code(project: Project, code_id: str, actor: str, **changes: object) -> LoadResult:
    """Change a code's fields (label, definition, include, exclude, examples, ...)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise QualcodeError(f"cannot edit field '{unknown[0]}' (editable: {', '.join(EDITABLE)})")
    if "color" in changes and not changes["color"]:
        changes["color"] = None

    def edit(codebook: Codebook) -> list[Code]:
        code = _find(codebook, code_id)
        if code.retired:
            raise QualcodeError(f"'{code_id}' is retired: it cannot be edited")
        return [replace(c, **changes) if c.id == code_id else c for c in codebook.codes]

    return _change(project, actor, edit)


def add_example(project: Project, code_id: str, text: str, actor: str) -> LoadResult:
    """Add a text (typically a coded segment) to a code's examples."""
    text = " ".join(text.split())
    if not text:
        raise QualcodeError("an example needs some text")

    def edit(codebook: Codebook) -> list[Code]:
        code = _find(codebook, code_id)
        if text in code.examples:
            raise QualcodeError(f"that is already an example of '{code_id}'")
        return [replace(c, examples=[*c.examples, text]) if c.id == code_id else c
                for c in codebook.codes]  # fmt: skip

    return _change(project, actor, edit)


def retire_code(project: Project, code_id: str, actor: str) -> LoadResult:
    """Retire a code: it stays in the codebook, marked retired, and can no longer be applied."""

    def edit(codebook: Codebook) -> list[Code]:
        code = _find(codebook, code_id)
        if code.retired:
            raise QualcodeError(f"'{code_id}' is retired already")
        return [replace(c, retired=True) if c.id == code_id else c for c in codebook.codes]

    return _change(project, actor, edit)


def add_code(project: Project, code: Code, actor: str) -> LoadResult:
    """Add a new code (after its parent when it has one, else at the end)."""

    def edit(codebook: Codebook) -> list[Code]:
        if code.id in codebook.by_id():
            raise QualcodeError(f"a code '{code.id}' exists already (ids never change meaning)")
        codes = list(codebook.codes)
        position = len(codes)
        if code.parent is not None:
            family = [i for i, c in enumerate(codes) if c.id == code.parent
                      or code.parent in codebook.ancestors(c.id)]  # fmt: skip
            position = max(family) + 1 if family else position
        return [*codes[:position], code, *codes[position:]]

    return _change(project, actor, edit)
