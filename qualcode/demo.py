"""The demo project: the CSF-POF codebook and the synthetic sample corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualcode.codebook.versions import load_codebook
from qualcode.ingest.pipeline import Progress, ingest_paths
from qualcode.resources import csf_pof_codebook, sample_corpus
from qualcode.status import project_status
from qualcode.store import Project


def build_demo(
    directory: str | Path, sample_dir: str | Path | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """Create (or bring up to date) a demo project in `directory`; return its status.

    Re-running is safe: the codebook and files already stored are skipped.
    """
    sample = Path(sample_dir) if sample_dir else sample_corpus()
    project = Project.init(Path(directory) / "qualcode.duckdb")
    load_codebook(project, csf_pof_codebook(), actor="demo")
    report = ingest_paths(
        project, [sample], manifest=sample / "manifest.csv", actor="demo", progress=progress
    )
    summary = project_status(project)
    summary["db"] = str(project.path)
    summary["ingest"] = report.to_json()
    return summary
