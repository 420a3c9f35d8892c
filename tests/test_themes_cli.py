"""The `qualcode themes` editing commands: add, edit, delete, codes, pin, unpin, summary.

A small project: the small codebook (education; housing and friends under home) and
one document of three young-person turns in Location 1, session 1, coded by ana:
segment 0 education, segment 1 housing, segment 2 friends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from qualcode.audit import audit_trail
from qualcode.cli import app
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.store import Project
from qualcode.themes.catalog import get_theme, list_themes
from qualcode.themes.matrix import framework_matrix, summary_history
from qualcode.themes.quotes import illustrative_quotes

from .suggest_helpers import add_document, write_codebook

TEXTS = [
    "I go to college and my teacher helps me with English classes.",
    "Now I have my own room in a flat.",
    "My friends are like a family to me.",
]


@pytest.fixture
def coded(project: Project, tmp_path: Path) -> list[int]:
    """Segment ids of TEXTS, coded by ana."""
    load_codebook(project, write_codebook(tmp_path))
    with project.transaction() as con:
        case = con.execute(
            "INSERT INTO cases (name, location, session) VALUES ('L1-1', 'Location 1', '1') "
            "RETURNING id"
        ).fetchone()[0]
    ids = add_document(project, TEXTS, case_id=case)
    add_coder(project, "ana")
    record_decisions(
        project,
        [
            Decision(ids[0], "education", "ana", "add"),
            Decision(ids[1], "housing", "ana", "add"),
            Decision(ids[2], "friends", "ana", "add"),
        ],
    )
    return ids


def qc(project: Project, *args: str, user: str | None = None) -> Result:
    base = ["--db", str(project.path), *(["--user", user] if user else [])]
    return CliRunner().invoke(app, [*base, "themes", *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def theme_log(project: Project) -> list[tuple[str, str]]:
    """(actor, action) of every theme, quote and summary entry in the audit trail."""
    return [
        (e["actor"], e["action"])
        for e in audit_trail(project)
        if e["action"].startswith(("theme.", "quote.", "matrix."))
    ]


def test_add_edit_change_codes_and_delete_a_theme(project: Project, coded: list[int]) -> None:
    added = ok(
        qc(
            project, "add", "Feeling at home",
            "--definition", "A safe place and people who care.",
            "--central-concept", "Home is people",
            "--code", "friends", "--code", "housing",
        )
    )  # fmt: skip
    # codes come back in codebook order
    assert added.stdout == "theme 1 created: Feeling at home [candidate] (housing, friends)\n"
    [theme] = list_themes(project)
    assert (theme.id, theme.name, theme.codes) == (1, "Feeling at home", ["housing", "friends"])
    assert (theme.definition, theme.central_concept) == (
        "A safe place and people who care.",
        "Home is people",
    )
    assert (theme.status, theme.origin, theme.created_by, theme.parent) == (
        "candidate", "manual", "cli", None,
    )  # fmt: skip

    sub = json.loads(
        ok(qc(project, "add", "Friends", "--parent", "feeling AT home", "--status", "reviewed",
              "--memo", "from round 1", "--code", "friends", "--json")).stdout
    )  # fmt: skip
    assert (sub["id"], sub["parent"], sub["status"], sub["memo"], sub["codes"]) == (
        2, 1, "reviewed", "from round 1", ["friends"],
    )  # fmt: skip
    assert get_theme(project, 1).subthemes == [2]

    edited = ok(qc(project, "edit", "Feeling at home", "--status", "final", "--name", "Home"))
    assert edited.stdout == "theme 1 updated: Home [final] (housing, friends)\n"
    theme = get_theme(project, 1)
    assert (theme.name, theme.status, theme.definition) == (
        "Home", "final", "A safe place and people who care.",
    )  # fmt: skip
    ok(qc(project, "edit", "2", "--no-parent"))
    assert get_theme(project, "Friends").parent is None
    ok(qc(project, "edit", "Friends", "--parent", "Home"))
    assert get_theme(project, "Friends").parent == 1

    changed = json.loads(
        ok(
            qc(project, "codes", "home", "--add", "education", "--remove", "friends", "--json")
        ).stdout
    )
    assert changed["codes"] == ["education", "housing"]
    assert get_theme(project, "Home").codes == ["education", "housing"]
    ok(qc(project, "codes", "Home", "--remove", "education", "--remove", "housing"))
    assert get_theme(project, "Home").codes == []

    refused = qc(project, "delete", "Home")  # it has a subtheme
    assert (refused.exit_code, refused.stderr) == (
        1, "error: theme 'Home' has subthemes: move or delete them first\n",
    )  # fmt: skip
    assert ok(qc(project, "delete", "Friends")).stdout == "theme 2 deleted: Friends\n"
    deleted = json.loads(ok(qc(project, "delete", "1", "--json")).stdout)
    assert deleted["deleted"]["name"] == "Home"
    assert list_themes(project) == []

    assert theme_log(project) == [
        ("cli", "theme.create"),
        ("cli", "theme.create"),
        ("cli", "theme.update"),
        ("cli", "theme.update"),
        ("cli", "theme.update"),
        ("cli", "theme.codes.add"),
        ("cli", "theme.codes.remove"),
        ("cli", "theme.codes.remove"),
        ("cli", "theme.delete"),
        ("cli", "theme.delete"),
    ]
    update = [e for e in audit_trail(project) if e["action"] == "theme.update"][0]
    assert update["detail"] == {
        "id": 1,
        "before": {"name": "Feeling at home", "status": "candidate"},
        "after": {"name": "Home", "status": "final"},
    }


def pinned(project: Project, kind: str, target: str | int) -> list[tuple[int, bool]]:
    return [(q.segment_id, q.pinned) for q in illustrative_quotes(project, kind, target, "all")]


def test_pin_and_unpin_quotes_to_a_theme_or_a_code(project: Project, coded: list[int]) -> None:
    ok(qc(project, "add", "Home", "--code", "housing", "--code", "friends"))
    # unpinned: both coded segments (one coder each), the 9-word one before the 8-word one
    default = [(coded[1], False), (coded[2], False)]
    assert pinned(project, "theme", 1) == default

    first = ok(qc(project, "pin", "Home", str(coded[1]), "--layer", "all"))
    assert first.stdout == f"segment {coded[1]} pinned to theme 1 in layer all (quote 1)\n"
    assert pinned(project, "theme", 1) == [(coded[1], True)]
    second = json.loads(ok(qc(project, "pin", "1", str(coded[2]), "--layer", "all",
                              "--json")).stdout)  # fmt: skip
    assert second == {
        "target_type": "theme", "target_id": "1", "segment_id": coded[2], "layer": "all",
        "position": 2,
    }  # fmt: skip
    assert pinned(project, "theme", 1) == [(coded[1], True), (coded[2], True)]

    # education is not a code of Home
    not_coded = qc(project, "pin", "Home", str(coded[0]), "--layer", "all")
    assert (not_coded.exit_code, not_coded.stderr) == (
        1, f"error: segment {coded[0]} is not coded with a code of theme 'Home' in layer all\n",
    )  # fmt: skip
    # the default layer is the consensus, which nobody has settled yet
    unsettled = qc(project, "pin", "Home", str(coded[1]))
    assert unsettled.exit_code == 1
    assert unsettled.stderr.startswith("error: layer 'consensus' has no codings yet")

    unpinned = ok(qc(project, "unpin", "home", str(coded[1]), "--layer", "all"))
    assert unpinned.stdout == f"segment {coded[1]} unpinned from theme 1 in layer all\n"
    assert pinned(project, "theme", 1) == [(coded[2], True)]
    ok(qc(project, "unpin", "Home", str(coded[2]), "--layer", "all"))
    assert pinned(project, "theme", 1) == default
    again = qc(project, "unpin", "Home", str(coded[2]), "--layer", "all")
    assert (again.exit_code, again.stderr) == (
        1, f"error: segment {coded[2]} is not pinned to 'Home' in layer all\n",
    )  # fmt: skip

    # --code: REF is a code's id
    ok(qc(project, "pin", "--code", "housing", str(coded[1]), "--layer", "all"))
    assert pinned(project, "code", "housing") == [(coded[1], True)]
    assert pinned(project, "theme", 1) == default
    ok(qc(project, "unpin", "--code", "housing", str(coded[1]), "--layer", "all"))
    assert pinned(project, "code", "housing") == [(coded[1], False)]
    unknown = qc(project, "pin", "--code", "nowhere", str(coded[1]), "--layer", "all")
    assert (unknown.exit_code, unknown.stderr) == (1, "error: no code 'nowhere'\n")

    assert theme_log(project) == [
        ("cli", "theme.create"),
        ("cli", "quote.pin"),
        ("cli", "quote.pin"),
        ("cli", "quote.unpin"),
        ("cli", "quote.unpin"),
        ("cli", "quote.pin"),
        ("cli", "quote.unpin"),
    ]
    pins = [e["detail"] for e in audit_trail(project) if e["action"] == "quote.pin"]
    assert pins[-1] == {
        "target_type": "code", "target_id": "housing", "layer": "all", "segment_id": coded[1],
        "position": 1,
    }  # fmt: skip


def test_matrix_summaries_are_written_as_versions(project: Project, coded: list[int]) -> None:
    ok(qc(project, "add", "Home", "--code", "housing", "--code", "friends"))
    first = ok(qc(project, "summary", "Location 1 / YP", "Home", "Wants a room of their own.",
                  "--layer", "all"))  # fmt: skip
    assert first.stdout == "summary of Location 1 / YP x theme 1 in layer all: version 1\n"
    second = json.loads(
        ok(qc(project, "summary", "Location 1 / YP", "1", "Room, then friends.", "--json",
              "--layer", "all")).stdout
    )  # fmt: skip
    assert second == {
        "row_kind": "participant", "row": "Location 1 / YP", "column_kind": "theme",
        "column": "1", "layer": "all", "version": 2, "author": "cli",
    }  # fmt: skip
    history = summary_history(project, "participant", "Location 1 / YP", "theme", "1", "all")
    assert [(h["version"], h["text"], h["author"]) for h in history] == [
        (1, "Wants a room of their own.", "cli"),
        (2, "Room, then friends.", "cli"),
    ]
    cell = framework_matrix(project, "participant", "theme", "all").cell("Location 1 / YP", "1")
    assert (cell.summary, cell.summary_version) == ("Room, then friends.", 2)

    ok(qc(project, "summary", "Location 1 / session 1", "housing", "Housing first.",
          "--rows", "session", "--columns", "code", "--layer", "coder:ana"))  # fmt: skip
    cell = framework_matrix(project, "session", "code", "coder:ana").cell(
        "Location 1 / session 1", "housing"
    )
    assert (cell.summary, cell.summary_author) == ("Housing first.", "cli")
    # a summary belongs to the layer it was written on
    other = framework_matrix(project, "session", "code", "all")
    assert other.cell("Location 1 / session 1", "housing").summary is None

    for args, message in [
        (("Location 9 / YP", "Home", "x"), "no participant 'Location 9 / YP' in the project"),
        (("Location 1 / YP", "Nowhere", "x"), "no theme 'Nowhere'"),
        (("Location 1 / YP", "art6", "x", "--columns", "code"), "no code 'art6'"),
        (("Location 1 / YP", "Home", "x", "--rows", "people"),
         "matrix rows must be one of participant, session, location"),
    ]:  # fmt: skip
        failed = qc(project, "summary", *args, "--layer", "all")
        assert (failed.exit_code, failed.stderr) == (1, f"error: {message}\n"), args
    assert [a for a, action in theme_log(project) if action == "matrix.summary"] == ["cli"] * 3


def test_bad_input_is_one_line_and_changes_nothing(project: Project, coded: list[int]) -> None:
    ok(qc(project, "add", "Home", "--code", "housing"))
    before = list_themes(project)
    for args, message in [
        (("edit", "Nowhere", "--status", "final"), "no theme 'Nowhere'"),
        (("delete", "Nowhere"), "no theme 'Nowhere'"),
        (("codes", "Nowhere", "--add", "friends"), "no theme 'Nowhere'"),
        (("pin", "Nowhere", "1"), "no theme 'Nowhere'"),
        (("unpin", "7", "1"), "no theme '7'"),
        (("add", "Other", "--parent", "Nowhere"), "no theme 'Nowhere'"),
        (("edit", "Home", "--parent", "Nowhere"), "no theme 'Nowhere'"),
        (("add", "home"), "a theme named 'home' already exists (theme 1)"),
        (("add", "Other", "--status", "done"),
         "status must be one of candidate, reviewed, final"),
        (("add", "Other", "--code", "home"), "'home' is a group, not a codable code"),
        (("edit", "Home", "--status", "done"), "status must be one of candidate, reviewed, final"),
        (("edit", "Home", "--parent", "Home"),
         "a theme cannot be its own parent or a subtheme of its subtheme"),
        (("codes", "Home", "--add", "nowhere"), "no code 'nowhere' in the current codebook"),
        (("codes", "Home", "--remove", "friends"), "theme 'Home' has no code 'friends'"),
    ]:  # fmt: skip
        result = qc(project, *args)
        assert (result.exit_code, result.stderr) == (1, f"error: {message}\n"), args
        assert result.stdout == ""

    for args, message in [
        (("edit", "Home"), "nothing to change (give --name, --definition, --central-concept, "
                           "--status, --memo, --parent or --no-parent)"),
        (("edit", "Home", "--parent", "1", "--no-parent"),
         "--parent and --no-parent exclude each other"),
        (("codes", "Home"), "nothing to change (give --add CODE or --remove CODE)"),
        (("codes", "Home", "--add", "friends", "--remove", "friends"),
         "'friends' is both added and removed"),
    ]:  # fmt: skip
        result = qc(project, *args)
        assert (result.exit_code, result.stderr) == (2, f"error: {message}\n"), args
    assert list_themes(project) == before
    assert theme_log(project) == [("cli", "theme.create")]


def test_a_person_named_with_user_is_recorded(project: Project, coded: list[int]) -> None:
    add_coder(project, "bea", "supervisor")
    ok(qc(project, "add", "Home", "--code", "housing", user="bea"))
    ok(qc(project, "edit", "Home", "--memo", "checked", user="bea"))
    ok(qc(project, "codes", "Home", "--add", "friends", user="bea"))
    ok(qc(project, "pin", "Home", str(coded[1]), "--layer", "all", user="bea"))
    ok(qc(project, "unpin", "Home", str(coded[1]), "--layer", "all", user="bea"))
    second = json.loads(
        ok(qc(project, "summary", "Location 1 / YP", "Home", "Hers.", "--json", "--layer", "all",
              user="bea")).stdout
    )  # fmt: skip
    assert second["author"] == "bea"
    ok(qc(project, "add", "Spare", user="bea"))
    ok(qc(project, "delete", "Spare", user="bea"))
    ok(qc(project, "add", "Unsigned"))
    assert get_theme(project, "Home").created_by == "bea"
    assert get_theme(project, "Unsigned").created_by == "cli"
    assert (
        summary_history(project, "participant", "Location 1 / YP", "theme", "1", "all")[0]["author"]
        == "bea"
    )
    assert theme_log(project) == [
        ("bea", "theme.create"),
        ("bea", "theme.update"),
        ("bea", "theme.codes.add"),
        ("bea", "quote.pin"),
        ("bea", "quote.unpin"),
        ("bea", "matrix.summary"),
        ("bea", "theme.create"),
        ("bea", "theme.delete"),
        ("cli", "theme.create"),
    ]
