"""Units of coding (the `coding_unit` setting, chosen at import) and quotes in context (the
`quote_context` setting): a long turn split into sentences, a quote showing the whole
turn with the coded sentence marked in the app and in every export format.

The project: t.txt, Location 1, session 1, 2022-03-08, at the sentence unit:

    0 Facilitator: What is it like now?
    1 YP1: I wait every day for the letter.     (turn 1: four sentences, so split)
    2      Interpreter also.
    3      Mine is paused.                       immigration_procedures (alice, consensus)
    4      Nobody tells me why.
    5 YP2: I like my school.

and one theme, "Waiting", holding immigration_procedures.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.codebook_files import load_codebook
from qualcode.coding import document_view
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.errors import QualcodeError
from qualcode.exports.api import build_table
from qualcode.exports.render import render
from qualcode.exports.table import Marked, Table
from qualcode.ingest.pipeline import ingest_paths
from qualcode.settings import change_setting, read_setting
from qualcode.store import Project
from qualcode.themes.catalog import create_theme
from qualcode.themes.explore import coded_segments
from qualcode.themes.matrix import framework_matrix
from qualcode.themes.quotes import illustrative_quotes, pin_quote
from qualcode.ui.markup import quote_html

from .conftest import REPO_ROOT, rows

TURN = "I wait every day for the letter. Interpreter also. Mine is paused. Nobody tells me why."
TEXT = f"Facilitator: What is it like now?\nYP1: {TURN}\nYP2: I like my school.\n"
WHERE = "(young person, location 1, session 1, March 2022)"
QUOTE = (
    "\u201cI wait every day for the letter. Interpreter also. **Mine is paused.** "
    f"Nobody tells me why.\u201d {WHERE}"
)


def _ingest(project: Project, directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")
    manifest = directory / "manifest.csv"
    manifest.write_text(f"file,location,session,date\n{name},Location 1,1,2022-03-08\n")
    report = ingest_paths(project, [directory / name], manifest=manifest)
    assert report.failed == []


def _segments(project: Project, title: str) -> list[tuple[int, int, int, str]]:
    return rows(
        project,
        "SELECT s.id, s.ordinal, s.turn, s.text FROM segments s JOIN current_documents d "
        "ON d.id = s.document_id WHERE d.title = ? ORDER BY s.ordinal",
        [title],
    )


def _code(project: Project, *ordinals: int, layers=("alice", "consensus")) -> None:
    ids = {ordinal: sid for sid, ordinal, _, _ in _segments(project, "t.txt")}
    record_decisions(
        project,
        [
            Decision(ids[o], "immigration_procedures", coder, "add")
            for o in ordinals
            for coder in layers
        ],
    )


@pytest.fixture
def waiting(project: Project, tmp_path: Path) -> Project:
    """The project of the module docstring, sentence 3 coded."""
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    _ingest(project, tmp_path, "t.txt", TEXT)
    create_theme(project, "Waiting", "tester", codes=["immigration_procedures"])
    _code(project, 3)
    return project


# --- segmenting at a unit ------------------------------------------------------------------


def test_a_four_sentence_turn_is_four_segments_at_the_sentence_unit(waiting: Project) -> None:
    assert read_setting(waiting, "coding_unit") == "sentence"  # the default
    assert [(o, t, text) for _, o, t, text in _segments(waiting, "t.txt")] == [
        (0, 0, "What is it like now?"),
        (1, 1, "I wait every day for the letter."),
        (2, 1, "Interpreter also."),
        (3, 1, "Mine is paused."),
        (4, 1, "Nobody tells me why."),
        (5, 2, "I like my school."),
    ]
    assert rows(waiting, "SELECT coding_unit FROM documents") == [("sentence",)]


def test_the_turn_unit_keeps_the_turn_whole_and_stored_documents_keep_theirs(
    project: Project, tmp_path: Path
) -> None:
    _ingest(project, tmp_path, "t.txt", TEXT)
    change_setting(project, "coding_unit", "turn")
    # the stored document is not segmented again
    assert len(_segments(project, "t.txt")) == 6
    _ingest(project, tmp_path, "u.txt", TEXT.replace("school", "college"))
    assert [(o, t, text) for _, o, t, text in _segments(project, "u.txt")] == [
        (0, 0, "What is it like now?"),
        (1, 1, TURN),
        (2, 2, "I like my college."),
    ]
    # a new version of a stored document keeps the unit its earlier version was coded at
    _ingest(project, tmp_path, "t.txt", TEXT.replace("my school", "my new school"))
    assert len(_segments(project, "t.txt")) == 6
    assert rows(project, "SELECT title, version, coding_unit FROM documents ORDER BY id") == [
        ("t.txt", 1, "sentence"),
        ("u.txt", 1, "turn"),
        ("t.txt", 2, "sentence"),
    ]
    actions = rows(
        project,
        "SELECT action, detail->>'from', detail->>'to' FROM action_log "
        "WHERE action = 'settings.change'",
    )
    assert actions == [("settings.change", "sentence", "turn")]
    assert document_view(project, 2).info.coding_unit == "turn"
    with pytest.raises(QualcodeError, match="coding_unit must be one of turn, sentence"):
        change_setting(project, "coding_unit", "paragraph")


def test_ingest_unit_option_sets_the_project_setting(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--db", str(project.path), "ingest", str(path), "--unit", "turn"]
    )
    assert result.exit_code == 0, result.output
    assert "1 documents added (3 segments)" in result.output
    assert read_setting(project, "coding_unit") == "turn"
    bad = CliRunner().invoke(
        app, ["--db", str(project.path), "ingest", str(path), "--unit", "word"]
    )
    assert bad.exit_code != 0 and "--unit must be one of turn, sentence" in bad.output


# --- quotes in context ---------------------------------------------------------------------


def test_a_quote_is_the_whole_turn_with_the_coded_sentence_marked(waiting: Project) -> None:
    [quote] = illustrative_quotes(waiting, "theme", 1)
    assert quote.text == "Mine is paused."  # what was coded
    assert quote.quote == TURN
    assert [tuple(p) for p in quote.parts] == [
        ("I wait every day for the letter. Interpreter also.", False),
        ("Mine is paused.", True),
        ("Nobody tells me why.", False),
    ]
    assert quote.in_context and quote.attribution == WHERE
    assert quote_html(quote.parts) == (
        "I wait every day for the letter. Interpreter also. "
        "<mark class='qc-coded'>Mine is paused.</mark> Nobody tells me why."
    )


def test_quote_context_one_sentence_around_and_the_unit_alone(waiting: Project) -> None:
    [around] = illustrative_quotes(waiting, "theme", 1, context="1")
    assert [tuple(p) for p in around.parts] == [
        ("Interpreter also.", False),
        ("Mine is paused.", True),
        ("Nobody tells me why.", False),
    ]
    [alone] = illustrative_quotes(waiting, "theme", 1, context="unit")
    assert [tuple(p) for p in alone.parts] == [("Mine is paused.", True)]
    assert not alone.in_context
    change_setting(waiting, "quote_context", "1")
    [by_setting] = illustrative_quotes(waiting, "theme", 1)
    assert by_setting.parts == around.parts
    _code(waiting, 1)  # the turn's first sentence: one sentence after it, none before
    # one quote per turn, anchored at the hit closer to 25 words (7 words against 3):
    # sentence 1, shown with the one after it; sentence 3 is out of reach
    [first] = illustrative_quotes(waiting, "code", "immigration_procedures")
    assert first.text == "I wait every day for the letter."
    assert [tuple(p) for p in first.parts] == [
        ("I wait every day for the letter.", True),
        ("Interpreter also.", False),
    ]
    with pytest.raises(QualcodeError, match="context must be one of turn, unit, 1, 2, 3"):
        illustrative_quotes(waiting, "theme", 1, context="4")


def test_two_coded_sentences_of_one_turn_are_one_quote_and_one_excerpt(
    waiting: Project,
) -> None:
    _code(waiting, 2)
    [quote] = illustrative_quotes(waiting, "theme", 1)
    assert [tuple(p) for p in quote.parts] == [
        ("I wait every day for the letter.", False),
        ("Interpreter also. Mine is paused.", True),
        ("Nobody tells me why.", False),
    ]
    matrix = framework_matrix(waiting, "participant", "theme", "consensus")
    [excerpt] = matrix.cell("Location 1 / YP1", "1").excerpts
    assert excerpt.text == "Interpreter also. Mine is paused."
    assert excerpt.parts == quote.parts
    [*found] = coded_segments(waiting, "consensus", "theme", 1)
    assert [[tuple(p) for p in s.parts] for s in found] == [
        [
            ("I wait every day for the letter.", False),
            ("Interpreter also.", True),
            ("Mine is paused. Nobody tells me why.", False),
        ],
        [
            ("I wait every day for the letter. Interpreter also.", False),
            ("Mine is paused.", True),
            ("Nobody tells me why.", False),
        ],
    ]


def test_a_pinned_quote_shows_its_turn_too(waiting: Project) -> None:
    ids = {o: sid for sid, o, _, _ in _segments(waiting, "t.txt")}
    _code(waiting, 4)
    pin_quote(waiting, "theme", 1, ids[4], "alice")  # on the consensus layer
    [quote] = illustrative_quotes(waiting, "theme", 1)
    assert quote.pinned and quote.segment_id == ids[4]
    assert [tuple(p) for p in quote.parts] == [
        ("I wait every day for the letter. Interpreter also. Mine is paused.", False),
        ("Nobody tells me why.", True),
    ]


# --- every export format -------------------------------------------------------------------

NOTE = (
    "Each quote is the speaker's turn (or the sentences around the coded one); the words "
    "coded are in bold (in CSV, between ** and **)."
)


def test_the_theme_table_marks_the_coded_sentence_in_every_format(waiting: Project) -> None:
    table = build_table(waiting, "themes", "consensus")
    assert table.rows[0][6] == (
        "\u201cI wait every day for the letter. Interpreter also. Mine is paused. "
        f"Nobody tells me why.\u201d {WHERE}"
    )
    assert table.notes[-1] == NOTE
    quote_only = Table("Quotes", ["Theme", "Quote"], [["Waiting", table.rows[0][6]]])
    assert render(quote_only, "md").decode() == (
        f"## Quotes\n\n| Theme | Quote |\n|---|---|\n| Waiting | {QUOTE} |\n"
    )
    assert render(quote_only, "csv").decode() == f'Theme,Quote\nWaiting,"{QUOTE}"\n'
    assert (
        "Waiting & \u201cI wait every day for the letter. Interpreter also. "
        "\\textbf{Mine is paused.} Nobody tells me why.\u201d " + WHERE + " \\\\"
    ) in render(quote_only, "tex").decode()
    cell = Document(io.BytesIO(render(quote_only, "docx"))).tables[0].rows[1].cells[1]
    assert [(r.text, bool(r.bold)) for r in cell.paragraphs[0].runs] == [
        ("\u201cI wait every day for the letter. Interpreter also. ", False),
        ("Mine is paused.", True),
        (f" Nobody tells me why.\u201d {WHERE}", False),
    ]
    book = load_workbook(io.BytesIO(render(quote_only, "xlsx")), rich_text=True)
    value = book["Quotes"]["B2"].value
    assert str(value) == table.rows[0][6]
    bold = [block.text for block in value if not isinstance(block, str) and block.font.b]
    assert bold == ["Mine is paused."]
    whole = render(table, "md").decode()
    assert f"| {QUOTE} |" in whole and f"*{NOTE}*" in whole


def test_the_matrix_table_marks_the_coded_sentence(waiting: Project) -> None:
    table = build_table(waiting, "matrix", "consensus", rows="participant", columns="theme")
    assert table.columns == ["Participant", "Waiting"]
    assert [row[0] for row in table.rows] == ["Location 1 / YP1", "Location 1 / YP2"]
    assert render(table, "csv").decode() == (
        f'Participant,Waiting\nLocation 1 / YP1,"{QUOTE}"\nLocation 1 / YP2,\n'
    )
    unmarked = build_table(waiting, "matrix", "consensus", columns="theme", context="unit")
    assert render(unmarked, "csv").decode() == (
        f'Participant,Waiting\nLocation 1 / YP1,"\u201cMine is paused.\u201d {WHERE}"\n'
        "Location 1 / YP2,\n"
    )
    assert unmarked.notes == [
        "Coded excerpts from the consensus layer; summaries are the latest version."
    ]


def test_export_context_option(waiting: Project, tmp_path: Path) -> None:
    out = tmp_path / "themes.csv"
    result = CliRunner().invoke(
        app,
        ["--db", str(waiting.path), "export", "themes", "-o", str(out), "--context", "1"],
    )
    assert result.exit_code == 0, result.output
    assert (
        f"\u201cInterpreter also. **Mine is paused.** Nobody tells me why.\u201d {WHERE}"
        in out.read_text(encoding="utf-8")
    )
    bad = CliRunner().invoke(
        app,
        ["--db", str(waiting.path), "export", "themes", "-o", str(out), "--context", "all"],
    )
    assert bad.exit_code == 1 and "--context must be one of turn, unit, 1, 2, 3" in bad.output


def test_marked_text_escapes_what_it_holds() -> None:
    value = Marked([("a *b* <i>|", False), ("c & _d_", True)])
    assert value == "a *b* <i>|c & _d_"
    assert render(Table("T", ["x"], [[value]]), "md").decode().splitlines()[-1] == (
        "| a \\*b\\* &lt;i&gt;\\|**c & _d_** |"
    )
    assert (
        "a *b* <i>|\\textbf{c \\& \\_d\\_}" in render(Table("T", ["x"], [[value]]), "tex").decode()
    )
    assert render(Table("T", ["x"], [[Marked([("=1+1 ", False), ("x", True)])]]), "csv") == (
        b"x\n'=1+1 **x**\n"
    )


# --- the app -------------------------------------------------------------------------------


def test_the_import_page_sets_the_unit_and_the_document_page_names_it(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    from .test_app_pages import open_page, page_text

    at = open_page(monkeypatch, project, "import", coder="ana")  # a coder may not change it
    assert at.radio(key="import_unit").value == "sentence" and at.radio(key="import_unit").disabled
    at = open_page(monkeypatch, project, "import", coder="sue", role="supervisor")
    unit = at.radio(key="import_unit")
    assert unit.options == ["Whole turns", "Sentences of long turns"] and not unit.disabled
    at.get("file_uploader")[0].set_value([("t.txt", TEXT.encode(), "text/plain")])
    unit.set_value("turn")
    at.button(key="FormSubmitter:import_form-Import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert read_setting(project, "coding_unit") == "turn"
    assert rows(project, "SELECT count(*), min(d.coding_unit) FROM segments s JOIN documents d "
                "ON d.id = s.document_id") == [(3, "turn")]  # fmt: skip
    assert rows(project, "SELECT actor FROM action_log WHERE action = 'settings.change'") == [
        ("sue",)
    ]
    at = open_page(monkeypatch, project, "document", coder="sue", role="supervisor")
    assert "coded by turn" in page_text(at)
