"""Password accounts: hashing, who may create accounts and change roles, sign-in
logging without the password, the server's loopback guard and the app's sign-in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from qualcode import server
from qualcode.accounts import (
    accounts_exist,
    add_account,
    check_password,
    hash_password,
    list_accounts,
    set_password,
    set_role,
    sign_in,
    verify,
)
from qualcode.cli import app
from qualcode.coders import add_coder
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import PAGES
from qualcode.ui.identity import SESSION_KEY

from .conftest import rows

APP = Path(__file__).resolve().parents[1] / "app.py"
ADMIN_PW = "admin-secret-42"
BOB_PW = "bob-secret-1234"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.init(tmp_path / "accounts.duckdb")


@pytest.fixture
def with_admin(project: Project) -> Project:
    add_account(project, "root", ADMIN_PW, "admin")
    return project


def log_text(project: Project) -> str:
    return "\n".join(
        f"{actor} {action} {detail}"
        for actor, action, detail in rows(project, "SELECT actor, action, detail FROM action_log")
    )


def test_hash_format_and_verify_rejects_a_wrong_password() -> None:
    stored = hash_password("correct horse battery")
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(key)) == 32
    assert check_password("correct horse battery", stored)
    assert not check_password("correct horse batterY", stored)
    assert not check_password("correct horse battery", "garbage")
    assert hash_password("correct horse battery") != stored, "a fresh salt every time"


def test_verify_against_the_project(with_admin: Project) -> None:
    stored = rows(with_admin, "SELECT password_hash FROM coders WHERE name = 'root'")[0][0]
    assert stored.startswith("scrypt$16384$8$1$") and ADMIN_PW not in stored
    assert verify(with_admin, "root", ADMIN_PW) == "admin"
    assert verify(with_admin, "root", ADMIN_PW + "x") is None
    assert verify(with_admin, "nobody", ADMIN_PW) is None


def test_first_account_must_be_an_admin(project: Project) -> None:
    assert not accounts_exist(project)
    with pytest.raises(QualcodeError, match="role must be 'admin' for the first account"):
        add_account(project, "bob", BOB_PW, "coder")
    assert not accounts_exist(project)
    user = add_account(project, "root", ADMIN_PW, "admin")
    assert (user.name, user.role) == ("root", "admin")
    assert accounts_exist(project)
    assert [(a["name"], a["role"]) for a in list_accounts(project)] == [("root", "admin")]


def test_short_password_is_one_line_error(project: Project) -> None:
    with pytest.raises(QualcodeError, match="at least 10 characters") as caught:
        add_account(project, "root", "short", "admin")
    assert "\n" not in str(caught.value)
    assert not accounts_exist(project)


def test_only_an_admin_creates_accounts_and_changes_roles(with_admin: Project) -> None:
    with pytest.raises(QualcodeError, match="only an admin"):
        add_account(with_admin, "bob", BOB_PW, "coder")  # no `by`
    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    with pytest.raises(QualcodeError, match="only an admin can create accounts"):
        add_account(with_admin, "eve", "eve-secret-123", "admin", by="bob")
    with pytest.raises(QualcodeError, match="only an admin can change roles"):
        set_role(with_admin, "bob", "admin", by="bob")
    with pytest.raises(QualcodeError, match="only an admin can reset passwords"):
        set_password(with_admin, "root", "taken-over-123", by="bob")
    # a coder registered without a password is not an admin either (made here the way
    # a project from before accounts could hold one; add_coder refuses it now)
    with pytest.raises(QualcodeError, match="admins are made through accounts only"):
        add_coder(with_admin, "mallory", "admin")
    with with_admin.transaction() as con:
        con.execute("INSERT INTO coders (name, role) VALUES ('mallory', 'admin')")
    with pytest.raises(QualcodeError, match="only an admin"):
        add_account(with_admin, "eve", "eve-secret-123", "coder", by="mallory")
    assert [(a["name"], a["role"]) for a in list_accounts(with_admin)] == [
        ("bob", "coder"),
        ("root", "admin"),
    ]
    assert verify(with_admin, "root", ADMIN_PW) == "admin"
    set_role(with_admin, "bob", "supervisor", by="root")
    assert verify(with_admin, "bob", BOB_PW) == "supervisor"
    with pytest.raises(QualcodeError, match="last admin"):
        set_role(with_admin, "root", "coder", by="root")
    actions = [a for (a,) in rows(with_admin, "SELECT action FROM action_log ORDER BY id")]
    assert actions.count("account.add") == 2 and actions.count("account.role") == 1


def test_passwords_change_by_holder_or_admin(with_admin: Project) -> None:
    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    with pytest.raises(QualcodeError, match="wrong name or password"):
        set_password(with_admin, "bob", "new-bob-pass-1", current="not-bobs-pass")
    set_password(with_admin, "bob", "new-bob-pass-1", current=BOB_PW)
    assert verify(with_admin, "bob", BOB_PW) is None
    assert verify(with_admin, "bob", "new-bob-pass-1") == "coder"
    set_password(with_admin, "bob", "reset-by-root-1", by="root")
    assert verify(with_admin, "bob", "reset-by-root-1") == "coder"
    log = log_text(with_admin)
    assert log.count("account.password") == 2
    for secret in (BOB_PW, "new-bob-pass-1", "reset-by-root-1", ADMIN_PW):
        assert secret not in log


def test_sign_in_logged_without_the_password(with_admin: Project) -> None:
    user = sign_in(with_admin, "root", ADMIN_PW)
    assert (user.name, user.role) == ("root", "admin")
    with pytest.raises(QualcodeError) as wrong:
        sign_in(with_admin, "root", "not-the-password")
    with pytest.raises(QualcodeError) as unknown:
        sign_in(with_admin, "ghost", "not-the-password")
    assert str(wrong.value) == str(unknown.value) == "wrong name or password"
    attempts = rows(
        with_admin,
        "SELECT actor, detail FROM action_log WHERE action = 'account.sign_in' ORDER BY id",
    )
    assert [(actor, json.loads(detail)) for actor, detail in attempts] == [
        ("root", {"name": "root", "ok": True}),
        ("root", {"name": "root", "ok": False}),
        ("ghost", {"name": "ghost", "ok": False}),
    ]
    log = log_text(with_admin)
    assert ADMIN_PW not in log and "not-the-password" not in log


def test_server_refuses_a_non_loopback_host_without_accounts(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> int:
        pytest.fail("serve started a subprocess")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    monkeypatch.setattr(server, "run_until_stopped", no_subprocess)
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(QualcodeError, match="no accounts") as caught:
            server.serve(project, host=host)
        assert "\n" not in str(caught.value)


def test_server_serves_loopback_and_accounts(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(server, "run_until_stopped", lambda cmd, **kw: calls.append(cmd) or 0)
    assert server.serve(project, host="127.0.0.1") == 0
    assert server.serve(project, host="localhost") == 0
    add_account(project, "root", ADMIN_PW, "admin")
    assert server.serve(project, host="0.0.0.0") == 0
    assert [cmd[cmd.index("--server.address") + 1] for cmd in calls] == [
        "127.0.0.1",
        "localhost",
        "0.0.0.0",
    ]


def test_cli_app_refuses_non_loopback_without_accounts(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    monkeypatch.setattr(server, "run_until_stopped", lambda *a, **k: pytest.fail("started"))
    result = CliRunner().invoke(app, ["--db", str(project.path), "app", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "no accounts (add an admin first: qualcode accounts add NAME --role admin)" in (
        result.output
    )


def test_cli_accounts_add_passwd_list(monkeypatch: pytest.MonkeyPatch, project: Project) -> None:
    def cli(*args: str, password: str | None = None, admin: str | None = None):
        env = {"QUALCODE_PASSWORD": password, "QUALCODE_ADMIN_PASSWORD": admin}
        return CliRunner().invoke(
            app, ["--db", str(project.path), *args], env={k: v for k, v in env.items() if v}
        )

    refused = cli("accounts", "add", "bob", "--role", "coder", password=BOB_PW)
    assert (
        refused.exit_code == 1 and "--role must be 'admin' for the first account" in refused.output
    )
    assert cli("accounts", "add", "root", "--role", "admin", password=ADMIN_PW).exit_code == 0
    no_admin = cli("accounts", "add", "bob", "--role", "coder", password=BOB_PW)
    assert no_admin.exit_code == 1 and "only an admin" in no_admin.output
    wrong = cli(
        "accounts", "add", "bob", "--role", "coder", "--as", "root", password=BOB_PW, admin="x" * 12
    )
    assert wrong.exit_code == 1 and "wrong name or password" in wrong.output
    made = cli(
        "accounts", "add", "bob", "--role", "coder", "--as", "root", password=BOB_PW, admin=ADMIN_PW
    )
    assert made.exit_code == 0, made.output
    reset = cli(
        "accounts", "passwd", "bob", "--as", "root", password="bob-new-pass-9", admin=ADMIN_PW
    )
    assert reset.exit_code == 0, reset.output
    assert verify(project, "bob", "bob-new-pass-9") == "coder"
    listed = cli("accounts", "list", "--json")
    assert [(a["name"], a["role"]) for a in json.loads(listed.stdout)["accounts"]] == [
        ("bob", "coder"),
        ("root", "admin"),
    ]
    assert "scrypt" not in listed.stdout
    log = log_text(project)
    assert all(pw not in log for pw in (ADMIN_PW, BOB_PW, "bob-new-pass-9"))


def open_signin(monkeypatch: pytest.MonkeyPatch, project: Project) -> AppTest:
    monkeypatch.setenv("QUALCODE_DB", str(project.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_sign_in_needs_the_password(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    at = open_signin(monkeypatch, with_admin)
    # no choose-a-name list and no self-registration once accounts exist
    assert not [s for s in at.selectbox if s.key == "signin_name"]
    assert not [t for t in at.text_input if t.key == "register_name"]
    password = at.text_input(key="account_password")
    assert password.proto.type == password.proto.PASSWORD
    at.text_input(key="account_name").set_value("bob")
    at.text_input(key="account_password").set_value("not-bobs-password")
    at.button(key="FormSubmitter:password_form-Sign in").click().run()
    assert SESSION_KEY not in at.session_state
    assert "wrong name or password" in at.error[0].value
    at.text_input(key="account_name").set_value("bob")
    at.text_input(key="account_password").set_value(BOB_PW)
    at.button(key="FormSubmitter:password_form-Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[SESSION_KEY] == "bob"
    shown = "\n".join(str(s.value).replace("\\", "") for s in at.success)
    assert "Signed in as bob (coder)" in shown
    assert [
        json.loads(d)["ok"]
        for (d,) in rows(
            with_admin, "SELECT detail FROM action_log WHERE action = 'account.sign_in' ORDER BY id"
        )
    ] == [False, True]


def test_app_without_accounts_keeps_choosing_a_coder(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    add_coder(project, "ana", "coder")
    at = open_signin(monkeypatch, project)
    assert [s for s in at.selectbox if s.key == "signin_name"]
    assert not [t for t in at.text_input if t.key == "account_password"]


def test_app_with_accounts_ignores_a_coder_without_one(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    add_coder(with_admin, "mallory", "supervisor")  # registered, but no password
    monkeypatch.setenv("QUALCODE_DB", str(with_admin.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[SESSION_KEY] = "mallory"
    at.run()
    at.switch_page(PAGES["code"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Choose who you are first" in at.info[0].value
    assert SESSION_KEY not in at.session_state


def test_coders_add_cannot_change_an_account_or_make_admins(tmp_path) -> None:
    from qualcode.accounts import add_account
    from qualcode.coders import add_coder

    project = Project.init(tmp_path / "roles.duckdb")
    add_account(project, "ada", "correct horse battery", "admin")
    add_account(project, "ben", "another long password", "coder", by="ada")
    with pytest.raises(QualcodeError, match="'ben' has an account: only an admin"):
        add_coder(project, "ben", "supervisor")
    with pytest.raises(QualcodeError, match="admins are made through accounts only"):
        add_coder(project, "eve", "admin")
    add_coder(project, "carl", "coder")
    assert rows(project, "SELECT role FROM coders WHERE name = 'ben'") == [("coder",)]


def test_failed_sign_ins_back_off_per_account_and_per_client(project: Project) -> None:
    """After five failures in a row each attempt waits twice as long as the one before
    (1 s, 2 s, ...), even with the right password; the count is in the project's log
    (so a page reload does not reset it) and a success resets it. A client trying many
    names is held back the same way, and other clients are not."""
    import time

    from qualcode.accounts import sign_in

    add_account(project, "root", ADMIN_PW, "admin")
    for _ in range(5):
        with pytest.raises(QualcodeError, match="^wrong name or password$"):
            sign_in(project, "root", "guess")
    with pytest.raises(QualcodeError, match=r"^too many failed sign-ins: try again in 1 s$"):
        sign_in(project, "root", ADMIN_PW)
    time.sleep(1.1)
    with pytest.raises(QualcodeError, match="^wrong name or password$"):
        sign_in(project, "root", "guess")  # the sixth failure
    with pytest.raises(QualcodeError, match=r"^too many failed sign-ins: try again in 2 s$"):
        sign_in(project, "root", ADMIN_PW)
    time.sleep(2.1)
    assert sign_in(project, "root", ADMIN_PW).name == "root"
    with pytest.raises(QualcodeError, match="^wrong name or password$"):
        sign_in(project, "root", "guess")  # counting starts again
    assert sign_in(project, "root", ADMIN_PW).name == "root"

    for n in range(5):  # one client, five different names
        with pytest.raises(QualcodeError, match="^wrong name or password$"):
            sign_in(project, f"guess{n}", "x", client="10.0.0.9")
    with pytest.raises(QualcodeError, match="^too many failed sign-ins"):
        sign_in(project, "root", ADMIN_PW, client="10.0.0.9")
    assert sign_in(project, "root", ADMIN_PW, client="10.0.0.7").name == "root"
    logged = rows(
        project,
        "SELECT count(*) FROM action_log WHERE action = 'account.sign_in' "
        "AND detail->>'throttled' = 'true'",
    )
    assert logged == [(3,)]
    assert ADMIN_PW not in "".join(r[0] for r in rows(project, "SELECT detail FROM action_log"))


# --- coders registered before accounts, one-time passwords -------------------------------


def test_coders_become_accounts_with_one_time_passwords_that_work_once(
    with_admin: Project,
) -> None:
    from qualcode.accounts import (
        ONE_TIME,
        PasswordChangeRequired,
        add_accounts_for_coders,
        coders_without_accounts,
        replace_one_time,
    )

    add_coder(with_admin, "ana", "supervisor")
    add_coder(with_admin, "bo", "coder")
    assert coders_without_accounts(with_admin) == [
        {"name": "ana", "role": "supervisor"},
        {"name": "bo", "role": "coder"},
    ]
    with pytest.raises(QualcodeError, match="only an admin can create accounts"):
        add_accounts_for_coders(with_admin.as_user("bo"), ["bo"], by="bo")
    with pytest.raises(QualcodeError, match="no registered coder named 'zed'"):
        add_accounts_for_coders(with_admin, ["ana", "zed"], by="root")
    assert coders_without_accounts(with_admin) != []  # all or none: ana has no account
    assert [a["name"] for a in list_accounts(with_admin)] == ["root"]

    given = add_accounts_for_coders(with_admin, ["ana", "bo"], by="root")
    assert sorted(given) == ["ana", "bo"] and given["ana"] != given["bo"]
    assert all(len(p) == 14 and p.count("-") == 2 for p in given.values())
    assert coders_without_accounts(with_admin) == []
    assert [(a["name"], a["role"], a["password"]) for a in list_accounts(with_admin)] == [
        ("ana", "supervisor", "one-time"),
        ("bo", "coder", "one-time"),
        ("root", "admin", "own"),
    ]
    stored = rows(with_admin, "SELECT password_hash FROM coders WHERE name = 'bo'")[0][0]
    assert stored.startswith(ONE_TIME + "scrypt$") and check_password(given["bo"], stored)

    # a one-time password signs nobody in: it only lets its holder choose their own
    assert verify(with_admin, "bo", given["bo"]) is None
    with pytest.raises(PasswordChangeRequired, match="'bo' has a one-time password"):
        sign_in(with_admin, "bo", given["bo"])
    with pytest.raises(QualcodeError, match="wrong name or password"):
        replace_one_time(with_admin, "bo", "not-the-one-time", "bo-own-pass-99")
    user = replace_one_time(with_admin, "bo", given["bo"], "bo-own-pass-99")
    assert (user.name, user.role) == ("bo", "coder")
    assert verify(with_admin, "bo", "bo-own-pass-99") == "coder"
    # ... once: the one-time password is gone
    with pytest.raises(QualcodeError, match="wrong name or password"):
        sign_in(with_admin, "bo", given["bo"])
    with pytest.raises(QualcodeError, match="wrong name or password"):
        replace_one_time(with_admin, "bo", given["bo"], "bo-other-pass-9")
    assert [(a["name"], a["password"]) for a in list_accounts(with_admin)][1] == ("bo", "own")

    # the holder may also replace it with set_password (the CLI's accounts passwd)
    set_password(with_admin, "ana", "ana-own-pass-77", current=given["ana"])
    assert verify(with_admin, "ana", "ana-own-pass-77") == "supervisor"
    logged = log_text(with_admin)
    for secret in (*given.values(), "bo-own-pass-99", "ana-own-pass-77"):
        assert secret not in logged
    assert [json.loads(d) for (d,) in rows(
        with_admin, "SELECT detail FROM action_log WHERE action = 'account.add' "
        "AND detail->>'name' = 'bo'"
    )] == [{"name": "bo", "role": "coder", "first": False, "one_time": True}]  # fmt: skip


def test_an_admin_reset_can_be_one_time(with_admin: Project) -> None:
    from qualcode.accounts import PasswordChangeRequired

    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    set_password(with_admin, "bob", "temporary-pass-1", by="root", one_time=True)
    with pytest.raises(PasswordChangeRequired):
        sign_in(with_admin, "bob", "temporary-pass-1")
    with pytest.raises(QualcodeError, match="one_time"):
        set_password(
            with_admin, "bob", "temporary-pass-2", current="temporary-pass-1", one_time=True
        )
