"""Audit trail, backup, restore and the integrity check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from qualcode.audit import audit_trail
from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, mark_reviewed, record_decisions
from qualcode.coding.memos import add_memo
from qualcode.errors import InputError, ProjectError, QualcodeError
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
