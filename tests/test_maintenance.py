"""Audit trail, backup, restore and the integrity check."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qualcode.accounts import add_account
from qualcode.audit import audit_trail
from qualcode.cli import app as cli_app
from qualcode.codebook_files import load_codebook
from qualcode.coders import add_coder
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.memos import add_memo
from qualcode.errors import ArgumentError, InputError, ProjectError, QualcodeError
from qualcode.ingest.pipeline import ingest_paths
from qualcode.maintenance import backup, check, restore
from qualcode.store import Project

from .conftest import REPO_ROOT, rows


@pytest.fixture
def filled(project: Project, tmp_path: Path) -> Project:
    load_codebook(project, REPO_ROOT / "codebook" / "csf-pof.yaml")
    (tmp_path / "t.txt").write_text("YP1: My room has a lock.\nYP2: My solicitor called.\n")
    ingest_paths(project, [tmp_path / "t.txt"])
    record_decisions(
        project,
        [Decision(1, "physical_safety", "ann", "add"), Decision(2, "legal_advice", "ben", "add")],
    )
    add_memo(project, "segment", 1, "ann", "lock = safety")
    return project


def tamper(path: Path) -> None:
    """A document whose hash is wrong, with a segment whose text is not at its offsets
    (DuckDB refuses updates to referenced rows, so the damage is inserted)."""
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO documents (id, title, format, content_hash, text) "
        "VALUES (2, 'x.txt', 'txt', 'not the hash', 'YP1: hello')"
    )
    con.execute(
        "INSERT INTO segments (id, document_id, ordinal, turn, start_offset, end_offset, text) "
        "VALUES (3, 2, 0, 0, 5, 10, 'HELLO')"
    )
    con.close()


def test_audit_trail_has_every_change_with_who_and_when(filled: Project) -> None:
    trail = audit_trail(filled)
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("cli", "codebook.load"),
        ("cli", "ingest"),
        ("ann", "coding.add"),
        ("ben", "coding.add"),
        ("ann", "memo.add"),
    ]
    assert trail[2]["detail"]["code"] == "physical_safety" and trail[2]["at"]
    assert [e["action"] for e in audit_trail(filled, actor="ben")] == ["coding.add"]
    assert audit_trail(filled, since="2999-01-01") == []
    assert audit_trail(filled, limit=2) == trail[:2]
    assert audit_trail(filled, limit=2, newest=True) == trail[::-1][:2]
    with pytest.raises(QualcodeError, match="since must be a date"):
        audit_trail(filled, since="last week")
    mark_reviewed(filled, [1], "ben")
    last = audit_trail(filled, limit=1, newest=True)[0]
    assert (last["actor"], last["action"], last["detail"]) == (
        "ben", "coding.reviewed", {"segment": 1},
    )  # fmt: skip


def test_check_passes_on_a_whole_project_and_names_each_problem(filled: Project) -> None:
    assert check(filled) == []
    tamper(filled.path)
    con = duckdb.connect(str(filled.path))
    con.execute(
        "INSERT INTO coding_events (segment_id, code_id, coder, action, source) "
        "VALUES (1, 'no_such_code', 'ann', 'add', 'manual')"
    )
    con.close()
    found = {p.what: (p.count, p.example) for p in check(filled)}
    assert found == {
        "segments whose text is not the document text at their offsets": (1, "segment 3"),
        "coding events for a code no codebook version has": (1, "event 3"),
        "documents whose text does not match its hash": (1, "document 2"),
    }


def test_backup_and_restore_round_trip(filled: Project, tmp_path: Path) -> None:
    saved = backup(filled, tmp_path / "backups" / "b1.duckdb")
    record_decisions(filled, [Decision(1, "safety", "ann", "add")])
    assert rows(filled, "SELECT count(*) FROM coding_events") == [(3,)]
    safety = restore(filled.path, saved)
    assert rows(filled, "SELECT count(*) FROM coding_events") == [(2,)]
    assert check(filled) == []
    assert [e["action"] for e in audit_trail(filled)][-2:] == ["backup", "restore"]
    # the file that was replaced is kept, with the later decision in it
    con = duckdb.connect(str(safety), read_only=True)
    assert con.execute("SELECT count(*) FROM coding_events").fetchone() == (3,)
    con.close()


def test_restore_refuses_bad_backups_and_leaves_the_project(
    filled: Project, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="garbage.duckdb: not a qualcode project file"):
        restore(filled.path, garbage)
    with pytest.raises(InputError, match="no such backup file"):
        restore(filled.path, tmp_path / "absent.duckdb")
    broken = backup(filled, tmp_path / "broken.duckdb")
    tamper(broken)
    with pytest.raises(InputError, match="backup fails its integrity check: segments whose text"):
        restore(filled.path, broken)
    assert rows(filled, "SELECT count(*) FROM coding_events") == [(2,)]
    with pytest.raises(ProjectError, match="cannot overwrite the project itself"):
        backup(filled, filled.path)


def test_restore_waits_for_the_lock_file_and_names_the_holder(
    filled: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = backup(filled, tmp_path / "b1.duckdb")
    record_decisions(filled, [Decision(1, "safety", "ann", "add")])
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time\n"
            "from qualcode.store import Project\n"
            "with Project(sys.argv[1]).connect(read_only=True):\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(30)\n",
            str(filled.path),
        ],
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        monkeypatch.setenv("QUALCODE_LOCK_TIMEOUT", "0.3")
        with pytest.raises(ProjectError, match=f"in use by PID {holder.pid} "):
            restore(filled.path, saved)
    finally:
        holder.kill()
        holder.wait()
    assert rows(filled, "SELECT count(*) FROM coding_events") == [(3,)]  # left as it was
    assert not filled.path.with_name(filled.path.name + ".before-restore.bak").exists()
    restore(filled.path, saved)
    assert rows(filled, "SELECT count(*) FROM coding_events") == [(2,)]


def test_cli_check_and_audit(filled: Project) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "qualcode.cli", "--db", str(filled.path), *args],
            capture_output=True,
            text=True,
        )

    result = run("check", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == {"ok": True, "problems": []}
    entries = json.loads(run("audit", "--coder", "ann", "--json").stdout)["entries"]
    assert [e["action"] for e in entries] == ["coding.add", "memo.add"]


def test_copies_backups_and_exports_are_the_owners_only(filled: Project, tmp_path: Path) -> None:
    """Every file qualcode writes from a project holds transcripts: mode 0600 whatever
    the umask (where the platform has modes)."""
    import os
    import stat

    from qualcode.codebook_files import export_codebook
    from qualcode.exports import export_file
    from qualcode.refi import export_qdpx

    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    old = os.umask(0o022)
    try:
        written = [
            backup(filled, tmp_path / "b.duckdb"),
            export_codebook(filled, "yaml", tmp_path / "c.yaml"),
            export_qdpx(filled, tmp_path / "p.qdpx") and tmp_path / "p.qdpx",
            Path(export_file(filled, "codings", tmp_path / "codings.csv").output),
        ]
        restore(filled.path, written[0])
        written.append(filled.path.with_name(filled.path.name + ".before-restore.bak"))
    finally:
        os.umask(old)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.name: 0o600 for p in written
    }


# --- restore over a project with accounts: an admin who signs in ----------------------------

ADMIN_PASSWORD = "admin password 1"
CODER_PASSWORD = "coder password 1"


def _contents(project: Project) -> str:
    """A digest of every table but the action log (where sign-in attempts are logged)."""
    digest = hashlib.sha256()
    with project.connect(read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_name <> 'action_log' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            digest.update(
                repr(
                    (table, con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
                ).encode()
            )
    return digest.hexdigest()


def _log(project: Project) -> list[tuple]:
    return rows(project, "SELECT actor, action, detail FROM action_log ORDER BY id")


@pytest.fixture
def guarded(filled: Project, tmp_path: Path) -> tuple[Project, Path, Path]:
    """`filled` with accounts (admin ada, coder cole); a backup with them, one without,
    and a decision made after both."""
    bare = backup(filled, tmp_path / "bare.duckdb")
    add_account(filled, "ada", ADMIN_PASSWORD, "admin")
    add_account(filled, "cole", CODER_PASSWORD, "coder", by="ada")
    saved = backup(filled, tmp_path / "saved.duckdb")
    record_decisions(filled, [Decision(1, "safety", "ann", "add")])
    return filled, saved, bare


SAFETY = ".before-restore.bak"


def test_restore_over_accounts_refuses_a_wrong_password_and_changes_nothing(
    guarded: tuple[Project, Path, Path],
) -> None:
    project, saved, _ = guarded
    contents, log = _contents(project), _log(project)
    with pytest.raises(QualcodeError) as caught:
        restore(project.path, saved, user="ada", password="not the password")
    assert str(caught.value) == "wrong name or password"
    assert _contents(project) == contents  # not restored: the later decision is there
    assert rows(project, "SELECT count(*) FROM coding_events") == [(3,)]
    # the one change is the failed attempt in the log (every sign-in attempt is logged)
    assert _log(project) == [*log, ("ada", "account.sign_in", '{"name": "ada", "ok": false}')]
    assert not project.path.with_name(project.path.name + SAFETY).exists()


def test_restore_over_accounts_refuses_the_holder_and_a_coder(
    guarded: tuple[Project, Path, Path],
) -> None:
    project, saved, _ = guarded
    contents, log = _contents(project), _log(project)
    with pytest.raises(QualcodeError) as caught:
        restore(project.path, saved)
    assert str(caught.value) == (
        f"{project.path} has accounts: only an admin who signs in can restore it"
    )
    assert _log(project) == log
    with pytest.raises(QualcodeError) as caught:
        restore(project.path, saved, user="cole", password=CODER_PASSWORD)
    assert (
        str(caught.value) == "'cole' is a coder: only an admin can restore a project with accounts"
    )
    assert _contents(project) == contents
    assert [entry[1] for entry in _log(project)[len(log) :]] == ["account.sign_in"]
    assert not project.path.with_name(project.path.name + SAFETY).exists()


def test_an_admin_restores_and_the_restore_is_logged_under_them(
    guarded: tuple[Project, Path, Path],
) -> None:
    project, saved, _ = guarded
    safety = restore(project.path, saved, user="ada", password=ADMIN_PASSWORD)
    assert rows(project, "SELECT count(*) FROM coding_events") == [(2,)]
    assert rows(project, "SELECT name, role FROM coders WHERE password_hash IS NOT NULL "
                "ORDER BY 1") == [("ada", "admin"), ("cole", "coder")]  # fmt: skip
    actor, action, detail = _log(project)[-1]
    assert (actor, action, json.loads(detail)) == (
        "ada", "restore", {"from": str(saved), "previous": str(safety)}
    )  # fmt: skip


def test_a_backup_without_accounts_needs_the_admins_confirmation(
    guarded: tuple[Project, Path, Path],
) -> None:
    project, _, bare = guarded
    contents = _contents(project)
    with pytest.raises(ArgumentError) as caught:
        restore(project.path, bare, user="ada", password=ADMIN_PASSWORD)
    assert str(caught.value) == (
        f"without_accounts must be given to restore {bare}: it has no accounts, so restoring "
        "it removes every account and sign-in from the project"
    )
    assert _contents(project) == contents
    restore(project.path, bare, user="ada", password=ADMIN_PASSWORD, without_accounts=True)
    assert rows(project, "SELECT count(*) FROM coders WHERE password_hash IS NOT NULL") == [(0,)]
    actor, action, detail = _log(project)[-1]
    assert (actor, action, json.loads(detail)["accounts_removed"]) == ("ada", "restore", True)


def test_without_accounts_a_named_user_must_supervise(filled: Project, tmp_path: Path) -> None:
    add_coder(filled, "ann")
    saved = backup(filled, tmp_path / "b.duckdb")
    with pytest.raises(QualcodeError, match="'ann' is a coder: only a supervisor or admin can"):
        restore(filled.path, saved, user="ann")
    add_coder(filled, "sue", "supervisor")
    restore(filled.path, saved, user="sue")
    assert _log(filled)[-1][:2] == ("sue", "restore")


def test_cli_restore_signs_in(guarded: tuple[Project, Path, Path]) -> None:
    project, saved, bare = guarded

    def run(*args: str, password: str = ADMIN_PASSWORD) -> tuple[int, str]:
        result = CliRunner().invoke(
            cli_app,
            ["--db", str(project.path), *args],
            env={"QUALCODE_PASSWORD": password},
        )
        return result.exit_code, result.output

    contents = _contents(project)
    assert run("--user", "ada", "restore", str(saved), password="wrong password") == (
        1, "error: wrong name or password\n"
    )  # fmt: skip
    assert run("restore", str(saved)) == (
        1, f"error: {project.path} has accounts: only an admin who signs in can restore it\n"
    )  # fmt: skip
    assert _contents(project) == contents
    code, output = run("--user", "ada", "restore", str(bare))
    assert (code, output) == (
        1, f"error: --without-accounts must be given to restore {bare}: it has no accounts, "
        "so restoring it removes every account and sign-in from the project\n"
    )  # fmt: skip
    code, output = run("--user", "ada", "restore", str(saved))
    assert code == 0 and output.startswith(f"restored {project.path} from {saved}")
    assert rows(project, "SELECT count(*) FROM coding_events") == [(2,)]
