"""Size limits: every kind of input file over the configured limit is refused with one
line naming the file, leaves nothing in the project, and fits once the limit allows it.

The limit is set both ways a caller can set it: the `max_bytes` parameter and the
QUALCODE_MAX_FILE_MB environment variable (the `limit_as` fixture runs each test
with each); the CLI's `--max-size` is checked at the end.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.agreement.table import table_report
from qualcode.cli import app
from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coding.csv_import import import_codings
from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.manifest import FileAttributes
from qualcode.ingest.pipeline import ingest_file, ingest_paths
from qualcode.ingest.readers import read_document
from qualcode.limits import (
    DEFAULT_MAX_BYTES,
    ENV_VAR,
    MB,
    RAISE_HINT,
    format_size,
    max_file_bytes,
    megabytes,
    read_limited,
)
from qualcode.refi.codebook import codebook_to_qdc
from qualcode.refi.project_export import export_qdpx
from qualcode.refi.project_import import import_qdpx
from qualcode.status import project_status
from qualcode.store import Project
from qualcode.suggest.gold import read_gold
from qualcode.uploads import Upload, ingest_uploads

from .suggest_helpers import write_codebook
from .test_readers import make_docx

TRANSCRIPT = "Facilitator: What does peace mean to you?\nYP1: Feeling safe at home.\n"
CODEBOOK = (
    "name: tiny\n"
    "codes:\n"
    "  - {id: safety, label: Safety, definition: Feeling safe.}\n"
    "  - {id: friends, label: Friends, definition: Having friends nearby.}\n"
)
TABLES = (
    "documents", "segments", "document_attributes", "cases", "codebook_versions", "codes",
    "coders", "coding_events", "segment_reviews", "memos", "action_log",
)  # fmt: skip

Limit = Callable[[int], dict[str, int]]


@pytest.fixture(autouse=True)
def no_configured_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(params=["parameter", "environment"])
def limit_as(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Limit:
    """Set a limit in bytes one way or the other; returns the keyword arguments to pass."""

    def configure(limit: int) -> dict[str, int]:
        if request.param == "environment":
            monkeypatch.setenv(ENV_VAR, repr(limit / MB))  # exact: MB is a power of two
            return {}
        monkeypatch.delenv(ENV_VAR, raising=False)
        return {"max_bytes": limit}

    return configure


def stored(project: Project) -> dict[str, int]:
    """Row counts of every table a failed read must leave alone."""
    with project.connect(read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_too_large(exc: InputError, path: Path, size: int, limit: int) -> None:
    assert exc.path == str(path)
    assert (
        str(exc)
        == f"{path}: file too large ({format_size(size)}; limit {format_size(limit)}: {RAISE_HINT})"
    )


# --- documents ----------------------------------------------------------------


def test_document_over_the_limit_is_refused(
    project: Project, tmp_path: Path, limit_as: Limit
) -> None:
    path = write(tmp_path / "a.txt", TRANSCRIPT)
    size = path.stat().st_size
    before = stored(project)
    with pytest.raises(InputError) as caught:
        ingest_file(project, path, FileAttributes(), **limit_as(size - 1))
    assert_too_large(caught.value, path, size, size - 1)
    report = ingest_paths(project, [path], **limit_as(size - 1))
    assert report.failed == [{"path": str(path), "error": caught.value.problem}]
    assert stored(project) == before
    report = ingest_paths(project, [path], **limit_as(size))
    assert (report.documents_added, report.failed) == (1, [])
    assert project_status(project)["documents"] == 1


def test_docx_unpacking_over_the_limit_is_refused(
    project: Project, tmp_path: Path, limit_as: Limit
) -> None:
    """A small .docx whose members unpack to over the limit (a zip bomb in miniature)."""
    source = make_docx(tmp_path / "source.docx")
    with zipfile.ZipFile(source) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in [*members, ("word/media/padding.bin", bytes(MB))]:
            archive.writestr(name, content)
    path = tmp_path / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    unpacked = sum(len(content) for _, content in members) + MB
    assert path.stat().st_size < 256 * 1024
    before = stored(project)
    report = ingest_paths(project, [path], **limit_as(512 * 1024))
    assert report.failed == [
        {
            "path": str(path),
            "error": f"refusing .docx: contents unpack to {format_size(unpacked)}, "
            f"over the 512 KB limit (possible zip bomb; {RAISE_HINT})",
        }
    ]
    assert stored(project) == before
    report = ingest_paths(project, [path], **limit_as(unpacked))
    assert (report.documents_added, report.failed) == (1, [])


# --- codebooks ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".qdc"])
def test_codebook_over_the_limit_is_refused(
    project: Project, tmp_path: Path, limit_as: Limit, suffix: str
) -> None:
    path = write(tmp_path / "codebook.yaml", CODEBOOK)
    if suffix == ".qdc":
        qdc = tmp_path / "codebook.qdc"
        qdc.write_bytes(codebook_to_qdc(load_yaml_codebook(path)))
        path = qdc
    size = path.stat().st_size
    before = stored(project)
    with pytest.raises(InputError) as caught:
        load_codebook(project, path, **limit_as(size - 1))
    assert_too_large(caught.value, path, size, size - 1)
    assert stored(project) == before
    assert load_codebook(project, path, **limit_as(size)).version == 1
    assert project_status(project)["codes"] == 2


# --- manifests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("manifest.csv", "file,location,session,notes\na.txt,L1,1,{}\n"),
        ("manifest.yaml", "- {{file: a.txt, location: L1, session: 1, notes: {}}}\n"),
    ],
)
def test_manifest_over_the_limit_stops_the_ingest(
    project: Project, tmp_path: Path, limit_as: Limit, name: str, content: str
) -> None:
    document = write(tmp_path / "a.txt", TRANSCRIPT)
    manifest = write(tmp_path / name, content.format("x" * 200))
    size = manifest.stat().st_size
    assert size - 1 > document.stat().st_size  # only the manifest is over
    before = stored(project)
    with pytest.raises(InputError) as caught:
        ingest_paths(project, [document], manifest=manifest, **limit_as(size - 1))
    assert_too_large(caught.value, manifest, size, size - 1)
    assert stored(project) == before
    report = ingest_paths(project, [document], manifest=manifest, **limit_as(size))
    assert report.documents_added == 1
    assert project_status(project)["documents_by_location_session"] == [
        {"location": "L1", "session": "1", "documents": 1}
    ]


# --- codings CSV --------------------------------------------------------------


def test_codings_csv_over_the_limit_is_refused(
    project: Project, tmp_path: Path, limit_as: Limit
) -> None:
    load_codebook(project, write(tmp_path / "codebook.yaml", CODEBOOK))
    ingest_paths(project, [write(tmp_path / "a.txt", TRANSCRIPT)])
    path = write(
        tmp_path / "codings.csv",
        "coder,document,segment,code,decision\nana,a.txt,1,safety,add\nana,a.txt,0,,reviewed\n",
    )
    size = path.stat().st_size
    before = stored(project)
    with pytest.raises(InputError) as caught:
        import_codings(project, path, **limit_as(size - 1))
    assert_too_large(caught.value, path, size, size - 1)
    assert stored(project) == before
    result = import_codings(project, path, **limit_as(size))
    assert (result.events, result.reviews) == (1, 1)
    assert project_status(project)["codings"] == 1


# --- .qdpx --------------------------------------------------------------------


@pytest.fixture(scope="module")
def qdpx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small exported project whose XML unpacks to more than the archive's size."""
    folder = tmp_path_factory.mktemp("qdpx")
    source = Project.init(folder / "source.duckdb")
    load_codebook(source, write(folder / "codebook.yaml", CODEBOOK))
    turns = "".join(f"YP{i % 4 + 1}: Feeling safe at home, turn {i}.\n" for i in range(40))
    ingest_paths(source, [write(folder / "a.txt", turns)])
    out = folder / "a.qdpx"
    export_qdpx(source, out)
    return out


def _unpacked(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def test_qdpx_over_the_limit_is_refused(project: Project, qdpx: Path, limit_as: Limit) -> None:
    size, unpacked = qdpx.stat().st_size, _unpacked(qdpx)
    assert unpacked - 1 >= size  # a limit exists that the archive fits and its content not
    before = stored(project)
    with pytest.raises(InputError) as caught:
        import_qdpx(project, qdpx, **limit_as(size - 1))
    assert_too_large(caught.value, qdpx, size, size - 1)
    with pytest.raises(InputError) as caught:
        import_qdpx(project, qdpx, **limit_as(unpacked - 1))
    assert str(caught.value) == (
        f"{qdpx}: archive unpacks to {format_size(unpacked)}, "
        f"over the limit of {format_size(unpacked - 1)} ({RAISE_HINT})"
    )
    assert stored(project) == before
    report = import_qdpx(project, qdpx, **limit_as(unpacked))
    assert (report.documents, report.codes) == (1, 2)


# --- uploads ------------------------------------------------------------------


def test_upload_over_the_limit_is_refused_and_the_rest_go_in(
    project: Project, limit_as: Limit
) -> None:
    small, big = TRANSCRIPT.encode(), (TRANSCRIPT + "YP2: And on the bus.\n").encode()
    report = ingest_uploads(
        project, [Upload("big.txt", big), Upload("small.txt", small)], **limit_as(len(small))
    )
    assert report.failed == [
        {
            "path": "big.txt",
            "error": f"file too large ({len(big)} bytes; limit {len(small)} bytes: {RAISE_HINT})",
        }
    ]
    assert report.documents_added == 1
    assert project_status(project)["documents"] == 1


def test_uploaded_manifest_over_the_limit_stops_the_import(
    project: Project, limit_as: Limit
) -> None:
    manifest = Upload("m.csv", b"file,location,session,notes\na.txt,L1,1," + b"x" * 200 + b"\n")
    before = stored(project)
    with pytest.raises(QualcodeError) as caught:
        ingest_uploads(
            project,
            [Upload("a.txt", TRANSCRIPT.encode())],
            manifest=manifest,
            **limit_as(len(manifest.data) - 1),
        )
    assert str(caught.value) == (
        f"m.csv: file too large ({len(manifest.data)} bytes; "
        f"limit {len(manifest.data) - 1} bytes: {RAISE_HINT})"
    )
    assert stored(project) == before


# --- the limit itself ---------------------------------------------------------


def test_the_default_and_its_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert max_file_bytes() == DEFAULT_MAX_BYTES == 200 * MB
    monkeypatch.setenv(ENV_VAR, "1.5")
    assert max_file_bytes() == 3 * MB // 2
    assert max_file_bytes(1000) == 1000  # a caller's limit wins over the environment
    monkeypatch.setenv(ENV_VAR, "  ")
    assert max_file_bytes() == DEFAULT_MAX_BYTES


@pytest.mark.parametrize("value", ["lots", "0", "-5", "nan", "inf", "1e400"])
def test_a_bad_environment_value_is_one_line(
    value: str, monkeypatch: pytest.MonkeyPatch, project: Project, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_VAR, value)
    message = f"{ENV_VAR} must be a positive number of megabytes, not '{value}'"
    with pytest.raises(QualcodeError) as caught:
        max_file_bytes()
    assert str(caught.value) == message
    with pytest.raises(QualcodeError) as caught:  # before any file is read or stored
        ingest_paths(project, [write(tmp_path / "a.txt", TRANSCRIPT)])
    assert str(caught.value) == message
    assert stored(project)["documents"] == 0


def test_megabytes_and_sizes() -> None:
    assert megabytes(200) == DEFAULT_MAX_BYTES
    assert megabytes(1e-9) == 1  # never a zero limit
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(QualcodeError):
            megabytes(bad)
    with pytest.raises(QualcodeError):
        max_file_bytes(0)
    assert [format_size(n) for n in (0, 1023, 1024, 1536, 200 * MB, 2 * 1024 * MB)] == [
        "0 bytes", "1023 bytes", "1 KB", "1.5 KB", "200 MB", "2 GB",
    ]  # fmt: skip


def test_read_limited(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100)
    assert read_limited(path, 100) == b"x" * 100
    with pytest.raises(InputError) as caught:
        read_limited(path, 99)
    assert_too_large(caught.value, path, 100, 99)
    with pytest.raises(InputError, match="file not found$"):
        read_limited(tmp_path / "missing.bin")
    with pytest.raises(InputError, match="not a file$"):
        read_limited(tmp_path)
    assert len(read_document(write(tmp_path / "a.txt", TRANSCRIPT)).turns) == 2


def test_gold_and_rating_tables_are_limited_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gold = write(tmp_path / "gold.csv", "text,codes\n" + "I have my own room now.,housing\n" * 4)
    ratings = write(tmp_path / "ratings.csv", "unit,coder,value\n" + "1,A,1\n" * 20)
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    monkeypatch.setenv(ENV_VAR, repr(64 / MB))
    with pytest.raises(InputError) as caught:
        read_gold(gold, codebook)
    assert_too_large(caught.value, gold, gold.stat().st_size, 64)
    with pytest.raises(InputError) as caught:
        table_report(ratings)
    assert_too_large(caught.value, ratings, ratings.stat().st_size, 64)


# --- the command line ---------------------------------------------------------

CLI_HINT = f"raise it with --max-size MB or {ENV_VAR}"
"""The CLI's words for RAISE_HINT on a command that has `--max-size`."""


def _mb(limit: int) -> str:
    return repr(limit / MB)


def test_the_library_hint_names_no_flag() -> None:
    assert RAISE_HINT == f"raise it with max_bytes or {ENV_VAR}" and "--" not in RAISE_HINT


def test_cli_without_max_size_names_only_the_environment(tmp_path: Path) -> None:
    """`agreement --table` has no --max-size: its hint must not offer one."""
    ratings = write(tmp_path / "ratings.csv", "unit,coder,value\n" + "1,A,1\n" * 20)
    result = CliRunner().invoke(app, ["agreement", "--table", str(ratings)], env={ENV_VAR: _mb(64)})
    assert result.exit_code == 1, result.output
    size = ratings.stat().st_size
    assert result.stderr == (
        f"error: {ratings}: file too large ({size} bytes; limit 64 bytes: "
        f"raise it with {ENV_VAR})\n"
    )


def test_cli_max_size(project: Project, tmp_path: Path, qdpx: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(project.path)]
    codebook = write(tmp_path / "codebook.yaml", CODEBOOK)
    document = write(tmp_path / "a.txt", TRANSCRIPT)
    codings = write(tmp_path / "codings.csv", "coder,document,segment,code,decision\n" + "x" * 80)
    for command, path in [
        (["codebook", "load"], codebook),
        (["codings", "import"], codings),
        (["import", "qdpx"], qdpx),
    ]:
        size = path.stat().st_size
        result = runner.invoke(app, [*db, *command, str(path), "--max-size", _mb(size - 1)])
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            f"error: {path}: file too large ({format_size(size)}; "
            f"limit {format_size(size - 1)}: {CLI_HINT})\n"
        )
    size = document.stat().st_size
    result = runner.invoke(app, [*db, "ingest", str(document), "--max-size", _mb(size - 1)])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"failed: {document}: file too large ({size} bytes; limit {size - 1} bytes: {CLI_HINT})\n"
    )
    assert stored(project) == dict.fromkeys(TABLES, 0)
    as_json = runner.invoke(
        app, [*db, "ingest", str(document), "--max-size", _mb(size - 1), "--json"]
    )
    assert json.loads(as_json.stdout)["failed"] == [
        {
            "path": str(document),
            "error": f"file too large ({size} bytes; limit {size - 1} bytes: {CLI_HINT})",
        }
    ]
    # --max-size wins over the environment; within it, files go in
    env = {ENV_VAR: _mb(size - 1)}
    result = runner.invoke(app, [*db, "ingest", str(document), "--max-size", _mb(size)], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*db, "codebook", "load", str(codebook)], env=env)
    assert result.exit_code == 1
    assert "file too large" in result.stderr
    result = runner.invoke(app, [*db, "codebook", "load", str(codebook)], env={ENV_VAR: "big"})
    assert result.exit_code == 1
    assert result.stderr == f"error: {ENV_VAR} must be a positive number of megabytes, not 'big'\n"
    result = runner.invoke(app, [*db, "codebook", "load", str(codebook), "--max-size", "0"])
    assert result.exit_code == 2
    assert "--max-size must be a positive number of megabytes" in result.stderr
    assert project_status(project)["documents"] == 1
