"""Backups, restores and integrity checks of a project file."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qualcode import locking
from qualcode.access import SUPERVISOR_ROLES, recorded_as, require_roles, require_supervisor
from qualcode.accounts import sign_in
from qualcode.audit import log_action
from qualcode.errors import ArgumentError, InputError, ProjectError, QualcodeError
from qualcode.fileio import OWNER_ONLY
from qualcode.jsonable import Jsonable
from qualcode.store import Project, exclusive_lock, latest_schema_version


def backup(project: Project, output: str | Path, actor: str = "cli") -> Path:
    """A consistent copy of the project, even while the app runs.

    The copy is taken while this process holds the project's write lock (other
    writers wait, as for any write), after a checkpoint, so it is a whole
    database with nothing pending in the write-ahead log.
    """
    output = Path(output).resolve()
    if output == project.path.resolve():
        raise ProjectError(f"{output}: the backup cannot overwrite the project itself")
    require_supervisor(project, "back up the whole project")
    actor = recorded_as(project, actor)
    output.parent.mkdir(parents=True, exist_ok=True)
    with project.connect() as con:
        log_action(con, actor, "backup", {"to": str(output)})
        con.execute("CHECKPOINT")
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(project.path, tmp)
            os.chmod(tmp, OWNER_ONLY)
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return output


def _schema_of(path: Path) -> int:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise InputError(path, f"not a qualcode project file ({exc})") from None
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error:
        raise InputError(path, "not a qualcode project file (no schema version)") from None
    finally:
        con.close()
    return int(row[0]) if row else 0


def _has_accounts(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a project (of any schema version) has password accounts."""
    column = con.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'coders' AND column_name = 'password_hash'"
    ).fetchone()[0]
    return bool(column) and bool(
        con.execute("SELECT count(*) FROM coders WHERE password_hash IS NOT NULL").fetchone()[0]
    )


def has_accounts(project_path: str | Path) -> bool:
    """Whether the project file exists and has password accounts (so restoring over it
    needs an admin's sign-in)."""
    path = Path(project_path)
    if not path.exists():
        return False
    with Project(path).connect(read_only=True) as con:
        return _has_accounts(con)


def _restorer(
    current: Project,
    source: Path,
    user: str | None,
    password: str | None,
    without_accounts: bool,
) -> tuple[str | None, bool]:
    """Who may replace the project `current` with the backup `source`, checked while the
    restore holds the lock file: on a project with accounts, an admin whose password
    is right (the attempt is logged, as every sign-in is) and, when the backup has no
    accounts, who confirmed `without_accounts`; on one without, the file's holder or
    a registered supervisor or admin. Returns the person's name (None: the holder) and
    whether the restore removes the accounts."""
    with current.connect(read_only=True) as con:
        accounts = _has_accounts(con)
        if not accounts:
            if user is not None:
                require_roles(con, user, SUPERVISOR_ROLES, "restore a backup")
            return user, False
    if user is None:
        raise QualcodeError(
            f"{current.path} has accounts: only an admin who signs in can restore it"
        )
    signed_in = sign_in(current, user, password or "")
    if signed_in.role != "admin":
        raise QualcodeError(
            f"'{signed_in.name}' is a {signed_in.role}: only an admin can restore a project "
            "with accounts"
        )
    with Project(source).connect(read_only=True) as con:
        backup_accounts = _has_accounts(con)
    if not backup_accounts and not without_accounts:
        raise ArgumentError(
            "without_accounts",
            f"must be given to restore {source}: it has no accounts, so restoring it "
            "removes every account and sign-in from the project",
        )
    return signed_in.name, not backup_accounts


def restore(
    project_path: str | Path,
    backup_file: str | Path,
    actor: str = "cli",
    *,
    user: str | None = None,
    password: str | None = None,
    without_accounts: bool = False,
) -> Path:
    """Replace the project with a backup; the current file is kept beside it first.

    A project with accounts is restored only by an admin, `user` with their
    `password` (a wrong one is refused and nothing is replaced); a backup without
    accounts replaces it only when `without_accounts` confirms that access control
    goes with it. A project without accounts is restored by the file's holder (or a
    `user` who is a supervisor or admin). Returns the path of the safety copy
    (`<project>.before-restore.bak`).
    """
    target = Path(project_path)
    source = Path(backup_file)
    if not source.is_file():
        raise InputError(source, "no such backup file")
    version = _schema_of(source)
    if version > latest_schema_version():
        raise InputError(source, f"written by a newer qualcode (schema {version})")
    try:
        problems = check(Project(source), read_only=True)
    except ProjectError as exc:
        raise InputError(source, f"backup cannot be read whole ({exc.message})") from None
    if problems:
        raise InputError(source, f"backup fails its integrity check: {problems[0]}")
    safety = target.with_name(f"{target.name}.before-restore.bak")
    dropped = False
    with exclusive_lock(target):  # no qualcode process opens it from here to the end
        if target.exists():
            restorer, dropped = _restorer(Project(target), source, user, password, without_accounts)
            actor = restorer or actor
            with Project(target).connect() as con:  # fold the write-ahead log into the file
                con.execute("CHECKPOINT")
            shutil.copyfile(target, safety)
            os.chmod(safety, OWNER_ONLY)
        # after closing every descriptor of the file: closing any drops a POSIX record lock
        with _file_lock(target):
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, target)
                target.with_name(target.name + ".wal").unlink(missing_ok=True)
            except PermissionError:  # Windows: another program has the file open
                Path(tmp).unlink(missing_ok=True)
                raise ProjectError(f"project file is in use by another program: {target}") from None
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    restored = Project.open(target)
    with restored.transaction() as con:
        detail = {"from": str(source), "previous": str(safety)}
        if dropped:
            detail["accounts_removed"] = True
        log_action(con, actor, "restore", detail)
    return safety


def _file_lock(path: Path) -> AbstractContextManager[None]:
    """Hold the kind of lock DuckDB takes on a database file (a POSIX record lock), so no
    other program opens the project while it is being replaced (qualcode processes are
    kept out by the lock file already). Windows has no such lock, and there a file
    another program holds open cannot be replaced at all."""
    if not locking.has_record_locks():
        return nullcontext()
    return locking.hold(
        path,
        timeout=10,
        busy=lambda: ProjectError(f"project file is in use: {path}"),
        record_lock=True,
    )


@dataclass
class Problem(Jsonable):
    what: str
    count: int
    example: str

    def __str__(self) -> str:
        return f"{self.what}: {self.count} (e.g. {self.example})"


_CHECKS = (
    (
        "segments whose text is not the document text at their offsets",
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
        "WHERE s.start_offset < 0 OR s.end_offset > length(d.text) "
        "OR s.start_offset >= s.end_offset "
        "OR substr(d.text, s.start_offset + 1, s.end_offset - s.start_offset) <> s.text",
        "segment {}",
    ),
    (
        "segments of a missing document",
        "SELECT s.id FROM segments s LEFT JOIN documents d ON d.id = s.document_id "
        "WHERE d.id IS NULL",
        "segment {}",
    ),
    (
        "documents without segments",
        "SELECT d.id FROM documents d WHERE NOT EXISTS "
        "(SELECT 1 FROM segments s WHERE s.document_id = d.id)",
        "document {}",
    ),
    (
        "coding events on a missing segment",
        "SELECT e.id FROM coding_events e LEFT JOIN segments s ON s.id = e.segment_id "
        "WHERE s.id IS NULL",
        "event {}",
    ),
    (
        "coding events for a code no codebook version has",
        "SELECT e.id FROM coding_events e WHERE NOT EXISTS "
        "(SELECT 1 FROM codes c WHERE c.id = e.code_id)",
        "event {}",
    ),
    (
        "coding spans outside their document",
        "SELECT e.id FROM coding_events e JOIN segments s ON s.id = e.segment_id "
        "JOIN documents d ON d.id = s.document_id WHERE e.start_offset IS NOT NULL AND "
        "(e.start_offset < 0 OR e.end_offset > length(d.text) "
        "OR e.start_offset >= e.end_offset)",
        "event {}",
    ),
)


def check(project: Project, read_only: bool = True) -> list[Problem]:
    """Integrity problems: every coding points at an existing segment and code,
    offsets are in range and match the text, content hashes match; [] if whole."""
    try:
        return _problems(project, read_only)
    except duckdb.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ProjectError(f"{project.path}: the file cannot be read whole: {reason}") from None


def _problems(project: Project, read_only: bool) -> list[Problem]:
    problems: list[Problem] = []
    with project.connect(read_only=read_only) as con:
        for what, sql, example in _CHECKS:
            found = [r[0] for r in con.execute(sql).fetchall()]
            if found:
                problems.append(Problem(what, len(found), example.format(found[0])))
        mismatched = [
            document_id
            for document_id, text, digest in con.execute(
                "SELECT id, text, content_hash FROM documents ORDER BY id"
            ).fetchall()
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest
        ]
    if mismatched:
        problems.append(
            Problem(
                "documents whose text does not match its hash",
                len(mismatched),
                f"document {mismatched[0]}",
            )
        )
    return problems
