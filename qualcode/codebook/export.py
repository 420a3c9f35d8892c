"""Writing the project's codebook to files."""

from __future__ import annotations

from pathlib import Path

from qualcode.codebook.versions import current_codebook
from qualcode.codebook.yaml_io import codebook_to_yaml
from qualcode.errors import NextStep, ProjectError, QualcodeError
from qualcode.fileio import write_atomic
from qualcode.store import Project

FORMATS = ("yaml", "qdc")


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
        from qualcode.refi.codebook import codebook_to_qdc
        from qualcode.refi.guids import project_uuid

        data = codebook_to_qdc(codebook, project_uuid(project))
    else:
        data = codebook_to_yaml(codebook).encode("utf-8")
    write_atomic(output, data)
    return output
