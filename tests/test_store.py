"""The project file: schema versions, migrations and lock contention between processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qualcode import store
from qualcode.cli import app
from qualcode.errors import ProjectError
from qualcode.store import Project

from .conftest import rows

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_init_creates_schema_at_latest_version(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "p.duckdb")
    assert project.schema_version() == store.latest_schema_version() >= 1
    tables = {r[0] for r in rows(project, "SELECT table_name FROM information_schema.tables")}
    assert {
        "documents",
        "segments",
        "cases",
        "document_attributes",
        "codes",
        "codebook_versions",
        "coding_events",
        "memos",
        "coders",
        "action_log",
    } <= tables


def test_init_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "p.duckdb"
    Project.init(path)
    Project.init(path)
    assert Project.open(path).schema_version() == store.latest_schema_version()
    assert not list(tmp_path.glob("*.bak"))


def test_open_missing_project_says_to_init(tmp_path: Path) -> None:
    pattern = r"no project here \(create one with qualcode.store.Project.init\)$"
    with pytest.raises(ProjectError, match=pattern):
        Project.open(tmp_path / "absent.duckdb")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "absent.duckdb"), "status"])
    assert result.exit_code == 1
    assert result.output.strip().endswith("no project here (create one: qualcode init)")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.duckdb"
    Project.init(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(
        ProjectError, match=r"newer qualcode \(schema 999; this qualcode knows up to"
    ):
        Project.open(path)


def test_older_schema_is_migrated_after_a_backup(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "p.duckdb"
    Project.init(path)
    original = store.migrations()
    latest = original[-1][0]
    extra = (
        latest + 1,
        "CREATE TABLE added_later (x INTEGER); INSERT INTO added_later VALUES (7);",
    )
    monkeypatch.setattr(store, "migrations", lambda: [*original, extra])
    project = Project.open(path)
    assert project.schema_version() == latest + 1
    assert rows(project, "SELECT x FROM added_later") == [(7,)]
    backup = tmp_path / f"p.duckdb.schema{latest}.bak"
    assert backup.exists()
    con = duckdb.connect(str(backup), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(latest),
    )
    con.close()


def test_failed_migration_leaves_schema_unchanged(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "p.duckdb"
    Project.init(path)
    original = store.migrations()
    latest = original[-1][0]
    broken = (latest + 1, "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;")
    monkeypatch.setattr(store, "migrations", lambda: [*original, broken])
    with pytest.raises(duckdb.Error):
        Project.open(path)
    monkeypatch.setattr(store, "migrations", lambda: original)
    project = Project.open(path)
    assert project.schema_version() == latest
    names = {r[0] for r in rows(project, "SELECT table_name FROM information_schema.tables")}
    assert "half" not in names


def test_transaction_rolls_back_on_error(project: Project) -> None:
    with pytest.raises(RuntimeError):
        with project.transaction() as con:
            con.execute("INSERT INTO coders (name) VALUES ('alice')")
            raise RuntimeError("boom")
    assert rows(project, "SELECT count(*) FROM coders") == [(0,)]


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_locked_project_fails_with_holder_pid(project: Project, monkeypatch) -> None:
    monkeypatch.setenv(store.LOCK_TIMEOUT_ENV, "0.3")
    holder = _hold_lock(project.path, 30)
    try:
        with pytest.raises(ProjectError) as caught:
            with project.connect(read_only=True):
                pass
        assert f"project file is in use by PID {holder.pid} (" in str(caught.value)
        assert "python" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()


def test_cli_on_locked_project_exits_1_with_one_line(project: Project) -> None:
    holder = _hold_lock(project.path, 30)
    try:
        env = {**os.environ, store.LOCK_TIMEOUT_ENV: "0.3"}
        result = subprocess.run(
            [sys.executable, "-m", "qualcode.cli", "--db", str(project.path), "status", "--json"],
            capture_output=True,
            text=True,
            env=env,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert re.fullmatch(
        rf"error: project file is in use by PID {holder.pid} \(.*python.*\): "
        + re.escape(str(project.path)),
        line,
    ), line
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_writer_waits_for_a_short_lock(project: Project, monkeypatch) -> None:
    monkeypatch.setenv(store.LOCK_TIMEOUT_ENV, "10")
    holder = _hold_lock(project.path, 0.5)
    started = time.monotonic()
    with project.transaction() as con:
        con.execute("INSERT INTO coders (name) VALUES ('bob')")
    waited = time.monotonic() - started
    holder.wait()
    assert waited >= 0.2
    assert rows(project, "SELECT name FROM coders") == [("bob",)]


def test_a_new_project_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "new.duckdb")
    assert project.path.stat().st_mode & 0o777 == 0o600
