"""Size limits on the files qualcode reads: one limit for every input, configurable.

Every reader of project input (documents, codebooks in YAML or .qdc, manifests,
codings CSVs, .qdpx archives) refuses a file larger than the limit before
parsing it, and a zip container (.docx, .xlsx, .qdpx) whose members declare more
than the limit unpacked (a zip bomb) before inflating anything; a PDF's text is
counted against it while it is extracted. The limit is, first found: the
`max_bytes` a caller passes (the CLI's `--max-size`), the environment variable
QUALCODE_MAX_FILE_MB, then DEFAULT_MAX_BYTES.

Sizes are in binary units: 1 MB here is 1024 * 1024 bytes, as `format_size` shows them.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from qualcode.errors import ArgumentError, InputError, QualcodeError

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 200 * MB
"""The default limit (200 MB): the largest input file read, and the most a zip
container (.docx, .xlsx, .qdpx) may unpack to."""
ENV_VAR = "QUALCODE_MAX_FILE_MB"
"""Environment variable overriding DEFAULT_MAX_BYTES, in megabytes (decimals allowed)."""


def megabytes(value: float) -> int:
    """A limit in bytes from a number of megabytes; QualcodeError unless positive and finite."""
    if not (math.isfinite(value) and value > 0):
        raise QualcodeError(f"a size limit must be a positive number of megabytes, not {value}")
    return max(1, int(value * MB))


def max_file_bytes(max_bytes: int | None = None) -> int:
    """The limit in force: `max_bytes` if given, else QUALCODE_MAX_FILE_MB, else the default.

    A malformed or non-positive environment value raises QualcodeError (one line)
    rather than silently falling back, so a mistyped limit is noticed.
    """
    if max_bytes is not None:
        if max_bytes <= 0:
            raise ArgumentError("max_bytes", f"must be positive, not {max_bytes} bytes")
        return max_bytes
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        return megabytes(float(raw))
    except (ValueError, QualcodeError):
        raise QualcodeError(
            f"{ENV_VAR} must be a positive number of megabytes, not '{raw}'"
        ) from None


def format_size(n: int) -> str:
    """Human-readable byte count: 512 bytes, 1.5 KB, 200 MB."""
    if n < 1024:
        return f"{n} bytes"
    value = n / 1024
    units = ["KB", "MB", "GB", "TB"]
    while value >= 1024 and len(units) > 1:
        value /= 1024
        units.pop(0)
    return f"{value:.1f}".removesuffix(".0") + f" {units[0]}"


RAISE_HINT = f"raise it with max_bytes or {ENV_VAR}"
"""How a person lifts the limit, said with every refusal, in the library's words (the
`max_bytes` argument of every reader). The text reaches front ends inside file problems
and reports, not as a parameter of its own, so each front end replaces exactly this
text with its own way to raise the limit (the CLI: its option)."""


def too_large(size: int, limit: int) -> str:
    """The problem text for a file over the limit."""
    return f"file too large ({format_size(size)}; limit {format_size(limit)}: {RAISE_HINT})"


def check_size(path: str | Path, size: int, max_bytes: int | None = None) -> None:
    """Raise InputError naming `path` when `size` bytes exceed the limit."""
    limit = max_file_bytes(max_bytes)
    if size > limit:
        raise InputError(path, too_large(size, limit))


def read_limited(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a file within the limit; InputError (one line) otherwise.

    Checks the size with stat before reading, then reads at most limit + 1
    bytes, so a file that grows meanwhile (or a device that lies) still cannot
    make qualcode read more than the limit.
    """
    path = Path(path)
    limit = max_file_bytes(max_bytes)
    try:
        if not path.is_file():
            raise InputError(path, "not a file" if path.exists() else "file not found")
        check_size(path, path.stat().st_size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except PermissionError:
        raise InputError(path, "cannot read file (permission denied)") from None
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    if len(data) > limit:  # grew after the stat
        shown = format_size(limit)
        raise InputError(path, f"file too large (over {shown} when read; {RAISE_HINT})")
    return data
