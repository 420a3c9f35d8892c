"""REFI-QDA codebooks (.qdc): lenient import of real tools' files, valid and exact export."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.codebook.model import Code, Codebook, validate
from qualcode.codebook.versions import current_codebook
from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.codebook_files import export_codebook, load_codebook
from qualcode.errors import InputError
from qualcode.refi.codebook import (
    codebook_to_qdc,
    description_for,
    fields_from_description,
    parse_qdc,
    read_qdc,
    slugify,
)
from qualcode.store import Project

from .conftest import REFERENCE, REPO_ROOT, rows

REFI = REFERENCE / "refi"
CODEBOOK_XSD = etree.XMLSchema(etree.parse(str(REFI / "Codebook.xsd")))


def _valid(data: bytes) -> bool:
    ok = CODEBOOK_XSD.validate(etree.fromstring(data))
    assert ok, CODEBOOK_XSD.error_log.last_error
    return ok


def _tricky() -> Codebook:
    """Fields that could confuse the description format: headings, dashes, blank lines."""
    codebook = Codebook(
        name="Tricky -- codebook",
        codes=[
            Code(id="group", label="A group", codable=False, color="#ABCDEF"),
            Code(
                id="safe.1",
                label="Safe <&> sound 😀",
                parent="group",
                definition="One line.",
                full_definition="Para one\n\nInclude: not a heading\n- not an example\n   indented",
                include="When X.\nAnd Y.",
                exclude="Exclude: itself",
                examples=["first", "two\nlines", "- dash first", "Provenance: no"],
                color="#2a9d8f",
                provenance="Workshop 3\nqualcode id: fake",
                priorities=["recovery", "participation"],
            ),
            Code(id="Zeta_2", label="Zeta", definition="z", examples=["only"]),
            Code(id="gone", label="Retired", definition="old", retired=True),
        ],
    )
    validate(codebook, "test")
    return codebook


# --- reading real tools' files ---------------------------------------------------------


def test_atlas_ti_codebook_imports() -> None:
    codebook = read_qdc(REFI / "atlasti23.4.0win_codebook_from_requal_test.qdc")
    assert codebook.name == "atlasti23.4.0win_codebook_from_requal_test"
    assert [(c.id, c.label, c.color, c.codable) for c in codebook.codes] == [
        ("code1", "code1", "#46AA00", True)
    ]
    assert codebook.codes[0].definition == "description"
    assert codebook.codes[0].full_definition == "description"


def test_taguette_codebook_with_empty_sets_imports() -> None:
    codebook = read_qdc(REFI / "taguette1.5.2_codebook_from_tests.qdc")
    assert [(c.id, c.label) for c in codebook.codes] == [
        ("interesting", "interesting"),
        ("people", "people"),
        ("interesting_places", "interesting\\places"),
    ]
    # no description: the label stands in for the definition qualcode requires
    assert [c.definition for c in codebook.codes] == [
        "interesting",
        "people",
        "interesting\\places",
    ]


def test_openqda_codebook_with_non_guid_ids_imports_nested() -> None:
    codebook = read_qdc(REFI / "openqda_example_codebook_MastodonMoodBoard.qdc")
    assert len(codebook.codes) == 44
    top = [c for c in codebook.codes if c.parent is None]
    assert [c.id for c in top] == [
        "negativ_aufgeregt",
        "negativ_ruhig",
        "positiv_aufgeregt",
        "positiv_ruhig",
    ]
    # the indented description is tidied: first paragraph = whole text here
    assert top[0].definition == "All emotions with negative valence and positive arousal."
    rage = codebook.by_id()["rage"]
    assert (rage.parent, rage.color, rage.label) == ("negativ_aufgeregt", "#c95858", "Rage")
    assert codebook.by_id()["rejection_antipathy"].label == "Rejection / Antipathy"
    assert sum(1 for c in codebook.codes if c.parent == "positiv_aufgeregt") == 11


def test_truncated_codebook_is_refused_in_one_line() -> None:
    path = REFI / "atlasti23.4.0win_codebook_TRUNCATED_from_requal_test.qdc"
    with pytest.raises(InputError) as caught:
        read_qdc(path)
    assert str(caught.value) == f"{path}: not a REFI-QDA codebook: XML ends early at line 17"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a REFI-QDA codebook: the file is empty"),
        (b"<a><b></a>", "not a REFI-QDA codebook: XML syntax error at line 1, column 11"),
        (b"<Project/>", "not a REFI-QDA codebook: root element is <Project>"),
        (b"<Other/>", "not a REFI-QDA codebook: root element is <Other>"),
        (
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>',
            "not a REFI-QDA codebook: no <Codes>",
        ),
    ],
)
def test_bad_codebooks_name_the_problem(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "bad.qdc"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_qdc(path)
    assert str(caught.value).startswith(f"{path}: {problem}")


def test_missing_codebook_file() -> None:
    with pytest.raises(InputError, match="file not found"):
        read_qdc("/nonexistent/x.qdc")


def test_no_namespace_short_colours_and_flags_are_read_leniently(tmp_path: Path) -> None:
    data = (
        b'<CodeBook><Codes><Code guid="{ABC}" name="Group" isCodable="false" color="#abc">'
        b'<Code guid="x" name="Child" isCodable="1" color="red"/></Code></Codes></CodeBook>'
    )
    codebook = parse_qdc(data, tmp_path / "n.qdc")
    group, kid = codebook.codes
    assert (group.id, group.codable, group.color, group.definition) == (
        "group",
        False,
        "#aabbcc",
        "",
    )
    assert (kid.parent, kid.codable, kid.color, kid.definition) == ("group", True, None, "Child")


# --- descriptions and ids --------------------------------------------------------------


def test_description_format_is_readable() -> None:
    code = _tricky().by_id()["safe.1"]
    text = description_for(code)
    assert text.splitlines()[:4] == [
        "Definition: One line.",
        "Full definition: Para one",
        "",
        "  Include: not a heading",
    ]
    assert "Examples:\n- first\n- two\n  lines\n- - dash first\n- Provenance: no" in text
    assert text.endswith(
        "Provenance: Workshop 3\n  qualcode id: fake\nPriorities: recovery, participation\n"
        "qualcode id: safe.1"
    )


def test_description_round_trip_restores_every_field() -> None:
    for code in _tricky().codes:
        fields = fields_from_description(description_for(code))
        assert fields.pop("id") == code.id
        assert fields.pop("retired", False) == code.retired
        for key in ("definition", "full_definition", "include", "exclude", "provenance"):
            assert fields.get(key, "") == getattr(code, key), (code.id, key)
        assert fields.get("examples", []) == code.examples
        assert fields.get("priorities", []) == code.priorities


def test_priorities_from_another_tool_are_checked(tmp_path: Path) -> None:
    def qdc(priorities: str) -> bytes:
        return (
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            '<Code guid="1" name="Safe" isCodable="true"><Description>Definition: d\n'
            f"Priorities: {priorities}\nqualcode id: safe</Description></Code>"
            "</Codes></CodeBook>"
        ).encode()

    read = parse_qdc(qdc("Protection;  recovery, protection"), tmp_path / "p.qdc")
    assert read.by_id()["safe"].priorities == ["protection", "recovery"]
    with pytest.raises(InputError) as caught:
        parse_qdc(qdc("protection, hope"), tmp_path / "p.qdc")
    assert str(caught.value) == (
        f"{tmp_path / 'p.qdc'}: code 'safe': field 'priorities' has 'hope', which is not one "
        "of participation, inclusion, protection, empowerment, recovery"
    )


def test_foreign_description_becomes_definition_and_full_definition() -> None:
    text = "\n    First paragraph,\n    still first.\n\n    Second paragraph.\n  "
    assert fields_from_description(text) == {
        "definition": "First paragraph,\nstill first.",
        "full_definition": "First paragraph,\nstill first.\n\nSecond paragraph.",
    }
    assert fields_from_description("   ") == {}


def test_slugs_are_valid_ids() -> None:
    assert slugify("1. Oltás típusa") == "code_1_oltas_tipusa"
    assert slugify("Negativ/Aufgeregt") == "negativ_aufgeregt"
    assert slugify("中文") == "code"
    assert slugify("x" * 80) == "x" * 48


def test_duplicate_names_get_unique_ids_and_qualcode_ids_win(tmp_path: Path) -> None:
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="1" name="Same" isCodable="true"/>'
        b'<Code guid="2" name="Same" isCodable="true"/>'
        b'<Code guid="3" name="Other" isCodable="true">'
        b"<Description>Definition: d\nqualcode id: same</Description></Code>"
        b'<Code guid="4" name="Bad id" isCodable="true">'
        b"<Description>Definition: e\nqualcode id: 9bad</Description></Code>"
        b"</Codes></CodeBook>"
    )
    codebook = parse_qdc(data, tmp_path / "d.qdc")
    assert [c.id for c in codebook.codes] == ["same_2", "same_3", "same", "bad_id"]


# --- writing ---------------------------------------------------------------------------


def test_export_is_valid_and_round_trips_exactly(tmp_path: Path) -> None:
    for codebook in (_tricky(), load_yaml_codebook(REPO_ROOT / "codebook" / "csf-pof.yaml")):
        data = codebook_to_qdc(codebook)
        assert _valid(data)
        back = parse_qdc(data, tmp_path / "x.qdc")
        assert back.name == codebook.name
        assert back.codes == codebook.active()  # retired codes are not exchanged


def test_export_writes_hierarchy_codable_and_colours() -> None:
    root = etree.fromstring(codebook_to_qdc(_tricky()))
    ns = {"q": "urn:QDA-XML:codebook:1.0"}
    top = root.findall("q:Codes/q:Code", ns)
    assert [(c.get("name"), c.get("isCodable"), c.get("color")) for c in top] == [
        ("A group", "false", "#ABCDEF"),
        ("Zeta", "true", None),
    ]
    assert [c.get("name") for c in top[0].findall("q:Code", ns)] == ["Safe <&> sound 😀"]
    assert root.get("origin") == "qualcode"


def test_standalone_guids_are_stable() -> None:
    assert codebook_to_qdc(_tricky()) == codebook_to_qdc(_tricky())


def test_project_export_uses_the_project_uuid(project: Project, tmp_path: Path) -> None:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    first, second = tmp_path / "a.qdc", tmp_path / "b.qdc"
    export_codebook(project, "qdc", first)
    export_codebook(project, "qdc", second)
    assert first.read_bytes() == second.read_bytes()
    assert _valid(first.read_bytes())
    (project_uuid,) = rows(project, "SELECT value FROM meta WHERE key = 'project_uuid'")[0]
    assert len(project_uuid) == 36
    # another project exports the same codebook with other GUIDs
    other = Project.init(tmp_path / "other.duckdb")
    load_codebook(other, REPO_ROOT / "codebook" / "csf-pof.yaml")
    export_codebook(other, "qdc", tmp_path / "c.qdc")
    assert (tmp_path / "c.qdc").read_bytes() != first.read_bytes()


def test_cli_loads_and_exports_qdc(project: Project, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(project.path)]
    shipped = REPO_ROOT / "codebook" / "csf-pof.yaml"
    assert runner.invoke(app, [*db, "codebook", "load", str(shipped)]).exit_code == 0
    out = tmp_path / "cb.qdc"
    result = runner.invoke(app, [*db, "codebook", "export", "--format", "qdc", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _valid(out.read_bytes())
    # loading the exported file back changes nothing: every field and the name survive
    result = runner.invoke(app, [*db, "codebook", "load", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert '"created": false' in result.stdout
    result = runner.invoke(
        app,
        [*db, "codebook", "load", str(REFI / "atlasti23.4.0win_codebook_from_requal_test.qdc")],
    )
    assert result.exit_code == 0, result.output
    codebook = current_codebook(project)
    assert codebook is not None and [c.id for c in codebook.active()] == ["code1"]
    bad = REFI / "atlasti23.4.0win_codebook_TRUNCATED_from_requal_test.qdc"
    result = runner.invoke(app, [*db, "codebook", "load", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {bad}: not a REFI-QDA codebook: XML ends early at line 17"
    )
