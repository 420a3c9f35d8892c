"""Imports write coders' layers only as the rules allow: the reserved names (`consensus`,
`model`) are refused by every import; in anyone else's name only an admin (or the file's
holder) imports, and every event records who wrote it (`recorded_by`); a coder's undo
takes back only what they recorded themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode import store
from qualcode.agreement.adjudication import settle
from qualcode.audit import audit_trail, log_action
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.csv_import import import_codings
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.coding.undo import undo_last
from qualcode.errors import InputError, QualcodeError
from qualcode.refi.project_import import import_qdpx
from qualcode.store import Project

from .conftest import load_codebook_at_old_schema, rows
from .suggest_helpers import add_document, write_codebook
from .test_refi_project import CODE, COUNTS, SOURCE_FILE, make_qdpx, project_xml

HEADER = "coder,document,segment,code,decision\n"
EVENTS = (
    "SELECT segment_id, code_id, coder, action, source, recorded_by FROM coding_events ORDER BY id"
)
STORED = (
    "SELECT (SELECT count(*) FROM coding_events), (SELECT count(*) FROM segment_reviews), "
    "(SELECT count(*) FROM coders), (SELECT count(*) FROM memos), "
    "(SELECT count(*) FROM action_log)"
)
ANA_USER = "55555555-5555-4555-8555-555555555555"


@pytest.fixture
def team(project: Project, tmp_path: Path) -> list[int]:
    """A codebook, one document of three segments; coder ana, supervisor sue, admin ada."""
    load_codebook(project, write_codebook(tmp_path))
    ids = add_document(project, ["My own room.", "My friends.", "School is good."])
    add_coder(project, "ana")
    add_coder(project, "sue", "supervisor")
    add_coder(project, "ada", "admin")
    return ids


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "codings.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _qdpx(tmp_path: Path, user: str) -> Path:
    """A project of one source whose one coding (code `c`, on "hello") is by `user`."""
    body = (
        f'<Users><User guid="{ANA_USER}" name="{user}"/></Users>'
        '<Sources><TextSource guid="11111111-1111-4111-8111-111111111111" name="s" '
        'plainTextPath="internal://11111111-1111-4111-8111-111111111111.txt">'
        '<PlainTextSelection guid="33333333-3333-4333-8333-333333333333" startPosition="5" '
        f'endPosition="10" creatingUser="{ANA_USER}"><Coding guid="44444444-4444-4444-8444-'
        f'444444444444" creatingUser="{ANA_USER}"><CodeRef targetGUID="22222222-2222-4222-'
        '8222-222222222222"/></Coding></PlainTextSelection></TextSource></Sources>'
    )
    return make_qdpx(tmp_path / f"{user}.qdpx", project_xml(body, CODE), SOURCE_FILE)


# --- the reserved names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["consensus", "model"])
@pytest.mark.parametrize("importer", [None, "ada"])
def test_csv_naming_a_reserved_coder_is_refused_and_stores_nothing(
    project: Project, team: list[int], tmp_path: Path, name: str, importer: str | None
) -> None:
    path = _csv(tmp_path, f"ana,doc,0,housing,add\n{name},doc,1,friends,add\n")
    before = rows(project, STORED)
    bound = project if importer is None else project.as_user(importer)
    with pytest.raises(InputError) as caught:
        import_codings(bound, path)
    assert (
        str(caught.value) == f"{path}: line 3: coder '{name}' is reserved for qualcode's own layer"
    )
    assert rows(project, STORED) == before


def test_csv_reserved_name_is_refused_in_a_reviewed_row_too(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "consensus,doc,1,,reviewed\n")
    before = rows(project, STORED)
    with pytest.raises(InputError, match="line 2: coder 'consensus' is reserved"):
        import_codings(project, path)
    assert rows(project, STORED) == before


@pytest.mark.parametrize("name", ["consensus", "model"])
def test_qdpx_with_a_reserved_user_is_refused_and_stores_nothing(tmp_path: Path, name: str) -> None:
    project = Project.init(tmp_path / "target.duckdb")
    path = _qdpx(tmp_path, name)
    with pytest.raises(InputError) as caught:
        import_qdpx(project, path)
    assert str(caught.value) == f"{path}: user '{name}' is reserved for qualcode's own layer"
    assert rows(project, COUNTS) == [(0,) * 10]


def test_qdpx_with_a_reserved_user_who_coded_nothing_is_refused(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "target.duckdb")
    body = f'<Users><User guid="{ANA_USER}" name="model"/></Users>'
    path = make_qdpx(tmp_path / "users.qdpx", project_xml(body, CODE))
    with pytest.raises(InputError, match="user 'model' is reserved for qualcode's own layer"):
        import_qdpx(project, path)
    assert rows(project, COUNTS) == [(0,) * 10]


# --- in others' names: an admin only, recorded as the importer ----------------------------


def test_a_supervisor_cannot_import_a_coders_decisions(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "ana,doc,0,housing,add\n")
    before = rows(project, STORED)
    refusal = "'sue' is a supervisor: only an admin can import decisions in others' names ('ana')"
    with pytest.raises(QualcodeError) as caught:
        import_codings(project.as_user("sue"), path)
    assert str(caught.value) == refusal
    assert rows(project, STORED) == before

    target = Project.init(tmp_path / "target.duckdb")
    add_coder(target, "sue", "supervisor")
    before = rows(target, COUNTS)
    with pytest.raises(QualcodeError) as caught:
        import_qdpx(target.as_user("sue"), _qdpx(tmp_path, "ana"))
    assert str(caught.value) == refusal
    assert rows(target, COUNTS) == before


def test_an_admins_import_is_in_the_coders_layer_recorded_as_the_admins(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "ana,doc,0,housing,add\nana,doc,1,friends,add\nana,doc,2,,reviewed\n")
    result = import_codings(project.as_user("ada"), path)
    assert (result.events, result.reviews, result.coders) == (2, 1, ["ana"])
    assert rows(project, EVENTS) == [
        (team[0], "housing", "ana", "add", "import", "ada"),
        (team[1], "friends", "ana", "add", "import", "ada"),
    ]
    assert rows(project, "SELECT actor FROM action_log WHERE action = 'codings.import'") == [
        ("ada",)
    ]

    target = Project.init(tmp_path / "target.duckdb")
    add_coder(target, "ada", "admin")
    assert import_qdpx(target.as_user("ada"), _qdpx(tmp_path, "ana")).codings == 1
    assert rows(target, "SELECT code_id, coder, recorded_by, start_offset, end_offset "
                "FROM coding_events") == [("c", "ana", "ada", 5, 10)]  # fmt: skip


def test_the_files_holder_imports_recorded_as_the_actor(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    import_codings(project, _csv(tmp_path, "ana,doc,0,housing,add\n"))
    assert rows(project, EVENTS) == [(team[0], "housing", "ana", "add", "import", "cli")]
    target = Project.init(tmp_path / "target.duckdb")
    import_qdpx(target, _qdpx(tmp_path, "ana"), actor="app")
    assert rows(target, "SELECT coder, recorded_by FROM coding_events") == [("ana", "app")]


def test_every_write_path_records_who_wrote_the_event(project: Project, team: list[int]) -> None:
    record_decisions(project.as_user("ana"), [Decision(team[0], "housing", "ana", "add")])
    record_decisions(project, [Decision(team[1], "friends", "ana", "add")])  # the holder
    settle(project.as_user("sue"), team[0], "housing", "sue", decision="absent", reason="no")
    undo_last(project.as_user("ana"), "ana")
    assert [r[2:] for r in rows(project, EVENTS)] == [
        ("ana", "add", "manual", "ana"),
        ("ana", "add", "manual", "ana"),
        ("consensus", "reject", "adjudication", "sue"),
        ("ana", "remove", "manual", "ana"),  # the undo of the second decision
    ]


# --- undo ---------------------------------------------------------------------------------


def test_the_named_coders_undo_leaves_an_import_alone(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    import_codings(project.as_user("ada"), _csv(tmp_path, "ana,doc,0,housing,add\n"))
    ana = project.as_user("ana")
    assert undo_last(ana, "ana") is None  # nothing of ana's own to undo
    mine = record_decisions(ana, [Decision(team[1], "friends", "ana", "add")])
    done = undo_last(ana, "ana")
    assert done is not None and done.undone == mine
    assert undo_last(ana, "ana") is None  # the imported coding is not ana's to undo
    assert undo_last(project.as_user("ada"), "ada") is None  # nor, piecemeal, the admin's
    assert rows(project, "SELECT segment_id, code_id, coder, source FROM codings") == [
        (team[0], "housing", "ana", "import")
    ]


def test_undoing_a_decision_over_an_imported_one_restores_it(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    import_codings(project.as_user("ada"), _csv(tmp_path, "ana,doc,0,housing,add\n"))
    ana = project.as_user("ana")
    record_decisions(ana, [Decision(team[0], "housing", "ana", "remove")])
    assert rows(project, "SELECT count(*) FROM codings") == [(0,)]
    undo_last(ana, "ana")
    assert rows(project, "SELECT code_id, coder, source FROM codings") == [
        ("housing", "ana", "import")
    ]


def test_a_coder_undoes_their_own_import_as_one_step(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    ana = project.as_user("ana")
    record_decisions(ana, [Decision(team[2], "education", "ana", "add")])
    import_codings(ana, _csv(tmp_path, "ana,doc,0,housing,add\nana,doc,1,friends,add\n"))
    imported = [r[0] for r in rows(project, "SELECT id FROM coding_events WHERE source = "
                                   "'import' ORDER BY id")]  # fmt: skip
    done = undo_last(ana, "ana")
    assert done is not None and done.undone == imported  # the whole import, at once
    assert rows(project, "SELECT code_id FROM codings") == [("education",)]


# --- existing events, migrated ------------------------------------------------------------


def test_migration_attributes_existing_imports_and_settlements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = store.migrations()
    monkeypatch.setattr(store, "migrations", lambda: [m for m in every if m[0] <= 5])
    old = Project.init(tmp_path / "old.duckdb")
    load_codebook_at_old_schema(old, write_codebook(tmp_path))
    ids = add_document(old, ["My own room.", "My friends."])
    event = "INSERT INTO coding_events (segment_id, code_id, coder, action, source) "
    with old.transaction() as con:  # an import, as schema 5 wrote it
        con.execute(event + "VALUES (?, 'housing', 'ana', 'add', 'import')", [ids[0]])
        log_action(con, "cli", "codings.import", {"events": 1})
    with old.transaction() as con:  # ana's own decision
        con.execute(event + "VALUES (?, 'friends', 'ana', 'add', 'manual')", [ids[1]])
    with old.transaction() as con:  # a settlement
        settled = con.execute(
            event + "VALUES (?, 'housing', 'consensus', 'reject', 'adjudication') RETURNING id",
            [ids[0]],
        ).fetchone()[0]
        log_action(con, "sue", "adjudication.settle", {"event": settled})
    assert rows(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [("5",)]
    monkeypatch.setattr(store, "migrations", lambda: every)

    migrated = Project.open(old.path)
    assert rows(migrated, "SELECT coder, source, recorded_by FROM coding_events ORDER BY id") == [
        ("ana", "import", "cli"),
        ("ana", "manual", "ana"),
        ("consensus", "adjudication", "sue"),
    ]
    assert undo_last(migrated, "ana").undone == [2]  # the import stays
    assert undo_last(migrated, "ana") is None


def test_the_audit_trail_shows_who_recorded_an_event(
    project: Project, team: list[int], tmp_path: Path
) -> None:
    import_codings(project.as_user("ada"), _csv(tmp_path, "ana,doc,0,housing,add\n"))
    (entry,) = [e for e in audit_trail(project) if e["action"] == "coding.add"]
    assert (entry["actor"], entry["detail"]["recorded_by"]) == ("ana", "ada")
    assert entry["detail"]["source"] == "import"
