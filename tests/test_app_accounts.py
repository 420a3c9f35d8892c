"""The Accounts page: admins add accounts, change roles and reset passwords; everyone
changes their own password; a project without accounts gets its first admin. Checked
against the project itself (the accounts, `verify`, the action log)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.accounts import accounts_exist, add_account, list_accounts, verify
from qualcode.coders import add_coder
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import PAGES
from qualcode.ui.identity import SESSION_KEY

from .conftest import rows
from .test_app_pages import APP, TIMEOUT, page_text, plain

ADMIN_PW = "root-secret-4242"
BOB_PW = "bob-secret-1234"
ADMIN_FORMS = ("accounts_add_name", "accounts_role_name", "accounts_reset_name")
ADD = "FormSubmitter:accounts_add_form-Add the account"
ROLE = "FormSubmitter:accounts_role_form-Change the role"
RESET = "FormSubmitter:accounts_reset_form-Reset the password"
OWN = "FormSubmitter:accounts_own_form-Change my password"
FIRST = "FormSubmitter:accounts_first_form-Create the admin account"


@pytest.fixture
def with_admin(tmp_path: Path) -> Project:
    project = Project.init(tmp_path / "accounts.duckdb")
    add_account(project, "root", ADMIN_PW, "admin")
    return project


def open_accounts(monkeypatch: pytest.MonkeyPatch, project: Project, who: str) -> AppTest:
    """The Accounts page, this session signed in as `who` (an account, or a coder
    registered without one)."""
    monkeypatch.setenv("QUALCODE_DB", str(project.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = who
    at.run()
    at.switch_page(PAGES["accounts"]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fill(at: AppTest, values: dict[str, str]) -> None:
    for key, value in values.items():
        at.text_input(key=key).set_value(value)


def submit(at: AppTest, button: str) -> AppTest:
    at.button(key=button).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def accounts(project: Project) -> list[tuple[str, str]]:
    return [(a["name"], a["role"]) for a in list_accounts(project)]


def errors(at: AppTest) -> list[str]:
    return [plain(str(e.value)) for e in at.error]


def text_keys(at: AppTest) -> set[str]:
    return {t.key for t in at.text_input} | {s.key for s in at.selectbox}


def passwords_kept(at: AppTest) -> list[str]:
    """Password fields whose typed value the session state still holds."""
    kept = []
    for key in at.session_state:
        if key.endswith(("_password", "_repeat", "_current")) and at.session_state[key]:
            kept.append(key)
    return kept


def add(at: AppTest, name: str, password: str, repeat: str, role: str = "coder") -> AppTest:
    fill(at, {"accounts_add_name": name, "accounts_add_password": password,
              "accounts_add_repeat": repeat})  # fmt: skip
    at.selectbox(key="accounts_add_role").set_value(role)
    return submit(at, ADD)


def test_admin_adds_an_account_and_sees_the_table(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    at = open_accounts(monkeypatch, with_admin, "root")
    table = at.dataframe[0].value
    assert list(table.columns) == ["Name", "Role", "Password", "Created"]
    assert table[["Name", "Role"]].values.tolist() == [["root", "admin"]]
    assert not any("scrypt" in str(v) for v in table.values.ravel())
    for key in ("accounts_add_password", "accounts_add_repeat", "accounts_own_current"):
        field = at.text_input(key=key)
        assert field.proto.type == field.proto.PASSWORD

    add(at, "bob", BOB_PW, BOB_PW)
    assert accounts(with_admin) == [("bob", "coder"), ("root", "admin")]
    assert verify(with_admin, "bob", BOB_PW) == "coder"
    assert "Added bob (coder)." in page_text(at)
    assert at.dataframe[0].value[["Name", "Role"]].values.tolist() == [
        ["bob", "coder"],
        ["root", "admin"],
    ]
    assert not passwords_kept(at)
    assert BOB_PW not in page_text(at) and not at.error


def test_mismatched_repeat_and_short_password_store_nothing(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    at = open_accounts(monkeypatch, with_admin, "root")
    add(at, "bob", BOB_PW, BOB_PW + "x")
    assert errors(at) == ["the two passwords differ: type the same one twice"]
    add(at, "bob", "short", "short")
    assert errors(at) == ["a password needs at least 10 characters"]
    assert not passwords_kept(at)
    assert accounts(with_admin) == [("root", "admin")]
    assert rows(with_admin, "SELECT count(*) FROM coders WHERE name = 'bob'") == [(0,)]
    assert rows(with_admin, "SELECT count(*) FROM action_log WHERE action = 'account.add'") == [
        (1,)  # the first admin, made by the fixture
    ]


def test_admin_changes_a_role_and_resets_a_password(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    at = open_accounts(monkeypatch, with_admin, "root")
    at.selectbox(key="accounts_role_name").set_value("bob")
    at.selectbox(key="accounts_role_role").set_value("supervisor")
    submit(at, ROLE)
    assert accounts(with_admin) == [("bob", "supervisor"), ("root", "admin")]
    assert "bob is now a supervisor." in page_text(at)

    at.selectbox(key="accounts_role_name").set_value("root")
    at.selectbox(key="accounts_role_role").set_value("coder")
    submit(at, ROLE)
    assert errors(at) == ["'root' is the last admin: make another admin first"]
    assert accounts(with_admin) == [("bob", "supervisor"), ("root", "admin")]

    assert at.selectbox(key="accounts_reset_name").options == ["bob"]  # not oneself
    at.selectbox(key="accounts_reset_name").set_value("bob")
    fill(at, {"accounts_reset_password": "reset-by-root-1",
              "accounts_reset_repeat": "reset-by-root-1"})  # fmt: skip
    submit(at, RESET)
    assert "Reset the password of bob" in page_text(at)
    assert verify(with_admin, "bob", "reset-by-root-1") == "supervisor"
    assert verify(with_admin, "bob", BOB_PW) is None


def test_a_coder_sees_no_admin_forms_and_changes_only_their_own_password(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    add_account(with_admin, "bob", BOB_PW, "coder", by="root")
    at = open_accounts(monkeypatch, with_admin, "bob")
    assert not set(ADMIN_FORMS) & text_keys(at)
    assert not at.dataframe
    assert "Only admins manage accounts" in page_text(at)

    own = {
        "accounts_own_current": "not-bobs-password",
        "accounts_own_password": "new-bob-pass-1",
        "accounts_own_repeat": "new-bob-pass-1",
    }
    fill(at, own)
    submit(at, OWN)
    assert errors(at) == ["wrong name or password"]
    assert verify(with_admin, "bob", BOB_PW) == "coder"

    fill(at, {**own, "accounts_own_current": BOB_PW})
    submit(at, OWN)
    assert "Changed your password." in page_text(at)
    assert verify(with_admin, "bob", "new-bob-pass-1") == "coder"
    assert verify(with_admin, "bob", BOB_PW) is None
    assert at.session_state[SESSION_KEY] == "bob"
    assert not passwords_kept(at)


def test_account_changes_are_logged_under_the_admin_without_passwords(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project
) -> None:
    at = open_accounts(monkeypatch, with_admin, "root")
    add(at, "bob", BOB_PW, BOB_PW)
    at.selectbox(key="accounts_role_name").set_value("bob")
    at.selectbox(key="accounts_role_role").set_value("supervisor")
    submit(at, ROLE)
    at.selectbox(key="accounts_reset_name").set_value("bob")
    fill(at, {"accounts_reset_password": "reset-by-root-1",
              "accounts_reset_repeat": "reset-by-root-1"})  # fmt: skip
    submit(at, RESET)
    fill(at, {"accounts_own_current": ADMIN_PW, "accounts_own_password": "root-new-pass-77",
              "accounts_own_repeat": "root-new-pass-77"})  # fmt: skip
    submit(at, OWN)
    assert verify(with_admin, "root", "root-new-pass-77") == "admin"

    logged = [
        (actor, action, json.loads(detail))
        for actor, action, detail in rows(
            with_admin, "SELECT actor, action, detail FROM action_log WHERE id > "
            "(SELECT min(id) FROM action_log) ORDER BY id"
        )
    ]  # fmt: skip
    assert logged == [
        ("root", "account.add", {"name": "bob", "role": "coder", "first": False}),
        ("root", "account.role", {"name": "bob", "from": "coder", "to": "supervisor"}),
        ("root", "account.password", {"name": "bob", "reset": True}),
        ("root", "account.password", {"name": "root", "reset": False}),
    ]
    everything = "\n".join(
        " ".join(str(v) for v in row) for row in rows(with_admin, "SELECT * FROM action_log")
    )
    for secret in (ADMIN_PW, BOB_PW, "reset-by-root-1", "root-new-pass-77"):
        assert secret not in everything
        assert rows(
            with_admin, "SELECT count(*) FROM action_log WHERE contains(detail, ?)", [secret]
        ) == [(0,)]


def test_first_admin_on_a_project_without_accounts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "local.duckdb")
    add_coder(project, "ana", "coder")
    at = open_accounts(monkeypatch, project, "ana")
    text = page_text(at)
    assert "no accounts yet" in text and "qualcode accounts add NAME --role admin" in text
    assert not set(ADMIN_FORMS) & text_keys(at)
    assert at.text_input(key="accounts_first_name").value == "ana"

    fill(at, {"accounts_first_password": "ana-secret-123", "accounts_first_repeat": "nope"})
    submit(at, FIRST)
    assert errors(at) == ["the two passwords differ: type the same one twice"]
    fill(at, {"accounts_first_password": "short", "accounts_first_repeat": "short"})
    submit(at, FIRST)
    assert errors(at) == ["a password needs at least 10 characters"]
    assert not accounts_exist(project)

    fill(at, {"accounts_first_password": "ana-secret-123",
              "accounts_first_repeat": "ana-secret-123"})  # fmt: skip
    submit(at, FIRST)
    assert accounts(project) == [("ana", "admin")]
    assert verify(project, "ana", "ana-secret-123") == "admin"
    assert at.session_state[SESSION_KEY] == "ana"  # her own name: still signed in
    assert "Created the admin account ana" in page_text(at)
    assert at.dataframe[0].value[["Name", "Role"]].values.tolist() == [["ana", "admin"]]
    assert {"accounts_add_name", "accounts_role_name"} <= text_keys(at)
    assert rows(
        project, "SELECT actor, action, detail FROM action_log WHERE action LIKE 'account.%'"
    ) == [("ana", "account.add", json.dumps({"name": "ana", "role": "admin", "first": True}))]


def test_first_admin_under_another_name_signs_in_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "local.duckdb")
    add_coder(project, "ana", "supervisor")
    at = open_accounts(monkeypatch, project, "ana")
    fill(at, {"accounts_first_name": "root", "accounts_first_password": ADMIN_PW,
              "accounts_first_repeat": ADMIN_PW})  # fmt: skip
    submit(at, FIRST)
    assert accounts(project) == [("root", "admin")]
    assert SESSION_KEY not in at.session_state
    assert [t for t in at.text_input if t.key == "account_password"]  # the sign-in form
    assert rows(project, "SELECT actor FROM action_log WHERE action = 'account.add'") == [("ana",)]


def test_nothing_of_the_project_shows_before_sign_in(
    monkeypatch: pytest.MonkeyPatch, with_admin: Project, tmp_path: Path
) -> None:
    """With accounts, the sign-in page and the sidebar show no counts and no file name
    until someone has signed in."""
    (tmp_path / "t.txt").write_text("YP1: I want to go to college.\n", encoding="utf-8")
    from qualcode.ingest import ingest_paths

    ingest_paths(with_admin, [tmp_path / "t.txt"])
    monkeypatch.setenv("QUALCODE_DB", str(with_admin.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = page_text(at) + "\n".join(str(e.value) for e in at.sidebar.get("caption"))
    assert "documents" not in shown and "accounts.duckdb" not in shown
    assert "Not signed in" in shown
    signed = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    signed.session_state[SESSION_KEY] = "root"
    signed.run()
    assert "1 documents" in page_text(signed)


def test_first_admin_is_offered_the_coders_and_their_one_time_passwords_work_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The coders registered before accounts get accounts in one step, each with a
    one-time password shown once; the holder's first sign-in asks for their own."""
    from qualcode.accounts import replace_one_time

    project = Project.init(tmp_path / "team.duckdb")
    for name, role in (("ana", "supervisor"), ("bo", "coder"), ("cy", "coder")):
        add_coder(project, name, role)
    at = open_accounts(monkeypatch, project, "ana")
    assert "next, this page offers to give each of them an account" in page_text(at)
    fill(at, {"accounts_first_password": "ana-secret-123",
              "accounts_first_repeat": "ana-secret-123"})  # fmt: skip
    submit(at, FIRST)
    assert "2 coder(s) registered before this project had accounts" in page_text(at)
    chooser = at.multiselect(key="accounts_coders_names")
    assert chooser.options == ["bo (coder)", "cy (coder)"] and chooser.value == ["bo", "cy"]
    submit(at, "FormSubmitter:accounts_coders_form-Create their accounts")
    shown = next(d.value for d in at.dataframe if "One-time password" in d.value.columns)
    given = dict(zip(shown["Name"], shown["One-time password"], strict=True))
    assert shown[["Name", "Role"]].values.tolist() == [["bo", "coder"], ["cy", "coder"]]
    assert "Shown this once" in page_text(at)
    assert not [m for m in at.multiselect if m.key == "accounts_coders_names"]
    assert at.dataframe[-1].value[["Name", "Role", "Password"]].values.tolist() == [
        ["ana", "admin", "their own"],
        ["bo", "coder", "one-time (not yet replaced)"],
        ["cy", "coder", "one-time (not yet replaced)"],
    ]
    at.run()  # any next run: the passwords are gone from the page
    assert not any("One-time password" in d.value.columns for d in at.dataframe)
    assert not any(p in page_text(at) for p in given.values())

    # bo signs in with his: asked to choose his own, then signed in
    cache.forget()
    signin = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    fill(signin, {"account_name": "bo", "account_password": given["bo"]})
    submit(signin, "FormSubmitter:password_form-Sign in")
    assert SESSION_KEY not in signin.session_state and not signin.error
    assert "is a one-time password: it only lets you choose your own" in page_text(signin)
    fill(signin, {"choose_one_time": given["bo"], "choose_password": "bo-own-pass-99",
                  "choose_repeat": "bo-own-pass-99"})  # fmt: skip
    submit(signin, "FormSubmitter:choose_password_form-Set my password and sign in")
    assert not signin.error, errors(signin)
    assert signin.session_state[SESSION_KEY] == "bo"
    assert verify(project, "bo", "bo-own-pass-99") == "coder"
    assert not passwords_kept(signin)
    with pytest.raises(QualcodeError, match="wrong name or password"):
        replace_one_time(project, "bo", given["bo"], "another-pass-123")  # it worked once
    everything = "\n".join(str(r) for r in rows(project, "SELECT * FROM action_log"))
    assert not any(p in everything for p in (*given.values(), "bo-own-pass-99"))


def test_registering_a_supervisor_without_accounts_needs_confirmation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = Project.init(tmp_path / "open.duckdb")
    monkeypatch.setenv("QUALCODE_DB", str(project.path))
    cache.forget()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not [c for c in at.checkbox if c.key == "register_supervisor_confirm"]  # a coder
    at.radio(key="register_role").set_value("supervisor").run()
    warning = "\n".join(plain(str(w.value)) for w in at.warning)
    assert "nobody needs a password" in warning and "sees every coder's decisions" in warning
    at.text_input(key="register_name").set_value("sam")
    submit(at, "FormSubmitter:register_form-Register and sign in")
    assert errors(at) == [
        "registering as a supervisor needs its confirmation: tick the box that says you "
        "understand what it means without accounts"
    ]
    assert SESSION_KEY not in at.session_state
    assert rows(project, "SELECT count(*) FROM coders") == [(0,)]
    at.text_input(key="register_name").set_value("sam")
    at.checkbox(key="register_supervisor_confirm").check()
    submit(at, "FormSubmitter:register_form-Register and sign in")
    assert at.session_state[SESSION_KEY] == "sam"
    assert rows(project, "SELECT name, role FROM coders") == [("sam", "supervisor")]
