"""Accounts: admins create accounts, change roles and reset passwords; everyone with
an account changes their own password. A project without accounts can get its first
admin here; coders registered before it (who cannot sign in once there are accounts)
are offered to the admin to turn into accounts, each with a one-time password shown
here once.

The page only shows or hides forms: who may do what is enforced by `qualcode.accounts`
on the project bound to the signed-in person. Passwords are typed into password fields
of forms that clear on submit, and are never shown, logged or kept in the session; the
one exception, one-time passwords, are shown once, in the run that made them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from qualcode.access import ROLES
from qualcode.accounts import (
    MIN_PASSWORD,
    accounts_exist,
    add_account,
    add_accounts_for_coders,
    coders_without_accounts,
    list_accounts,
    set_password,
    set_role,
)
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import PAGES, reporting, run_page, show_success, success_next_run
from qualcode.ui.identity import Identity, sign_out
from qualcode.ui.markup import md

S_FLASH = "accounts_flash"
COLUMNS = {"name": "Name", "role": "Role", "password": "Password", "created_at": "Created"}
PASSWORD_STATES = {"own": "their own", "one-time": "one-time (not yet replaced)"}
DIFFER = "the two passwords differ: type the same one twice"


def _done(message: str) -> None:
    """After a change: the message for the next run, fresh sign-in lists, a rerun."""
    cache.forget()
    success_next_run(S_FLASH, message)


@contextmanager
def _forgetting(prefix: str) -> Iterator[None]:
    """Handle a submitted form, then drop its password fields from the session state
    (the form clears them in the browser; this clears them on the server), whether the
    change succeeded, failed or reruns the page."""
    try:
        yield
    finally:
        for field in ("current", "password", "repeat"):
            st.session_state.pop(f"{prefix}_{field}", None)


def _same(password: str, repeat: str) -> None:
    """Refuse a new password typed differently twice (before the library sees it)."""
    if password != repeat:
        raise QualcodeError(DIFFER)


def _new_password(prefix: str, label: str = "Password") -> tuple[str, str]:
    """A new password and its repeat, as password fields."""
    left, right = st.columns(2)
    password = left.text_input(
        label, type="password", key=f"{prefix}_password",
        help=md(f"At least {MIN_PASSWORD} characters."),
    )  # fmt: skip
    repeat = right.text_input("Repeat it", type="password", key=f"{prefix}_repeat")
    return password, repeat


def _table(found: list[dict[str, str]]) -> None:
    """The accounts: name, role and when created (never a hash)."""
    shown = [{**a, "password": PASSWORD_STATES[a["password"]]} for a in found]
    frame = pd.DataFrame(
        [{label: a[field] for field, label in COLUMNS.items()} for a in shown],
        columns=list(COLUMNS.values()),
    )
    st.dataframe(frame, hide_index=True)


def _add_form(project: Project, identity: Identity) -> None:
    st.subheader("Add an account")
    with st.form("accounts_add_form", clear_on_submit=True):
        name = st.text_input("Name", key="accounts_add_name")
        role = st.selectbox("Role", ROLES, index=0, key="accounts_add_role")
        password, repeat = _new_password("accounts_add")
        if st.form_submit_button("Add the account", type="primary"):
            with _forgetting("accounts_add"), reporting():
                _same(password, repeat)
                user = add_account(project, name, password, role, by=identity.name)
                _done(f"Added {user.name} ({user.role}).")


def _coders_form(project: Project, identity: Identity) -> None:
    """Coders registered without a password, who cannot sign in now that the project
    has accounts: the admin turns the chosen ones into accounts, each with a one-time
    password shown here once (the table replaces the form in the run that made them)."""
    pending = coders_without_accounts(project)
    if not pending:
        return
    roles = {c["name"]: c["role"] for c in pending}
    place = st.empty()
    with place.container():
        st.subheader("Coders without an account")
        st.warning(
            md(
                f"{len(pending)} coder(s) registered before this project had accounts "
                "cannot sign in until they have one. Each one you choose gets an account "
                "with their role and a one-time password, shown once here: give it to them "
                "in person; at their first sign-in they choose their own. To set a password "
                "yourself instead, use 'Add an account' below with the same name."
            )
        )
        with st.form("accounts_coders_form", border=False):
            names = st.multiselect(
                "Coders", list(roles), default=list(roles), key="accounts_coders_names",
                format_func=lambda n: f"{n} ({roles[n]})",
            )  # fmt: skip
            made = st.form_submit_button("Create their accounts", type="primary")
    if not made:
        return
    with reporting():
        passwords = add_accounts_for_coders(project, names, by=identity.name)
        cache.forget()
        place.empty()
        with place.container():
            st.subheader("One-time passwords")
            st.warning(
                "Shown this once: copy them now and give each person theirs in person. "
                "Each works only to choose their own password at their first sign-in; "
                "if one is lost, reset that person's password below."
            )
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Name": n, "Role": roles[n], "One-time password": p}
                        for n, p in passwords.items()
                    ]
                ),
                hide_index=True,
            )


def _role_form(
    project: Project, identity: Identity, names: list[str], roles: dict[str, str]
) -> None:
    st.subheader("Change a role")
    with st.form("accounts_role_form", clear_on_submit=True):
        left, right = st.columns(2)
        name = left.selectbox(
            "Account", names, index=None, key="accounts_role_name",
            format_func=lambda n: f"{n} ({roles[n]})", placeholder="Choose an account",
        )  # fmt: skip
        role = right.selectbox("New role", ROLES, index=None, key="accounts_role_role")
        if st.form_submit_button("Change the role"):
            with reporting():
                if not name or not role:
                    raise QualcodeError("choose an account and its new role")
                set_role(project, name, role, by=identity.name)
                _done(f"{name} is now a {role}.")


def _reset_form(project: Project, identity: Identity, names: list[str]) -> None:
    st.subheader("Reset a password")
    if not names:
        st.caption("No other accounts yet (change your own password below).")
        return
    with st.form("accounts_reset_form", clear_on_submit=True):
        name = st.selectbox(
            "Account", names, index=None, key="accounts_reset_name",
            placeholder="Choose an account",
        )  # fmt: skip
        password, repeat = _new_password("accounts_reset", "New password")
        if st.form_submit_button("Reset the password"):
            with _forgetting("accounts_reset"), reporting():
                if not name:
                    raise QualcodeError("choose the account to reset")
                _same(password, repeat)
                set_password(project, name, password, by=identity.name)
                _done(f"Reset the password of {name}: tell them the new one in person.")


def _own_form(project: Project, identity: Identity) -> None:
    st.subheader("Your password")
    with st.form("accounts_own_form", clear_on_submit=True):
        current = st.text_input("Current password", type="password", key="accounts_own_current")
        password, repeat = _new_password("accounts_own", "New password")
        if st.form_submit_button("Change my password"):
            with _forgetting("accounts_own"), reporting():
                _same(password, repeat)
                set_password(project, identity.name, password, current=current)
                _done("Changed your password.")


def _first_admin(project: Project, identity: Identity) -> None:
    """A project without accounts: anyone signed in may create the first, an admin."""
    st.info(
        "This project has no accounts yet: anyone who opens the app chooses who they are, "
        "without a password. The first account must be an admin, created here or with "
        "`qualcode accounts add NAME --role admin`. From then on signing in needs a "
        "password, and only admins create accounts."
    )
    st.subheader("Create the first admin")
    st.caption(
        md(
            f"Under your own name ({identity.name}) you stay signed in; under another "
            "name you sign in again with it. Coders registered without a password cannot "
            "sign in once there are accounts: next, this page offers to give each of them "
            "an account with a one-time password."
        )
    )
    with st.form("accounts_first_form", clear_on_submit=True):
        name = st.text_input("Name", value=identity.name, key="accounts_first_name")
        password, repeat = _new_password("accounts_first")
        if st.form_submit_button("Create the admin account", type="primary"):
            with _forgetting("accounts_first"), reporting():
                _same(password, repeat)
                user = add_account(project, name, password, "admin")
                cache.forget()
                if user.name != identity.name:
                    sign_out()
                    st.switch_page(PAGES["signin"])
                _done(f"Created the admin account {user.name}: sign-in now needs a password.")


def body(project: Project, identity: Identity) -> None:
    st.title("Accounts")
    show_success(S_FLASH)
    if not accounts_exist(project):
        _first_admin(project, identity)
        return
    if identity.role == "admin":
        _coders_form(project, identity)
    found = list_accounts(project)
    if identity.role == "admin":
        _table(found)
        names = [a["name"] for a in found]
        roles = {a["name"]: a["role"] for a in found}
        _add_form(project, identity)
        _role_form(project, identity, names, roles)
        _reset_form(project, identity, [n for n in names if n != identity.name])
    else:
        st.caption("Only admins manage accounts: ask one to add a person or change a role.")
    _own_form(project, identity)


run_page(body)
