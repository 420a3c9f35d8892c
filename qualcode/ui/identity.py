"""Who is coding: the one place the app decides a session's identity.

Without password accounts a coder chooses (or registers) a name, kept in the
session. Once the project has accounts (`qualcode accounts add`), signing in
needs the account's password, only accounts can be signed in as, and nobody can
register from the app. The role is read from the project on every run, so a role
changed with the CLI applies at once; what a role may do is enforced by the
library, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from qualcode import accounts
from qualcode.access import RESERVED, SUPERVISOR_ROLES
from qualcode.coders import add_coder
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.ui import cache

SESSION_KEY = "qualcode_coder"
APP_ROLES = ("coder", "supervisor")
"""Roles a person may give themselves when registering in the app."""


@dataclass(frozen=True)
class Identity:
    """A signed-in coder."""

    name: str
    role: str

    @property
    def supervises(self) -> bool:
        return self.role in SUPERVISOR_ROLES


def uses_accounts(project: Project) -> bool:
    """Whether signing in needs a password (the project has accounts)."""
    return accounts.accounts_exist(project)


def coders(project: Project) -> list[Identity]:
    """Registered coders one can sign in as (not qualcode's own layers); once the
    project has accounts, only coders with an account."""
    with_password = accounts.list_accounts(project)
    if with_password:
        return [Identity(a["name"], a["role"]) for a in with_password]
    return [
        Identity(c["name"], c["role"])
        for c in cache.coder_list(str(project.path))
        if c["name"] not in RESERVED
    ]


def signed_in(project: Project) -> Identity | None:
    """This session's coder, with the role the project gives them now."""
    name = st.session_state.get(SESSION_KEY)
    if not name:
        return None
    found = next((c for c in coders(project) if c.name == name), None)
    if found is None:
        st.session_state.pop(SESSION_KEY, None)
    return found


def _client() -> str | None:
    """The caller's address, None (or a stand-in) where no browser is behind it."""
    client = st.context.ip_address
    return client if isinstance(client, str) else None


def sign_in(project: Project, name: str, password: str | None = None) -> Identity:
    """Sign this session in as a registered coder; with accounts, the password must
    be right (a wrong one raises QualcodeError and is logged; a one-time one raises
    `accounts.PasswordChangeRequired`: see `choose_password`)."""
    if uses_accounts(project):
        user = accounts.sign_in(project, name, password or "", client=_client())
        st.session_state[SESSION_KEY] = user.name
        return Identity(user.name, user.role)
    found = next((c for c in coders(project) if c.name == name), None)
    if found is None:
        raise QualcodeError(f"no coder named '{name}'")
    st.session_state[SESSION_KEY] = found.name
    return found


def choose_password(project: Project, name: str, one_time: str, password: str) -> Identity:
    """Replace a one-time password with one's own, and sign this session in."""
    user = accounts.replace_one_time(project, name, one_time, password, client=_client())
    st.session_state[SESSION_KEY] = user.name
    return Identity(user.name, user.role)


SUPERVISOR_WITHOUT_ACCOUNTS = (
    "This project has no accounts, so nobody needs a password: anyone who opens the app "
    "can register, or choose any name, a supervisor's too. A supervisor sees every "
    "coder's decisions (coding is no longer blind for them), settles disagreements and "
    "changes the codebook. To keep that to the right people, an admin creates accounts "
    "on the Accounts page."
)
"""What registering as a supervisor means while the project has no accounts."""


def register(project: Project, name: str, role: str, confirmed: bool = False) -> Identity:
    """Register a new coder and sign in as them; an existing name is refused, and so is
    a supervisor without `confirmed` (see `SUPERVISOR_WITHOUT_ACCOUNTS`)."""
    if uses_accounts(project):
        raise QualcodeError("this project has accounts: ask an admin to create yours")
    name = name.strip()
    if role not in APP_ROLES:
        raise QualcodeError(f"role must be one of {', '.join(APP_ROLES)}")
    if role == "supervisor" and not confirmed:
        raise QualcodeError(
            "registering as a supervisor needs its confirmation: tick the box that says "
            "you understand what it means without accounts"
        )
    if any(c.name == name for c in coders(project)):
        raise QualcodeError(f"'{name}' is registered already: choose the name above")
    add_coder(project, name, role, actor=name or "app")
    cache.forget()
    return sign_in(project, name)


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)


def require_identity(project: Project, sign_in_page: str) -> Identity:
    """The signed-in coder, or stop the page with a way to sign in."""
    identity = signed_in(project)
    if identity is None:
        st.info("Choose who you are first: everything you do is recorded under your name.")
        st.page_link(sign_in_page, label="Sign in", icon=":material/login:")
        st.stop()
    return identity
