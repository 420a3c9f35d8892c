"""Ingest into a project: segments and offsets, attributes, idempotence, versions, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.errors import InputError
from qualcode.ingest.pipeline import collect_files, ingest_paths
from qualcode.store import Project

from .conftest import rows

LONG_TURN = (
    "Waiting. I waited two years for my interview. Every morning I check the post. "
    "Nothing comes. My friends ask me why I am sad. I say I am just tired. "
    "The Home Office does not answer letters."
)

TRANSCRIPT = (
    """Facilitator: What does a good day look like?
YP1: A good day is when I wake up and nobody shouts.
YP2: When my solicitor calls with news.
Facilitator: And what makes that hard?
"""
    + "YP1: "
    + LONG_TURN
    + "\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def segments(project: Project) -> list[tuple]:
    return rows(
        project,
        "SELECT s.ordinal, s.turn, s.speaker, s.start_offset, s.end_offset, s.text, d.text "
        "FROM segments s JOIN documents d ON d.id = s.document_id ORDER BY d.id, s.ordinal",
    )


def test_txt_segments_point_into_stored_text(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path / "s1.txt", TRANSCRIPT)
    report = ingest_paths(project, [path], location="Location 1", session="2")
    assert (report.documents_added, report.failed, report.skipped) == (1, [], [])
    found = segments(project)
    for _, _, _, start, end, text, document in found:
        assert document[start:end] == text
    speakers = [(s[1], s[2]) for s in found]
    # four short turns stay whole; the seven-sentence turn is split into sentences
    assert speakers[:4] == [(0, "Facilitator"), (1, "YP1"), (2, "YP2"), (3, "Facilitator")]
    long_turn = [s[5] for s in found if s[1] == 4]
    assert long_turn == [
        "Waiting.",
        "I waited two years for my interview.",
        "Every morning I check the post.",
        "Nothing comes.",
        "My friends ask me why I am sad.",
        "I say I am just tired.",
        "The Home Office does not answer letters.",
    ]
    assert " ".join(long_turn) == LONG_TURN
    assert report.segments_added == len(found) == 11
    assert [s[0] for s in found] == list(range(11))


def test_attributes_from_flags_create_a_case(project: Project, tmp_path: Path) -> None:
    ingest_paths(project, [write(tmp_path / "a.txt", TRANSCRIPT)], location="L1", session="1")
    assert rows(project, "SELECT name, location, session FROM cases") == [
        ("L1 / session 1", "L1", "1")
    ]


def test_manifest_attributes_and_extra_columns(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "corpus" / "a.txt", TRANSCRIPT)
    write(tmp_path / "corpus" / "b.txt", TRANSCRIPT.replace("good day", "bad day"))
    manifest = write(
        tmp_path / "corpus" / "manifest.csv",
        "file,location,session,date,group,activity_focus\n"
        "a.txt,Location 2,1,2022-05-12,young people 16-18,body map\n"
        "b.txt,Location 2,2,,,\n",
    )
    report = ingest_paths(project, [tmp_path / "corpus"], manifest=manifest)
    assert report.documents_added == 2 and report.without_location_session == []
    assert rows(
        project,
        "SELECT d.title, c.location, c.session, c.date, c.participant_group FROM documents d "
        "JOIN cases c ON c.id = d.case_id ORDER BY d.title",
    ) == [
        ("a.txt", "Location 2", "1", "2022-05-12", "young people 16-18"),
        ("b.txt", "Location 2", "2", None, None),
    ]
    assert rows(project, "SELECT name, value FROM document_attributes") == [
        ("activity_focus", "body map")
    ]


def test_directory_walk_skips_readme_manifest_and_hidden(tmp_path: Path) -> None:
    for name in (
        "b.txt",
        "a.md",
        "README.md",
        "manifest.csv",
        ".hidden.txt",
        "notes.json",
        "sub/c.txt",
    ):
        write(tmp_path / name, "YP1: hello")
    files, unlisted = collect_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.md", "b.txt", "sub/c.txt"]
    assert unlisted == []


def test_with_a_manifest_the_walk_takes_listed_files_only(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "a.txt", TRANSCRIPT)
    write(tmp_path / "codings.csv", "coder,document,segment,code,decision\n")
    manifest = write(tmp_path / "manifest.csv", "file,location,session\na.txt,L1,1\n")
    report = ingest_paths(project, [tmp_path], manifest=manifest)
    assert (report.documents_added, report.failed) == (1, [])
    assert report.unlisted == [str(tmp_path / "codings.csv")]


def test_reingest_is_idempotent(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path / "s1.txt", TRANSCRIPT)
    ingest_paths(project, [path])
    before = rows(project, "SELECT count(*) FROM segments")
    again = ingest_paths(project, [path])
    assert (again.documents_added, again.segments_added, again.skipped) == (0, 0, [str(path)])
    assert rows(project, "SELECT count(*) FROM segments") == before
    assert rows(project, "SELECT count(*) FROM documents") == [(1,)]


def test_changed_file_becomes_new_version_and_codings_stay(
    project: Project, tmp_path: Path
) -> None:
    path = write(tmp_path / "s1.txt", TRANSCRIPT)
    ingest_paths(project, [path])
    with project.transaction() as con:
        con.execute(
            "INSERT INTO coding_events (segment_id, code_id, coder, action, source) "
            "VALUES (1, 'safety', 'alice', 'add', 'manual')"
        )
    write(path, TRANSCRIPT + "YP2: And a safe room.\n")
    report = ingest_paths(project, [path])
    assert report.documents_added == 1
    assert rows(project, "SELECT id, version, supersedes FROM documents ORDER BY id") == [
        (1, 1, None),
        (2, 2, 1),
    ]
    assert rows(project, "SELECT id FROM current_documents") == [(2,)]
    assert rows(project, "SELECT segment_id, code_id FROM codings") == [(1, "safety")]


def test_bad_file_leaves_no_rows_and_others_go_in(project: Project, tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", TRANSCRIPT)
    empty = write(tmp_path / "empty.txt", "")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    report = ingest_paths(project, [empty, good, binary, tmp_path / "missing.txt"])
    assert report.documents_added == 1
    failed = {Path(f["path"]).name: f["error"] for f in report.failed}
    assert set(failed) == {"empty.txt", "image.txt", "missing.txt"}
    assert failed["empty.txt"] == "empty file"
    assert "binary" in failed["image.txt"]
    assert failed["missing.txt"] == "no such file"
    assert rows(project, "SELECT title FROM documents") == [("good.txt",)]
    assert rows(project, "SELECT count(DISTINCT document_id) FROM segments") == [(1,)]


def test_failure_inside_the_transaction_leaves_no_rows(
    project: Project, tmp_path: Path, monkeypatch
) -> None:
    from qualcode.ingest import pipeline

    def explode(*args, **kwargs):
        raise InputError("x", "simulated failure after the document row")

    monkeypatch.setattr(pipeline, "insert_segments", explode)
    report = ingest_paths(
        project, [write(tmp_path / "a.txt", TRANSCRIPT)], location="L", session="1"
    )
    assert report.failed == [
        {"path": str(tmp_path / "a.txt"), "error": "simulated failure after the document row"}
    ]
    for table in ("documents", "segments", "cases", "action_log"):
        assert rows(project, f"SELECT count(*) FROM {table}") == [(0,)], table


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "m.csv",
            "path_to,location\na.txt,L\n",
            "manifest has no 'file' column (found: path_to, location)",
        ),
        ("m.csv", "file,location\na.txt,L,extra\n", "manifest line 2: more values than columns"),
        ("m.csv", "file,location\na.txt,L\na.txt,M\n", "manifest lists 'a.txt' twice"),
        ("m.yaml", "file: [unclosed\n", "invalid YAML manifest at line"),
        ("m.yaml", "- location: L\n", "manifest entry 1 has no 'file' key"),
        ("m.json", "{}", "unsupported manifest format '.json'"),
    ],
)
def test_malformed_manifest_stops_before_any_file(
    project: Project, tmp_path: Path, name: str, content: str, message: str
) -> None:
    write(tmp_path / "a.txt", TRANSCRIPT)
    manifest = write(tmp_path / name, content)
    with pytest.raises(InputError) as caught:
        ingest_paths(project, [tmp_path / "a.txt"], manifest=manifest)
    assert caught.value.path == str(manifest)
    assert caught.value.problem.startswith(message)
    assert rows(project, "SELECT count(*) FROM documents") == [(0,)]


def test_yaml_manifest(project: Project, tmp_path: Path) -> None:
    write(tmp_path / "a.txt", TRANSCRIPT)
    manifest = write(
        tmp_path / "m.yaml", "documents:\n  - file: a.txt\n    location: L3\n    session: 2\n"
    )
    ingest_paths(project, [tmp_path / "a.txt"], manifest=manifest)
    assert rows(project, "SELECT location, session FROM cases") == [("L3", "2")]


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qualcode.cli", "--db", str(db), *args],
        capture_output=True,
        text=True,
    )


def test_cli_ingest_json_and_exit_code(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    assert run_cli("init", db=db).returncode == 0
    good = write(tmp_path / "good.txt", TRANSCRIPT)
    empty = write(tmp_path / "empty.txt", "  \n")
    result = run_cli("ingest", str(good), str(empty), "--json", db=db)
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload == {
        "documents_added": 1,
        "segments_added": 11,
        "skipped": [],
        "failed": [{"path": str(empty), "error": "empty file"}],
    }
    again = json.loads(run_cli("ingest", str(good), "--json", db=db).stdout)
    assert again["skipped"] == [str(good)] and again["documents_added"] == 0
    status = json.loads(run_cli("status", "--json", db=db).stdout)
    assert (status["documents"], status["segments"], status["codings"]) == (1, 11, 0)
    assert status["documents_without_location_session"] == 1


def test_cli_malformed_manifest_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    run_cli("init", db=db)
    manifest = write(tmp_path / "m.csv", "name,location\n")
    result = run_cli("ingest", str(tmp_path), "--manifest", str(manifest), db=db)
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: {manifest}: manifest has no 'file' column (found: name, location)\n"
    )


def test_sentence_splitter_pieces_are_mended() -> None:
    from qualcode.ingest.segment import _mend

    pieces = ["She was proud.", "[", "pause] Yeah.", "[laughs]", "Maybe she lies.", "..."]
    text = " ".join(pieces)
    spans, at = [], 0
    for piece in pieces:
        spans.append((at, at + len(piece)))
        at += len(piece) + 1
    assert [text[a:b] for a, b in _mend(text, spans)] == [
        "She was proud.",
        "[ pause] Yeah. [laughs]",
        "Maybe she lies. ...",
    ]


def test_bracketed_laughter_stays_with_its_sentence(project: Project, tmp_path: Path) -> None:
    turn = (
        "Everything changed. I have friends, I have a timetable. Somewhere to go in the "
        "morning. My teacher said my writing is the best in the class. [laughs] Maybe she lies."
    )
    ingest_paths(project, [write(tmp_path / "a.txt", "YP1: " + turn + "\n")])
    texts = [r[0] for r in rows(project, "SELECT text FROM segments ORDER BY ordinal")]
    assert all(any(ch.isalpha() for ch in t) for t in texts)
    assert not any(t.startswith(("laughs", "[")) and t.endswith("]") for t in texts)
    assert " ".join(texts) == turn


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """One file per kind of bad input, with the problem ingest must report."""
    from pypdf import PdfWriter

    from .test_readers import make_docx

    docx_bytes = make_docx(tmp_path / "whole.docx").read_bytes()
    (tmp_path / "whole.docx").unlink()
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(docx_bytes[: len(docx_bytes) // 2])
    scanned = tmp_path / "scanned.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with scanned.open("wb") as handle:
        writer.write(handle)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    return {
        "empty": (write(tmp_path / "empty.txt", ""), "empty file"),
        "binary": (binary, "not a text file (binary content)"),
        "truncated docx": (truncated, "not a valid .docx (truncated or corrupt zip)"),
        "scanned pdf": (scanned, "PDF has no text layer (scanned?); run OCR first"),
        "csv without text": (
            write(tmp_path / "notes.csv", "colour,prompt\nred,What helps?\n"),
            "missing column 'text'",
        ),
    }


def test_every_bad_input_is_reported_and_leaves_no_rows(project: Project, tmp_path: Path) -> None:
    bad = _bad_inputs(tmp_path)
    good = write(tmp_path / "good.txt", TRANSCRIPT)
    report = ingest_paths(project, [*(p for p, _ in bad.values()), good], location="L", session="1")
    failed = {f["path"]: f["error"] for f in report.failed}
    for name, (path, message) in bad.items():
        assert failed[str(path)].startswith(message), name
    assert report.documents_added == 1
    assert rows(project, "SELECT title FROM documents") == [("good.txt",)]
    assert rows(project, "SELECT count(*) FROM segments WHERE document_id <> 1") == [(0,)]
    assert rows(project, "SELECT count(*) FROM action_log") == [(1,)]


def test_cli_malformed_codebook_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    run_cli("init", db=db)
    codebook = write(tmp_path / "cb.yaml", "name: x\ncodes:\n  - id: a\n    label: A\n")
    result = run_cli("codebook", "load", str(codebook), db=db)
    assert result.returncode == 1
    assert result.stderr == f"error: {codebook}: code 'a': missing required field 'definition'\n"
    assert run_cli("status", "--json", db=db).stdout.count('"codebook_version": null') == 1


def _versions(project: Project) -> list[tuple]:
    return rows(project, "SELECT id, version, supersedes, text FROM documents ORDER BY id")


def test_returning_to_earlier_content_makes_a_new_current_version(
    project: Project, tmp_path: Path
) -> None:
    first, second = TRANSCRIPT, TRANSCRIPT + "YP2: And a safe room.\n"
    path = write(tmp_path / "s1.txt", first)
    ingest_paths(project, [path])
    write(path, second)
    ingest_paths(project, [path])
    write(path, first)  # back to the first version's text
    report = ingest_paths(project, [path])
    assert (report.documents_added, report.skipped, report.document_ids) == (1, [], [3])
    assert report.segments_added == 11
    assert _versions(project) == [(1, 1, None, first), (2, 2, 1, second), (3, 3, 2, first)]
    assert rows(project, "SELECT id, version, text FROM current_documents") == [(3, 3, first)]
    assert rows(project, "SELECT count(*) FROM segments WHERE document_id = 3") == [(11,)]
    logged = rows(
        project,
        "SELECT detail->>'document_id', detail->>'version' FROM action_log "
        "WHERE action = 'ingest' ORDER BY id",
    )
    assert logged == [("1", "1"), ("2", "2"), ("3", "3")]
    again = ingest_paths(project, [path])  # now the current version: nothing added
    assert (again.documents_added, again.skipped) == (0, [str(path)])
    assert rows(project, "SELECT count(*) FROM documents") == [(3,)]


def test_two_same_named_files_in_one_case_are_stored_once(project: Project, tmp_path: Path) -> None:
    """a/s1.txt and b/s1.txt for one location and session chain as one document (same
    name, same case); running ingest again adds nothing, whichever was stored last."""
    first, second = TRANSCRIPT, TRANSCRIPT.replace("good day", "bad day")
    paths = [write(tmp_path / "a" / "s1.txt", first), write(tmp_path / "b" / "s1.txt", second)]
    added = ingest_paths(project, paths, location="L1", session="1")
    assert added.documents_added == 2
    for _ in range(2):
        again = ingest_paths(project, paths, location="L1", session="1")
        assert (again.documents_added, again.skipped) == (0, [str(p) for p in paths])
    assert _versions(project) == [(1, 1, None, first), (2, 2, 1, second)]
    write(paths[0], first + "YP2: Later.\n")  # the first file changes: after the chain's end
    changed = ingest_paths(project, paths, location="L1", session="1")
    assert (changed.documents_added, changed.skipped) == (1, [str(paths[1])])
    assert rows(project, "SELECT id, version, supersedes FROM current_documents") == [(3, 3, 2)]


def test_a_file_moved_within_its_case_reverts_by_name(project: Project, tmp_path: Path) -> None:
    """Same file name, same location and session, another folder: the same document."""
    first, second = TRANSCRIPT, TRANSCRIPT.replace("good day", "bad day")
    ingest_paths(project, [write(tmp_path / "a" / "s1.txt", first)], location="L1", session="1")
    ingest_paths(project, [write(tmp_path / "b" / "s1.txt", second)], location="L1", session="1")
    moved = write(tmp_path / "c" / "s1.txt", first)
    report = ingest_paths(project, [moved], location="L1", session="1")
    assert report.documents_added == 1
    assert _versions(project) == [(1, 1, None, first), (2, 2, 1, second), (3, 3, 2, first)]
    assert rows(project, "SELECT id, source_path FROM current_documents") == [
        (3, str(moved.resolve()))
    ]
    assert rows(project, "SELECT count(*) FROM cases") == [(1,)]
    other_case = ingest_paths(project, [moved], location="L2", session="1")
    assert other_case.skipped == [str(moved)]  # known by its path: unchanged
    assert rows(project, "SELECT count(*) FROM cases") == [(1,)]  # a skip creates no case


def test_a_copy_of_a_current_document_is_skipped(project: Project, tmp_path: Path) -> None:
    """A file no stored document is known by adds nothing when a current document holds
    its text, but is stored when only a superseded version does."""
    first, second = TRANSCRIPT, TRANSCRIPT.replace("good day", "bad day")
    path = write(tmp_path / "s1.txt", first)
    ingest_paths(project, [path])
    copy = write(tmp_path / "copy" / "s1.txt", first)
    assert ingest_paths(project, [copy]).skipped == [str(copy)]
    write(path, second)
    ingest_paths(project, [path])
    report = ingest_paths(project, [copy])  # its text is now only a superseded version's
    assert (report.documents_added, report.skipped) == (1, [])
    assert rows(
        project, "SELECT id, version, supersedes, source_path FROM current_documents ORDER BY id"
    ) == [(2, 2, 1, str(path.resolve())), (3, 1, None, str(copy.resolve()))]
