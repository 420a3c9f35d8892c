"""The project's coders and their roles."""

from __future__ import annotations

from qualcode.access import ROLES, check_not_reserved, recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.errors import NextStep, QualcodeError
from qualcode.store import Project


def add_coder(project: Project, name: str, role: str = "coder", actor: str = "cli") -> None:
    """Register a coder, or change the role of a registered one (a role other than
    coder, or any change of role, is a supervisor's or admin's to give)."""
    name = name.strip()
    if not name:
        raise QualcodeError("a coder needs a name")
    check_not_reserved(name)
    if role not in ROLES:
        raise QualcodeError(f"role must be one of {', '.join(ROLES)}")
    actor = recorded_as(project, actor)
    with project.connect(read_only=True) as con:
        current = con.execute("SELECT role FROM coders WHERE name = ?", [name]).fetchone()
    if role != "coder" or (current is not None and current[0] != role):
        require_supervisor(project, "give a coder a role")
    with project.transaction() as con:
        held = con.execute(
            "SELECT password_hash IS NOT NULL FROM coders WHERE name = ?", [name]
        ).fetchone()
        if held and held[0]:
            raise QualcodeError(
                f"'{name}' has an account: only an admin changes its role",
                next_step=NextStep.SET_ROLE,
            )
        if (
            role == "admin"
            and con.execute(
                "SELECT 1 FROM coders WHERE password_hash IS NOT NULL LIMIT 1"
            ).fetchone()
        ):
            raise QualcodeError("with accounts in use, admins are made through accounts only")
        con.execute(
            "INSERT INTO coders (name, role) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET role = excluded.role",
            [name, role],
        )
        log_action(con, actor, "coder.add", {"name": name, "role": role})


def list_coders(project: Project) -> list[dict[str, str]]:
    with project.connect(read_only=True) as con:
        return [
            {"name": name, "role": role}
            for name, role in con.execute("SELECT name, role FROM coders ORDER BY name").fetchall()
        ]
