"""The hostile input corpus (`corpus.py`), one test per crafted input.

Each input once cost a traceback, quadratic time, unbounded memory or a project that
fails its integrity check. What each must do now:

- refused: one line on stderr naming the file and the problem, exit code 1, no
  traceback, and the project's rows as they were (`test_refused_in_one_line`);
- read: stored whole, the project passing `qualcode check`;
- where the input was about cost, the work is counted (lines run, pages extracted),
  never timed; timings belong in `benchmarks/`.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.errors import InputError
from qualcode.exports.api import KINDS, export_bytes
from qualcode.fileio import FORMULA_STARTS as ESCAPED_STARTS
from qualcode.maintenance import check
from qualcode.refi.project_import import import_qdpx
from qualcode.store import Project
from qualcode.themes.catalog import create_theme

from ..conftest import rows
from . import corpus

COUNTS = (
    "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM segments), "
    "(SELECT count(*) FROM codebook_versions), (SELECT count(*) FROM codes), "
    "(SELECT count(*) FROM coding_events), (SELECT count(*) FROM memos), "
    "(SELECT count(*) FROM coders), (SELECT count(*) FROM cases), "
    "(SELECT count(*) FROM document_attributes)"
)
"""Every table an input could add rows to (the action log aside: it records attempts)."""


def run(project: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--db", str(project), *args])


@pytest.fixture(scope="module")
def filled_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.filled_project(tmp_path_factory.mktemp("filled")).path


@pytest.fixture
def filled(filled_template: Path, tmp_path: Path) -> Project:
    """A fresh copy of a small project with a document, a codebook and a coding."""
    path = tmp_path / "project" / "filled.duckdb"
    path.parent.mkdir()
    shutil.copyfile(filled_template, path)
    return Project.open(path)


# --- refused in one line, nothing stored --------------------------------------------------

LIMIT_HINT = "raise it with --max-size MB or QUALCODE_MAX_FILE_MB"


def _refusals() -> dict[str, tuple[Callable[[Path, Project], Path], list[str], str]]:
    """Per input: its builder, the command (FILE for the input) and the expected line
    ({path} for the input's path)."""
    return {
        "csv_duplicate_columns": (
            lambda folder, _: corpus.csv_duplicate_columns(folder),
            ["ingest", "FILE"],
            "failed: {path}: 6,001 columns: a table may have at most 1,000",
        ),
        "csv_wide": (
            lambda folder, _: corpus.csv_wide(folder),
            ["ingest", "FILE"],
            "failed: {path}: 100,001 columns: a table may have at most 1,000",
        ),
        "newline_name": (
            lambda folder, _: corpus.newline_name(folder),
            ["ingest", "FILE"],
            "failed: {path}: empty file",
        ),
        "pdf_shared_stream": (
            lambda folder, _: corpus.pdf_shared_stream(folder),
            ["ingest", "--max-size", "0.25", "FILE"],
            "failed: {path}: PDF text grows past the 256 KB limit (" + LIMIT_HINT + ")",
        ),
        "codebook_long_integer": (
            lambda folder, _: corpus.codebook_long_integer(folder),
            ["codebook", "load", "FILE"],
            "error: {path}: invalid YAML: a number with too many digits",
        ),
        "qdpx_segments_bomb": (
            lambda folder, _: corpus.qdpx_segments_bomb(folder),
            ["import", "qdpx", "--max-size", "8", "FILE"],
            "error: {path}: source 'Interview': its qualcode segments comment unpacks to more "
            f"than 8 MB ({LIMIT_HINT})",
        ),
        "qdpx_empty_coded_source": (
            lambda folder, _: corpus.qdpx_empty_coded_source(folder),
            ["import", "qdpx", "FILE"],
            "error: {path}: source 'Empty' has codings but no text to code",
        ),
        "truncated_backup": (
            corpus.truncated_backup,
            ["restore", "FILE"],
            "error: {path}: backup cannot be read whole",
        ),
    }


REFUSALS = _refusals()


@pytest.mark.parametrize("item", sorted(REFUSALS))
def test_refused_in_one_line(item: str, filled: Project, tmp_path: Path) -> None:
    build, command, expected = REFUSALS[item]
    crafted = build(tmp_path, filled)
    shown = repr(str(crafted))[1:-1]  # a line break in a name is written as \n
    before = rows(filled, COUNTS)
    result = run(filled.path, *(str(crafted) if a == "FILE" else a for a in command))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    if item == "truncated_backup":  # DuckDB's own reason follows, in parentheses
        cut_short = (expected + " (", "error: {path}: not a qualcode project file (")
        assert lines[0].startswith(tuple(e.replace("{path}", shown) for e in cut_short)), lines
    else:
        assert lines[0] == expected.replace("{path}", shown)
    assert rows(filled, COUNTS) == before
    assert check(filled) == []


def test_a_duckdb_file_of_something_else_is_left_alone(tmp_path: Path) -> None:
    """`status` on a DuckDB file that is not a project: one line, nothing created in it."""
    import duckdb

    other = corpus.not_a_project(tmp_path)
    result = run(other, "status")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {other}: not a qualcode project file (create one: qualcode init)\n"
    )
    con = duckdb.connect(str(other), read_only=True)
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    answers = con.execute("SELECT * FROM survey").fetchall()
    con.close()
    assert (tables, answers) == ([("survey",)], [("yes",)])


# --- what the cost was: counted ------------------------------------------------------------


def lines_run(function: Callable[..., Any], *args: Any, raises: type | None = None) -> int:
    """How many lines of `function` itself run for `args` (its work, counted, not timed),
    up to the exception `raises` if it is given (and then must be raised)."""
    code = function.__code__
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if frame.f_code is not code:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        if raises is None:
            function(*args)
        else:
            with pytest.raises(raises):
                function(*args)
    finally:
        sys.settrace(None)
    return count


def test_duplicate_column_names_are_named_in_one_pass(tmp_path: Path) -> None:
    """Copies of one name are suffixed in order, a suffix a header already uses is skipped,
    and the work grows with the columns, not their square (1,000 copies of one name once
    rescanned the header for each)."""
    from qualcode.ingest.readers import MAX_COLUMNS, _column_names, read_document

    header = ["text", "a", "a (2)", "a", *(["x"] * (MAX_COLUMNS - 4))]
    names = _column_names(header, tmp_path / "t.csv")
    assert names[:4] == ["text", "a", "a (2)", "a (3)"]
    assert names[4:7] == ["x", "x (2)", "x (3)"] and names[-1] == "x (996)"
    assert len(set(names)) == len(names)
    per_column = [
        lines_run(_column_names, ["x"] * n, tmp_path / "t.csv") / n for n in (100, MAX_COLUMNS)
    ]
    assert per_column[1] <= per_column[0] * 1.1 and per_column[1] < 12, per_column
    path = tmp_path / "dups.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["hello"] * len(header)) + "\n")
    parsed = read_document(path)
    assert [t.start for t in parsed.turns] and parsed.text.startswith("hello")
    many = ["text", *["a"] * corpus.DUPLICATE_COLUMNS]  # refused before a name is made
    assert lines_run(_column_names, many, tmp_path / "t.csv", raises=InputError) == 2
    with pytest.raises(InputError) as caught:  # the limit's edge
        _column_names([*header, "one too many"], tmp_path / "t.csv")
    assert (
        str(caught.value) == f"{tmp_path / 't.csv'}: 1,001 columns: a table may have at most 1,000"
    )


def test_pdf_text_is_counted_while_it_is_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages sharing one content stream: the text is 60 times the file, and extraction
    stops at the page that passes the limit, not after the last."""
    from pypdf import PageObject, PdfReader

    from qualcode.ingest.readers import read_document

    pdf = corpus.pdf_shared_stream(tmp_path)
    page_text = len(PdfReader(pdf).pages[0].extract_text().encode("utf-8"))
    assert page_text * corpus.PDF_PAGES > 60 * pdf.stat().st_size  # the whole text would be
    extracted = 0
    extract = PageObject.extract_text

    def counted(self: PageObject, *args: Any, **kwargs: Any) -> str:
        nonlocal extracted
        extracted += 1
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", counted)
    limit = 256 * 1024
    with pytest.raises(InputError, match="PDF text grows past the 256 KB limit"):
        read_document(pdf, max_bytes=limit)
    assert extracted == limit // page_text + 1  # the page that passed it is the last
    (tmp_path / "few").mkdir()
    few = corpus.pdf_shared_stream(tmp_path / "few", pages=3)
    assert len(read_document(few, max_bytes=limit).text) > 3 * page_text  # under it: read


# --- read whole, the project passing its check ---------------------------------------------


def test_a_very_long_turn_is_segmented_piece_by_piece(filled: Project, tmp_path: Path) -> None:
    """A 1.1 MB speaker turn (over spaCy's million-character limit) is split into its
    32,000 sentences, and the next file of the folder is read too."""
    from qualcode.ingest.pipeline import ingest_paths

    folder = corpus.long_turn_folder(tmp_path)
    assert (folder / "a_long.txt").stat().st_size > 1_100_000
    report = ingest_paths(filled, [folder])
    assert (report.failed, report.documents_added) == ([], 2)
    assert report.segments_added == corpus.LONG_TURN_SENTENCES + 1
    assert rows(
        filled,
        "SELECT count(*), count(DISTINCT s.text) FROM segments s JOIN documents d "
        "ON d.id = s.document_id WHERE d.title = 'a_long.txt'",
    ) == [(corpus.LONG_TURN_SENTENCES, 1)]
    assert check(filled) == []


def test_empty_sources_are_left_out_with_a_note(filled: Project, tmp_path: Path) -> None:
    """An empty source and one of blank lines, uncoded, are left out and named, as NVivo
    or ATLAS.ti users expect of a placeholder; the coded source is imported."""
    qdpx = corpus.qdpx_empty_sources(tmp_path)
    before = rows(filled, "SELECT count(*) FROM documents")[0][0]
    result = run(filled.path, "import", "qdpx", str(qdpx))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"imported {qdpx}: 1 documents (2 sources without text left out), 1 codes"
    )
    assert result.stderr.splitlines() == [
        "note: source 'Empty' has no text to code: not imported",
        "note: source 'Blank lines' has no text to code: not imported",
    ]
    assert rows(filled, "SELECT count(*) FROM documents")[0][0] == before + 1
    assert rows(
        filled,
        "SELECT d.title, s.text FROM codings c JOIN segments s ON s.id = c.segment_id "
        "JOIN documents d ON d.id = s.document_id WHERE c.code_id = 'safe' AND c.coder = 'Ann'",
    ) == [("Interview", "I feel safe at home.")]
    assert run(filled.path, "check").exit_code == 0
    report = import_qdpx(Project.init(tmp_path / "fresh.duckdb"), qdpx)
    assert (report.documents, report.sources_skipped) == (1, 2)
    assert report.to_json()["sources_skipped"] == 2


def test_sources_with_one_text_share_a_document(tmp_path: Path) -> None:
    """Two sources of one text are one document holding both sources' codings, noted;
    two empty sources are both left out; the project passes its check."""
    project = Project.init(tmp_path / "p.duckdb")
    report = import_qdpx(project, corpus.qdpx_identical_sources(tmp_path))
    assert (report.documents, report.documents_reused, report.sources_skipped) == (2, 1, 2)
    assert report.notes == [
        "source 'Empty one' has no text to code: not imported",
        "source 'Empty two' has no text to code: not imported",
        "source 'Second copy' has the same text as source 'First copy': one document holds both",
    ]
    assert rows(project, "SELECT title FROM documents") == [("First copy",)]
    assert rows(project, "SELECT start_offset, end_offset FROM codings ORDER BY start_offset") == [
        (5, 11),
        (12, 16),
    ]
    assert check(project) == []


# --- exports: formulas stay text -----------------------------------------------------------


def _csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for c in row]


def test_formula_cells_stay_text_in_every_export(tmp_path: Path) -> None:
    """Transcript text, speakers, code labels, a coder and a theme that start with =, +,
    -, @, tab or CR reach every table export: in CSV each such cell starts with an
    apostrophe, in XLSX it is a text cell, in Markdown it keeps to its row."""
    from openpyxl import load_workbook

    from qualcode.audit import audit_trail
    from qualcode.ui.audit import entry_rows, trail_csv

    project = corpus.formula_project(tmp_path)
    create_theme(project, corpus.FORMULAS[0], "sam", codes=["c0", "c1"], status="final")
    escaped = 0
    for kind in KINDS:
        for fmt in ("csv", "xlsx", "md"):
            data = export_bytes(project, kind, fmt).data
            if fmt == "csv":
                cells = _csv_cells(data)
                assert not [c for c in cells if c.startswith(ESCAPED_STARTS)], (kind, cells)
                escaped += sum(c[:1] == "'" and c[1:2] in "=+-@\t\r" for c in cells)
            elif fmt == "xlsx":
                path = tmp_path / f"{kind}.xlsx"
                path.write_bytes(data)
                for row in load_workbook(path).active.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (kind, cell.coordinate, cell.value)
                        if isinstance(cell.value, str) and cell.value.startswith("="):
                            escaped += cell.data_type == "s"
            else:
                table = [line for line in data.decode("utf-8").split("\n") if line[:1] == "|"]
                widths = {line.replace("\\|", "").count("|") for line in table}
                assert len(widths) == 1 and "\r" not in data.decode("utf-8"), (kind, widths)
    assert escaped >= 2 * len(KINDS)  # the hostile cells did reach the exports
    audit = _csv_cells(trail_csv(entry_rows(audit_trail(project))))
    assert f"'{corpus.FORMULAS[3]}" in audit
    assert not [c for c in audit if c.startswith(ESCAPED_STARTS)]
