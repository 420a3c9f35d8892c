"""Ingesting files that arrive as bytes (uploads in the app), under their own names.

The files are written to a private temporary folder with their original names
(the names become document titles, and a manifest finds files by name), then
go through `ingest_paths` like files on disk. Attributes typed in beside the
upload (date, group, any other) travel in a manifest written for the batch.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.manifest import STANDARD_FIELDS
from qualcode.ingest.pipeline import IngestReport, Progress, ingest_paths
from qualcode.ingest.readers import SUPPORTED_SUFFIXES
from qualcode.privacy import Pseudonymiser
from qualcode.store import Project

MANIFEST_NAME = ".qualcode-upload-manifest.csv"


@dataclass(frozen=True)
class Upload:
    """A file's name (as the user had it) and its bytes."""

    name: str
    data: bytes


def _safe_name(name: str) -> str:
    """The file's own name without any folder part; refuse names that are not files."""
    base = Path(name.replace("\\", "/")).name.strip()
    if not base or base in (".", "..") or base.startswith("."):
        raise QualcodeError(f"'{name}' is not a usable file name")
    return base


def _write_manifest(
    folder: Path, names: list[str], location: str | None, session: str | None,
    attributes: dict[str, str],
) -> Path:  # fmt: skip
    extra = [k for k in attributes if k not in STANDARD_FIELDS]
    path = folder / MANIFEST_NAME
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "location", "session", "date", "group", *extra])
        for name in names:
            writer.writerow([
                name, location or "", session or "", attributes.get("date", ""),
                attributes.get("group", ""), *(attributes[k] for k in extra),
            ])  # fmt: skip
    return path


def ingest_uploads(
    project: Project,
    files: list[Upload],
    manifest: Upload | None = None,
    location: str | None = None,
    session: str | None = None,
    attributes: dict[str, str] | None = None,
    actor: str = "app",
    progress: Progress | None = None,
    pseudonymise: Pseudonymiser | None = None,
) -> IngestReport:
    """Ingest uploaded files; the report names files by their upload names.

    `manifest` is an uploaded CSV or YAML manifest listing the files by name;
    without one, `attributes` (date, group or any other name) apply to every file.
    `location` and `session` fill in where a manifest has no value. With
    `pseudonymise`, identifying strings are replaced before anything is stored.
    """
    if not files:
        raise QualcodeError("no files to import")
    attributes = {k.strip(): v.strip() for k, v in (attributes or {}).items() if k.strip() and v}
    if manifest is not None and attributes:
        raise QualcodeError("give attributes in the manifest, or beside the upload, not both")
    names = [_safe_name(f.name) for f in files]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise QualcodeError(f"two files are named '{duplicate}': rename one")
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as tmp:
        folder = Path(tmp)
        paths = []
        for name, upload in zip(names, files, strict=True):
            path = folder / name
            path.write_bytes(upload.data)
            paths.append(path)
        manifest_path = None
        if manifest is not None:
            manifest_path = folder / f".manifest{Path(_safe_name(manifest.name)).suffix.lower()}"
            manifest_path.write_bytes(manifest.data)
        elif attributes:
            manifest_path = _write_manifest(folder, names, location, session, attributes)

        def step(done: int, total: int, path: str) -> None:
            if progress is not None:
                progress(done, total, Path(path).name)

        try:
            report = ingest_paths(
                project,
                paths,
                manifest=manifest_path,
                location=location or None,
                session=session or None,
                actor=actor,
                progress=step,
                pseudonymise=pseudonymise,
            )
        except InputError as exc:  # only the manifest stops a whole import
            label = manifest.name if manifest is not None else "the attributes"
            raise QualcodeError(f"{label}: {exc.problem}") from None
    return _named(report, folder)


def _named(report: IngestReport, folder: Path) -> IngestReport:
    """The report with temporary paths replaced by the files' names."""

    def name(path: str) -> str:
        candidate = Path(path)
        return candidate.name if candidate.parent in (folder, folder.resolve()) else path

    report.skipped = [name(p) for p in report.skipped]
    report.failed = [{**f, "path": name(f["path"])} for f in report.failed]
    report.without_location_session = [name(p) for p in report.without_location_session]
    report.unlisted = [name(p) for p in report.unlisted]
    return report


def accepted_suffixes() -> list[str]:
    """File types the importer reads, without dots (for an upload widget)."""
    return sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
