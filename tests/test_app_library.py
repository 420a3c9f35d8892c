"""Library functions written for the app: uploads, codebook edits, retrieval of coded
segments, and supervisor-only agreement reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from qualcode.agreement.adjudication import disagreements
from qualcode.agreement.report import agreement_report
from qualcode.codebook import Code, current_codebook
from qualcode.codebook.edit import add_code, add_example, edit_code, retire_code
from qualcode.codebook_files import codebook_file, load_codebook, load_codebook_file
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.errors import QualcodeError
from qualcode.refi.codebook import parse_qdc
from qualcode.store import Project
from qualcode.themes.explore import ANY, code_cooccurrence, coded_segments
from qualcode.uploads import Upload, ingest_uploads

from .conftest import rows
from .suggest_helpers import SMALL_CODEBOOK, add_document, write_codebook


def test_uploads_keep_their_names_attributes_and_report_failures(project: Project) -> None:
    report = ingest_uploads(
        project,
        [
            Upload("folder/session one.txt", b"YP1: I have my own room now.\n"),
            Upload("empty.txt", b""),
        ],
        location="Leeds",
        session="1",
        attributes={"date": "2022-05-01", "group": "girls", "activity": "river of life"},
        actor="ana",
    )
    assert report.documents_added == 1
    assert report.failed and report.failed[0]["path"] == "empty.txt"
    assert rows(
        project,
        "SELECT d.title, c.location, c.session, c.date, c.participant_group FROM documents d "
        "JOIN cases c ON c.id = d.case_id",
    ) == [("session one.txt", "Leeds", "1", "2022-05-01", "girls")]
    assert rows(project, "SELECT name, value FROM document_attributes") == [
        ("activity", "river of life")
    ]
    again = ingest_uploads(project, [Upload("session one.txt", b"YP1: I have my own room now.\n")])
    assert again.skipped == ["session one.txt"] and again.documents_added == 0


def test_uploads_with_a_manifest(project: Project) -> None:
    manifest = b"file,location,session,facilitator\na.txt,Leeds,2,Sam\nb.txt,York,1,Jo\n"
    report = ingest_uploads(
        project,
        [Upload("a.txt", b"YP1: Hello there.\n"), Upload("b.txt", b"YP2: Good morning.\n")],
        manifest=Upload("manifest.csv", manifest),
    )
    assert report.documents_added == 2
    assert rows(
        project,
        "SELECT d.title, c.location, c.session, a.value FROM documents d "
        "JOIN cases c ON c.id = d.case_id JOIN document_attributes a ON a.document_id = d.id "
        "ORDER BY d.title",
    ) == [("a.txt", "Leeds", "2", "Sam"), ("b.txt", "York", "1", "Jo")]
    with pytest.raises(QualcodeError, match="bad.csv"):
        ingest_uploads(
            project, [Upload("c.txt", b"YP1: Hi.\n")], manifest=Upload("bad.csv", b"x,y\n,\n")
        )
    with pytest.raises(QualcodeError, match="two files are named"):
        ingest_uploads(project, [Upload("a/x.txt", b"1"), Upload("b/x.txt", b"2")])
    with pytest.raises(QualcodeError, match="not both"):
        ingest_uploads(
            project, [Upload("d.txt", b"YP1: Hi.\n")],
            manifest=Upload("manifest.csv", manifest), attributes={"group": "g"},
        )  # fmt: skip


def test_uploads_can_be_pseudonymised_before_storing(project: Project, tmp_path: Path) -> None:
    from qualcode.privacy import Pseudonymiser

    log = tmp_path / "outside" / "pseudonyms.json"
    log.parent.mkdir()
    pseudonymiser = Pseudonymiser.open(log, project.path, use_ner=False)
    text = b"YP1: Call me on 07700 900123 or write to ana@example.org, LS1 4AB.\n"
    report = ingest_uploads(project, [Upload("call.txt", text)], pseudonymise=pseudonymiser)
    assert report.documents_added == 1
    stored = rows(project, "SELECT text FROM documents")[0][0]
    assert "07700 900123" not in stored and "ana@example.org" not in stored
    assert "LS1 4AB" not in stored and "[" in stored
    assert pseudonymiser.summary()["replacements"] >= 3 and log.exists()
    logged = json.loads(log.read_text(encoding="utf-8"))["documents"]
    assert [(d["document"], d["source_path"]) for d in logged] == [("call.txt", "call.txt")]


def test_a_changed_reupload_supersedes_and_an_unchanged_one_is_skipped(
    project: Project,
) -> None:
    first, second = b"YP1: I have my own room now.\n", b"YP1: I share a room again.\n"
    ingest_uploads(project, [Upload("session one.txt", first)])
    report = ingest_uploads(project, [Upload("C:\\Users\\ana\\session one.txt", second)])
    assert (report.documents_added, report.skipped, report.failed) == (1, [], [])
    assert rows(
        project, "SELECT id, title, source_path, version, supersedes FROM documents ORDER BY id"
    ) == [
        (1, "session one.txt", "session one.txt", 1, None),
        (2, "session one.txt", "session one.txt", 2, 1),
    ]
    assert rows(project, "SELECT id, text FROM current_documents") == [
        (2, "YP1: I share a room again.\n")
    ]
    unchanged = ingest_uploads(project, [Upload("session one.txt", second)])
    assert (unchanged.documents_added, unchanged.skipped) == (0, ["session one.txt"])
    reverted = ingest_uploads(project, [Upload("session one.txt", first)])
    assert reverted.documents_added == 1
    assert rows(project, "SELECT id, version, supersedes, text FROM current_documents") == [
        (3, 3, 2, "YP1: I have my own room now.\n")
    ]
    assert (
        rows(project, "SELECT detail->>'path' FROM action_log WHERE action = 'ingest' ORDER BY id")
        == [("session one.txt",)] * 3
    )


def test_same_named_uploads_for_other_sessions_are_other_documents(project: Project) -> None:
    """An upload is known by its name in its case: "transcript.docx" from two locations
    is two documents, and a changed one supersedes only its own."""
    ingest_uploads(project, [Upload("notes.txt", b"YP1: first site.\n")], location="A", session="1")
    ingest_uploads(
        project, [Upload("notes.txt", b"YP1: second site.\n")], location="B", session="1"
    )
    ingest_uploads(project, [Upload("notes.txt", b"YP1: no site.\n")])
    changed = ingest_uploads(
        project, [Upload("notes.txt", b"YP1: second site, edited.\n")], location="B", session="1"
    )
    assert changed.documents_added == 1
    assert rows(
        project,
        "SELECT d.id, c.location, d.version, d.supersedes FROM current_documents d "
        "LEFT JOIN cases c ON c.id = d.case_id ORDER BY d.id",
    ) == [(1, "A", 1, None), (3, None, 1, None), (4, "B", 2, 2)]


def test_uploads_write_no_temporary_files(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploads are read from their bytes: any tempfile call fails the test, and the
    temporary folder stays empty."""
    import tempfile

    from qualcode.privacy import Pseudonymiser
    from qualcode.uploads import plan_uploads

    from .test_readers import make_docx

    docx_bytes = make_docx(tmp_path / "made.docx").read_bytes()
    temp = tmp_path / "temp"
    temp.mkdir()
    (tmp_path / "log").mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload wrote a temporary file")

    for name in (
        "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile",
        "mkstemp", "mkdtemp", "mktemp",
    ):  # fmt: skip
        monkeypatch.setattr(tempfile, name, refuse)
    files = [
        Upload("workshop.docx", docx_bytes),
        Upload("items.csv", b"speaker,text\nYP1,Feeling safe at home.\n"),
        Upload("broken.docx", b"PK\x03\x04 not a zip"),
    ]
    report = ingest_uploads(
        project, files, location="Leeds", session="1", attributes={"Facilitator": "Sam"}
    )
    assert report.documents_added == 2
    assert report.failed == [
        {"path": "broken.docx", "error": "not a valid .docx (truncated or corrupt zip)"}
    ]
    assert rows(
        project,
        "SELECT d.title, d.source_path, d.format, a.name, a.value FROM documents d "
        "JOIN document_attributes a ON a.document_id = d.id ORDER BY d.id",
    ) == [
        ("workshop.docx", "workshop.docx", "docx", "facilitator", "Sam"),
        ("items.csv", "items.csv", "csv", "facilitator", "Sam"),
    ]
    manifest = Upload("manifest.yaml", b"- file: notes.txt\n  location: York\n  session: 2\n")
    report = ingest_uploads(project, [Upload("notes.txt", b"YP2: Hi.\n")], manifest=manifest)
    assert report.documents_added == 1 and report.without_location_session == []
    assert rows(project, "SELECT name FROM cases ORDER BY id") == [
        ("Leeds / session 1",),
        ("York / session 2",),
    ]
    planned = plan_uploads(
        files, Pseudonymiser.open(tmp_path / "log" / "p.json", project.path, use_ner=False)
    )
    assert [(p.name, p.plan is not None, p.error) for p in planned] == [
        ("workshop.docx", True, None),
        ("items.csv", True, None),
        ("broken.docx", False, "not a valid .docx (truncated or corrupt zip)"),
    ]
    assert list(temp.iterdir()) == []


@pytest.fixture
def coded(project: Project, tmp_path: Path) -> Project:
    load_codebook(project, write_codebook(tmp_path))
    return project


def test_edit_code_adds_a_version_and_keeps_the_old_one(coded: Project) -> None:
    result = edit_code(coded, "housing", "ana", definition="A safe place to live.", color="#112233")
    assert result.created and result.version == 2 and result.changed == ["housing"]
    codebook = current_codebook(coded)
    assert codebook.by_id()["housing"].definition == "A safe place to live."
    assert codebook.by_id()["housing"].color == "#112233"
    assert rows(
        coded, "SELECT definition FROM codes WHERE id = 'housing' AND codebook_version = 1"
    )[0][0].startswith("Having a safe")
    assert rows(coded, "SELECT actor FROM action_log WHERE action = 'codebook.load'")[-1] == (
        "ana",
    )
    assert not edit_code(coded, "housing", "ana", definition="A safe place to live.").created
    with pytest.raises(QualcodeError, match="definition"):
        edit_code(coded, "housing", "ana", definition="")
    with pytest.raises(QualcodeError, match="cannot edit field 'id'"):
        edit_code(coded, "housing", "ana", id="home2")
    with pytest.raises(QualcodeError, match="no code"):
        edit_code(coded, "nope", "ana", label="x")


def test_examples_retiring_and_new_codes(coded: Project) -> None:
    add_example(coded, "friends", "  My mates   came to my birthday. ", "ana")
    assert current_codebook(coded).by_id()["friends"].examples[-1] == (
        "My mates came to my birthday."
    )
    with pytest.raises(QualcodeError, match="already an example"):
        add_example(coded, "friends", "My mates came to my birthday.", "ana")
    retire_code(coded, "friends", "ana")
    codebook = current_codebook(coded)
    assert codebook.by_id()["friends"].retired and "friends" not in {
        c.id for c in codebook.codable()
    }
    with pytest.raises(QualcodeError, match="retired"):
        edit_code(coded, "friends", "ana", label="Friends")
    add_code(coded, Code("pets", "Pets", parent="home", definition="Animals at home."), "ana")
    order = [c.id for c in current_codebook(coded).codes]
    assert order.index("pets") == order.index("friends") + 1  # after its family
    with pytest.raises(QualcodeError, match="exists already"):
        add_code(coded, Code("pets", "Pets", definition="x"), "ana")
    with pytest.raises(QualcodeError, match="parent 'nowhere'"):
        add_code(coded, Code("x1", "X", parent="nowhere", definition="x"), "ana")
    assert rows(coded, "SELECT max(version) FROM codebook_versions") == [(4,)]


def test_codebook_files_round_trip(project: Project, tmp_path: Path) -> None:
    result = load_codebook_file(project, "small.yaml", SMALL_CODEBOOK.encode(), "ana")
    assert result.created and result.version == 1
    name, data = codebook_file(project, "yaml")
    assert name == "codebook.yaml" and yaml.safe_load(data)["codes"][1]["id"] == "education"
    name, data = codebook_file(project, "qdc")
    assert name == "codebook.qdc"
    assert {c.id for c in parse_qdc(data, "x.qdc").codes} >= {"education", "housing"}
    assert not load_codebook_file(project, "again.qdc", data, "ana").created
    with pytest.raises(QualcodeError, match="broken.yaml"):
        load_codebook_file(project, "broken.yaml", b"codes: [", "ana")


def _two_coders(project: Project, tmp_path: Path) -> list[int]:
    load_codebook(project, write_codebook(tmp_path))
    ids = add_document(project, ["My own room.", "My friends.", "School is good.", "Nothing."])
    record_decisions(
        project,
        [
            Decision(ids[0], "housing", "ana", "add"),
            Decision(ids[1], "friends", "ana", "add"),
            Decision(ids[1], "housing", "ana", "add"),
            Decision(ids[2], "education", "ana", "add"),
            Decision(ids[0], "housing", "bo", "add"),
            Decision(ids[1], "friends", "bo", "add"),
            Decision(ids[3], "education", "bo", "add"),
        ],
    )
    return ids


def test_coded_segments_per_layer_and_cell(project: Project, tmp_path: Path) -> None:
    ids = _two_coders(project, tmp_path)
    mine = coded_segments(project, "coder:ana", "code", "housing")
    assert [s.segment_id for s in mine] == [ids[0], ids[1]] and mine[0].coders == ["ana"]
    both = coded_segments(project, "all", "code", "education")
    assert [s.segment_id for s in both] == [ids[2], ids[3]]
    assert coded_segments(project, "all", "code", "education", location="Leeds") == []
    nowhere = coded_segments(project, "all", "code", "housing", location=None, session=None)
    assert {s.segment_id for s in nowhere} == {ids[0], ids[1]}  # documents without a case
    assert len(coded_segments(project, "all", "code", "housing", ANY, ANY, limit=1)) == 1
    with pytest.raises(QualcodeError, match="no code"):
        coded_segments(project, "all", "code", "nope")
    with pytest.raises(QualcodeError, match="no codings yet"):
        coded_segments(project, "consensus", "code", "housing")
    together = code_cooccurrence(project, "coder:ana")
    i, j = together.codes.index("friends"), together.codes.index("housing")
    assert together.counts[i, j] == 1 and together.counts[j, j] == 2


def test_agreement_reads_need_a_supervisor(project: Project, tmp_path: Path) -> None:
    _two_coders(project, tmp_path)
    add_coder(project, "ana")
    add_coder(project, "bo")
    add_coder(project, "sue", "supervisor")
    with pytest.raises(QualcodeError, match="'ana' is a coder: only a supervisor or admin can"):
        agreement_report(project.as_user("ana"), ci=False)
    with pytest.raises(QualcodeError, match="'nobody' is not registered"):
        disagreements(project.as_user("nobody"))
    report = agreement_report(project.as_user("sue"), coders=["ana", "bo"], ci=False)
    assert report["coders"] == ["ana", "bo"] and report["unit"] == "segment"
    found = disagreements(project.as_user("sue"))
    assert {(d.code_id, tuple(sorted(d.decisions.items()))) for d in found} >= {
        ("housing", (("ana", "present"), ("bo", "absent")))
    }


def test_code_counts_per_layer_and_who_may_read_them(project: Project, tmp_path: Path) -> None:
    from qualcode.coding import code_counts

    ids = _two_coders(project, tmp_path)
    # ana: housing on 0 and 1, friends on 1, education on 2; bo: housing 0, friends 1,
    # education 3; all: the segments either coded, each counted once
    assert code_counts(project, "coder:ana") == {"housing": 2, "friends": 1, "education": 1}
    assert code_counts(project, "coder:bo") == {"housing": 1, "friends": 1, "education": 1}
    assert code_counts(project, "all") == {"housing": 2, "friends": 1, "education": 2}
    assert code_counts(project, "consensus") == {}  # an empty layer counts nothing
    record_decisions(project, [Decision(ids[1], "housing", "ana", "remove")])
    assert code_counts(project, "coder:ana")["housing"] == 1
    add_coder(project, "ana")
    add_coder(project, "bo")
    add_coder(project, "sue", "supervisor")
    assert code_counts(project.as_user("sue"), "coder:ana")["education"] == 1
    # what the Codebook page offers a supervisor as examples: any layer, not only theirs
    offered = coded_segments(project.as_user("sue"), "coder:bo", "code", "education")
    assert [s.segment_id for s in offered] == [ids[3]]
    with pytest.raises(QualcodeError, match="ana"):
        code_counts(project.as_user("ana"), "coder:bo")
