"""Sign in: with accounts, name and password; without, choose who you are or register."""

from __future__ import annotations

import streamlit as st

from qualcode.accounts import MIN_PASSWORD, PasswordChangeRequired
from qualcode.errors import QualcodeError
from qualcode.status import project_status
from qualcode.store import Project
from qualcode.ui.common import PAGES, reporting, run_page
from qualcode.ui.identity import (
    APP_ROLES,
    SUPERVISOR_WITHOUT_ACCOUNTS,
    Identity,
    choose_password,
    coders,
    register,
    sign_in,
    sign_out,
    signed_in,
    uses_accounts,
)
from qualcode.ui.markup import md

# The name whose one-time password was just given: the next form asks for their own.
S_ONE_TIME = "signin_one_time_name"


def body(project: Project, _identity: object) -> None:
    st.title("Who is coding?")
    st.caption(
        "Everything you do in qualcode is recorded under your name. Coding is blind: "
        "on the Code page you see only your own decisions."
    )
    current = signed_in(project)
    if current is not None:
        st.success(md(f"Signed in as {current.name} ({current.role})."))
        left, right = st.columns(2)
        left.page_link(PAGES["code"], label="Start coding", icon=":material/checklist:")
        right.button("Sign out", key="signout", on_click=sign_out)
    if uses_accounts(project):
        if current is None and st.session_state.get(S_ONE_TIME):
            _choose_password_form(project, st.session_state[S_ONE_TIME])
        else:
            _password_form(project)
    else:
        _choose_or_register(project, current)
    if current is not None or not uses_accounts(project):  # nothing before sign-in
        status = project_status(project)
        st.caption(
            f"Project: {status['documents']} documents, {status['segments']} segments, "
            f"{status['codes']} codes, {status['codings']} codings."
        )


def _password_form(project: Project) -> None:
    """Name and password; a wrong pair is refused with one line (and logged)."""
    st.subheader("Sign in")
    with st.form("password_form", border=False, clear_on_submit=True):
        name = st.text_input("Name", key="account_name")
        password = st.text_input("Password", type="password", key="account_password")
        if st.form_submit_button("Sign in", type="primary"):
            with reporting():
                try:
                    sign_in(project, name, password)
                except PasswordChangeRequired as needed:
                    st.session_state[S_ONE_TIME] = needed.name
                st.rerun()
    st.caption("No account yet? Ask an admin to create one ('qualcode accounts add').")


def _choose_password_form(project: Project, name: str) -> None:
    """After a right one-time password: the holder chooses their own before anything
    else (the one-time password is typed again; it is never kept in the session)."""
    st.subheader("Choose your password")
    st.info(
        md(
            f"{name}, the password you were given is a one-time password: it only lets "
            "you choose your own. Type it again, then the password you want; nobody "
            "else, admins included, will know it."
        )
    )
    with st.form("choose_password_form", border=False, clear_on_submit=True):
        one_time = st.text_input("One-time password", type="password", key="choose_one_time")
        left, right = st.columns(2)
        password = left.text_input(
            "Your new password", type="password", key="choose_password",
            help=md(f"At least {MIN_PASSWORD} characters."),
        )  # fmt: skip
        repeat = right.text_input("Repeat it", type="password", key="choose_repeat")
        chosen = st.form_submit_button("Set my password and sign in", type="primary")
    if chosen:
        try:
            with reporting():
                if password != repeat:
                    raise QualcodeError("the two passwords differ: type the same one twice")
                choose_password(project, name, one_time, password)
                st.session_state.pop(S_ONE_TIME, None)
                st.rerun()
        finally:
            for key in ("choose_one_time", "choose_password", "choose_repeat"):
                st.session_state.pop(key, None)
    st.button(
        "Back to sign in", key="choose_back", on_click=st.session_state.pop, args=(S_ONE_TIME, None)
    )


def _choose_or_register(project: Project, current: Identity | None) -> None:
    known = coders(project)
    names = [c.name for c in known]
    roles = {c.name: c.role for c in known}
    st.subheader("I am")
    with st.form("signin_form", border=False):
        chosen = st.selectbox(
            "Coder",
            names,
            index=names.index(current.name) if current and current.name in names else None,
            format_func=lambda n: f"{n} ({roles[n]})",
            placeholder="Choose your name" if names else "No coders yet: register below",
            key="signin_name",
        )
        if st.form_submit_button("Sign in", type="primary", disabled=not names) and chosen:
            with reporting():
                sign_in(project, chosen)
                st.rerun()
    st.subheader("New coder")
    role = st.radio("Role", APP_ROLES, horizontal=True, key="register_role")
    with st.form("register_form", border=False):
        name = st.text_input("Name", key="register_name")
        confirmed = False
        if role == "supervisor":
            st.warning(md(SUPERVISOR_WITHOUT_ACCOUNTS))
            confirmed = st.checkbox(
                "I understand: register me as a supervisor", key="register_supervisor_confirm"
            )
        if st.form_submit_button("Register and sign in"):
            with reporting():
                register(project, name, role, confirmed=confirmed)
                st.rerun()


run_page(body, needs_coder=False)
