"""Who may see and change what: the rules, checked in the library call path.

A `Project` opened from a path acts for whoever holds the file (the CLI, a
notebook): the file is the boundary, since anyone who can read it can read all
of it. A project bound to a person with `project.as_user(name)` acts for that
person only, and the library functions that read or write decisions check it
here, whatever a front end shows or hides (the app binds every page to the
signed-in account):

- a **coder** sees and changes only their own decisions: their own layer
  (`coder:NAME`), reviews, memos and undo, and their own entries of the audit
  trail; the quotes pinned and matrix summaries written on that layer; and the
  themes they created;
- a **supervisor** also sees every coder's layer, all coders together and the
  consensus layer, the agreement report and the disagreements, and settles them
  (writes the consensus layer); supervisors manage the codebook, reliability
  samples and project exchange;
- an **admin** can do all of that and manage accounts (`accounts.py`).

Nobody changes another coder's decisions: adjudication writes the consensus
layer, never a coder's own. Every coding event records who wrote it
(`recorded_by`) beside whose layer it is in (`coder`). Imports (a coders' CSV, a
.qdpx) never write under the reserved names (`consensus`, `model`); in anyone
else's name only an admin imports (or the file's holder), recorded as the
importer. A coder's undo takes back only what they recorded themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from qualcode.errors import QualcodeError
from qualcode.store import Project

ROLES = ("coder", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
"""Roles that see every layer, agreement and adjudication."""
CONSENSUS_CODER = "consensus"
"""The layer settled disagreements are written to (not a person)."""
MODEL_CODER = "model"
"""The suggestion model, as a coder in agreement reports (not a person)."""
RESERVED = (CONSENSUS_CODER, MODEL_CODER)


def check_not_reserved(name: str) -> None:
    """Refuse a person's name that is one of qualcode's own layers (`RESERVED`)."""
    if name in RESERVED:
        raise QualcodeError(f"'{name}' is reserved for qualcode's own layer")


def role_of(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A registered person's role; QualcodeError for a name the project does not know."""
    row = con.execute("SELECT role FROM coders WHERE name = ?", [name]).fetchone()
    if row is None:
        raise QualcodeError(f"'{name}' is not registered on this project")
    return row[0]


def supervises(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a registered person is a supervisor or an admin."""
    return role_of(con, name) in SUPERVISOR_ROLES


def require_roles(
    con: duckdb.DuckDBPyConnection, name: str, roles: tuple[str, ...], what: str
) -> None:
    """Refuse unless `name` has one of `roles`; `what` says what was refused."""
    role = role_of(con, name)
    if role not in roles:
        raise QualcodeError(f"'{name}' is a {role}: only a {' or '.join(roles)} can {what}")


def require_supervisor(project: Project, what: str) -> None:
    """For a bound project, refuse unless its person supervises; the file's holder may."""
    if project.user is None:
        return
    with project.connect(read_only=True) as con:
        require_roles(con, project.user, SUPERVISOR_ROLES, what)


def acting_as(project: Project, name: str) -> str:
    """The person an action is recorded under: for a bound project it must be its
    person (nobody acts in another's name); otherwise `name`."""
    if project.user is not None and name != project.user:
        raise QualcodeError(f"signed in as '{project.user}': cannot act as '{name}'")
    return name


def recorded_as(project: Project, default: str) -> str:
    """Who an action is logged under: the bound person, else `default` ("cli", "app")."""
    return project.user if project.user is not None else default


def check_read_coder(con: duckdb.DuckDBPyConnection, user: str | None, coder: str) -> None:
    """Refuse a coder reading another coder's decisions (supervisors may)."""
    if user is None or coder == user:
        return
    require_roles(con, user, SUPERVISOR_ROLES, f"see {coder}'s decisions")


def readable_coder(
    con: duckdb.DuckDBPyConnection, user: str | None, coder: str | None
) -> str | None:
    """Whose decisions a read covers: `coder` when asked for (refused if `user` may not
    read them); when nobody is asked for, `user` alone for a coder, or None (everyone)
    for a supervisor, an admin or the file's holder."""
    if coder is not None:
        check_read_coder(con, user, coder)
        return coder
    if user is None or supervises(con, user):
        return None
    return user


def check_write_coders(
    con: duckdb.DuckDBPyConnection, user: str | None, coders: Iterable[str]
) -> None:
    """Refuse writing decisions under anyone but the bound person, except the consensus
    layer, which supervisors write (settling disagreements)."""
    if user is None:
        return
    for coder in sorted(set(coders)):
        if coder == user:
            continue
        if coder == CONSENSUS_CODER:
            require_roles(con, user, SUPERVISOR_ROLES, "write the consensus layer")
            continue
        raise QualcodeError(f"signed in as '{user}': cannot change {coder}'s decisions")


def check_import_coders(
    con: duckdb.DuckDBPyConnection, user: str | None, coders: Iterable[str]
) -> None:
    """Refuse an import that writes under a reserved name (for anyone), or, for a project
    bound to a person, under anyone's name but theirs unless they are an admin: an import
    adds to coders' own layers, which nobody else may write (a supervisor settles
    disagreements in the consensus layer instead)."""
    names = sorted(set(coders))
    for name in names:
        check_not_reserved(name)
    others = [name for name in names if name != user]
    if user is None or not others:
        return
    role = role_of(con, user)
    if role != "admin":
        raise QualcodeError(
            f"'{user}' is a {role}: only an admin can import decisions in others' names "
            f"('{others[0]}')"
        )


def check_layer(con: duckdb.DuckDBPyConnection, user: str | None, layer_name: str) -> None:
    """Refuse a layer the bound person may not see: a coder sees `coder:<self>` only."""
    if user is None or layer_name == f"coder:{user}":
        return
    role = role_of(con, user)
    if role not in SUPERVISOR_ROLES:
        raise QualcodeError(
            f"'{user}' is a {role}: a coder sees only their own layer (coder:{user}), "
            f"not '{layer_name}'"
        )


def check_write_layer(con: duckdb.DuckDBPyConnection, user: str | None, layer_name: str) -> None:
    """Refuse writing analysis (pinned quotes, matrix summaries) on a layer that is not
    the bound person's to write on: a coder writes on `coder:<self>` only; supervisors
    and admins also on `consensus` and `all`; nobody on another coder's layer."""
    if user is None or layer_name == f"coder:{user}":
        return
    check_layer(con, user, layer_name)  # a coder: refused as for reading
    if layer_name.startswith("coder:"):
        raise QualcodeError(
            f"signed in as '{user}': {layer_name} is another coder's layer; write on "
            f"coder:{user}, consensus or all"
        )


def visible_layers(project: Project, coder_names: Iterable[str]) -> list[str]:
    """The layers the bound person may look at, their own first: a coder only
    `coder:<self>`; a supervisor or admin also `all`, `consensus` and every coder's.
    An unbound project (the file's holder) sees `all`, `consensus` and every coder's."""
    names = [n for n in coder_names if n != CONSENSUS_CODER]
    if project.user is None:
        return ["all", CONSENSUS_CODER, *(f"coder:{n}" for n in names)]
    own = f"coder:{project.user}"
    with project.connect(read_only=True) as con:
        if not supervises(con, project.user):
            return [own]
    return [own, "all", CONSENSUS_CODER, *(f"coder:{n}" for n in names if n != project.user)]
