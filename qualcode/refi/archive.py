"""Reading a .qdpx archive safely: one project file, its sources, bounded size.

A .qdpx is a zip holding one `*.qde` project file (the standard says
`project.qde`; some tools write `<ProjectName>.qde`) and the internal sources
in `sources/` (NVivo writes `Sources/`). Archives with absolute or `..` member
names, larger than the size limit, or whose declared uncompressed size exceeds
it (see qualcode.limits), are refused before anything is inflated; zipfile never
inflates a member past its declared size, so the declared total bounds the work.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qualcode.errors import InputError
from qualcode.limits import RAISE_HINT, check_size, format_size, max_file_bytes


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters and '..' components (with either slash)."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return True
    return ".." in PurePosixPath(normal).parts


def _ignored(name: str) -> bool:
    """macOS archive clutter: __MACOSX/ folders and AppleDouble '._' files."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith("._")


@dataclass
class QdpxArchive:
    """The project XML of a .qdpx and access to its internal source files."""

    path: Path
    qde_name: str
    qde: bytes
    _zip: zipfile.ZipFile
    limit: int = 0  # the size limit in force: what anything unpacked from it may reach
    _members: dict[str, str] = field(default_factory=dict)  # lower-case name -> real name

    def internal_file(self, reference: str) -> str | None:
        """The member name for an `internal://` file name, looked up in `sources/` or
        `Sources/` beside the project file (case-insensitively), or anywhere by file name."""
        base = posixpath.dirname(self.qde_name)
        wanted = posixpath.join(base, "sources", reference).lower()
        if wanted in self._members:
            return self._members[wanted]
        matches = [
            real
            for lower, real in self._members.items()
            if posixpath.basename(lower) == reference.lower()
        ]
        return matches[0] if len(matches) == 1 else None

    def read(self, member: str) -> bytes:
        try:
            return self._zip.read(member)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise InputError(
                self.path, f"cannot read '{member}' from the archive ({exc})"
            ) from None

    def close(self) -> None:
        self._zip.close()


def open_qdpx(path: str | Path, max_bytes: int | None = None) -> QdpxArchive:
    """Open and check a .qdpx; InputError for a missing file, a non-zip, unsafe member
    names, a file or content over `max_bytes` (None: the configured limit), or not
    exactly one `*.qde` project file."""
    path = Path(path)
    limit = max_file_bytes(max_bytes)
    if not path.is_file():
        raise InputError(path, "not a file" if path.exists() else "file not found")
    try:
        check_size(path, path.stat().st_size, limit)
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise InputError(path, "not a REFI-QDA project (not a zip archive)") from None
    try:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        for info in infos:
            if _unsafe(info.filename):
                raise InputError(
                    path, f"unsafe member name '{info.filename}' (absolute path or '..')"
                )
        total = sum(info.file_size for info in infos)
        if total > limit:
            raise InputError(
                path,
                f"archive unpacks to {format_size(total)}, "
                f"over the limit of {format_size(limit)} ({RAISE_HINT})",
            )
        names = [info.filename for info in infos if not _ignored(info.filename)]
        qdes = [name for name in names if name.lower().endswith(".qde")]
        if not qdes:
            raise InputError(path, "no project file (*.qde) in the archive")
        if len(qdes) > 1:
            raise InputError(path, f"several project files in the archive: {', '.join(qdes)}")
        try:
            qde = archive.read(qdes[0])
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise InputError(path, f"cannot read '{qdes[0]}' from the archive ({exc})") from None
    except BaseException:
        archive.close()
        raise
    return QdpxArchive(
        path=path,
        qde_name=qdes[0],
        qde=qde,
        _zip=archive,
        limit=limit,
        _members={name.lower(): name for name in names},
    )
