"""Writing files so that a reader never sees half of one, and cells that a spreadsheet
opening them will not run."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path

OWNER_ONLY = 0o600
"""The mode of every file qualcode writes from a project (exports, backups, copies): they
hold transcripts of people, so only their owner may read them."""


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: str | Path, data: bytes, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, then rename it into place.

    The file gets `mode` (e.g. 0o600 for files only their owner may read), or
    by default the permissions a new file gets under the process umask.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)  # Windows: no fchmod
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with suppress(OSError):  # make the rename durable where the platform allows
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list)."""


def spreadsheet_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a
    leading apostrophe (OWASP's advice), so `=HYPERLINK(...)` typed as a user name or
    coded into a transcript never runs in whoever opens the export."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
