"""Who may see and change what (`qualcode.access`): a project bound to a coder reads and
writes only that coder's decisions; supervisors and admins see every layer; the file's
holder (an unbound project, the CLI) sees everything. Every check is in the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode import accounts
from qualcode.access import visible_layers
from qualcode.agreement.adjudication import disagreements, settle
from qualcode.agreement.report import agreement_report
from qualcode.agreement.sampling import create_sample
from qualcode.audit import audit_trail
from qualcode.cli import app as cli_app
from qualcode.codebook.edit import edit_code
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.card import next_segment, segment_card
from qualcode.coding.csv_import import import_codings
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.memos import add_memo, memos_for
from qualcode.coding.progress import acceptance_rates, review_progress
from qualcode.coding.retrieve import document_view
from qualcode.coding.undo import undo_last
from qualcode.errors import QualcodeError
from qualcode.exports.api import build_table, export_bytes
from qualcode.maintenance import backup
from qualcode.refi.project_import import import_qdpx
from qualcode.store import Project
from qualcode.suggest.queue import review_queue
from qualcode.themes.catalog import create_theme
from qualcode.themes.explore import code_cooccurrence, coded_segments
from qualcode.themes.tracking import track

from .conftest import rows
from .suggest_helpers import add_document, write_codebook

OWN_ONLY = "a coder sees only their own"


@pytest.fixture
def team(project: Project, tmp_path: Path) -> list[int]:
    """Coders ana and bo (who disagree on housing at segment 0), supervisor sue."""
    load_codebook(project, write_codebook(tmp_path))
    ids = add_document(project, ["My own room.", "My friends.", "School is good."])
    add_coder(project, "ana")
    add_coder(project, "bo")
    add_coder(project, "sue", "supervisor")
    record_decisions(
        project,
        [
            Decision(ids[0], "housing", "ana", "add"),
            Decision(ids[1], "friends", "ana", "add"),
            Decision(ids[1], "friends", "bo", "add"),
        ],
    )
    mark_reviewed(project, ids, "ana")
    mark_reviewed(project, ids, "bo")
    add_memo(project, "segment", ids[0], "ana", "ana's note")
    add_memo(project, "segment", ids[0], "bo", "bo's note")
    return ids


def test_a_coder_reads_only_their_own_layer(project: Project, team: list[int]) -> None:
    ana = project.as_user("ana")
    view = document_view(ana, 1, "coder:ana")
    assert {(c.code_id, c.coder) for c in view.codings} == {("housing", "ana"), ("friends", "ana")}
    for layer in ("coder:bo", "all", "consensus"):
        with pytest.raises(QualcodeError, match=f"{OWN_ONLY} layer \\(coder:ana\\)"):
            document_view(ana, 1, layer)
        with pytest.raises(QualcodeError, match=OWN_ONLY):
            track(ana, layer)
        with pytest.raises(QualcodeError, match=OWN_ONLY):
            coded_segments(ana, layer, "code", "friends")
        with pytest.raises(QualcodeError, match=OWN_ONLY):
            code_cooccurrence(ana, layer)
        with pytest.raises(QualcodeError, match=OWN_ONLY):
            build_table(ana, "codings", layer)
        with pytest.raises(QualcodeError, match=OWN_ONLY):
            export_bytes(ana, "themes", "csv", layer)
    assert [s.segment_id for s in coded_segments(ana, "coder:ana", "code", "friends")] == [team[1]]
    table = build_table(ana, "codings", "coder:ana")
    assert len(table.rows) == 2
    assert visible_layers(ana, ["ana", "bo"]) == ["coder:ana"]


def test_supervisors_and_the_file_holder_see_every_layer(project: Project, team: list[int]) -> None:
    sue = project.as_user("sue")
    assert {(c.code_id, c.coder) for c in document_view(sue, 1, "coder:bo").codings} == {
        ("friends", "bo")
    }
    assert len(document_view(sue, 1, "all").codings) == 3
    assert len(document_view(project, 1, "all").codings) == 3
    assert visible_layers(sue, ["ana", "bo", "sue"]) == [
        "coder:sue", "all", "consensus", "coder:ana", "coder:bo",
    ]  # fmt: skip
    assert visible_layers(project, ["ana", "bo"]) == ["all", "consensus", "coder:ana", "coder:bo"]


def test_agreement_and_adjudication_need_a_supervisor(project: Project, team: list[int]) -> None:
    ana = project.as_user("ana")
    compare = "'ana' is a coder: only a supervisor or admin can compare coders' decisions"
    with pytest.raises(QualcodeError, match=compare):
        agreement_report(ana, ci=False)
    with pytest.raises(QualcodeError, match=compare):
        disagreements(ana)
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        agreement_report(ana, coders=["ana", "bo"], ci=False)
    with pytest.raises(QualcodeError, match="'ana' is a coder: only a supervisor or admin"):
        settle(ana, team[0], "housing", "ana", adopt="ana")
    with pytest.raises(QualcodeError, match="signed in as 'ana': cannot act as 'sue'"):
        settle(ana, team[0], "housing", "sue", adopt="ana")
    sue = project.as_user("sue")
    found = disagreements(sue)
    assert [(d.segment_id, d.code_id, d.decisions) for d in found] == [
        (team[0], "housing", {"ana": "present", "bo": "absent"})
    ]
    settle(sue, team[0], "housing", "sue", adopt="bo")
    assert rows(project, "SELECT coder, action FROM coding_events WHERE coder = 'consensus'") == [
        ("consensus", "reject")
    ]
    report = agreement_report(sue, ci=False)
    assert report["coders"] == ["ana", "bo"]


def test_a_coder_changes_only_their_own_decisions(project: Project, team: list[int]) -> None:
    ana = project.as_user("ana")
    before = rows(project, "SELECT count(*) FROM coding_events")
    with pytest.raises(QualcodeError, match="signed in as 'ana': cannot change bo's decisions"):
        record_decisions(ana, [Decision(team[2], "education", "bo", "add")])
    with pytest.raises(QualcodeError, match="cannot change bo's decisions"):
        record_decisions(
            ana,
            [
                Decision(team[2], "education", "ana", "add"),
                Decision(team[2], "housing", "bo", "add"),
            ],
        )
    with pytest.raises(QualcodeError, match="only a supervisor or admin can write the consensus"):
        record_decisions(ana, [Decision(team[2], "education", "consensus", "add")])
    with pytest.raises(QualcodeError, match="cannot change bo's"):
        mark_reviewed(ana, [team[2]], "bo")
    with pytest.raises(QualcodeError, match="cannot act as 'bo'"):
        undo_last(ana, "bo")
    with pytest.raises(QualcodeError, match="cannot act as 'bo'"):
        add_memo(ana, "segment", team[0], "bo", "in bo's name")
    assert rows(project, "SELECT count(*) FROM coding_events") == before  # nothing half-written
    record_decisions(ana, [Decision(team[2], "education", "ana", "add")])
    undone = undo_last(ana, "ana")
    assert undone is not None and len(undone.undone) == 1


def test_memos_progress_and_audit_narrow_to_the_coder(project: Project, team: list[int]) -> None:
    ana = project.as_user("ana")
    assert [m.text for m in memos_for(ana, "segment", team[0])] == ["ana's note"]
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        memos_for(ana, "segment", team[0], coder="bo")
    assert [m.text for m in memos_for(project.as_user("sue"), "segment", team[0])] == [
        "ana's note", "bo's note",
    ]  # fmt: skip
    assert {r["coder"] for r in review_progress(ana)} == {"ana"}
    assert {r["coder"] for r in review_progress(project.as_user("sue"))} == {"ana", "bo"}
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        acceptance_rates(ana, coder="bo")
    trail = audit_trail(ana)
    assert trail and {e["actor"] for e in trail} == {"ana"}
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        audit_trail(ana, actor="bo")
    everyone = {e["actor"] for e in audit_trail(project.as_user("sue"))}
    assert {"ana", "bo"} <= everyone


def test_project_wide_changes_need_a_supervisor(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    ana, sue = project.as_user("ana"), project.as_user("sue")
    with pytest.raises(QualcodeError, match="only a supervisor or admin can change the codebook"):
        edit_code(ana, "housing", "ana", definition="A safe place to live.")
    with pytest.raises(QualcodeError, match="only a supervisor or admin can draw reliability"):
        create_sample(ana, "pilot", 0.5)
    with pytest.raises(QualcodeError, match="only a supervisor or admin can back up"):
        backup(ana, tmp_path / "copy.duckdb")
    assert not (tmp_path / "copy.duckdb").exists()
    assert edit_code(sue, "housing", "sue", definition="A safe place to live.").version == 2
    create_sample(sue, "pilot", 0.5)
    assert rows(project, "SELECT created_by FROM reliability_samples") == [("sue",)]


def test_accounts_act_as_the_bound_admin(project: Project, team: list[int]) -> None:
    accounts.add_account(project, "root", "a long passphrase", "admin")
    accounts.add_account(project, "cara", "another passphrase", "coder", by="root")
    cara = project.as_user("cara")
    with pytest.raises(QualcodeError, match="only an admin can create accounts"):
        accounts.add_account(cara, "dan", "a third passphrase", "coder")
    with pytest.raises(QualcodeError, match="signed in as 'cara': cannot act as 'root'"):
        accounts.add_account(cara, "dan", "a third passphrase", "admin", by="root")
    accounts.add_account(project.as_user("root"), "dan", "a third passphrase", "coder")
    assert [a["name"] for a in accounts.list_accounts(project)] == ["cara", "dan", "root"]


def test_an_unknown_person_is_refused(project: Project, team: list[int]) -> None:
    with pytest.raises(QualcodeError, match="'mallory' is not registered"):
        document_view(project.as_user("mallory"), 1, "all")


def test_a_settlement_is_logged_under_the_supervisor(project: Project, team: list[int]) -> None:
    sue = project.as_user("sue")
    event = settle(sue, team[0], "housing", "sue", decision="present", reason="she says so")
    logged = [e for e in audit_trail(sue) if e["action"] == "adjudication.settle"]
    assert [(e["actor"], e["detail"]["event"], e["detail"]["decision"]) for e in logged] == [
        ("sue", event, "present")
    ]


def test_imports_respect_the_bound_person(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    csv = tmp_path / "codings.csv"
    csv.write_text("coder,document,segment,code,decision\nbo,doc,2,education,add\n")
    before = rows(project, "SELECT count(*) FROM coding_events")
    with pytest.raises(
        QualcodeError, match="'ana' is a coder: only an admin can import decisions in others'"
    ):
        import_codings(project.as_user("ana"), csv)
    assert rows(project, "SELECT count(*) FROM coding_events") == before
    assert import_codings(project.as_user("bo"), csv).events == 1
    with pytest.raises(QualcodeError, match="only a supervisor or admin can import a whole"):
        import_qdpx(project.as_user("ana"), tmp_path / "never-read.qdpx")


def test_the_review_queue_and_card_are_the_coders_own(project: Project, team: list[int]) -> None:
    ana = project.as_user("ana")
    card = segment_card(ana, "ana", team[0])
    assert [c.code_id for c in card.codings] == ["housing"] and card.reviewed
    assert next_segment(ana, "ana") == team[0]
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        segment_card(ana, "bo", team[0])
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        next_segment(ana, "bo")
    with pytest.raises(QualcodeError, match="only a supervisor or admin can see bo's decisions"):
        review_queue(ana, "bo")
    assert review_queue(ana, "ana") == []  # no suggestion run yet
    assert [c.code_id for c in segment_card(project.as_user("sue"), "bo", team[1]).codings] == [
        "friends"
    ]


def test_a_bound_project_records_its_person_as_the_actor(project: Project, team: list[int]) -> None:
    create_theme(project.as_user("ana"), "Belonging", "app", codes=["friends"])
    assert rows(project, "SELECT actor FROM action_log WHERE action = 'theme.create'") == [("ana",)]


def test_the_cli_acts_for_a_signed_in_user(
    project: Project, team: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.add_account(project, "root", "a long passphrase", "admin")
    accounts.add_account(project, "ana", "ana's passphrase", "coder", by="root")
    runner = CliRunner()
    base = ["--db", str(project.path), "--user", "ana"]
    monkeypatch.setenv("QUALCODE_PASSWORD", "not ana's")
    refused = runner.invoke(cli_app, [*base, "audit", "--json"])
    assert refused.exit_code == 1 and refused.stderr == "error: wrong name or password\n"
    monkeypatch.setenv("QUALCODE_PASSWORD", "ana's passphrase")
    out = tmp_path / "all.csv"
    result = runner.invoke(cli_app, [*base, "export", "codings", "-o", str(out), "--layer", "all"])
    assert result.exit_code == 1 and "sees only their own layer (coder:ana)" in result.stderr
    assert not out.exists()
    trail = runner.invoke(cli_app, [*base, "audit", "--json"])
    assert trail.exit_code == 0, trail.stderr
    assert {e["actor"] for e in json.loads(trail.stdout)["entries"]} == {"ana"}
    mine = runner.invoke(
        cli_app, [*base, "export", "codings", "-o", str(out), "--layer", "coder:ana"]
    )
    assert mine.exit_code == 0, mine.stderr
    logged = rows(project, "SELECT actor FROM action_log WHERE action = 'export.codings'")
    assert logged == [("ana",)]


def test_a_coder_cannot_change_the_model_or_give_roles(tmp_path) -> None:
    """The project-wide suggestion model and coders' roles are a supervisor's or
    admin's to change, and a model change is in the audit trail."""
    from qualcode.coders import add_coder
    from qualcode.store import Project
    from qualcode.suggest import configured_model
    from qualcode.suggest.config import configure_model

    project = Project.init(tmp_path / "p.duckdb")
    add_coder(project, "ana")
    add_coder(project, "sam", "supervisor")
    ana, sam = project.as_user("ana"), project.as_user("sam")
    with pytest.raises(QualcodeError, match="change the project's suggestion model"):
        configure_model(ana, "tfidf")
    with pytest.raises(QualcodeError, match="give a coder a role"):
        add_coder(ana, "ana", "supervisor")
    with pytest.raises(QualcodeError, match="give a coder a role"):
        add_coder(ana, "sam", "coder")  # a demotion is a change of role too
    add_coder(ana, "ana")  # registering oneself as a coder stays open
    configure_model(sam, "tfidf")
    assert configured_model(project) == "tfidf"
    with project.connect(read_only=True) as con:
        logged = con.execute(
            "SELECT actor, detail->>'to' FROM action_log WHERE action = 'suggest.model'"
        ).fetchall()
    assert logged == [("sam", "tfidf")]
