"""Codebook files: YAML or REFI-QDA `.qdc`, read into a project and written from it.

The choice between the two formats lives here, above both `qualcode.codebook` (the
model, its YAML form and its versions) and `qualcode.refi` (the exchange format, which
reads and writes the codebook model), so neither imports the other's way up.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from qualcode.access import acting_as
from qualcode.codebook.model import Codebook
from qualcode.codebook.versions import LoadResult, current_codebook, store_codebook
from qualcode.codebook.yaml_io import codebook_to_yaml, parse_yaml_codebook, read_yaml_text
from qualcode.errors import InputError, NextStep, ProjectError, QualcodeError
from qualcode.fileio import OWNER_ONLY, write_atomic
from qualcode.refi.codebook import codebook_to_qdc, read_qdc
from qualcode.refi.guids import project_uuid
from qualcode.store import Project

FORMATS = ("yaml", "qdc")


def read_codebook_file(path: str | Path, max_bytes: int | None = None) -> tuple[Codebook, str]:
    """A validated codebook and its source text, from .yaml/.yml or a REFI .qdc file
    within the size limit (None: the configured one, see qualcode.limits)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = read_yaml_text(path, max_bytes)
        return parse_yaml_codebook(text, path), text
    if suffix == ".qdc":
        codebook = read_qdc(path, max_bytes)
        return codebook, codebook_to_yaml(codebook)
    raise InputError(path, f"unsupported codebook format '{suffix}' (use .yaml or .qdc)")


def load_codebook(
    project: Project, path: str | Path, actor: str = "cli", max_bytes: int | None = None
) -> LoadResult:
    """Validate a codebook file and store it as a new version if it changed.

    A file over `max_bytes` (None: the configured limit) is refused before it is read.
    """
    codebook, source_text = read_codebook_file(path, max_bytes)
    return store_codebook(project, codebook, source_text, str(path), actor)


def export_codebook(project: Project, fmt: str, output: str | Path) -> Path:
    """Write the current codebook in a format; the file appears whole or not at all."""
    if fmt not in FORMATS:
        raise QualcodeError(f"unknown codebook format '{fmt}' (choose from {', '.join(FORMATS)})")
    codebook = current_codebook(project)
    if codebook is None:
        raise ProjectError(
            f"{project.path}: no codebook loaded yet", next_step=NextStep.LOAD_CODEBOOK
        )
    output = Path(output)
    if fmt == "qdc":  # REFI-QDA, GUIDs stable per project
        data = codebook_to_qdc(codebook, project_uuid(project))
    else:
        data = codebook_to_yaml(codebook).encode("utf-8")
    write_atomic(output, data, mode=OWNER_ONLY)
    return output


def load_codebook_file(project: Project, filename: str, data: bytes, actor: str) -> LoadResult:
    """Load an uploaded YAML or REFI .qdc codebook (stored as a new version if it changed)."""
    name = Path(filename).name or "codebook.yaml"
    actor = acting_as(project, actor)
    with tempfile.TemporaryDirectory(prefix="qualcode-codebook-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return load_codebook(project, path, actor=actor)
        except InputError as exc:
            raise QualcodeError(f"{name}: {exc.problem}") from None


def codebook_file(project: Project, fmt: str) -> tuple[str, bytes]:
    """The current codebook as a file: (file name, bytes), in yaml or qdc."""
    with tempfile.TemporaryDirectory(prefix="qualcode-codebook-") as folder:
        path = export_codebook(project, fmt, Path(folder) / f"codebook.{fmt}")
        return path.name, path.read_bytes()
