"""The demo project: the CSF-POF codebook and the synthetic sample corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.csv_import import import_codings
from qualcode.ingest.pipeline import Progress, ingest_paths
from qualcode.resources import csf_pof_codebook, sample_corpus
from qualcode.settings import change_setting, read_setting
from qualcode.status import project_status
from qualcode.store import Project

SAMPLE_UNIT = "sentence"
"""The unit of coding the sample's codings were made at."""


def build_demo(
    directory: str | Path,
    sample_dir: str | Path | None = None,
    progress: Progress | None = None,
    with_suggestions: bool = True,
) -> dict[str, Any]:
    """Create (or bring up to date) a demo project in `directory`; return its status.

    The sample's double codings (two synthetic coders) are imported once, a
    coder named "supervisor" is registered, and codes are suggested for every
    segment (embeddings are cached, so a rerun is quick). Re-running is safe: what is already
    stored is skipped. The sample's codings name segments by their ordinal at the sentence
    unit, so the demo project codes sentences (its `coding_unit` setting).
    """
    sample = Path(sample_dir) if sample_dir else sample_corpus()
    project = Project.init(Path(directory) / "qualcode.duckdb")
    load_codebook(project, csf_pof_codebook(), actor="demo")
    if read_setting(project, "coding_unit") != SAMPLE_UNIT:
        change_setting(project, "coding_unit", SAMPLE_UNIT, actor="demo")
    report = ingest_paths(
        project, [sample], manifest=sample / "manifest.csv", actor="demo", progress=progress
    )
    codings = sample / "codings.csv"
    if codings.exists() and not _has_imported_codings(project):
        import_codings(project, codings, actor="demo")
    add_coder(project, "supervisor", "supervisor", actor="demo")
    if with_suggestions:
        from qualcode.suggest.run import suggest

        summary_suggest = suggest(project, progress=progress).to_json()
    summary = project_status(project)
    summary["db"] = str(project.path)
    summary["ingest"] = report.to_json()
    summary["suggest"] = summary_suggest if with_suggestions else None
    return summary


def _has_imported_codings(project: Project) -> bool:
    with project.connect(read_only=True) as con:
        return bool(
            con.execute("SELECT 1 FROM coding_events WHERE source = 'import' LIMIT 1").fetchone()
        )
