"""Sign in: with accounts, name and password; without, choose who you are or register."""

from __future__ import annotations

import streamlit as st

from qualcode.status import project_status
from qualcode.store import Project
from qualcode.ui.common import PAGES, reporting, run_page
from qualcode.ui.identity import (
    APP_ROLES,
    Identity,
    coders,
    register,
    sign_in,
    sign_out,
    signed_in,
    uses_accounts,
)
from qualcode.ui.markup import md


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
                sign_in(project, name, password)
                st.rerun()
    st.caption("No account yet? Ask an admin to create one ('qualcode accounts add').")


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
    with st.form("register_form", border=False):
        name = st.text_input("Name", key="register_name")
        role = st.radio("Role", APP_ROLES, horizontal=True, key="register_role")
        if st.form_submit_button("Register and sign in"):
            with reporting():
                register(project, name, role)
                st.rerun()


run_page(body, needs_coder=False)
