"""Password accounts: a coder with a password hash, and a role (coder, supervisor, admin).

The first account must be an admin and needs nobody's permission; after that only
an admin may create accounts, change roles or reset another person's password.
Every rule is enforced here, in the library, so no front end can skip it.

Passwords are hashed with scrypt (memory-hard) and a random salt, stored as
`scrypt$n$r$p$salt_hex$hash_hex`, and compared in constant time. Passwords are
never logged; account changes and every sign-in attempt are, by name only.

A one-time password (made by an admin for someone, shown to the admin once) is
stored with the prefix `once$` before its hash. It signs nobody in: `sign_in`
with it raises `PasswordChangeRequired`, and its only use is as the `current`
password of `set_password`, which replaces it with the holder's own. So it works
once, and its holder must choose a password at their first sign-in.

Coders registered before the project had accounts (`coders.add_coder`) cannot sign
in once it has some: `add_accounts_for_coders` gives them accounts, each with a
one-time password, in one step.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from qualcode.access import RESERVED, ROLES, acting_as, check_not_reserved
from qualcode.audit import log_action
from qualcode.errors import ArgumentError, NextStep, QualcodeError
from qualcode.store import Project

MIN_PASSWORD = 10
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
WRONG = "wrong name or password"
ONE_TIME = "once$"
"""Prefix of a stored hash that marks a one-time password (see the module docstring)."""
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Letters and digits of one-time passwords: none that read alike (l 1, o 0, i)."""


class PasswordChangeRequired(QualcodeError):
    """The right one-time password: its holder must choose their own before signing in."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"'{name}' has a one-time password: it signs nobody in until its holder "
            "chooses their own",
            next_step=NextStep.CHOOSE_PASSWORD,
        )
        self.name = name


@dataclass(frozen=True)
class User:
    """A signed-in account."""

    name: str
    role: str


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * n * 2 + 1024 * 1024,
        dklen=KEY_BYTES,
    )


def hash_password(password: str, one_time: bool = False) -> str:
    """`scrypt$n$r$p$salt_hex$hash_hex` for a password, with a fresh random salt;
    prefixed with `ONE_TIME` for a one-time password."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    hashed = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"
    return ONE_TIME + hashed if one_time else hashed


def is_one_time(stored: str) -> bool:
    """Whether a stored hash is a one-time password's."""
    return stored.startswith(ONE_TIME)


def one_time_password() -> str:
    """A fresh one-time password: 12 random characters of `ONE_TIME_ALPHABET` in three
    groups (about 59 bits), easy to read out and type."""
    chars = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches a stored hash (one-time or not); a malformed hash
    never matches."""
    try:
        scheme, n, r, p, salt_hex, key_hex = stored.removeprefix(ONE_TIME).split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(key_hex)
        key = _scrypt(password, bytes.fromhex(salt_hex), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(key, expected)


_DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * SALT_BYTES}${'00' * KEY_BYTES}"


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise QualcodeError(f"a password needs at least {MIN_PASSWORD} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise QualcodeError(f"role must be one of {', '.join(ROLES)}")


def _account(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str] | None:
    """(role, password_hash) of an account, or None for a name without one."""
    row = con.execute(
        "SELECT role, password_hash FROM coders WHERE name = ? AND password_hash IS NOT NULL",
        [name],
    ).fetchone()
    return (row[0], row[1]) if row else None


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM coders WHERE password_hash IS NOT NULL").fetchone()[0]


def _require_admin(con: duckdb.DuckDBPyConnection, by: str | None, what: str) -> None:
    found = _account(con, by) if by else None
    if found is None or found[0] != "admin":
        raise QualcodeError(f"only an admin can {what}" + (f" ('{by}' is not one)" if by else ""))


def _by(project: Project, by: str | None) -> str | None:
    """Who is acting: a project bound to a person acts as that person only."""
    if project.user is None:
        return by
    return acting_as(project, by or project.user)


def accounts_exist(project: Project) -> bool:
    """Whether anyone has a password account on this project."""
    with project.connect(read_only=True) as con:
        return _count(con) > 0


def list_accounts(project: Project) -> list[dict[str, str]]:
    """Accounts (name, role, created, password: "own" or "one-time" while its holder
    has not chosen one), never their hashes."""
    with project.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT name, role, created_at, starts_with(password_hash, ?) FROM coders "
            "WHERE password_hash IS NOT NULL ORDER BY name",
            [ONE_TIME],
        ).fetchall()
    return [
        {
            "name": name,
            "role": role,
            "created_at": created.isoformat(sep=" "),
            "password": "one-time" if once else "own",
        }
        for name, role, created, once in rows
    ]


def coders_without_accounts(project: Project) -> list[dict[str, str]]:
    """Registered coders (name, role) who have no account, so cannot sign in once the
    project has accounts (qualcode's own layers left out)."""
    with project.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT name, role FROM coders WHERE password_hash IS NULL ORDER BY name"
        ).fetchall()
    return [{"name": n, "role": r} for n, r in rows if n not in RESERVED]


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise QualcodeError("an account needs a name")
    check_not_reserved(name)
    return name


def _insert(
    con: duckdb.DuckDBPyConnection, name: str, role: str, hashed: str, by: str | None
) -> None:
    """Insert an account (or give a registered coder one) and log it."""
    first = _count(con) == 0
    if first:
        if role != "admin":
            raise ArgumentError("role", "must be 'admin' for the first account")
    else:
        _require_admin(con, by, "create accounts")
    if _account(con, name) is not None:
        raise QualcodeError(f"'{name}' has an account already")
    con.execute(
        "INSERT INTO coders (name, role, password_hash) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
        "password_hash = excluded.password_hash",
        [name, role, hashed],
    )
    detail: dict[str, object] = {"name": name, "role": role, "first": first}
    if is_one_time(hashed):
        detail["one_time"] = True
    log_action(con, by or name, "account.add", detail)


def add_account(
    project: Project,
    name: str,
    password: str,
    role: str,
    by: str | None = None,
    one_time: bool = False,
) -> User:
    """Create an account (or give a registered coder a password). The first account
    must be an admin; every later one needs `by`, a signed-in admin. With `one_time`,
    the password only lets its holder choose their own (see the module docstring)."""
    name = _check_name(name)
    by = _by(project, by)
    _check_role(role)
    _check_new_password(password)
    hashed = hash_password(password, one_time)
    with project.transaction() as con:
        _insert(con, name, role, hashed, by)
    return User(name, role)


def add_accounts_for_coders(
    project: Project,
    names: Iterable[str],
    by: str,
    roles: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Give registered coders without an account an account each, all or none, in one
    transaction: the role they were registered with (or `roles[name]`) and a fresh
    one-time password. Returns name -> one-time password, to be handed to each person
    once (they choose their own at their first sign-in); only an admin may."""
    by = _by(project, by)
    wanted = list(dict.fromkeys(n.strip() for n in names))
    if not wanted:
        raise ArgumentError("names", "choose at least one coder")
    passwords = {name: one_time_password() for name in wanted}
    hashed = {name: hash_password(pw, one_time=True) for name, pw in passwords.items()}
    with project.transaction() as con:
        _require_admin(con, by, "create accounts")
        for name in wanted:
            row = con.execute("SELECT role FROM coders WHERE name = ?", [name]).fetchone()
            if row is None or name in RESERVED:
                raise QualcodeError(f"no registered coder named '{name}'")
            role = (roles or {}).get(name, row[0])
            _check_role(role)
            _insert(con, name, role, hashed[name], by)
    return passwords


def set_role(project: Project, name: str, role: str, by: str) -> None:
    """Change an account's role; only an admin may, and the last admin stays one."""
    by = _by(project, by)
    _check_role(role)
    with project.transaction() as con:
        _require_admin(con, by, "change roles")
        found = _account(con, name)
        if found is None:
            raise QualcodeError(f"no account named '{name}'")
        admins = con.execute(
            "SELECT count(*) FROM coders WHERE role = 'admin' AND password_hash IS NOT NULL"
        ).fetchone()[0]
        if found[0] == "admin" and role != "admin" and admins == 1:
            raise QualcodeError(f"'{name}' is the last admin: make another admin first")
        con.execute("UPDATE coders SET role = ? WHERE name = ?", [role, name])
        log_action(con, by, "account.role", {"name": name, "from": found[0], "to": role})


def set_password(
    project: Project,
    name: str,
    password: str,
    by: str | None = None,
    current: str | None = None,
    one_time: bool = False,
) -> None:
    """Set an account's password: the holder with their `current` password (a one-time
    password is good for this, once), or an admin `by` (a reset; with `one_time`, a
    password its holder must replace at their first sign-in)."""
    by = _by(project, by)
    _check_new_password(password)
    own = by is None or by == name
    if own and one_time:
        raise ArgumentError("one_time", "is for an admin resetting another's password")
    hashed = hash_password(password, one_time)
    with project.transaction() as con:
        found = _account(con, name)
        if by is None or by == name:
            if found is None or current is None or not check_password(current, found[1]):
                raise QualcodeError(WRONG)
        else:
            _require_admin(con, by, "reset passwords")
            if found is None:
                raise QualcodeError(f"no account named '{name}'")
        con.execute("UPDATE coders SET password_hash = ? WHERE name = ?", [hashed, name])
        detail: dict[str, object] = {"name": name, "reset": not own}
        if one_time:
            detail["one_time"] = True
        elif own and is_one_time(found[1]):  # type: ignore[index]
            detail["replaced_one_time"] = True
        log_action(con, by or name, "account.password", detail)


def _check(project: Project, name: str, password: str) -> tuple[str, bool] | None:
    """(role, whether the password is a one-time one) when it is right, else None."""
    with project.connect(read_only=True) as con:
        found = _account(con, name.strip())
    if found is None:
        check_password(password, _DUMMY_HASH)  # the same work for an unknown name
        return None
    return (found[0], is_one_time(found[1])) if check_password(password, found[1]) else None


def verify(project: Project, name: str, password: str) -> str | None:
    """The account's role when the password is right and is the holder's own, else
    None (not logged): a one-time password signs nobody in."""
    checked = _check(project, name, password)
    return checked[0] if checked is not None and not checked[1] else None


FREE_FAILURES = 5
"""Failed sign-ins in a row, for one account or from one client, before each further
attempt must wait: 1 s after the fifth, then 2, 4, 8 ... up to `MAX_WAIT_SECONDS`."""
MAX_WAIT_SECONDS = 900


def sign_in(project: Project, name: str, password: str, client: str | None = None) -> User:
    """The account for a right name and password; every attempt is logged (name and
    client only, never the password).

    After `FREE_FAILURES` failures in a row for the account, or from the `client` (the
    app's caller address), each attempt waits twice as long as the one before; an
    attempt made too soon is refused without checking the password. The count lives in
    the project's action log, so it survives a page reload or a new session."""
    name = name.strip()
    detail: dict[str, object] = {"name": name, **({"client": client} if client else {})}
    with project.connect(read_only=True) as con:
        wait = max(
            _wait_seconds(con, "name", name),
            _wait_seconds(con, "client", client) if client else 0.0,
        )
    if wait > 0:
        with project.transaction() as con:
            log_action(
                con, name or "?", "account.sign_in", {**detail, "ok": False, "throttled": True}
            )
        raise QualcodeError(f"too many failed sign-ins: try again in {math.ceil(wait)} s")
    checked = _check(project, name, password)
    if checked is not None and checked[1]:
        detail["one_time"] = True
    with project.transaction() as con:
        log_action(con, name or "?", "account.sign_in", {**detail, "ok": checked is not None})
    if checked is None:
        raise QualcodeError(WRONG)
    if checked[1]:
        raise PasswordChangeRequired(name)
    return User(name, checked[0])


def replace_one_time(
    project: Project, name: str, one_time: str, password: str, client: str | None = None
) -> User:
    """Replace a one-time password with the holder's own and sign them in: the one-time
    password is tried like any sign-in (throttled and logged, see `sign_in`), then
    `set_password` replaces it, so it works this once."""
    name = name.strip()
    _check_new_password(password)
    try:
        sign_in(project, name, one_time, client)
    except PasswordChangeRequired:
        set_password(project, name, password, current=one_time)
        return sign_in(project, name, password, client)
    raise QualcodeError(f"'{name}' has their own password already: sign in with it")


def _wait_seconds(con: duckdb.DuckDBPyConnection, key: str, value: str) -> float:
    """Seconds before the next sign-in for this account name or client may be tried:
    0 until `FREE_FAILURES` failures in a row (throttled attempts not counted)."""
    rows = con.execute(
        "SELECT detail->>'ok', date_diff('millisecond', happened_at, "
        "current_timestamp::TIMESTAMP) / 1000.0 FROM action_log "
        "WHERE action = 'account.sign_in' AND detail->>? = ? "
        "AND coalesce(detail->>'throttled', 'false') <> 'true' ORDER BY id DESC LIMIT ?",
        [key, value, FREE_FAILURES + 16],
    ).fetchall()
    failures = 0
    for ok, _ in rows:
        if ok == "true":
            break
        failures += 1
    if failures < FREE_FAILURES:
        return 0.0
    wait = min(2.0 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS)
    return max(0.0, wait - float(rows[0][1]))
