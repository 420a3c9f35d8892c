"""REFI-QDA projects (.qdpx): NVivo import, exact round trip, lenient reading, bad input."""

from __future__ import annotations

import codecs
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from lxml import etree
from typer.testing import CliRunner

from qualcode.agreement.adjudication import settle
from qualcode.cli import app
from qualcode.codebook.versions import codebook_at, current_codebook
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.coding.memos import add_memo
from qualcode.errors import InputError, ProjectError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.refi import project_import
from qualcode.refi.positions import PositionMap
from qualcode.refi.project_export import export_qdpx
from qualcode.refi.project_import import import_qdpx
from qualcode.store import Project

from .conftest import REFERENCE, REPO_ROOT, rows

REFI = REFERENCE / "refi"
NVIVO = REFI / "nvivo12.6win_oltas0517.qdpx"
PROJECT_XSD = etree.XMLSchema(etree.parse(str(REFI / "Project.xsd")))
NS = {"q": "urn:QDA-XML:project:1.0"}
SAMPLE = REPO_ROOT / "corpora" / "sample"

CODING_ROWS = (
    "SELECT d.title, coalesce(c.start_offset, s.start_offset), "
    "coalesce(c.end_offset, s.end_offset), c.start_offset IS NULL, c.code_id, c.coder, "
    "s.text, c.memo FROM codings c JOIN segments s ON s.id = c.segment_id "
    "JOIN documents d ON d.id = s.document_id ORDER BY ALL"
)
SEGMENT_ROWS = (
    "SELECT d.title, d.format, s.ordinal, s.turn, s.speaker, s.start_offset, s.end_offset, "
    "s.text, s.cue_start, s.cue_end, s.activity, s.attributes FROM segments s "
    "JOIN documents d ON d.id = s.document_id ORDER BY d.title, s.ordinal"
)
MEMO_ROWS = (
    "SELECT m.target_type, coalesce(d.title, sd.title || '#' || s.ordinal, m.target_id), "
    "m.coder, m.text FROM memos m "
    "LEFT JOIN documents d ON m.target_type = 'document' AND d.id::VARCHAR = m.target_id "
    "LEFT JOIN segments s ON m.target_type = 'segment' AND s.id::VARCHAR = m.target_id "
    "LEFT JOIN documents sd ON sd.id = s.document_id ORDER BY ALL"
)
CASE_ROWS = (
    "SELECT d.title, c.name, c.location, c.session, c.date, c.participant_group "
    "FROM documents d LEFT JOIN cases c ON c.id = d.case_id ORDER BY ALL"
)
ATTRIBUTE_ROWS = (
    "SELECT d.title, a.name, a.value FROM document_attributes a "
    "JOIN documents d ON d.id = a.document_id ORDER BY ALL"
)
COUNTS = (
    "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM segments), "
    "(SELECT count(*) FROM codebook_versions), (SELECT count(*) FROM codes), "
    "(SELECT count(*) FROM coding_events), (SELECT count(*) FROM memos), "
    "(SELECT count(*) FROM coders), (SELECT count(*) FROM cases), "
    "(SELECT count(*) FROM document_attributes), (SELECT count(*) FROM action_log)"
)


def u16(text: str, offset: int) -> int:
    """A code-point offset counted in UTF-16 units (the oracle, independent of the code)."""
    return len(text[:offset].encode("utf-16-le")) // 2


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".qde"))
        return etree.fromstring(archive.read(name))


def make_qdpx(
    path: Path, qde: str, files: dict[str, bytes] | None = None, qde_name: str = "project.qde"
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(qde_name, qde.encode("utf-8"))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def project_xml(body: str, codes: str = "") -> str:
    codebook = f"<CodeBook><Codes>{codes}</Codes></CodeBook>" if codes else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="t">{codebook}{body}</Project>'
    )


# --- NVivo ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nvivo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict]:
    project = Project.init(tmp_path_factory.mktemp("nvivo") / "p.duckdb")
    report = import_qdpx(project, NVIVO)
    return project, report.to_json()


def _code_paths(project: Project) -> dict[str, str]:
    with project.connect(read_only=True) as con:
        codebook = codebook_at(con)
    assert codebook is not None
    index = codebook.by_id()
    return {
        code.id: " / ".join(index[a].label for a in reversed(codebook.ancestors(code.id)))
        + (" / " if code.parent else "")
        + code.label
        for code in codebook.codes
    }


def test_nvivo_project_imports_with_known_counts(nvivo: tuple[Project, dict]) -> None:
    project, report = nvivo
    expected = json.loads((REFI / "nvivo12.6win_oltas0517.expected.json").read_text())
    assert report == {
        "documents": 2,
        "codes": 152,
        "coders": 2,
        "codings": 303,
        "memos": 0,
        "sources_skipped": 0,
    }
    assert rows(project, "SELECT count(*) FROM codings") == [(expected["n_codings"],)]
    assert rows(project, "SELECT name FROM coders ORDER BY name") == [
        ("Gergo",),
        ("floriansipos",),
    ]
    # the coder is the coding's creating user (all 303 were coded by Gergo)
    assert rows(
        project, "SELECT coder, action, source, count(*) FROM coding_events GROUP BY ALL"
    ) == [("Gergo", "add", "import", 303)]
    codebook = current_codebook(project)
    assert codebook is not None
    assert [c.label for c in codebook.codes if c.parent is None] == expected["top_level_codes"]
    depths = Counter(str(len(codebook.ancestors(c.id))) for c in codebook.codes)
    assert dict(depths) == expected["code_depth_distribution"]
    assert sum(1 for c in codebook.codes if c.full_definition) == 82
    titles = rows(project, "SELECT title, length(text) FROM documents ORDER BY id")
    assert titles == [(s["name"], s["txt_len_codepoints_no_bom"]) for s in expected["sources"]]


def test_nvivo_selections_match_utf16_slices(nvivo: tuple[Project, dict]) -> None:
    project, _ = nvivo
    expected = json.loads((REFI / "nvivo12.6win_oltas0517.expected.json").read_text())
    # the oracle: slice the source files by UTF-16 units, straight from the archive
    with zipfile.ZipFile(NVIVO) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        texts = {
            s.get("name"): archive.read(f"Sources/{s.get('guid')}.txt")
            .removeprefix(codecs.BOM_UTF8)
            .decode("utf-8")
            .encode("utf-16-le")
            for s in root.iterfind(".//q:TextSource", NS)
        }
    names = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
    paths = _code_paths(project)
    wanted = Counter()
    for source in root.iterfind(".//q:TextSource", NS):
        for sel in source.iterfind("q:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            text = texts[source.get("name")][2 * start : 2 * end].decode("utf-16-le")
            for coding in sel.iterfind("q:Coding", NS):
                code = names[coding.find("q:CodeRef", NS).get("targetGUID")]
                wanted[(source.get("name"), code, text)] += 1
    documents = dict(rows(project, "SELECT title, text FROM documents"))
    stored = [
        (title, code, documents[title][start:end])
        for title, start, end, _, code, *_ in rows(project, CODING_ROWS)
    ]
    labels = {path: path.rsplit(" / ", 1)[-1] for path in paths.values()}
    got = Counter((title, labels[paths[code]], text) for title, code, text in stored)
    assert sum(wanted.values()) == 303
    assert got == wanted  # every one of the 303 selections has NVivo's text
    by_path = Counter(paths[code] for _, code, _ in stored)
    for sample in expected["sample_selections"]:
        assert (sample["codes"][0], sample["text_utf16_slice"]) in {
            (paths[code], text) for _, code, text in stored
        }
    top10 = expected["top10_codes_by_coding_count"]
    assert {p: by_path[p] for p, _ in top10} == dict(top10)
    assert sorted(by_path.values(), reverse=True)[:10] == [n for _, n in top10]


def test_nvivo_export_is_valid_and_keeps_nvivo_positions(
    nvivo: tuple[Project, dict], tmp_path: Path
) -> None:
    project, _ = nvivo
    out = tmp_path / "again.qdpx"
    report = export_qdpx(project, out)
    assert (report.documents, report.codes, report.coders, report.codings) == (2, 152, 2, 303)
    root = qde_of(out)
    assert PROJECT_XSD.validate(root), PROJECT_XSD.error_log.last_error
    original = qde_of(NVIVO)
    ranges = {
        (int(s.get("startPosition")), int(s.get("endPosition")))
        for s in original.iterfind(".//q:PlainTextSelection", NS)
    }
    exported = {
        (int(s.get("startPosition")), int(s.get("endPosition")))
        for s in root.iterfind(".//q:PlainTextSelection", NS)
    }
    assert exported == ranges  # 188 ranges, positions identical to NVivo's
    assert len(exported) == 188


# --- round trip ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project with every kind of thing an export carries."""
    tmp = tmp_path_factory.mktemp("source")
    docs = tmp / "docs"
    docs.mkdir()
    (docs / "emoji.txt").write_text(
        "YP1: I was scared 😀😀 at first.\nFacilitator: And now?\n"
        "YP1: Now I feel safe 👍 in my room. My solicitor explained my case.\n",
        encoding="utf-8",
    )
    shutil.copy(SAMPLE / "loc2_s3_perfect_professional.srt", docs)
    shutil.copy(SAMPLE / "loc1_s1_good_day_outputs.csv", docs)
    manifest = docs / "manifest.csv"
    manifest.write_text(
        "file,location,session,date,group,facilitator\n"
        "emoji.txt,Location 9,2,2024-01-02,young people,Sam\n"
        "loc2_s3_perfect_professional.srt,Location 2,3,,,Alex\n"
        "loc1_s1_good_day_outputs.csv,Elsewhere,1,,,\n",
        encoding="utf-8",
    )
    project = Project.init(tmp / "a.duckdb")
    report = ingest_paths(project, [docs], manifest=manifest)
    assert report.documents_added == 3
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    segs = rows(
        project,
        "SELECT d.title, s.ordinal, s.id, s.start_offset, s.end_offset, d.text FROM segments s "
        "JOIN documents d ON d.id = s.document_id ORDER BY d.title, s.ordinal",
    )
    seg = {
        (title, ordinal): (sid, start, end, text) for title, ordinal, sid, start, end, text in segs
    }
    s1, s2, s3 = (seg[("emoji.txt", i)] for i in range(3))
    room = s3[3].index("in my room")
    decisions = [
        Decision(s1[0], "psychological_safety", "alice", "add"),
        Decision(
            s3[0],
            "physical_safety",
            "bob",
            "add",
            memo="room = safety",
            start=room,
            end=room + len("in my room"),
        ),  # fmt: skip
        Decision(s1[0], "safety", "alice", "add", start=s1[1] + 5, end=s2[2]),
        Decision(s2[0], "education", "alice", "add"),
        Decision(s2[0], "education", "alice", "remove"),
        Decision(seg[("loc2_s3_perfect_professional.srt", 1)][0], "legal_advice", "bob", "add"),
    ]
    decisions += [
        Decision(seg[("loc1_s1_good_day_outputs.csv", i)][0], "stability_peace", coder, "add")
        for i in range(6)
        for coder in ("alice", "bob")
    ]
    record_decisions(project, decisions)
    add_memo(project, "project", None, "alice", "Project memo -- with dashes")
    add_memo(project, "document", _doc_id(project, "emoji.txt"), "bob", "About emoji")
    add_memo(project, "segment", s2[0], "bob", "Segment memo\nsecond line")
    add_memo(project, "code", "safety", "alice", "Code memo 😀")
    add_memo(project, "code", "legal_advice", "carol", "About a code that will retire")
    # retire legal_advice, which a coding and a memo still use
    data = yaml.safe_load((REPO_ROOT / "codebook" / "csf-pof.yaml").read_text())
    data["codes"] = [c for c in data["codes"] if c["id"] != "legal_advice"]
    changed = tmp / "v2.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_codebook(project, changed).retired == ["legal_advice"]
    return project


def _doc_id(project: Project, title: str) -> int:
    return rows(project, "SELECT id FROM documents WHERE title = ?", [title])[0][0]


@pytest.fixture(scope="module")
def exported(source_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "a.qdpx"
    report = export_qdpx(source_project, out)
    assert (report.documents, report.codings, report.memos, report.cases) == (3, 16, 5, 3)
    assert report.notes == []
    return out


def test_export_is_valid_against_the_schema(exported: Path) -> None:
    root = qde_of(exported)
    assert PROJECT_XSD.validate(root), PROJECT_XSD.error_log.last_error
    with zipfile.ZipFile(exported) as archive:
        names = archive.namelist()
    sources = root.findall(".//q:TextSource", NS)
    assert names[0] == "project.qde"
    assert sorted(names[1:]) == sorted(f"sources/{s.get('guid')}.txt" for s in sources)
    assert {s.get("plainTextPath") for s in sources} == {
        f"internal://{s.get('guid')}.txt" for s in sources
    }
    retired = [
        c
        for c in root.iterfind(".//q:Code", NS)
        if "Retired: yes" in c.findtext("q:Description", "", NS)
    ]
    assert [c.get("name") for c in retired] == ["Quality legal advice"]


def test_export_writes_utf16_positions(source_project: Project, exported: Path) -> None:
    text = rows(source_project, "SELECT text FROM documents WHERE title = 'emoji.txt'")[0][0]
    start = text.index("in my room")
    positions = {
        (int(s.get("startPosition")), int(s.get("endPosition")))
        for s in qde_of(exported).iterfind(".//q:PlainTextSelection", NS)
    }
    assert (u16(text, start), u16(text, start + 10)) in positions
    assert u16(text, start) == start + 3  # two 😀 and one 👍 before it


def test_guids_are_stable_across_exports(
    source_project: Project, exported: Path, tmp_path: Path
) -> None:
    again = tmp_path / "b.qdpx"
    export_qdpx(source_project, again)
    with zipfile.ZipFile(exported) as a, zipfile.ZipFile(again) as b:
        assert a.read("project.qde") == b.read("project.qde")
    (value,) = rows(source_project, "SELECT value FROM meta WHERE key = 'project_uuid'")[0]
    assert len(value) == 36


def _snapshot(project: Project) -> dict[str, list]:
    with project.connect(read_only=True) as con:
        codebook = codebook_at(con)
    assert codebook is not None
    return {
        "documents": rows(project, "SELECT title, format, text FROM documents ORDER BY title"),
        "segments": rows(project, SEGMENT_ROWS),
        "codings": rows(project, CODING_ROWS),
        "memos": rows(project, MEMO_ROWS),
        "cases": rows(project, CASE_ROWS),
        "attributes": rows(project, ATTRIBUTE_ROWS),
        "codebook": [codebook.name, sorted((c.id, repr(c)) for c in codebook.codes)],
    }


@pytest.mark.parametrize("unit", ["utf16", "codepoints"])
def test_round_trip_into_an_empty_project_is_exact(
    source_project: Project, tmp_path: Path, unit: str
) -> None:
    out = tmp_path / f"{unit}.qdpx"
    export_qdpx(source_project, out, positions=unit)
    target = Project.init(tmp_path / "b.duckdb")
    report = import_qdpx(target, out, positions=unit)
    assert report.to_json() == {
        "documents": 3,
        "codes": 44,
        "coders": 3,
        "codings": 16,
        "memos": 5,
        "sources_skipped": 0,
    }
    assert report.notes == []
    assert _snapshot(target) == _snapshot(source_project)
    assert rows(target, "SELECT name FROM coders ORDER BY name") == [
        ("alice",),
        ("bob",),
        ("carol",),
    ]
    codings = rows(target, CODING_ROWS)
    emoji = [c for c in codings if c[0] == "emoji.txt"]
    assert [(c[4], c[5], c[3]) for c in emoji] == [
        ("psychological_safety", "alice", True),
        ("safety", "alice", False),
        ("physical_safety", "bob", False),
    ]
    assert emoji[2][6].endswith("in my room. My solicitor explained my case.")
    assert emoji[2][7] == "room = safety"


def test_reimporting_reuses_documents_and_the_codebook(exported: Path, tmp_path: Path) -> None:
    target = Project.init(tmp_path / "b.duckdb")
    first = import_qdpx(target, exported)
    before = rows(target, "SELECT count(*) FROM codings")
    second = import_qdpx(target, exported)
    assert (second.documents, second.documents_reused) == (3, 3)
    assert second.codebook_version == first.codebook_version == 1
    assert rows(target, "SELECT count(*) FROM documents") == [(3,)]
    assert rows(target, "SELECT count(*) FROM codings") == before


# --- lenient reading -----------------------------------------------------------------------

LENIENT_TEXT = "YP1: I feel 😀 safe here\r\nYP2: bye now 👍\r\n"
SOURCE_GUID = "AB0C1234-0000-4000-8000-000000000001"


def _lenient_qdpx(tmp_path: Path) -> Path:
    text = LENIENT_TEXT
    s = text.index("I feel")  # segment 1 starts here (after "YP1: ")
    e1 = text.index("\r\n")
    b = text.index("bye")
    sel = [
        (0, e1, "C1"),  # starts on the speaker label: anchored at segment 1, span kept
        (s, e1, "C2"),  # exactly segment 1: a whole-segment coding
        (e1, len(text), "C1"),  # starts between segments: anchored at segment 2
        (text.index("safe"), text.index("safe") + 4, "C3"),  # inside segment 1, after 😀
        (b, b, "C1"),  # empty: skipped
    ]
    selections = "".join(
        f'<PlainTextSelection guid="{{5E1{i:05d}-0000-4000-8000-000000000000}}" '
        f'startPosition="{u16(text, a)}" endPosition="{u16(text, z)}" '
        'creatingUser="00000000-0000-4000-8000-0000000000AA">'
        + ("<Description>quote comment</Description>" if i == 3 else "")
        + f'<Coding guid="c0d{i:05d}-0000-4000-8000-000000000000"'
        + (' creatingUser="00000000-0000-4000-8000-0000000000bb"' if i == 0 else "")
        + f'><CodeRef targetGUID="{code}"/>'
        + ('<NoteRef targetGUID="N-CODING"/>' if i == 1 else "")
        + "</Coding>"
        + ('<NoteRef targetGUID="N-SEL"/>' if i == 2 else "")
        + "</PlainTextSelection>"
        for i, (a, z, code) in enumerate(sel)
    )
    codes = (
        '<Code guid="G1" name="Group" isCodable="false">'
        "<Description>Definition: a group\nqualcode id: grp</Description>"
        '<NoteRef targetGUID="N-CODE"/>'
        '<Code guid="c1" name="Feeling safe" isCodable="true" color="#FF0000"/>'
        '<Code guid="C2" name="Whole" isCodable="true"/></Code>'
        '<Code guid="C3" name="Safe word" isCodable="false"/>'
    )
    body = (
        '<Users><User guid="00000000-0000-4000-8000-0000000000aa" name="Ann"/>'
        '<User guid="00000000-0000-4000-8000-0000000000BB" name="Ben"/></Users>'
        f"<CodeBook><Codes>{codes}</Codes></CodeBook>"
        '<Variables><Variable guid="V1" name="Location" typeOfVariable="Text"/>'
        '<Variable guid="V2" name="age" typeOfVariable="Integer"/>'
        '<Variable guid="V3" name="language" typeOfVariable="Text"/></Variables>'
        '<Cases><Case guid="K1" name="Ann case"><VariableValue><VariableRef targetGUID="v1"/>'
        "<TextValue>Leeds</TextValue></VariableValue><VariableValue>"
        '<VariableRef targetGUID="V2"/><IntegerValue>17</IntegerValue></VariableValue>'
        f'<SourceRef targetGUID="{{{SOURCE_GUID}}}"/></Case></Cases>'
        f'<Sources><TextSource guid="{SOURCE_GUID.lower()}" name="Interview 1" '
        f'plainTextPath="internal://{SOURCE_GUID}.txt">{selections}'
        '<Coding guid="W1"><CodeRef targetGUID="C2"/></Coding>'
        '<NoteRef targetGUID="N-DOC"/><VariableValue><VariableRef targetGUID="V3"/>'
        "<TextValue>Hungarian</TextValue></VariableValue></TextSource>"
        '<PictureSource guid="P1" path="internal://p.png"/></Sources>'
        '<Notes><Note guid="N-CODING" name="Coding note"><PlainTextContent>why</PlainTextContent>'
        '</Note><Note guid="N-SEL" name="" creatingUser="00000000-0000-4000-8000-0000000000bb">'
        "<PlainTextContent>on the selection</PlainTextContent></Note>"
        '<Note guid="N-CODE" name="Remark"><PlainTextContent>Code note body</PlainTextContent>'
        '</Note><Note guid="N-DOC" name="Doc"><PlainTextContent>Doc: read first'
        '</PlainTextContent></Note><Note guid="N-FREE" name="Loose end">'
        "<PlainTextContent>Loose note</PlainTextContent></Note>"
        '<Note guid="N-PROJ" plainTextPath="internal://note.txt"/></Notes>'
        '<Sets><Set guid="S1" name="s"/></Sets><NoteRef targetGUID="N-PROJ"/>'
    )
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="Lenient" '
        f'creatingUserGUID="00000000-0000-4000-8000-0000000000AA">{body}</Project>'
    )
    files = {
        f"Sources/{SOURCE_GUID.lower()}.TXT": codecs.BOM_UTF8 + text.encode("utf-8"),
        "Sources/note.txt": b"Project note from a file",
        "__MACOSX/._My Project.qde": b"\x00\x05junk",
    }
    return make_qdpx(tmp_path / "lenient.qdpx", qde, files, qde_name="My Project.qde")


def test_lenient_import_of_what_other_tools_write(project: Project, tmp_path: Path) -> None:
    report = import_qdpx(project, _lenient_qdpx(tmp_path))
    assert report.to_json() == {
        "documents": 1,
        "codes": 4,
        "coders": 2,
        "codings": 5,
        "memos": 6,
        "sources_skipped": 0,
    }
    assert report.notes == [
        "source 'Interview 1': 1 empty selection(s) skipped",
        "1 PictureSource element(s) not imported (text sources only)",
        "sets are not imported",
        "code 'Safe word' has codings: made codable",
    ]
    text = rows(project, "SELECT text FROM documents")[0][0]
    assert text == LENIENT_TEXT  # BOM removed, CRLF kept, so positions stay valid
    segments = rows(project, "SELECT id, start_offset, end_offset, text FROM segments ORDER BY 2")
    assert [s[3] for s in segments] == ["I feel 😀 safe here", "bye now 👍"]
    (one, s1, e1, _), (two, s2, e2, _) = segments
    codings = rows(
        project,
        "SELECT segment_id, start_offset, end_offset, code_id, coder, memo FROM codings "
        "ORDER BY event_id",
    )
    safe = text.index("safe")
    assert codings == [
        (one, 0, e1, "feeling_safe", "Ben", None),  # the coding's own creating user
        (one, None, None, "whole", "Ann", "Coding note\n\nwhy"),
        (two, e1, len(text), "feeling_safe", "Ann", None),
        (one, safe, safe + 4, "safe_word", "Ann", None),
        (one, 0, len(text), "whole", "Ann", None),  # a coding on the whole source
    ]
    codebook = current_codebook(project)
    assert codebook is not None
    assert [(c.id, c.parent, c.codable, c.color) for c in codebook.codes] == [
        ("grp", None, False, None),
        ("feeling_safe", "grp", True, "#FF0000"),
        ("whole", "grp", True, None),
        ("safe_word", None, True, None),
    ]
    assert rows(project, MEMO_ROWS) == [
        ("code", "grp", "Ann", "Remark\n\nCode note body"),
        ("document", "Interview 1", "Ann", "Doc: read first"),
        ("project", None, "Ann", "Loose end\n\nLoose note"),
        ("project", None, "Ann", "Project note from a file"),
        ("segment", "Interview 1#0", "Ann", "quote comment"),
        ("segment", "Interview 1#1", "Ben", "on the selection"),
    ]
    assert rows(project, CASE_ROWS) == [("Interview 1", "Ann case", "Leeds", None, None, None)]
    assert rows(project, ATTRIBUTE_ROWS) == [
        ("Interview 1", "age", "17"),
        ("Interview 1", "language", "Hungarian"),
    ]


def test_positions_convert_between_units() -> None:
    text = "a😀b👍c"
    utf16 = PositionMap(text)
    assert [utf16.to_external(i) for i in range(6)] == [0, 1, 3, 4, 6, 7]
    assert [utf16.to_codepoint(p) for p in (0, 1, 3, 4, 6, 7)] == [0, 1, 2, 3, 4, 5]
    assert utf16.external_length == 7
    # a position inside a surrogate pair rounds to the character's start, or past it
    assert (utf16.to_codepoint(2), utf16.to_codepoint(2, round_up=True)) == (1, 2)
    points = PositionMap(text, "codepoints")
    assert [points.to_external(i) for i in range(6)] == list(range(6))
    assert points.external_length == 5


# --- bad input -----------------------------------------------------------------------------

GOOD_SOURCE = (
    '<Sources><TextSource guid="11111111-1111-4111-8111-111111111111" name="s" '
    'plainTextPath="internal://11111111-1111-4111-8111-111111111111.txt">{sel}</TextSource>'
    "</Sources>"
)
CODE = '<Code guid="22222222-2222-4222-8222-222222222222" name="c" isCodable="true"/>'
SOURCE_FILE = {"sources/11111111-1111-4111-8111-111111111111.txt": b"YP1: hello there\n"}


def _selection(start: int, end: int, code: str = "22222222-2222-4222-8222-222222222222") -> str:
    return (
        f'<PlainTextSelection guid="33333333-3333-4333-8333-333333333333" '
        f'startPosition="{start}" endPosition="{end}"><Coding guid="44444444-4444-4444-8444-'
        f'444444444444"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


BAD = {
    "not a zip": (None, "not a REFI-QDA project (not a zip archive)"),
    "no qde": ({"sources/a.txt": b"x"}, "no project file (*.qde) in the archive"),
    "two qde": (
        {"a.qde": b"<Project/>", "b/b.qde": b"<Project/>"},
        "several project files in the archive: a.qde, b/b.qde",
    ),
    "traversal": (
        {"project.qde": b"<Project/>", "../evil.txt": b"x"},
        "unsafe member name '../evil.txt' (absolute path or '..')",
    ),
    "absolute": (
        {"project.qde": b"<Project/>", "/etc/evil": b"x"},
        "unsafe member name '/etc/evil' (absolute path or '..')",
    ),
    "syntax": (
        {"project.qde": b'<Project name="x">\n<Users>\n</Project>'},
        "not a REFI-QDA project: XML syntax error at line 3, column 11: Opening and ending "
        "tag mismatch: Users line 2 and Project",
    ),
    "truncated": (
        {"project.qde": b'<Project name="x">\n<Users>\n<User guid="'},
        "not a REFI-QDA project: XML ends early at line 3",
    ),
    "root": ({"project.qde": b"<CodeBook/>"}, "not a REFI-QDA project: root element is <CodeBook>"),
    "missing source": (
        {"project.qde": project_xml(GOOD_SOURCE.format(sel=""), CODE).encode()},
        "source 's': its text file '11111111-1111-4111-8111-111111111111.txt' is not in the "
        "archive",
    ),
    "outside": (
        {
            "project.qde": project_xml(GOOD_SOURCE.format(sel=_selection(5, 40)), CODE).encode(),
            **SOURCE_FILE,
        },
        "source 's': selection 33333333-3333-4333-8333-333333333333 at 5-40 lies outside the "
        "text (17 UTF-16 units)",
    ),
    "unknown code": (
        {
            "project.qde": project_xml(
                GOOD_SOURCE.format(sel=_selection(5, 10, "99999999-9999-4999-8999-999999999999")),
                CODE,
            ).encode(),
            **SOURCE_FILE,
        },
        "source 's': a coding refers to code 99999999-9999-4999-8999-999999999999, which is "
        "not in the codebook",
    ),
    "not utf-8": (
        {
            "project.qde": project_xml(GOOD_SOURCE.format(sel=""), CODE).encode(),
            "sources/11111111-1111-4111-8111-111111111111.txt": b"caf\xe9",
        },
        "source 's': text file 'sources/11111111-1111-4111-8111-111111111111.txt' is not "
        "UTF-8 (byte 3)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_archives_fail_in_one_line_and_store_nothing(
    project: Project, tmp_path: Path, case: str
) -> None:
    files, problem = BAD[case]
    path = tmp_path / "bad.qdpx"
    if files is None:
        path.write_text("hello")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    before = rows(project, COUNTS)
    with pytest.raises(InputError) as caught:
        import_qdpx(project, path)
    assert str(caught.value) == f"{path}: {problem}"
    assert "\n" not in str(caught.value)
    assert rows(project, COUNTS) == before == [(0,) * 10]


def test_size_limit_is_configurable(project: Project, exported: Path) -> None:
    limit = exported.stat().st_size  # the archive fits; its unpacked content does not
    with pytest.raises(InputError, match=r"archive unpacks to .* over the limit of \d"):
        import_qdpx(project, exported, max_bytes=limit)
    assert rows(project, COUNTS) == [(0,) * 10]


def test_a_failure_inside_the_transaction_leaves_nothing(
    project: Project, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(project_import, "append_decisions", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        import_qdpx(project, exported)
    assert rows(project, COUNTS) == [(0,) * 10]


# --- CLI -----------------------------------------------------------------------------------


def test_cli_exports_and_imports(source_project: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli.qdpx"
    result = runner.invoke(
        app, ["--db", str(source_project.path), "export", "qdpx", "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["codings"] == 16
    assert PROJECT_XSD.validate(qde_of(out))
    target = Project.init(tmp_path / "t.duckdb")
    result = runner.invoke(app, ["--db", str(target.path), "import", "qdpx", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "documents": 3,
        "codes": 44,
        "coders": 3,
        "codings": 16,
        "memos": 5,
        "sources_skipped": 0,
    }
    result = runner.invoke(app, ["--db", str(target.path), "import", "qdpx", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path}: not a file\n"
    result = runner.invoke(
        app, ["--db", str(target.path), "import", "qdpx", str(out), "--positions", "bytes"]
    )
    assert result.exit_code == 2


def test_export_needs_something_and_a_codebook_alone_is_valid(
    project: Project, tmp_path: Path
) -> None:
    with pytest.raises(ProjectError, match="nothing to export"):
        export_qdpx(project, tmp_path / "empty.qdpx")
    assert not (tmp_path / "empty.qdpx").exists()
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    report = export_qdpx(project, tmp_path / "codebook.qdpx")
    assert (report.documents, report.codes, report.codings, report.coders) == (0, 44, 0, 0)
    root = qde_of(tmp_path / "codebook.qdpx")
    assert PROJECT_XSD.validate(root), PROJECT_XSD.error_log.last_error
    target = Project.init(tmp_path / "t.duckdb")
    assert import_qdpx(target, tmp_path / "codebook.qdpx").to_json() == {
        "documents": 0,
        "codes": 44,
        "coders": 0,
        "codings": 0,
        "memos": 0,
        "sources_skipped": 0,
    }
    assert current_codebook(target) == current_codebook(project)


def test_import_stores_documents_through_the_one_document_insert(
    source_project: Project, exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New sources go through `pipeline.store_document` as version 1 of a document from
    the archive; a re-import reuses them and stores none."""
    import hashlib

    stored: list[str] = []
    real = project_import.store_document

    def spy(con: object, parsed: object, segments: object, **kwargs: object) -> object:
        stored.append(str(kwargs["title"]))
        return real(con, parsed, segments, **kwargs)

    monkeypatch.setattr(project_import, "store_document", spy)
    target = Project.init(tmp_path / "b.duckdb")
    import_qdpx(target, exported)
    assert sorted(stored) == [
        "emoji.txt",
        "loc1_s1_good_day_outputs.csv",
        "loc2_s3_perfect_professional.srt",
    ]
    documents = rows(
        target,
        "SELECT title, source_path, version, supersedes, content_hash, text FROM documents "
        "ORDER BY title",
    )
    assert [d[:4] for d in documents] == [
        (title, str(exported.resolve()), 1, None) for title in sorted(stored)
    ]
    assert all(d[4] == hashlib.sha256(d[5].encode("utf-8")).hexdigest() for d in documents)
    assert rows(target, SEGMENT_ROWS) == rows(source_project, SEGMENT_ROWS)
    assert rows(target, ATTRIBUTE_ROWS) == rows(source_project, ATTRIBUTE_ROWS)
    stored.clear()
    assert import_qdpx(target, exported).documents_reused == 3 and stored == []


def test_a_settled_project_exports_without_its_consensus_layer_and_imports_again(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "t.txt").write_text("YP1: I feel safe in my room.\n", encoding="utf-8")
    source = Project.init(tmp_path / "a.duckdb")
    ingest_paths(source, [docs])
    load_codebook(source, REPO_ROOT / "codebook" / "csf-pof.yaml")
    add_coder(source, "sue", role="supervisor")
    [(segment,)] = rows(source, "SELECT id FROM segments")
    record_decisions(source, [Decision(segment, "physical_safety", "alice", "add")])
    settle(source, segment, "physical_safety", "sue", adopt="alice")
    out = tmp_path / "a.qdpx"
    report = export_qdpx(source, out)
    assert (report.codings, report.coders) == (1, 2)
    assert report.notes == [
        "1 codings of the consensus layer were not exported: REFI-QDA has no agreed layer, "
        "and a user named for it is refused on import"
    ]
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    assert 'name="consensus"' not in xml
    target = Project.init(tmp_path / "b.duckdb")
    assert import_qdpx(target, out).codings == 1
    assert rows(target, "SELECT coder, code_id FROM codings") == [("alice", "physical_safety")]
