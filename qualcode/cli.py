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
from typing import Annotated, Any, Literal

import typer

from qualcode.errors import NextStep, QualcodeError
from qualcode.limits import ENV_VAR, RAISE_HINT

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
    user: str | None = None


def _print_version(value: bool) -> None:
    if value:
        from qualcode import __version__

        typer.echo(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    db: Annotated[
        Path,
        typer.Option("--db", envvar="QUALCODE_DB", help="The project file.", show_default=True),
    ] = Path("qualcode.duckdb"),
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="QUALCODE_USER",
            help="Act as this person, with their role's access (their password is asked "
            "when the project has accounts, or read from QUALCODE_PASSWORD); without it, "
            "commands act for whoever holds the project file.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """qualcode: code workshop transcripts against a framework codebook, on this machine."""
    State.db = db
    State.user = user


NEXT_STEPS: dict[NextStep, str] = {
    NextStep.LOAD_CODEBOOK: "load one: qualcode codebook load FILE",
    NextStep.ADD_DOCUMENTS: "add some: qualcode ingest PATH",
    NextStep.SUGGEST: "run 'qualcode suggest' first",
    NextStep.SETTLE: (
        "settle disagreements with 'qualcode agreement settle', or use --layer all or coder:NAME"
    ),
    NextStep.CREATE_THEMES: "create them: qualcode themes framework, or qualcode themes add NAME",
    NextStep.SET_ROLE: "qualcode accounts add NAME --role R --as ADMIN",
    NextStep.INIT: "create one: qualcode init",
    NextStep.ADD_ADMIN: "add an admin first: qualcode accounts add NAME --role admin",
    NextStep.CHOOSE_PASSWORD: (
        "choose your own: qualcode accounts passwd NAME (the one-time password is the current one)"
    ),
}
"""The library's next steps as the commands that take them."""


def _running_command() -> Any:
    """The (click) command being run, None outside one. Newer typers vendor click and
    keep their own context stack; older ones use click's."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # a typer that runs on click itself
        from click import get_current_context
    context = get_current_context(silent=True)
    return context.command if context is not None else None


def _option(parameter: str) -> str | None:
    """The running command's option for a library parameter, if it has one by that name
    (`top_k` is `--top-k`, `fmt` is `--format`), so library errors can name the flag."""
    command = _running_command()
    for param in command.params if command is not None else ():
        if param.name == parameter and param.param_type_name == "option":
            return max(param.opts, key=len)
    return None


def _in_cli_words(text: str) -> str:
    """Library text with its size-limit hint naming this command's `--max-size`, if any."""
    flag = _option("max_size")
    return text.replace(
        RAISE_HINT, f"raise it with {flag} MB or {ENV_VAR}" if flag else f"raise it with {ENV_VAR}"
    )


def _error_line(exc: QualcodeError) -> str:
    """A library error in the CLI's words: options for the parameters the library names,
    commands for its next steps (the library's own message names neither)."""
    return _in_cli_words(exc.render(name=lambda p: _option(p) or p, steps=NEXT_STEPS))


def _shown(text: object) -> str:
    """Text as one line of output: a control character (a line break in a file name)
    is written as its escape, so no input can forge a line of its own."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {_shown(message)}", err=True)
    raise typer.Exit(code)


@contextmanager
def _reporting_errors() -> Iterator[None]:
    """Turn qualcode errors into one line on stderr (in the CLI's words) and exit code 1."""
    try:
        yield
    except QualcodeError as exc:
        _fail(_error_line(exc))


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")


def _project():
    """The project, bound to `--user` when given (signed in when it has accounts)."""
    from qualcode.store import Project

    project = Project.open(State.db)
    if State.user is None:
        return project
    from qualcode import accounts

    if accounts.accounts_exist(project):
        password = _secret("QUALCODE_PASSWORD", f"password for {State.user}", False, err=True)
        accounts.sign_in(project, State.user, password)
    return project.as_user(State.user)


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


MaxSizeOption = Annotated[
    float | None,
    typer.Option(
        "--max-size",
        metavar="MB",
        help="Refuse input files over this many megabytes, and .docx/.xlsx/.qdpx files "
        "unpacking to more (default: QUALCODE_MAX_FILE_MB if set, else 200).",
        show_default=False,
    ),
]


def _max_bytes(max_size: float | None) -> int | None:
    """--max-size in bytes (None: the configured limit); a non-positive value is a usage error."""
    from qualcode.limits import megabytes

    if max_size is None:
        return None
    if not max_size > 0:
        _fail("--max-size must be a positive number of megabytes", 2)
    return megabytes(max_size)


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
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="Replace names of people, places and organisations, e-mails, phones, dates "
            "of birth, addresses and postcodes by consistent pseudonyms before storing.",
        ),
    ] = False,
    pseudonym_log: Annotated[
        Path | None,
        typer.Option(
            "--pseudonym-log",
            envvar="QUALCODE_PSEUDONYM_LOG",
            help="Replacement log (originals -> pseudonyms), kept apart from the project; "
            "needed with --pseudonymise.",
        ),
    ] = None,
    max_size: MaxSizeOption = None,
    coding_unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="Unit of coding for the documents added from now on: turn (a speaker's "
            "whole turn) or sentence (each sentence of a turn of more than three); kept as "
            "the project's coding_unit setting. Stored documents keep theirs.",
        ),
    ] = None,
) -> None:
    """Read transcripts and workshop outputs into the project, one transaction per file."""
    from qualcode.ingest import ingest_paths
    from qualcode.settings import change_setting, read_setting

    max_bytes = _max_bytes(max_size)
    if pseudonymise and pseudonym_log is None:
        _fail(
            "--pseudonymise needs --pseudonym-log FILE (or QUALCODE_PSEUDONYM_LOG): "
            "the originals are logged in a file kept apart from the project",
            2,
        )
    pseudonymiser = None
    with _reporting_errors():
        project = _project()
        if coding_unit is not None and coding_unit.strip() != read_setting(project, "coding_unit"):
            change_setting(project, "coding_unit", coding_unit)
        if pseudonymise:
            from qualcode.privacy import Pseudonymiser

            pseudonymiser = Pseudonymiser.open(pseudonym_log, project.path)
            for note in pseudonymiser.notes:
                typer.echo(f"note: {note}", err=True)
        with _progress_bar("ingesting", enabled=sys.stderr.isatty()) as progress:
            report = ingest_paths(
                project,
                paths,
                manifest=manifest,
                location=location,
                session=session,
                progress=progress,
                pseudonymise=pseudonymiser,
                max_bytes=max_bytes,
            )
    summary = pseudonymiser.summary() if pseudonymiser is not None else None
    if summary is not None and not as_json:
        kinds = ", ".join(f"{kind} {n}" for kind, n in summary["by_kind"].items()) or "none"
        typer.echo(
            f"pseudonymised {summary['documents']} documents: {summary['replacements']} "
            f"replacements ({kinds}); log: {summary['log']}",
            err=True,
        )
    failed = [{**f, "error": _in_cli_words(f["error"])} for f in report.failed]
    if as_json:
        _emit(
            {
                **report.to_json(),
                "failed": failed,
                **({"pseudonymisation": summary} if summary else {}),
            }
        )
    else:
        typer.echo(
            f"{report.documents_added} documents added ({report.segments_added} segments), "
            f"{len(report.skipped)} skipped (already stored), {len(report.failed)} failed"
        )
        for failure in failed:
            typer.echo(f"failed: {_shown(failure['path'])}: {_shown(failure['error'])}", err=True)
    for path in report.without_location_session:
        typer.echo(f"note: {_shown(path)} has no location and session", err=True)
    for path in report.unlisted:
        typer.echo(f"note: {_shown(path)} passed over: not in the manifest", err=True)
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
    max_size: MaxSizeOption = None,
) -> None:
    """Validate a codebook and store it as a new codebook version if it changed."""
    from qualcode.codebook_files import load_codebook

    max_bytes = _max_bytes(max_size)
    with _reporting_errors():
        result = load_codebook(_project(), file, max_bytes=max_bytes)
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
    from qualcode.codebook_files import export_codebook

    with _reporting_errors():
        export_codebook(_project(), fmt, output)
    typer.echo(f"wrote {output}")


# --- REFI-QDA exchange ---
export_app = typer.Typer(help="Export the project for other tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")
import_app = typer.Typer(help="Import a project from other tools.", no_args_is_help=True)
app.add_typer(import_app, name="import")

PositionsOption = Annotated[
    str,
    typer.Option(
        "--positions", help="How selection positions count: utf16 (as NVivo) or codepoints."
    ),
]


def _position_unit(value: str) -> Any:
    from qualcode.refi import POSITION_UNITS

    if value not in POSITION_UNITS:
        _fail(f"--positions must be one of {', '.join(POSITION_UNITS)}", 2)
    return value


@export_app.command("qdpx")
def export_qdpx_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="The .qdpx file to write.")],
    positions: PositionsOption = "utf16",
    as_json: JsonOption = False,
) -> None:
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti or MAXQDA."""
    from qualcode.refi import export_qdpx

    unit = _position_unit(positions)
    with _reporting_errors():
        report = export_qdpx(_project(), output, positions=unit)
    if as_json:
        _emit(report.to_json())
    else:
        typer.echo(
            f"wrote {output}: {report.documents} documents, {report.codes} codes, "
            f"{report.codings} codings by {report.coders} coders, {report.memos} memos, "
            f"{report.cases} cases"
        )
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)


@import_app.command("qdpx")
def import_qdpx_command(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx).")],
    positions: PositionsOption = "utf16",
    as_json: JsonOption = False,
    max_size: MaxSizeOption = None,
) -> None:
    """Import sources, codes, codings, coders, memos and cases from a .qdpx, all or nothing."""
    from qualcode.refi import import_qdpx

    unit = _position_unit(positions)
    max_bytes = _max_bytes(max_size)
    with _reporting_errors():
        report = import_qdpx(_project(), file, positions=unit, max_bytes=max_bytes)
    if as_json:
        _emit(report.to_json())
    else:
        n = report.sources_skipped
        left_out = f" ({n} source{'s' if n != 1 else ''} without text left out)" if n else ""
        typer.echo(
            f"imported {file}: {report.documents} documents{left_out}, {report.codes} codes "
            f"(codebook v{report.codebook_version or '-'}), {report.codings} codings by "
            f"{report.coders} coders, {report.memos} memos"
        )
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)


# --- suggestions ---
@app.command()
def suggest(
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Codes kept per segment.")] = 5,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0.0, max=1.0, help="Keep scores at or above this.")
    ] = 0.0,
    model: Annotated[
        str | None,
        typer.Option(help="Embedding model name or directory; remembered for the project."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Suggest codes for every segment, learning from the coders' decisions so far."""
    from qualcode.suggest import configure_model
    from qualcode.suggest import suggest as run_suggest

    with _reporting_errors():
        project = _project()
        if model:
            configure_model(project, model)
        with _progress_bar("embedding", enabled=sys.stderr.isatty()) as progress:
            report = run_suggest(project, top_k=top_k, min_score=min_score, progress=progress)
    if report.fallback_reason:
        typer.echo(f"note: model tfidf-fallback: {report.fallback_reason}", err=True)
    if as_json:
        _emit(report.to_json())
        return
    typer.echo(
        f"{report.suggestions} suggestions for {report.segments} segments "
        f"(model {report.model}, codebook v{report.codebook_version}, "
        f"learned from {report.decisions} decisions)"
    )
    typer.echo(
        f"embedded {report.embedded} texts, {report.cached} from the cache, "
        f"in {report.seconds:.1f} s"
    )


@app.command()
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="CSV: text, codes (';'-separated), id.")],
    codebook: Annotated[
        Path | None, typer.Option("--codebook", help="Score against this YAML, not the project.")
    ] = None,
    level: Annotated[
        int, typer.Option("--level", min=0, help="Roll up to depth N (1 = top-level groups).")
    ] = 0,
    cv: Annotated[
        int, typer.Option("--cv", min=0, help="K-fold learning mode (0 = zero-shot).")
    ] = 0,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="Write id, predicted, top per row.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Measure suggestion quality against human codes in a gold CSV."""
    from qualcode.suggest import evaluate as run_evaluate

    with _reporting_errors():
        project = None if codebook is not None else _project()
        with _progress_bar("embedding", enabled=sys.stderr.isatty()) as progress:
            result = run_evaluate(
                gold,
                codebook_path=codebook,
                project=project,
                level=level,
                cv=cv,
                predictions=predictions,
                progress=progress,
            )
    if result["model"] == "tfidf-fallback":
        typer.echo("note: model tfidf-fallback: no embedding model could be loaded", err=True)
    if as_json:
        _emit(result)
        return
    typer.echo(
        f"{result['n']} texts, {result['mode']}, model {result['model']}, level {level}: "
        f"top-1 {result['top1_accuracy']:.3f}, hit@3 {result['hit_at_3']:.3f}, "
        f"micro-F1 {result['micro_f1']:.3f}, macro-F1 {result['macro_f1']:.3f}"
    )
    typer.echo(f"{'code':<28} {'prec':>6} {'recall':>6} {'F1':>6} {'kappa':>6} {'n':>4}")
    for code_id, row in result["per_code"].items():
        kappa = result["cohen_kappa_per_code"].get(code_id)
        kappa_text = f"{kappa:6.2f}" if kappa is not None else f"{'-':>6}"
        typer.echo(
            f"{code_id:<28} {row['precision']:6.2f} {row['recall']:6.2f} {row['f1']:6.2f} "
            f"{kappa_text} {row['support']:4d}"
        )
    if predictions is not None:
        typer.echo(f"wrote {predictions}")


@app.command("app")
def run_app(
    host: Annotated[str, typer.Option(help="Address to serve on; loopback by default.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
) -> None:
    """Start the Streamlit app on this project (http://127.0.0.1:8501 by default)."""
    from qualcode.server import serve

    with _reporting_errors():
        raise typer.Exit(serve(_project(), host=host, port=port))


@app.command()
def demo(
    directory: Annotated[Path, typer.Option(help="Where to build the demo project.")] = Path(
        "demo"
    ),
    sample: Annotated[Path | None, typer.Option(help="The sample corpus folder.")] = None,
    start_app: Annotated[
        bool, typer.Option("--app/--no-app", help="Start the app on the demo project.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
    as_json: JsonOption = False,
) -> None:
    """Build a demo project from the bundled synthetic sample corpus, then start the app."""
    from qualcode.demo import build_demo

    with _reporting_errors():
        with _progress_bar("building demo", enabled=sys.stderr.isatty()) as progress:
            summary = build_demo(directory, sample_dir=sample, progress=progress)
    if as_json:
        _emit(summary)
    else:
        _print_demo(summary)
    if start_app:
        from qualcode.server import serve
        from qualcode.store import Project

        with _reporting_errors():
            raise typer.Exit(serve(Project.open(summary["db"]), port=port))


def _print_demo(summary: dict[str, Any]) -> None:
    typer.echo(f"demo project: {summary['db']}")
    typer.echo(
        f"{summary['documents']} documents, {summary['segments']} segments, "
        f"{summary['codes']} codes (codebook v{summary['codebook_version']})"
    )
    for row in summary["documents_by_location_session"]:
        typer.echo(f"  {row['location']}, session {row['session']}: {row['documents']} documents")
    if summary.get("suggest"):
        typer.echo(
            f"{summary['suggest']['suggestions']} suggestions ({summary['suggest']['model']}); "
            "coders: coder_a, coder_b (double-coded sample), supervisor"
        )


# --- themes and exports ---
themes_app = typer.Typer(
    help="Themes: the framework's, candidates from the data, tracking across sites.",
    no_args_is_help=True,
)
app.add_typer(themes_app, name="themes")

LayerOption = Annotated[
    str | None,
    typer.Option("--layer", help="consensus, coder:NAME or all (union of coders)."),
]
OutputOption = Annotated[Path, typer.Option("-o", "--output", help="The file to write.")]
FormatOption = Annotated[
    str | None,
    typer.Option("--format", help="csv, xlsx, docx, md or tex (default: from the file name)."),
]
TemplateOption = Annotated[
    str | None,
    typer.Option(
        help="Quote attribution, e.g. '({role}, {location}, session {session}, {month} {year})'."
    ),
]


ContextOption = Annotated[
    str | None,
    typer.Option(
        "--context",
        help="What a quote shows: turn (the speaker's whole turn, the coded words in bold), "
        "unit (the coded unit alone) or 1, 2, 3 (sentences around it). Default: the "
        "project's quote_context setting.",
    ),
]


def _export_table(
    kind: str, output: Path, fmt: str | None, layer: str | None, as_json: bool, **options: Any
) -> None:
    from qualcode.exports import export_file

    chosen = {k: v for k, v in options.items() if v is not None}
    with _reporting_errors():
        result = export_file(_project(), kind, output, fmt=fmt, layer=layer, **chosen)
    if as_json:
        _emit(result.to_json())
    else:
        layer_note = f", {result.layer} layer" if result.layer else ""
        typer.echo(f"wrote {output} ({result.format}, {result.rows} rows{layer_note})")


@export_app.command("themes")
def export_themes_command(
    output: OutputOption,
    fmt: FormatOption = None,
    layer: LayerOption = "consensus",
    quotes: Annotated[int, typer.Option(help="Illustrative quotes per theme, 1 to 3.")] = 3,
    template: TemplateOption = None,
    context: ContextOption = None,
    as_json: JsonOption = False,
) -> None:
    """The theme table for papers: counts, locations and sessions, quotes."""
    _export_table(
        "themes", output, fmt, layer, as_json, quotes=quotes, template=template, context=context
    )


@export_app.command("matrix")
def export_matrix_command(
    output: OutputOption,
    fmt: FormatOption = None,
    layer: LayerOption = "consensus",
    rows: Annotated[str, typer.Option(help="participant, session or location.")] = "participant",
    columns: Annotated[str, typer.Option(help="theme or code.")] = "theme",
    template: TemplateOption = None,
    context: ContextOption = None,
    as_json: JsonOption = False,
) -> None:
    """The Framework Method matrix: cases by themes or codes, excerpts and summaries."""
    _export_table(
        "matrix",
        output,
        fmt,
        layer,
        as_json,
        rows=rows,
        columns=columns,
        template=template,
        context=context,
    )


@export_app.command("codings")
def export_codings_command(
    output: OutputOption,
    fmt: FormatOption = None,
    layer: LayerOption = "all",
    as_json: JsonOption = False,
) -> None:
    """Every current coding, one row each, with its case, span and text."""
    _export_table("codings", output, fmt, layer, as_json)


@export_app.command("codebook")
def export_codebook_command(
    output: OutputOption, fmt: FormatOption = None, as_json: JsonOption = False
) -> None:
    """The codebook as an appendix table (every MacQueen field)."""
    _export_table("codebook", output, fmt, None, as_json)


@export_app.command("figures")
def export_figures_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="The directory to write.")],
    layer: LayerOption = "consensus",
    fmt: Annotated[str, typer.Option("--format", help="png or svg.")] = "png",
    as_json: JsonOption = False,
) -> None:
    """A location x session heatmap per theme and a code frequency chart."""
    from qualcode.exports import export_figures

    with _reporting_errors():
        written = export_figures(_project(), output, layer=layer, fmt=fmt)
    if as_json:
        _emit({"directory": str(output), "format": fmt, "files": [p.name for p in written]})
    else:
        typer.echo(f"wrote {len(written)} figures to {output}")


@themes_app.command("list")
def themes_list(as_json: JsonOption = False) -> None:
    """The project's themes, subthemes under their parent."""
    from qualcode.themes import list_themes, tree_order

    with _reporting_errors():
        themes = list_themes(_project())
    if as_json:
        _emit({"themes": [t.to_json() for t in themes]})
        return
    for theme, depth in tree_order(themes):
        typer.echo(
            f"{'  ' * depth}{theme.id:>3}  [{theme.status}] {theme.name} ({len(theme.codes)} codes)"
        )
    if not themes:
        typer.echo("no themes yet (qualcode themes framework)")


@themes_app.command("framework")
def themes_framework(
    actor: Annotated[str, typer.Option("--as", help="Who is creating them.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Create the framework's themes (one per top-level codebook group); idempotent."""
    from qualcode.themes import create_framework_themes

    with _reporting_errors():
        result = create_framework_themes(_project(), actor)
    if as_json:
        _emit(
            {
                "created": result.created,
                "existing": result.existing,
                "themes": [t.to_json() for t in result.themes],
            }
        )
        return
    typer.echo(f"{len(result.created)} framework themes created, {len(result.existing)} existed")


@themes_app.command("suggest")
def themes_suggest(
    layer: LayerOption = "all",
    window: Annotated[int, typer.Option(help="Neighbouring segments counted as together.")] = 1,
    threshold: Annotated[
        float, typer.Option(help="Clustering distance threshold, 0 to 1 (lower: tighter).")
    ] = 0.75,
    as_json: JsonOption = False,
) -> None:
    """Candidate themes from code co-occurrence (and embeddings, when cached). Writes nothing."""
    from qualcode.themes import propose_themes

    with _reporting_errors():
        found = propose_themes(_project(), layer=layer, window=window, threshold=threshold)
    if as_json:
        _emit(found.to_json())
        return
    typer.echo(f"{len(found.proposals)} candidate themes ({found.basis}, {found.layer} layer)")
    for p in found.proposals:
        typer.echo(
            f"  {p.name}: {', '.join(p.codes)} (cohesion {p.cohesion:.2f}, {p.segments} segments)"
        )
    typer.echo(f"note: {found.note}", err=True)


@themes_app.command("track")
def themes_track(layer: LayerOption = "consensus", as_json: JsonOption = False) -> None:
    """Coded segments, participants and documents per theme and code, by location x session."""
    from qualcode.themes import track

    with _reporting_errors():
        result = track(_project(), layer or "consensus")
    if as_json:
        _emit({
            "layer": result.layer,
            "participants_total": result.participants_total,
            "documents_total": result.documents_total,
            "cases": [{"location": loc, "session": ses} for loc, ses in result.cases],
            "rows": [r.to_json() for r in result.rows],
        })  # fmt: skip
        return
    typer.echo(
        f"{result.layer} layer; N = {result.participants_total} participants, "
        f"{result.documents_total} documents"
    )
    for r in result.rows:
        counts = f"{r.segments} segments, {r.participants} participants, {r.documents} documents"
        if r.scope == "total":
            typer.echo(f"{r.kind} {r.label}: {counts}")
        elif r.scope == "cell":
            typer.echo(f"    {r.location or '(no location)'}, session {r.session}: {counts}")


ThemeRef = Annotated[str, typer.Argument(metavar="REF", help="A theme's id or name.")]
ParentOption = Annotated[
    str | None,
    typer.Option("--parent", metavar="REF", help="The parent theme (id or name): a subtheme."),
]
DefinitionOption = Annotated[str | None, typer.Option(help="What the theme is about.")]
ConceptOption = Annotated[
    str | None, typer.Option("--central-concept", help="Its central organising concept.")
]
StatusOption = Annotated[str | None, typer.Option(help="candidate, reviewed or final.")]
MemoOption = Annotated[str | None, typer.Option(help="The analyst's memo.")]


def _theme_id(project: Any, ref: str) -> int:
    """A theme's id from its id or name (QualcodeError if none)."""
    from qualcode.themes import get_theme

    return get_theme(project, ref).id


def _emit_theme(theme: Any, verb: str, as_json: bool) -> None:
    if as_json:
        _emit(theme.to_json())
    else:
        codes = ", ".join(theme.codes) or "no codes"
        typer.echo(f"theme {theme.id} {verb}: {theme.name} [{theme.status}] ({codes})")


@themes_app.command("add")
def themes_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The theme's name.")],
    definition: DefinitionOption = None,
    central_concept: ConceptOption = None,
    status: StatusOption = None,
    memo: MemoOption = None,
    parent: ParentOption = None,
    codes: Annotated[
        list[str] | None, typer.Option("--code", help="A code of the theme; repeat for more.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a theme (status candidate unless given)."""
    from qualcode.themes import create_theme

    given = {"definition": definition, "central_concept": central_concept, "status": status}
    fields: dict[str, Any] = {k: v for k, v in {**given, "memo": memo}.items() if v is not None}
    with _reporting_errors():
        project = _project()
        if parent is not None:
            fields["parent"] = _theme_id(project, parent)
        theme = create_theme(project, name, "cli", codes=codes or [], **fields)
    _emit_theme(theme, "created", as_json)


@themes_app.command("edit")
def themes_edit(
    ref: ThemeRef,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    definition: DefinitionOption = None,
    central_concept: ConceptOption = None,
    status: StatusOption = None,
    memo: MemoOption = None,
    parent: ParentOption = None,
    no_parent: Annotated[
        bool, typer.Option("--no-parent", help="Make it a top-level theme again.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Change a theme's name, definition, central concept, status, memo or parent."""
    from qualcode.themes import update_theme

    if parent is not None and no_parent:
        _fail("--parent and --no-parent exclude each other", 2)
    given = {
        "name": name,
        "definition": definition,
        "central_concept": central_concept,
        "status": status,
        "memo": memo,
    }
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if no_parent:
        changes["parent"] = None
    if not changes and parent is None:
        _fail(
            "nothing to change (give --name, --definition, --central-concept, --status, "
            "--memo, --parent or --no-parent)",
            2,
        )
    with _reporting_errors():
        project = _project()
        if parent is not None:
            changes["parent"] = _theme_id(project, parent)
        theme = update_theme(project, ref, "cli", **changes)
    _emit_theme(theme, "updated", as_json)


@themes_app.command("delete")
def themes_delete(ref: ThemeRef, as_json: JsonOption = False) -> None:
    """Delete a theme without subthemes, with its code links and pinned quotes."""
    from qualcode.themes import delete_theme, get_theme

    with _reporting_errors():
        project = _project()
        theme = get_theme(project, ref)
        delete_theme(project, theme.id, "cli")
    if as_json:
        _emit({"deleted": theme.to_json()})
    else:
        typer.echo(f"theme {theme.id} deleted: {theme.name}")


@themes_app.command("codes")
def themes_codes(
    ref: ThemeRef,
    add: Annotated[
        list[str] | None, typer.Option("--add", metavar="CODE", help="Add a code; repeatable.")
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", metavar="CODE", help="Remove a code; repeatable."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add codes to a theme or remove them (additions first)."""
    from qualcode.themes import add_codes, get_theme, remove_codes

    if not add and not remove:
        _fail("nothing to change (give --add CODE or --remove CODE)", 2)
    both = sorted(set(add or []) & set(remove or []))
    if both:
        _fail(f"'{both[0]}' is both added and removed", 2)
    with _reporting_errors():
        project = _project()
        theme = get_theme(project, ref)
        if add:
            theme = add_codes(project, theme.id, add, "cli")
        if remove:
            theme = remove_codes(project, theme.id, remove, "cli")
    _emit_theme(theme, "codes changed", as_json)


PinCodeOption = Annotated[
    bool, typer.Option("--code", help="REF is a code's id: pin to the code, not a theme.")
]
SegmentArgument = Annotated[int, typer.Argument(metavar="SEGMENT_ID", help="The segment's id.")]
PinRef = Annotated[
    str, typer.Argument(metavar="REF", help="A theme's id or name (with --code, a code's id).")
]


def _pin_target(project: Any, ref: str, code: bool) -> tuple[Literal["theme", "code"], str]:
    """(target type, target id) for pin_quote and unpin_quote."""
    return ("code", ref) if code else ("theme", str(_theme_id(project, ref)))


@themes_app.command("pin")
def themes_pin(
    ref: PinRef,
    segment_id: SegmentArgument,
    code: PinCodeOption = False,
    layer: LayerOption = "consensus",
    as_json: JsonOption = False,
) -> None:
    """Pin a segment coded in a layer as an illustrative quote of a theme (or code) in
    that layer's theme table; at most three per layer."""
    from qualcode.themes import pin_quote

    chosen = layer or "consensus"
    with _reporting_errors():
        project = _project()
        kind, target = _pin_target(project, ref, code)
        position = pin_quote(project, kind, target, segment_id, "cli", chosen)
    if as_json:
        found = {"target_type": kind, "target_id": target, "segment_id": segment_id}
        _emit({**found, "layer": chosen, "position": position})
    else:
        typer.echo(
            f"segment {segment_id} pinned to {kind} {target} in layer {chosen} (quote {position})"
        )


@themes_app.command("unpin")
def themes_unpin(
    ref: PinRef,
    segment_id: SegmentArgument,
    code: PinCodeOption = False,
    layer: LayerOption = "consensus",
    as_json: JsonOption = False,
) -> None:
    """Unpin a quote from a theme (or code) in a layer; the ones after it move up."""
    from qualcode.themes import unpin_quote

    chosen = layer or "consensus"
    with _reporting_errors():
        project = _project()
        kind, target = _pin_target(project, ref, code)
        unpin_quote(project, kind, target, segment_id, "cli", chosen)
    if as_json:
        found = {"target_type": kind, "target_id": target, "segment_id": segment_id}
        _emit({**found, "layer": chosen})
    else:
        typer.echo(f"segment {segment_id} unpinned from {kind} {target} in layer {chosen}")


@themes_app.command("summary")
def themes_summary(
    row: Annotated[
        str,
        typer.Argument(metavar="ROW", help="The case, as the matrix names it: 'Location 1 / YP1'."),
    ],
    column: Annotated[
        str,
        typer.Argument(
            metavar="COLUMN", help="A theme's id or name (a code's id with --columns code)."
        ),
    ],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The summary.")],
    rows: Annotated[str, typer.Option(help="participant, session or location.")] = "participant",
    columns: Annotated[str, typer.Option(help="theme or code.")] = "theme",
    layer: LayerOption = "consensus",
    as_json: JsonOption = False,
) -> None:
    """Write a new version of a framework matrix cell's summary in a layer's matrix
    (earlier ones are kept)."""
    from qualcode.themes import set_summary

    chosen = layer or "consensus"
    with _reporting_errors():
        project = _project()
        key = str(_theme_id(project, column)) if columns == "theme" else column
        version = set_summary(project, rows, row, columns, key, text, "cli", chosen)  # type: ignore[arg-type]
    if as_json:
        cell = {"row_kind": rows, "row": row, "column_kind": columns, "column": key}
        _emit({**cell, "layer": chosen, "version": version, "author": project.user or "cli"})
    else:
        typer.echo(f"summary of {row} x {columns} {key} in layer {chosen}: version {version}")


# --- agreement, adjudication, coders ---
agreement_app = typer.Typer(
    help="Inter-coder agreement at the segment, reliability samples, adjudication.",
    invoke_without_command=True,
)
app.add_typer(agreement_app, name="agreement")
codings_app = typer.Typer(help="Import coders' decisions.", no_args_is_help=True)
app.add_typer(codings_app, name="codings")
coders_app = typer.Typer(help="The project's coders and their roles.", no_args_is_help=True)
app.add_typer(coders_app, name="coders")


def _print_agreement(report: dict[str, Any]) -> None:
    overall = report["overall"]
    typer.echo(
        f"unit: segment; {report['n_units']} segments coded by two or more of "
        f"{', '.join(report['coders'])}"
    )
    for name in (
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
    ):
        value = overall[name]
        interval = (overall.get("ci95") or {}).get(name) or [None, None]
        shown = "-" if value is None else f"{value:.3f}"
        ci = "" if interval[0] is None else f"  95% CI {interval[0]:.3f} to {interval[1]:.3f}"
        typer.echo(f"  {name:20} {shown}{ci}")
    share = overall.get("joint_absence_share")
    if share is not None:
        typer.echo(
            f"  {share:.0%} of percent agreement is joint absences (a code both left off a "
            "segment): read it beside kappa, alpha and AC1"
        )
    typer.echo("per code (kappa: binarised Cohen; alpha; AC1; n; prevalence):")
    for code, row in report["per_code"].items():
        cells = [
            "-" if row[k] is None else f"{row[k]:.2f}"
            for k in ("cohen_kappa", "krippendorff_alpha", "gwet_ac1")
        ]
        flag = "  rare: unstable" if row["rare"] else ""
        typer.echo(
            f"  {code:26} {cells[0]:>6} {cells[1]:>6} {cells[2]:>6} "
            f"{row['n_units']:>5} {row['prevalence']:.3f}{flag}"
        )
    for key, group in (report.get("by") or {}).get("groups", {}).items():
        alpha = group["krippendorff_alpha"]
        typer.echo(
            f"  {report['by']['dimension']} {key}: n={group['n_units']}, alpha="
            + ("-" if alpha is None else f"{alpha:.3f}")
        )


CodersOption = Annotated[
    str | None, typer.Option(help="Comma-separated coders; 'model' adds the suggestions.")
]
SampleOption = Annotated[str | None, typer.Option(help="Only this reliability sample.")]
LevelOption = Annotated[str, typer.Option(help="nominal, ordinal, interval or ratio.")]
CiOption = Annotated[bool, typer.Option(help="Bootstrap 95% confidence intervals.")]


@agreement_app.callback()
def agreement(
    ctx: typer.Context,
    coders: CodersOption = None,
    by: Annotated[str | None, typer.Option(help="code, document, location or session.")] = None,
    sample: SampleOption = None,
    table: Annotated[
        Path | None, typer.Option(help="Same as 'agreement table FILE'.", hidden=True)
    ] = None,
    level: LevelOption = "nominal",
    show_disagreements: Annotated[
        bool,
        typer.Option("--disagreements", help="Same as 'agreement disagreements'.", hidden=True),
    ] = False,
    code: Annotated[str | None, typer.Option(help="With --disagreements: one code.")] = None,
    ci: CiOption = True,
    as_json: JsonOption = False,
) -> None:
    """Agreement between coders: the report (the default), the disagreements, or the
    agreement on any ratings table."""
    if ctx.invoked_subcommand is not None:
        return
    if table is not None:  # the earlier spellings, kept: --table FILE, --disagreements
        agreement_table(table, level=level, as_json=as_json)
    elif show_disagreements:
        agreement_disagreements(coders=coders, code=code, sample=sample, as_json=as_json)
    else:
        agreement_report_command(coders=coders, by=by, sample=sample, ci=ci, as_json=as_json)


def _coder_names(coders: str | None) -> list[str] | None:
    return [c.strip() for c in coders.split(",")] if coders else None


@agreement_app.command("report")
def agreement_report_command(
    coders: CodersOption = None,
    by: Annotated[str | None, typer.Option(help="code, document, location or session.")] = None,
    sample: SampleOption = None,
    ci: CiOption = True,
    as_json: JsonOption = False,
) -> None:
    """Agreement between the project's coders at the segment, overall and per code."""
    from qualcode.agreement import agreement_report

    with _reporting_errors():
        report = agreement_report(
            _project(), _coder_names(coders), by=None if by == "code" else by, sample=sample, ci=ci
        )
    if as_json:
        _emit(report)
    else:
        _print_agreement(report)


@agreement_app.command("disagreements")
def agreement_disagreements(
    coders: CodersOption = None,
    code: Annotated[str | None, typer.Option(help="Only this code.")] = None,
    sample: SampleOption = None,
    as_json: JsonOption = False,
) -> None:
    """The segments coders disagree on, code by code."""
    from qualcode.agreement import disagreements

    with _reporting_errors():
        found = disagreements(_project(), _coder_names(coders), code=code, sample=sample)
    if as_json:
        _emit({"disagreements": [d.to_json() for d in found]})
        return
    for d in found:
        said = ", ".join(f"{c}: {v}" for c, v in d.decisions.items())
        settled = f" [settled: {d.settled}]" if d.settled else ""
        typer.echo(
            f"{d.code_id} | {d.document} #{d.ordinal} (segment {d.segment_id})"
            f" | {said}{settled}\n    {d.speaker or '-'}: {d.text}"
        )
    typer.echo(f"{len(found)} disagreements")


@agreement_app.command("table")
def agreement_table(
    table: Annotated[Path, typer.Argument(help="A CSV of unit,coder,value rows.")],
    level: LevelOption = "nominal",
    as_json: JsonOption = False,
) -> None:
    """Agreement on any ratings table (unit,coder,value rows), not the project."""
    from qualcode.agreement import table_report

    with _reporting_errors():
        payload = table_report(table, level=level)
    if as_json:
        _emit(payload)
    else:
        for key, value in payload.items():
            typer.echo(f"{key:28} {value}")


@agreement_app.command("sample")
def agreement_sample(
    name: Annotated[str, typer.Option(help="The sample's name, e.g. round1.")],
    fraction: Annotated[float, typer.Option(help="Share of units to take, 0 to 1.")] = 0.2,
    stratify: Annotated[
        str | None, typer.Option(help="Comma-separated: location, session.")
    ] = None,
    unit: Annotated[str, typer.Option(help="segment or document.")] = "segment",
    seed: Annotated[int, typer.Option(help="Change to draw a different sample.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Pick a reproducible subset of segments (or documents) for double coding."""
    from qualcode.agreement import create_sample

    strata = [s.strip() for s in stratify.split(",")] if stratify else []
    with _reporting_errors():
        sample = create_sample(_project(), name, fraction, strata, unit=unit, seed=seed)
    if as_json:
        _emit(sample.to_json())
    else:
        typer.echo(
            f"sample '{sample.name}': {sample.segments} segments in {sample.documents} documents"
        )


@agreement_app.command("settle")
def agreement_settle(
    segment: Annotated[int, typer.Option(help="The segment id.")],
    code: Annotated[str, typer.Option(help="The code id.")],
    supervisor: Annotated[str, typer.Option("--as", help="The supervisor settling it.")],
    adopt: Annotated[str | None, typer.Option(help="Adopt this coder's decision.")] = None,
    decision: Annotated[
        str | None, typer.Option(help="present or absent, when deciding otherwise.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (needed with --decision).")] = None,
) -> None:
    """Settle a disagreement: the consensus layer gets the decision, coders' layers stay."""
    from qualcode.agreement import settle

    with _reporting_errors():
        event = settle(
            _project(), segment, code, supervisor, decision=decision, adopt=adopt, reason=reason
        )
    typer.echo(f"settled (event {event})")


@codings_app.command("import")
def codings_import(
    file: Annotated[Path, typer.Argument(help="CSV: coder,document,segment,code,decision.")],
    as_json: JsonOption = False,
    max_size: MaxSizeOption = None,
) -> None:
    """Append coders' decisions from a CSV, all or nothing."""
    from qualcode.coding import import_codings

    max_bytes = _max_bytes(max_size)
    with _reporting_errors():
        result = import_codings(_project(), file, max_bytes=max_bytes)
    if as_json:
        _emit(result.to_json())
    else:
        typer.echo(
            f"{result.events} decisions and {result.reviews} reviewed-only segments "
            f"from {', '.join(result.coders)}"
        )


@coders_app.command("add")
def coders_add(
    name: Annotated[str, typer.Argument(help="The coder's name.")],
    role: Annotated[str, typer.Option(help="coder or supervisor.")] = "coder",
) -> None:
    """Register a coder (or change their role)."""
    from qualcode.coders import add_coder

    with _reporting_errors():
        add_coder(_project(), name, role)
    typer.echo(f"{name}: {role}")


@coders_app.command("list")
def coders_list(as_json: JsonOption = False) -> None:
    """The registered coders and their roles."""
    from qualcode.coders import list_coders

    with _reporting_errors():
        found = list_coders(_project())
    if as_json:
        _emit({"coders": found})
    else:
        for row in found:
            typer.echo(f"{row['name']}: {row['role']}")


# --- speakers and settings ---
speakers_app = typer.Typer(
    help="Speakers and their roles (participant, facilitator, other).",
    invoke_without_command=True,
)
app.add_typer(speakers_app, name="speakers")
settings_app = typer.Typer(
    help="Project settings: what is offered for coding.", invoke_without_command=True
)
app.add_typer(settings_app, name="settings")


@speakers_app.callback()
def speakers(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every speaker with the role detected from the name, the role set for the
    project, and how many segments and documents are theirs."""
    if ctx.invoked_subcommand is not None:
        return
    from qualcode.speakers import list_speakers

    with _reporting_errors():
        found = list_speakers(_project())
    if as_json:
        _emit({"speakers": [s.to_json() for s in found]})
        return
    for s in found:
        how = f"set by {s.set_by}" if s.stored else "detected"
        segments = f"{s.segments} segment{'' if s.segments == 1 else 's'}"
        documents = f"{s.documents} document{'' if s.documents == 1 else 's'}"
        typer.echo(f"{_shown(s.speaker):30} {s.role:12} ({how})  {segments} in {documents}")


@speakers_app.command("set")
def speakers_set(
    name: Annotated[str, typer.Argument(help="The speaker's name, as in the transcripts.")],
    role: Annotated[
        str,
        typer.Option(help="participant, facilitator, other, or detected (forget the set role)."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Set a speaker's role for the whole project (supervisors)."""
    from qualcode.speakers import set_speaker_role

    with _reporting_errors():
        found = set_speaker_role(_project(), name, role)
    if as_json:
        _emit({"speaker": found.to_json()})
    else:
        typer.echo(f"{_shown(found.speaker)}: {found.role}")


@settings_app.callback()
def settings(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every project setting: its value, allowed values and what it means."""
    if ctx.invoked_subcommand is not None:
        return
    from qualcode.settings import SETTINGS, read_settings

    with _reporting_errors():
        values = read_settings(_project())
    if as_json:
        _emit(
            {
                "settings": [
                    {
                        "key": key,
                        "value": value,
                        "default": SETTINGS[key].default,
                        "allowed": list(SETTINGS[key].allowed or []),
                        "meaning": SETTINGS[key].meaning,
                    }
                    for key, value in values.items()
                ]
            }
        )
        return
    for key, value in values.items():
        setting = SETTINGS[key]
        allowed = "|".join(setting.allowed) if setting.allowed else "any text"
        default = " (default)" if value == setting.default else ""
        typer.echo(f"{key} = {value}{default}  [{allowed}]: {setting.meaning}")


@settings_app.command("set")
def settings_set(
    key: Annotated[str, typer.Argument(help="The setting, as 'qualcode settings' lists it.")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Change a project setting (supervisors; audited with the previous value)."""
    from qualcode.settings import change_setting

    with _reporting_errors():
        stored = change_setting(_project(), key, value)
    typer.echo(f"{key} = {stored}")


# --- accounts ---
accounts_app = typer.Typer(
    help="Password accounts and roles (coder, supervisor, admin).", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")
AsAdmin = Annotated[
    str | None,
    typer.Option("--as", help="The admin doing this; their password from QUALCODE_ADMIN_PASSWORD."),
]


def _secret(env: str, prompt: str, confirm: bool, err: bool = False) -> str:
    """A password from the environment (for scripts) or a hidden prompt (`err`: on
    stderr, so a command's --json output stays clean)."""
    value = os.environ.get(env)
    if value is not None:
        return value
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=err)


def _admin(project: Any, name: str | None) -> str | None:
    """The `--as` admin, signed in with their password (the attempt is logged)."""
    from qualcode.accounts import sign_in

    if name is None:
        return None
    password = _secret("QUALCODE_ADMIN_PASSWORD", f"Password for {name}", confirm=False)
    sign_in(project, name, password)
    return name


@accounts_app.command("add")
def accounts_add(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    role: Annotated[str, typer.Option(help="coder, supervisor or admin.")],
    by: AsAdmin = None,
) -> None:
    """Create an account (or change an existing account's role, with --as an admin).
    The first account must be an admin; the password comes from QUALCODE_PASSWORD
    or a hidden prompt."""
    from qualcode.accounts import add_account, list_accounts, set_role

    with _reporting_errors():
        project = _project()
        admin = _admin(project, by)
        if any(a["name"] == name.strip() for a in list_accounts(project)):
            set_role(project, name.strip(), role, by=admin)  # type: ignore[arg-type]
            typer.echo(f"{name}: role {role}")
            return
        password = _secret("QUALCODE_PASSWORD", f"Password for {name}", confirm=True)
        user = add_account(project, name, password, role, by=admin)
    typer.echo(f"account {user.name}: {user.role}")


@accounts_app.command("passwd")
def accounts_passwd(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    by: AsAdmin = None,
) -> None:
    """Change a password: your own (current one from QUALCODE_ADMIN_PASSWORD or a
    prompt), or anyone's with --as an admin. The new one comes from
    QUALCODE_PASSWORD or a hidden prompt."""
    from qualcode.accounts import set_password

    with _reporting_errors():
        project = _project()
        admin = _admin(project, by)
        current = None
        if admin is None or admin == name:
            current = _secret("QUALCODE_ADMIN_PASSWORD", f"Current password for {name}", False)
        password = _secret("QUALCODE_PASSWORD", f"New password for {name}", confirm=True)
        set_password(project, name, password, by=admin, current=current)
    typer.echo(f"{name}: password changed")


@accounts_app.command("list")
def accounts_list(as_json: JsonOption = False) -> None:
    """The accounts and their roles (never their passwords)."""
    from qualcode.accounts import list_accounts

    with _reporting_errors():
        found = list_accounts(_project())
    if as_json:
        _emit({"accounts": found})
    else:
        for row in found:
            typer.echo(f"{row['name']}: {row['role']}")


# --- audit trail, backup, restore, integrity ---
@app.command()
def audit(
    since: Annotated[str | None, typer.Option(help="From this date or time (ISO).")] = None,
    coder: Annotated[str | None, typer.Option(help="Only what this person did.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many entries.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The audit trail: every change to the project, who and when."""
    from qualcode.audit import audit_trail

    with _reporting_errors():
        entries = audit_trail(_project(), since=since, actor=coder, limit=limit)
    if as_json:
        _emit({"entries": entries})
        return
    for entry in entries:
        detail = json.dumps(entry["detail"], ensure_ascii=False)
        typer.echo(f"{entry['at'][:19]}  {entry['actor']:14} {entry['action']:18} {detail}")


@app.command()
def backup(
    output: Annotated[Path, typer.Option("-o", "--output", help="The backup file to write.")],
) -> None:
    """Write a consistent copy of the project (safe while the app runs)."""
    from qualcode.maintenance import backup as make_backup

    with _reporting_errors():
        written = make_backup(_project(), output)
    typer.echo(f"backup written: {written}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by 'qualcode backup'.")],
    without_accounts: Annotated[
        bool,
        typer.Option(
            "--without-accounts",
            help="Confirm restoring a backup that has no accounts over a project that has "
            "some: every account and sign-in goes.",
        ),
    ] = False,
) -> None:
    """Replace the project with a backup; the current file is kept as .before-restore.bak.
    A project with accounts is restored only by an admin: qualcode --user ADMIN restore
    FILE (the password from QUALCODE_PASSWORD or a hidden prompt)."""
    from qualcode.maintenance import has_accounts
    from qualcode.maintenance import restore as restore_backup

    with _reporting_errors():
        password = None
        if State.user is not None and has_accounts(State.db):
            password = _secret("QUALCODE_PASSWORD", f"password for {State.user}", False, err=True)
        safety = restore_backup(
            State.db, file, user=State.user, password=password, without_accounts=without_accounts
        )
    typer.echo(f"restored {State.db} from {file}; the previous file is kept as {safety}")


@app.command()
def check(as_json: JsonOption = False) -> None:
    """Verify the project: codings point at existing segments and codes, offsets are
    in range and match the text, document hashes match."""
    from qualcode.maintenance import check as check_project

    with _reporting_errors():
        problems = check_project(_project())
    if as_json:
        _emit({"ok": not problems, "problems": [p.to_json() for p in problems]})
    elif not problems:
        typer.echo("project is whole: no problems found")
    for problem in problems:
        typer.echo(f"problem: {problem}", err=True)
    if problems:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
