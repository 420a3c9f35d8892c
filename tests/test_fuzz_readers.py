"""Every reader under mutated real files: a clear one-line error or a correct result, never
a crash, and never rows left behind.

The seeds are real files: the sample corpus (every document format, its manifest and its
codings table), the shipped CSF-POF codebook, the REFI-QDA fixtures in
tests/data/reference/refi, a .qdpx qualcode exports from the demo
project, and published agreement tables. Hypothesis mutates them (bit flips, truncation
at any point, inserted junk and structural tokens, deleted or duplicated runs, and for
zip containers dropped, renamed, rewritten or corrupted members) with a fixed seed
(`derandomize=True`), so a CI run is reproducible.

For each mutant the reader either returns something whose offsets index its text
exactly, or raises InputError (QualcodeError for the project-level loaders) whose
message is one line naming the file. The mutant then goes into a copy of the demo
project through the public entry point (ingest, codebook load, codings import, qdpx
import); when that fails, every table's row count is unchanged.

The regression tests at the end pin the bugs this fuzzing found (see each docstring).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from qualcode.agreement.table import table_report
from qualcode.codebook.model import MAX_DEPTH
from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coding.csv_import import import_codings
from qualcode.demo import build_demo
from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.manifest import read_manifest
from qualcode.ingest.pipeline import ingest_paths, read_and_segment
from qualcode.ingest.preamble import preamble_end, without_preamble
from qualcode.ingest.readers import read_document
from qualcode.ingest.segment import segment_document
from qualcode.limits import RAISE_HINT
from qualcode.refi.archive import open_qdpx
from qualcode.refi.codebook import codebook_to_qdc, read_qdc
from qualcode.refi.project_export import export_qdpx
from qualcode.refi.project_import import import_qdpx
from qualcode.refi.project_read import read_qdpx
from qualcode.store import Project

from .conftest import REFERENCE, REPO_ROOT
from .test_readers import make_pdf

SAMPLE = REPO_ROOT / "corpora" / "sample"
CODEBOOK = REPO_ROOT / "codebook" / "csf-pof.yaml"
REFI = REFERENCE / "refi"
AGREEMENT = REFERENCE / "agreement"
NVIVO_QDPX = REFI / "nvivo12.6win_oltas0517.qdpx"

TABLES = (
    "documents",
    "segments",
    "document_attributes",
    "cases",
    "codebook_versions",
    "codes",
    "coders",
    "coding_events",
    "segment_reviews",
    "memos",
    "action_log",
)


def fuzz(examples: int) -> settings:
    """Reproducible (fixed seed, no example database), no deadline (spaCy, lxml warm-up)."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- mutations --------------------------------------------------------------

JUNK = (
    b"<", b">", b"</", b"/>", b"-->", b"<!--", b"]]>", b"&", b"&amp;", b"&#0;", b"&x;",
    b"\n", b"\r\n", b"\r", b"\n\n\n", b":", b",", b";", b"\t", b'"', b"'", b"\x00",
    b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xe2\x80", b"\xf0\x9f\x98",
    b"\x1b[2J", b"\x0b", b"\x0c", b"[", b"]", b"{", b"}", b"*", b"-", b"YP1:", b"<v Ana>",
    b"00:00:01.000 --> 00:00:02.000\n", b"00:00:01,000 --> 00:00:00,500\n", b"WEBVTT\n",
    b"PK\x03\x04", b"PK\x05\x06", b"%PDF-1.4", b"endstream", b"obj", b"xref", b"trailer",
    b"<<", b">>", b"/Length 99999", b"- ", b": &a [*a]", b"!!python/object:os.system",
    b"startPosition=\"-5\"", b"endPosition=\"999999999\"", b"guid=\"\"",
)  # fmt: skip


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` after one to four of: bit flip, truncation, inserted junk, deletion, duplication."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "truncate", "insert", "delete", "duplicate")))
        position = draw(st.integers(0, len(out)))
        if op == "flip" and out:
            index = min(position, len(out) - 1)
            out[index] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del out[position:]
        elif op == "insert":
            junk = draw(st.one_of(st.sampled_from(JUNK), st.binary(min_size=1, max_size=64)))
            out[position:position] = junk * draw(st.integers(1, 3))
        elif op == "delete":
            del out[position : position + draw(st.integers(1, 256))]
        else:
            out[position:position] = out[position : position + draw(st.integers(1, 512))]
    return bytes(out)


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _rezip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


@st.composite
def zip_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """A zip container (docx, xlsx, qdpx) with its bytes or one member damaged, or
    changed as other tools change archives without harm (an unknown member added, the
    members reordered), which a reader must take as it is."""
    kind = draw(
        st.sampled_from(("bytes", "member", "drop", "rename", "corrupt-stream", "extra", "reorder"))
    )
    if kind == "bytes":
        return draw(byte_mutations(data))
    members = _members(data)
    if kind == "extra":
        return _rezip([*members, ("notes/readme.txt", draw(st.binary(max_size=64)))])
    if kind == "reorder":
        return _rezip(draw(st.permutations(members)))
    index = draw(st.integers(0, len(members) - 1))
    name, content = members[index]
    if kind == "member":
        members[index] = (name, draw(byte_mutations(content)))
    elif kind == "drop":
        del members[index]
    elif kind == "rename":
        new = draw(st.sampled_from(("x.xml", "word/x.xml", "xl/x.xml", "Sources/x.txt", "a.qde")))
        members[index] = (new, content)
    out = _rezip(members)
    if kind == "corrupt-stream":
        # damage the compressed bytes of one member in place: CRC and inflate errors
        info = zipfile.ZipFile(io.BytesIO(out)).infolist()[index]
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        if info.compress_size:
            damaged = bytearray(out)
            for _ in range(draw(st.integers(1, 8))):
                spot = start + draw(st.integers(0, info.compress_size - 1))
                damaged[spot] ^= draw(st.integers(1, 255))
            out = bytes(damaged)
    return out


def mutations(data: bytes, suffix: str) -> st.SearchStrategy[bytes]:
    if suffix in (".docx", ".xlsx", ".qdpx"):
        return zip_mutations(data)
    return byte_mutations(data)


# --- checks -----------------------------------------------------------------


def assert_clean_error(exc: QualcodeError, path: Path) -> None:
    """One line, naming the file, saying what is wrong."""
    message = str(exc)
    assert len(message.splitlines()) == 1, repr(message)
    assert "Traceback" not in message
    assert message.startswith(f"{path}: "), message
    if isinstance(exc, InputError):
        assert exc.path == str(path)
        assert message == f"{path}: {exc.problem}"
        assert exc.problem.strip() and len(exc.problem) < 500, exc.problem


def counts(project: Project) -> dict[str, int]:
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    with project.connect(read_only=True) as con:
        return dict(con.execute(union).fetchall())


def assert_document_stored(project: Project, document_id: int, path: Path) -> None:
    """The stored text and segments are what reading and segmenting the file give (the
    preamble kept in the text, not made into segments: the default)."""
    parsed = read_document(path)
    end = preamble_end(parsed)
    expected = without_preamble(segment_document(parsed), end)
    with project.connect(read_only=True) as con:
        text, stored_end = con.execute(
            "SELECT text, preamble_end FROM documents WHERE id = ?", [document_id]
        ).fetchone()
        stored = con.execute(
            "SELECT ordinal, start_offset, end_offset, text FROM segments "
            "WHERE document_id = ? ORDER BY ordinal",
            [document_id],
        ).fetchall()
    assert text == parsed.text and stored_end == end
    assert [(o, s, e) for o, s, e, _ in stored] == [(g.ordinal, g.start, g.end) for g in expected]
    assert all(text[s:e] == t and t.strip() == t and t for _, s, e, t in stored)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project (sample corpus, CSF-POF codebook, two coders' codings), built once."""
    directory = tmp_path_factory.mktemp("demo")
    build_demo(directory, with_suggestions=False)
    return directory / "qualcode.duckdb"


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Project:
    """A private copy of the demo project for one test."""
    target = tmp_path / "demo.duckdb"
    shutil.copy2(demo_file, target)
    return Project.open(target)


def run_cases(
    tmp_path: Path, suffix: str, strategy: st.SearchStrategy[bytes], examples: int,
    check: Callable[[Path], None],
) -> None:  # fmt: skip
    """Write each drawn mutant to its own file and check it."""
    numbers = itertools.count()

    @fuzz(examples)
    @given(data=strategy)
    def case(data: bytes) -> None:
        path = tmp_path / f"case{next(numbers)}{suffix}"
        path.write_bytes(data)
        check(path)

    case()


# --- document readers, through ingest ---------------------------------------


def _compressed_pdf(raw: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(raw))
    for page in writer.pages:
        page.compress_content_streams()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _transcript_lines() -> list[str]:
    text = (SAMPLE / "loc2_s1_hopes_and_fears.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()][:40]


DOCUMENT_SEEDS: dict[str, Callable[[], bytes]] = {
    "loc1_s1_good_day.txt": lambda: (SAMPLE / "loc1_s1_good_day.txt").read_bytes(),
    "loc3_s2_design_a_service.md": lambda: (SAMPLE / "loc3_s2_design_a_service.md").read_bytes(),
    "loc1_s2_body_maps.docx": lambda: (SAMPLE / "loc1_s2_body_maps.docx").read_bytes(),
    "loc1_s3_tree_of_life.vtt": lambda: (SAMPLE / "loc1_s3_tree_of_life.vtt").read_bytes(),
    "loc2_s3_perfect_professional.srt": lambda: (
        SAMPLE / "loc2_s3_perfect_professional.srt"
    ).read_bytes(),
    "loc1_s1_good_day_outputs.csv": lambda: (SAMPLE / "loc1_s1_good_day_outputs.csv").read_bytes(),
    "loc2_s2_waiting_room_outputs.xlsx": lambda: (
        SAMPLE / "loc2_s2_waiting_room_outputs.xlsx"
    ).read_bytes(),
    "hopes_and_fears.pdf": lambda: make_pdf(_transcript_lines()),
    "hopes_and_fears_flate.pdf": lambda: _compressed_pdf(make_pdf(_transcript_lines())),
}
EXAMPLES = {".docx": 20, ".xlsx": 20, ".pdf": 15}


@pytest.mark.parametrize("seed", list(DOCUMENT_SEEDS))
def test_document_reader_mutants_read_cleanly_or_leave_no_rows(
    seed: str, demo: Project, tmp_path: Path
) -> None:
    suffix = Path(seed).suffix
    original = DOCUMENT_SEEDS[seed]()
    outcomes = {"read": 0, "refused": 0}

    def check(path: Path) -> None:
        before = counts(demo)
        report = ingest_paths(demo, [path])
        after = counts(demo)
        if report.failed:
            outcomes["refused"] += 1
            assert after == before, "a refused file left rows behind"
            with pytest.raises(InputError) as caught:
                read_and_segment(path)
            assert_clean_error(caught.value, path)
            assert report.failed == [{"path": str(path), "error": caught.value.problem}]
        elif report.skipped:  # the mutant's text equals a stored document's
            assert after == before
        else:
            outcomes["read"] += 1
            assert report.documents_added == 1
            assert after["documents"] == before["documents"] + 1
            assert after["segments"] == before["segments"] + report.segments_added
            assert after["action_log"] == before["action_log"] + 1
            assert_document_stored(demo, report.document_ids[0], path)

    run_cases(tmp_path, suffix, mutations(original, suffix), EXAMPLES.get(suffix, 20), check)
    assert outcomes["refused"] > 0, outcomes  # the mutations do reach the error paths


# --- manifests --------------------------------------------------------------


def _yaml_manifest() -> bytes:
    with (SAMPLE / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return yaml.safe_dump({"documents": rows}, sort_keys=False, allow_unicode=True).encode()


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_manifest_mutants_fail_before_any_file_is_read(
    suffix: str, demo: Project, tmp_path: Path
) -> None:
    """A broken manifest stops the ingest before any file; a readable one ingests as told."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(SAMPLE / "loc1_s3_small_group.txt", corpus / "loc1_s3_small_group.txt")
    original = (SAMPLE / "manifest.csv").read_bytes() if suffix == ".csv" else _yaml_manifest()
    numbers = itertools.count()

    @fuzz(25)
    @given(data=byte_mutations(original))
    def case(data: bytes) -> None:
        manifest = corpus / f"manifest{next(numbers)}{suffix}"
        manifest.write_bytes(data)
        before = counts(demo)
        try:
            read_manifest(manifest)
        except InputError as exc:
            assert_clean_error(exc, manifest)
            with pytest.raises(InputError) as again:
                ingest_paths(demo, [corpus], manifest=manifest)
            assert str(again.value) == str(exc)
            assert counts(demo) == before
        else:
            report = ingest_paths(demo, [corpus], manifest=manifest)
            assert not report.failed
            after = counts(demo)
            assert after["documents"] == before["documents"] + report.documents_added
            assert after["segments"] == before["segments"] + report.segments_added
        manifest.unlink()

    case()


# --- codebooks: YAML and REFI-QDA .qdc ----------------------------------------


def _qdc_seeds() -> dict[str, Callable[[], bytes]]:
    seeds: dict[str, Callable[[], bytes]] = {
        "csf-pof.qdc": lambda: codebook_to_qdc(load_yaml_codebook(CODEBOOK)),
    }
    for path in sorted(REFI.glob("*.qdc")):
        seeds[path.name] = path.read_bytes
    return seeds


CODEBOOK_SEEDS = {"csf-pof.yaml": CODEBOOK.read_bytes, **_qdc_seeds()}


@pytest.mark.parametrize("seed", list(CODEBOOK_SEEDS))
def test_codebook_mutants_load_whole_or_not_at_all(
    seed: str, demo: Project, tmp_path: Path
) -> None:
    suffix = Path(seed).suffix
    original = CODEBOOK_SEEDS[seed]()
    reader = load_yaml_codebook if suffix == ".yaml" else read_qdc

    def check(path: Path) -> None:
        before = counts(demo)
        try:
            codebook = reader(path)
        except InputError as exc:
            assert_clean_error(exc, path)
            with pytest.raises(InputError):
                load_codebook(demo, path)
            assert counts(demo) == before
            return
        assert codebook.codable()
        result = load_codebook(demo, path)
        after = counts(demo)
        assert after["codebook_versions"] == before["codebook_versions"] + int(result.created)
        if result.created:
            assert after["codes"] > before["codes"]

    run_cases(tmp_path, suffix, byte_mutations(original), 12 if suffix == ".yaml" else 20, check)


# --- REFI-QDA projects (.qdpx) ----------------------------------------------


@pytest.fixture(scope="module")
def exported_qdpx(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The demo project as qualcode exports it (14 sources, the codebook, 388 codings)."""
    project = Project.open(demo_file)
    path = tmp_path_factory.mktemp("qdpx") / "demo.qdpx"
    export_qdpx(project, path)
    return path.read_bytes()


def test_qdpx_mutants_import_whole_or_not_at_all(
    exported_qdpx: bytes, demo: Project, tmp_path: Path
) -> None:
    """Mutants of an exported project: import_qdpx stores all of it in one transaction
    (documents reused by content, every coding), or raises InputError and stores nothing."""
    outcomes = {"imported": 0, "refused": 0}

    def check(path: Path) -> None:
        before = counts(demo)
        try:
            report = import_qdpx(demo, path)
        except InputError as exc:
            assert_clean_error(exc, path)
            assert counts(demo) == before, "a refused .qdpx left rows behind"
            outcomes["refused"] += 1
            return
        outcomes["imported"] += 1
        after = counts(demo)
        assert after["coding_events"] == before["coding_events"] + report.codings
        assert after["memos"] == before["memos"] + report.memos
        new_documents = report.documents - report.documents_reused
        assert after["documents"] == before["documents"] + new_documents

    run_cases(tmp_path, ".qdpx", zip_mutations(exported_qdpx), 25, check)
    assert outcomes["refused"] > 0 and outcomes["imported"] > 0, outcomes


def test_nvivo_qdpx_mutants_are_read_or_refused_cleanly(demo: Project, tmp_path: Path) -> None:
    """Mutants of a real NVivo export: read_qdpx resolves them or raises one clear line; a
    refused one imports nothing. (A readable one is not imported here: segmenting its
    1.2 million characters takes seconds per example.)"""
    original = NVIVO_QDPX.read_bytes()

    def check(path: Path) -> None:
        try:
            parsed = read_qdpx(path)
        except InputError as exc:
            assert_clean_error(exc, path)
            before = counts(demo)
            with pytest.raises(InputError):
                import_qdpx(demo, path)
            assert counts(demo) == before
            return
        for source in parsed.sources:
            for selection in source.selections:
                assert 0 <= selection.start <= selection.end <= len(source.text)

    run_cases(tmp_path, ".qdpx", zip_mutations(original), 20, check)


# --- coders' decisions and ratings tables -----------------------------------


def test_codings_csv_mutants_import_whole_or_not_at_all(demo: Project, tmp_path: Path) -> None:
    original = (SAMPLE / "codings.csv").read_bytes()

    def check(path: Path) -> None:
        before = counts(demo)
        try:
            result = import_codings(demo, path)
        except InputError as exc:
            assert_clean_error(exc, path)
            assert counts(demo) == before
            return
        after = counts(demo)
        assert after["coding_events"] == before["coding_events"] + result.events
        assert after["segment_reviews"] == before["segment_reviews"] + result.reviews

    run_cases(tmp_path, ".csv", byte_mutations(original), 25, check)


def test_ratings_table_mutants_report_or_refuse_cleanly(tmp_path: Path) -> None:
    original = (AGREEMENT / "hayes_krippendorff2007_5obs_40units.long.csv").read_bytes()

    def check(path: Path) -> None:
        try:
            report = table_report(path)
        except InputError as exc:
            assert_clean_error(exc, path)
            return
        assert report["n_coders"] >= 2 and report["units_pairable"] >= 1
        assert -1.0 <= report["percent_agreement"] <= 1.0

    run_cases(tmp_path, ".csv", byte_mutations(original), 40, check)


# --- size limits: the configured limit is what trips --------------------------


@pytest.mark.parametrize("seed", list(DOCUMENT_SEEDS))
def test_size_limit_is_the_configured_one(seed: str, tmp_path: Path) -> None:
    path = tmp_path / seed
    path.write_bytes(DOCUMENT_SEEDS[seed]())
    size = path.stat().st_size
    unpacked = (
        sum(len(c) for _, c in _members(path.read_bytes())) if zipfile.is_zipfile(path) else 0
    )
    if path.suffix == ".pdf":  # a compressed PDF's text, like a zip's members, may be larger
        unpacked = len(read_document(path).text.encode("utf-8"))
    assert read_document(path, max_bytes=max(size, unpacked)).text  # at the limit: read
    with pytest.raises(InputError) as caught:
        read_document(path, max_bytes=size - 1)
    assert_clean_error(caught.value, path)
    assert caught.value.problem.startswith("file too large (")
    assert caught.value.problem.endswith(f"limit {_human(size - 1)}: {RAISE_HINT})")


def _human(n: int) -> str:
    from qualcode.limits import format_size

    return format_size(n)


@pytest.mark.parametrize(
    ("seed", "part"),
    [("loc1_s2_body_maps.docx", "word/media/padding.bin"),
     ("loc2_s2_waiting_room_outputs.xlsx", "xl/media/padding.bin")],
)  # fmt: skip
def test_zip_bomb_refused_at_the_configured_limit(seed: str, part: str, tmp_path: Path) -> None:
    """A real document with a 64 MB member of zeros (a 64 KB file): refused under a 16 MB
    limit, read (to the same text) under a 128 MB one."""
    members = _members((SAMPLE / seed).read_bytes())
    bomb = tmp_path / seed
    bomb.write_bytes(_rezip([*members, (part, bytes(64 * 1024 * 1024))]))
    assert bomb.stat().st_size < 200 * 1024
    with pytest.raises(InputError) as caught:
        read_document(bomb, max_bytes=16 * 1024 * 1024)
    assert_clean_error(caught.value, bomb)
    assert re.fullmatch(
        rf"refusing \{Path(seed).suffix}: contents unpack to 64(\.\d)? MB, "
        rf"over the 16 MB limit \(possible zip bomb; {re.escape(RAISE_HINT)}\)",
        caught.value.problem,
    ), caught.value.problem
    assert read_document(bomb, max_bytes=128 * 1024 * 1024).text == (
        read_document(SAMPLE / seed).text
    )


def test_qdpx_bomb_refused_at_the_configured_limit(
    exported_qdpx: bytes, demo: Project, tmp_path: Path
) -> None:
    members = _members(exported_qdpx)
    total = sum(len(content) for _, content in members)
    path = tmp_path / "bomb.qdpx"
    path.write_bytes(_rezip([*members, ("Sources/padding.txt", bytes(32 * 1024 * 1024))]))
    before = counts(demo)
    limit = total + 1024 * 1024
    with pytest.raises(InputError) as caught:
        import_qdpx(demo, path, max_bytes=limit)
    assert_clean_error(caught.value, path)
    assert caught.value.problem.endswith(f"over the limit of {_human(limit)} ({RAISE_HINT})")
    assert counts(demo) == before
    open_qdpx(path, max_bytes=total + 32 * 1024 * 1024).close()  # fits: opens


# --- regressions: bugs this fuzzing found -------------------------------------


def test_corrupt_deflate_stream_in_qdpx_is_an_input_error(
    exported_qdpx: bytes, demo: Project, tmp_path: Path
) -> None:
    """Bug: a damaged deflate stream raised zlib.error (not a BadZipFile) out of
    open_qdpx and QdpxArchive.read, so `qualcode import qdpx` printed a traceback."""
    out = bytearray(_rezip(_members(exported_qdpx)))
    info = next(
        i for i in zipfile.ZipFile(io.BytesIO(bytes(out))).infolist() if i.filename == "project.qde"
    )
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for spot in range(start + 10, start + 10 + 64, 3):
        out[spot] ^= 0xA5
    path = tmp_path / "damaged.qdpx"
    path.write_bytes(bytes(out))
    before = counts(demo)
    with pytest.raises(InputError) as caught:
        import_qdpx(demo, path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem.startswith("cannot read 'project.qde' from the archive (")
    assert counts(demo) == before


def test_xml_error_with_a_control_character_is_one_line(tmp_path: Path) -> None:
    """Bug: libxml2 ends some messages with a newline ("Char 0x0 out of allowed range\\n"),
    so the error for a .qdc or .qdpx holding a NUL byte was two lines."""
    path = tmp_path / "nul.qdc"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<CodeBook><Codes><Code name="a"><Description>x\x00'
        b"</Description></Code></Codes></CodeBook>"
    )
    with pytest.raises(InputError) as caught:
        read_qdc(path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem == (
        "not a REFI-QDA codebook: XML syntax error at line 2, column 47: "
        "Invalid character: Char 0x0 out of allowed range"
    )


def test_codes_nested_too_deep_in_a_qdc_are_refused(tmp_path: Path) -> None:
    """Bug: parse_codes recursed once per nesting level, so a .qdc with codes nested
    about a thousand deep (well within lxml's limit) raised RecursionError."""
    depth = 1200
    body = "".join(f'<Code guid="g{i}" name="c{i}">' for i in range(depth)) + "</Code>" * depth
    path = tmp_path / "deep.qdc"
    path.write_text(f"<CodeBook><Codes>{body}</Codes></CodeBook>", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_qdc(path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem == f"codes nested more than {MAX_DEPTH} levels deep"
    fits = MAX_DEPTH + 1  # the top level plus MAX_DEPTH levels below it
    body = "".join(f'<Code guid="g{i}" name="c{i}">' for i in range(fits)) + "</Code>" * fits
    path.write_text(f"<CodeBook><Codes>{body}</Codes></CodeBook>", encoding="utf-8")
    assert len(read_qdc(path).codes) == fits


def test_yaml_codebook_nested_too_deep_is_refused(tmp_path: Path) -> None:
    """The same limit for YAML codebooks (a parent chain), so what loads also exports."""
    codes = [{"id": "c0", "label": "c0", "definition": "d"}] + [
        {"id": f"c{i}", "label": f"c{i}", "definition": "d", "parent": f"c{i - 1}"}
        for i in range(1, MAX_DEPTH + 2)
    ]
    path = tmp_path / "deep.yaml"
    path.write_text(yaml.safe_dump({"name": "deep", "codes": codes}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_yaml_codebook(path)
    assert caught.value.problem == (
        f"code 'c{MAX_DEPTH + 1}': nested more than {MAX_DEPTH} levels deep"
    )
    path.write_text(yaml.safe_dump({"name": "deep", "codes": codes[:-1]}), encoding="utf-8")
    assert len(load_yaml_codebook(path).codes) == MAX_DEPTH + 1


@pytest.mark.parametrize("kind", ["codebook", "manifest"])
def test_deeply_nested_yaml_is_an_input_error(kind: str, tmp_path: Path) -> None:
    """Bug: PyYAML recurses per nesting level, so `codes: [[[[...` raised RecursionError
    out of the codebook and manifest readers."""
    path = tmp_path / f"{kind}.yaml"
    path.write_text("codes: " + "[" * 1500 + "]" * 1500 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        (load_yaml_codebook if kind == "codebook" else read_manifest)(path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem.endswith("nested too deeply")


LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{x}: &{x} [{', '.join([f'*{y}'] * 9)}]\n" for x, y in zip("bcdefghi", "abcdefgh", strict=True)
)  # 9**9 strings once expanded


@pytest.mark.parametrize(
    ("kind", "tail", "problem"),
    [
        ("codebook", "name: *i\ncodes: [{id: x, label: X, definition: d}]\n",
         "codebook: field 'name' must be a single value"),
        ("codebook", "codes: [{id: x, label: *i, definition: d}]\n",
         "code 'x': field 'label' must be a single value"),
        ("codebook", "codes: [{id: *i, label: X, definition: d}]\n",
         "code #1: field 'id' must be a single value"),
        ("manifest", "documents: [{file: a.txt, notes: *i}]\n",
         "manifest entry 1: 'notes' must be a single value"),
    ],
)  # fmt: skip
def test_yaml_alias_bomb_is_refused_at_once(
    kind: str, tail: str, problem: str, tmp_path: Path
) -> None:
    """Bug: an alias bomb (nine aliases nine deep) in a field the reader turns into text
    with str() expanded to 387 million strings: the loader hung and ate memory."""
    path = tmp_path / f"{kind}.yaml"
    path.write_text(LAUGHS + tail, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        (load_yaml_codebook if kind == "codebook" else read_manifest)(path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem == problem


def test_codings_csv_with_an_oversized_header_field_is_an_input_error(
    demo: Project, tmp_path: Path
) -> None:
    """Bug: the header of a codings CSV was read outside the csv.Error handler, so a
    header field over the csv module's limit escaped as _csv.Error."""
    path = tmp_path / "codings.csv"
    path.write_text("coder,document,segment,code,decision," + "x" * 200_000 + "\n")
    before = counts(demo)
    with pytest.raises(InputError) as caught:
        import_codings(demo, path)
    assert_clean_error(caught.value, path)
    assert caught.value.problem == "malformed CSV (field larger than field limit (131072))"
    assert counts(demo) == before


def test_qdpx_failing_inside_the_transaction_stores_nothing(demo: Project, tmp_path: Path) -> None:
    """A .qdpx that fails after its documents are inserted (a coding on the blank lines
    after the last turn cannot anchor to a segment): the whole import rolls back."""
    text = "YP1: A new transcript nobody has stored yet.\n\n\n\n"
    start = len(text.rstrip()) + 1  # on the blank lines after the only turn
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
 <Users><User guid="11111111-1111-1111-1111-111111111111" name="ana"/></Users>
 <CodeBook><Codes>
  <Code guid="22222222-2222-2222-2222-222222222222" name="Safety" isCodable="true"/>
 </Codes></CodeBook>
 <Sources>
  <TextSource guid="33333333-3333-3333-3333-333333333333" name="new.txt">
   <PlainTextContent>{text}</PlainTextContent>
   <PlainTextSelection guid="44444444-4444-4444-4444-444444444444"
     startPosition="{start}" endPosition="{start + 2}"
     creatingUser="11111111-1111-1111-1111-111111111111">
    <Coding guid="55555555-5555-5555-5555-555555555555"
      creatingUser="11111111-1111-1111-1111-111111111111">
     <CodeRef targetGUID="22222222-2222-2222-2222-222222222222"/>
    </Coding>
   </PlainTextSelection>
  </TextSource>
 </Sources>
</Project>"""
    path = tmp_path / "trailing.qdpx"
    path.write_bytes(_rezip([("project.qde", qde.encode())]))
    assert read_qdpx(path).sources[0].selections[0].start == start  # it reads fine
    before = counts(demo)
    with pytest.raises(InputError) as caught:
        import_qdpx(demo, path)
    assert_clean_error(caught.value, path)
    assert "must overlap segment" in caught.value.problem
    assert counts(demo) == before
