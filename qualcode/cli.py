"""The `qualcode` command: a thin layer over the library.

Heavy libraries (spaCy, sentence-transformers, torch) are imported inside the
commands that need them, so `qualcode --help` answers at once. Exit codes: 0 on
success, 1 when any input failed, 2 on usage errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from qualcode.errors import QualcodeError

app = typer.Typer(
    name="qualcode",
    help="Local-first qualitative coding and thematic analysis against a framework codebook.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
codebook_app = typer.Typer(
    help="Load, inspect and export the project's codebook.", no_args_is_help=True
)
app.add_typer(codebook_app, name="codebook")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


class State:
    db: Path = Path(os.environ.get("QUALCODE_DB", "qualcode.duckdb"))


@app.callback()
def main(
    db: Annotated[
        Path,
        typer.Option("--db", envvar="QUALCODE_DB", help="The project file.", show_default=True),
    ] = Path("qualcode.duckdb"),
) -> None:
    """qualcode: code workshop transcripts against a framework codebook, on this machine."""
    State.db = db


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _reporting_errors() -> Iterator[None]:
    """Turn qualcode errors into one line on stderr and exit code 1."""
    try:
        yield
    except QualcodeError as exc:
        _fail(str(exc))


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def _project():
    from qualcode.store import Project

    return Project.open(State.db)


@contextmanager
def _progress_bar(
    description: str, enabled: bool = True
) -> Iterator[Callable[[int, int, str], None]]:
    """A rich progress bar on stderr; yields progress(done, total, label)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[label]}", style="dim"),
        console=console,
        transient=True,
        disable=not enabled,
    ) as bar:
        task = bar.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, label=Path(label).name)

        yield update


@app.command()
def init() -> None:
    """Create the project file (or bring an older one up to date)."""
    from qualcode.store import Project

    with _reporting_errors():
        project = Project.init(State.db)
    typer.echo(f"project ready: {project.path} (schema {project.schema_version()})")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    manifest: Annotated[
        Path | None, typer.Option(help="CSV or YAML: file, location, session, date, group, ...")
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="Location for files the manifest lacks.")
    ] = None,
    session: Annotated[
        str | None, typer.Option(help="Session for files the manifest lacks.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read transcripts and workshop outputs into the project, one transaction per file."""
    from qualcode.ingest.pipeline import ingest_paths

    with _reporting_errors():
        project = _project()
        with _progress_bar("ingesting", enabled=sys.stderr.isatty()) as progress:
            report = ingest_paths(
                project,
                paths,
                manifest=manifest,
                location=location,
                session=session,
                progress=progress,
            )
    if as_json:
        _emit(report.to_json())
    else:
        typer.echo(
            f"{report.documents_added} documents added ({report.segments_added} segments), "
            f"{len(report.skipped)} skipped (already stored), {len(report.failed)} failed"
        )
        for failure in report.failed:
            typer.echo(f"failed: {failure['path']}: {failure['error']}", err=True)
    for path in report.without_location_session:
        typer.echo(f"note: {path} has no location and session", err=True)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Counts of documents, segments, codes, codings and coders."""
    from qualcode.status import project_status

    with _reporting_errors():
        summary = project_status(_project())
    if as_json:
        _emit(summary)
        return
    typer.echo(
        f"{summary['documents']} documents, {summary['segments']} segments, "
        f"{summary['codes']} codes (codebook v{summary['codebook_version'] or '-'}), "
        f"{summary['codings']} codings by {summary['coders']} coders"
    )
    for row in summary["documents_by_location_session"]:
        typer.echo(f"  {row['location']}, session {row['session']}: {row['documents']} documents")
    if summary["documents_without_location_session"]:
        typer.echo(
            f"  {summary['documents_without_location_session']} documents without "
            "location and session"
        )


@codebook_app.command("load")
def codebook_load(
    file: Annotated[Path, typer.Argument(help="A codebook in YAML (.yaml) or REFI-QDA (.qdc).")],
    as_json: JsonOption = False,
) -> None:
    """Validate a codebook and store it as a new codebook version if it changed."""
    from qualcode.codebook.versions import load_codebook

    with _reporting_errors():
        result = load_codebook(_project(), file)
    if as_json:
        _emit(
            {
                "version": result.version,
                "created": result.created,
                "added": result.added,
                "changed": result.changed,
                "retired": result.retired,
            }
        )
    elif result.created:
        typer.echo(
            f"codebook version {result.version}: {len(result.added)} added, "
            f"{len(result.changed)} changed, {len(result.retired)} retired"
        )
    else:
        typer.echo(f"codebook unchanged (version {result.version})")


@codebook_app.command("export")
def codebook_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="yaml")] = "yaml",
) -> None:
    """Write the project's current codebook to a file."""
    from qualcode.codebook.export import export_codebook

    with _reporting_errors():
        export_codebook(_project(), fmt, output)
    typer.echo(f"wrote {output}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option(help="Where to build the demo project.")] = Path(
        "demo"
    ),
    sample: Annotated[Path | None, typer.Option(help="The sample corpus folder.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a demo project from the bundled synthetic sample corpus and summarise it."""
    from qualcode.demo import build_demo

    with _reporting_errors():
        with _progress_bar("building demo", enabled=sys.stderr.isatty()) as progress:
            summary = build_demo(directory, sample_dir=sample, progress=progress)
    if as_json:
        _emit(summary)
        return
    typer.echo(f"demo project: {summary['db']}")
    typer.echo(
        f"{summary['documents']} documents, {summary['segments']} segments, "
        f"{summary['codes']} codes (codebook v{summary['codebook_version']})"
    )
    for row in summary["documents_by_location_session"]:
        typer.echo(f"  {row['location']}, session {row['session']}: {row['documents']} documents")


if __name__ == "__main__":  # pragma: no cover
    app()
