"""Creating, editing and reading themes; every change is logged with who made it.

Themes are edited in place (they are analytic objects, not coding decisions); the
action log keeps each change with the values before it, so the history of a theme
can be read back from `action_log`.

Anyone on the project may create a theme. For a project bound to a person
(`Project.as_user`), a coder changes, deletes, regroups or nests under only the
themes they created themselves; supervisors and admins change any theme.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from qualcode.access import SUPERVISOR_ROLES, recorded_as, require_roles
from qualcode.audit import log_action
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes.model import EDITABLE, ORIGINS, STATUSES, Theme, descendants

_COLUMNS = (
    "id, name, definition, central_concept, status, memo, parent, origin, "
    "framework_group, created_by"
)


def read_themes(con: duckdb.DuckDBPyConnection) -> list[Theme]:
    """Every theme with its own codes (codebook order) and subtheme ids, by id."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM themes ORDER BY id").fetchall()
    names = [c.strip() for c in _COLUMNS.split(",")]
    themes = [Theme(**dict(zip(names, row, strict=True))) for row in rows]
    members = con.execute(
        "SELECT tc.theme_id, tc.code_id FROM theme_codes tc LEFT JOIN codes c "
        "ON c.id = tc.code_id AND c.codebook_version = (SELECT max(version) FROM "
        "codebook_versions) ORDER BY tc.theme_id, c.ordinal NULLS LAST, tc.code_id"
    ).fetchall()
    by_id = {t.id: t for t in themes}
    for theme_id, code_id in members:
        if theme_id in by_id:
            by_id[theme_id].codes.append(code_id)
    for theme in themes:
        if theme.parent in by_id:
            by_id[theme.parent].subthemes.append(theme.id)
    return themes


def list_themes(project: Project) -> list[Theme]:
    """Every theme of the project, by id."""
    with project.connect(read_only=True) as con:
        return read_themes(con)


def find_theme(themes: list[Theme], ref: int | str) -> Theme:
    """A theme by id or by name (case-insensitive); QualcodeError if none."""
    text = str(ref).strip()
    for theme in themes:
        if str(theme.id) == text or theme.name.lower() == text.lower():
            return theme
    raise QualcodeError(f"no theme '{ref}'")


def get_theme(project: Project, ref: int | str) -> Theme:
    """One theme by id or name."""
    return find_theme(list_themes(project), ref)


def _check_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise QualcodeError("a change to a theme needs who made it")
    return actor.strip()


def _check_name(con: duckdb.DuckDBPyConnection, name: str, own_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise QualcodeError("a theme needs a name")
    clash = con.execute(
        "SELECT id FROM themes WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ?",
        [name, own_id],
    ).fetchone()
    if clash:
        raise QualcodeError(f"a theme named '{name}' already exists (theme {clash[0]})")
    return name


def check_owner(con: duckdb.DuckDBPyConnection, user: str | None, theme: Theme,
                doing: str = "change") -> None:  # fmt: skip
    """Refuse a coder changing a theme someone else created (supervisors and admins may;
    so may the file's holder, `user` None)."""
    if user is None or theme.created_by == user:
        return
    require_roles(
        con,
        user,
        SUPERVISOR_ROLES,
        f"{doing} theme '{theme.name}', which {theme.created_by} created",
    )


def _check_parent(
    con: duckdb.DuckDBPyConnection, parent: int | None, own_id: int | None, user: str | None
) -> None:
    if parent is None:
        return
    themes = read_themes(con)
    if parent not in {t.id for t in themes}:
        raise QualcodeError(f"no theme {parent} to be the parent")
    check_owner(con, user, find_theme(themes, parent), "add a subtheme to")
    if own_id is not None and (parent == own_id or parent in descendants(themes, own_id)):
        raise QualcodeError("a theme cannot be its own parent or a subtheme of its subtheme")


def check_codes(
    con: duckdb.DuckDBPyConnection, codes: Iterable[str], retired_allowed: Iterable[str] = ()
) -> list[str]:
    """Codes as given, each a codable, active code of the current codebook (or a
    retired one among `retired_allowed`: a framework theme keeps a retired code that
    has codings)."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    allowed = set(retired_allowed)
    found = {
        row[0]: (row[1], row[2])
        for row in con.execute(
            "SELECT id, codable, retired FROM codes WHERE codebook_version = "
            "(SELECT max(version) FROM codebook_versions)"
        ).fetchall()
    }
    for code in wanted:
        if code not in found:
            raise QualcodeError(f"no code '{code}' in the current codebook")
        codable, retired = found[code]
        if not codable:
            raise QualcodeError(f"'{code}' is a group, not a codable code")
        if retired and code not in allowed:
            raise QualcodeError(f"'{code}' is retired from the codebook")
    return wanted


def insert_theme(
    con: duckdb.DuckDBPyConnection,
    name: str,
    actor: str,
    *,
    definition: str = "",
    central_concept: str = "",
    status: str = "candidate",
    memo: str = "",
    parent: int | None = None,
    codes: Iterable[str] = (),
    origin: str = "manual",
    framework_group: str | None = None,
    retired_allowed: Iterable[str] = (),
    user: str | None = None,
) -> int:
    """Insert a theme inside the caller's transaction; return its id (`retired_allowed`:
    retired codes it may hold, see `check_codes`). `user`: the bound person
    (`Project.user`), who may nest it only under a theme they may change."""
    actor = _check_actor(actor)
    name = _check_name(con, name, None)
    if status not in STATUSES:
        raise QualcodeError(f"status must be one of {', '.join(STATUSES)}")
    if origin not in ORIGINS:
        raise QualcodeError(f"origin must be one of {', '.join(ORIGINS)}")
    _check_parent(con, parent, None, user)
    members = check_codes(con, codes, retired_allowed)
    theme_id = con.execute(
        "INSERT INTO themes (name, definition, central_concept, status, memo, parent, origin, "
        "framework_group, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            name,
            definition or "",
            central_concept or "",
            status,
            memo or "",
            parent,
            origin,
            framework_group,
            actor,
        ],
    ).fetchone()[0]
    if members:
        con.executemany(
            "INSERT INTO theme_codes (theme_id, code_id, added_by) VALUES (?, ?, ?)",
            [[theme_id, code, actor] for code in members],
        )
    log_action(
        con,
        actor,
        "theme.create",
        {
            "id": theme_id,
            "name": name,
            "status": status,
            "parent": parent,
            "origin": origin,
            "definition": definition,
            "central_concept": central_concept,
            "codes": members,
        },
    )
    return theme_id


def create_theme(project: Project, name: str, actor: str, **fields: Any) -> Theme:
    """Create a theme (fields: definition, central_concept, status, memo, parent, codes)."""
    with project.transaction() as con:
        theme_id = insert_theme(con, name, recorded_as(project, actor), **fields, user=project.user)
        return find_theme(read_themes(con), theme_id)


def update_theme(project: Project, ref: int | str, actor: str, **changes: Any) -> Theme:
    """Change a theme's name, definition, central_concept, status, memo or parent."""
    actor = _check_actor(recorded_as(project, actor))
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise QualcodeError(f"cannot edit '{unknown[0]}' (editable: {', '.join(EDITABLE)})")
    with project.transaction() as con:
        theme = find_theme(read_themes(con), ref)
        check_owner(con, project.user, theme)
        if "name" in changes:
            changes["name"] = _check_name(con, changes["name"], theme.id)
        if "status" in changes and changes["status"] not in STATUSES:
            raise QualcodeError(f"status must be one of {', '.join(STATUSES)}")
        if "parent" in changes:
            _check_parent(con, changes["parent"], theme.id, project.user)
        for key in ("definition", "central_concept", "memo"):
            if key in changes:
                changes[key] = changes[key] or ""
        before = {key: getattr(theme, key) for key in changes}
        if changes and before != changes:
            assignments = ", ".join(f"{key} = ?" for key in changes)
            con.execute(
                f"UPDATE themes SET {assignments}, updated_at = current_timestamp WHERE id = ?",
                [*changes.values(), theme.id],
            )
            log_action(
                con, actor, "theme.update", {"id": theme.id, "before": before, "after": changes}
            )
        return find_theme(read_themes(con), theme.id)


def delete_theme(project: Project, ref: int | str, actor: str) -> None:
    """Delete a theme without subthemes, with its code links and pinned quotes."""
    actor = _check_actor(recorded_as(project, actor))
    with project.transaction() as con:
        theme = find_theme(read_themes(con), ref)
        check_owner(con, project.user, theme, "delete")
        if theme.subthemes:
            raise QualcodeError(f"theme '{theme.name}' has subthemes: move or delete them first")
        con.execute("DELETE FROM theme_codes WHERE theme_id = ?", [theme.id])
        con.execute(
            "DELETE FROM pinned_quotes WHERE target_type = 'theme' AND target_id = ?",
            [str(theme.id)],
        )
        con.execute("DELETE FROM themes WHERE id = ?", [theme.id])
        log_action(con, actor, "theme.delete", theme.to_json())


def add_codes(project: Project, ref: int | str, codes: Iterable[str], actor: str) -> Theme:
    """Add codes to a theme (codes it already has are left as they are)."""
    actor = _check_actor(recorded_as(project, actor))
    with project.transaction() as con:
        theme = find_theme(read_themes(con), ref)
        check_owner(con, project.user, theme)
        new = [c for c in check_codes(con, codes) if c not in theme.codes]
        if new:
            con.executemany(
                "INSERT INTO theme_codes (theme_id, code_id, added_by) VALUES (?, ?, ?)",
                [[theme.id, code, actor] for code in new],
            )
            log_action(con, actor, "theme.codes.add", {"id": theme.id, "codes": new})
        return find_theme(read_themes(con), theme.id)


def remove_codes(project: Project, ref: int | str, codes: Iterable[str], actor: str) -> Theme:
    """Remove codes from a theme; naming a code it does not have is an error."""
    actor = _check_actor(recorded_as(project, actor))
    with project.transaction() as con:
        theme = find_theme(read_themes(con), ref)
        check_owner(con, project.user, theme)
        gone = list(dict.fromkeys(c.strip() for c in codes))
        missing = [c for c in gone if c not in theme.codes]
        if missing:
            raise QualcodeError(f"theme '{theme.name}' has no code '{missing[0]}'")
        if gone:
            con.execute(
                "DELETE FROM theme_codes WHERE theme_id = ? AND list_contains(?, code_id)",
                [theme.id, gone],
            )
            log_action(con, actor, "theme.codes.remove", {"id": theme.id, "codes": gone})
        return find_theme(read_themes(con), theme.id)
