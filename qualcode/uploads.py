"""Ingesting files that arrive as bytes (uploads in the app), under their own names.

The files are written to a private temporary folder with their original names
(the names become document titles, and a manifest finds files by name), then
go through `ingest_paths` like files on disk. Attributes typed in beside the
upload (date, group, any other) travel in a manifest written for the batch.
An upload over the size limit (qualcode.limits) is refused before it is written.

Pseudonymised uploads can be reviewed first: `plan_uploads` runs detection once
per file, `review_uploads` applies a researcher's added and kept strings to the
whole batch (numbered as it will be stored), and `ReviewedPseudonymiser` makes
ingest apply exactly those reviewed plans.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.manifest import STANDARD_FIELDS
from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.pipeline import IngestReport, Progress, ingest_paths
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document
from qualcode.limits import max_file_bytes, too_large
from qualcode.privacy import Pseudonymiser
from qualcode.privacy.pseudonyms import PseudonymMap
from qualcode.privacy.review import (
    Detection,
    PseudonymisationPlan,
    PseudonymisedDocument,
    mapping_with,
)
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
    max_bytes: int | None = None,
) -> IngestReport:
    """Ingest uploaded files; the report names files by their upload names.

    `manifest` is an uploaded CSV or YAML manifest listing the files by name;
    without one, `attributes` (date, group or any other name) apply to every file.
    `location` and `session` fill in where a manifest has no value. With
    `pseudonymise`, identifying strings are replaced before anything is stored.
    A file over `max_bytes` (None: the configured limit) is reported as failed;
    a manifest over it stops the import.
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
    limit = max_file_bytes(max_bytes)
    if manifest is not None and len(manifest.data) > limit:
        raise QualcodeError(f"{manifest.name}: {too_large(len(manifest.data), limit)}")
    refused = [
        {"path": name, "error": too_large(len(upload.data), limit)}
        for name, upload in zip(names, files, strict=True)
        if len(upload.data) > limit
    ]
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as tmp:
        folder = Path(tmp)
        paths = []
        for name, upload in zip(names, files, strict=True):
            if len(upload.data) > limit:
                continue
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
                max_bytes=limit,
            )
        except InputError as exc:  # only the manifest stops a whole import
            label = manifest.name if manifest is not None else "the attributes"
            raise QualcodeError(f"{label}: {exc.problem}") from None
    report = _named(report, folder)
    report.failed = [*refused, *report.failed]
    return report


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


def upload_names(files: Sequence[Upload]) -> list[str]:
    """The files' own names, as ingest stores them; two files of one name are refused."""
    names = [_safe_name(f.name) for f in files]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise QualcodeError(f"two files are named '{duplicate}': rename one")
    return names


def read_upload(upload: Upload, max_bytes: int | None = None) -> ParsedDocument:
    """One upload parsed as ingest will parse it; InputError naming the file if it cannot be."""
    name = _safe_name(upload.name)
    limit = max_file_bytes(max_bytes)
    if len(upload.data) > limit:
        raise InputError(name, too_large(len(upload.data), limit))
    with tempfile.TemporaryDirectory(prefix="qualcode-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(upload.data)
        try:
            return read_document(path, max_bytes=limit)
        except InputError as exc:
            raise InputError(name, exc.problem) from None


@dataclass(frozen=True)
class PlannedUpload:
    """An upload with its pseudonymisation plan (detection done), or why it cannot be read."""

    upload: Upload
    name: str
    plan: PseudonymisationPlan | None
    error: str | None = None


@dataclass(frozen=True)
class ReviewedUpload:
    """One upload as a researcher reviews it.

    `detections` include the added strings but still the kept ones (the rows the
    researcher ticks); `plan` and `document` have both (what ingest will store).
    """

    name: str
    detections: list[Detection]
    plan: PseudonymisationPlan | None
    document: PseudonymisedDocument | None
    error: str | None = None


def plan_uploads(
    files: Sequence[Upload],
    pseudonymiser: Pseudonymiser,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[PlannedUpload]:
    """Read and plan each upload against the log, storing and saving nothing; a file
    that cannot be read is kept with its one-line error, as ingest would report it."""
    names = upload_names(files)
    planned = []
    for done, (name, upload) in enumerate(zip(names, files, strict=True), start=1):
        try:
            plan = pseudonymiser.plan(read_upload(upload))
        except InputError as exc:
            planned.append(PlannedUpload(upload, name, None, exc.problem))
        else:
            planned.append(PlannedUpload(upload, name, plan))
        if progress is not None:
            progress(done, len(files), name)
    return planned


def review_uploads(
    planned: Sequence[PlannedUpload],
    mapping: PseudonymMap,
    added: Iterable[tuple[str, str]] = (),
    kept: Mapping[int, Collection[str]] | None = None,
) -> list[ReviewedUpload]:
    """The batch with a researcher's changes: `added` (text, kind) strings are replaced
    in every file they occur in; `kept[i]` holds detection keys that stay as written
    in file i. Each file is planned against `mapping` as the earlier files will leave
    it, so pseudonyms are numbered as they will be stored. Raises ValueError for an
    unusable added string."""
    added = list(added)
    kept = kept or {}
    reviewed = []
    for index, item in enumerate(planned):
        if item.plan is None:
            reviewed.append(ReviewedUpload(item.name, [], None, None, item.error))
            continue
        plan = item.plan.rebased(mapping)
        for text, kind in added:
            if plan.occurs(text):
                plan.add(text, kind)
        detections = plan.detections
        if kept.get(index):
            plan.keep_keys(kept[index])
        document = plan.apply()
        mapping = mapping_with(mapping, document)
        reviewed.append(ReviewedUpload(item.name, detections, plan, document))
    return reviewed


class ReviewedPseudonymiser(Pseudonymiser):
    """A Pseudonymiser that applies reviewed plans: a document whose text a plan was made
    for gets that plan (with the researcher's adds and keeps), rebased onto the log as it
    stands when the document is stored; any other document is planned afresh."""

    def __init__(self, base: Pseudonymiser, plans: Iterable[PseudonymisationPlan]) -> None:
        super().__init__(base.log, base.detector)
        self._reviewed = {plan.parsed.text: plan for plan in plans}

    def plan(self, parsed: ParsedDocument) -> PseudonymisationPlan:
        reviewed = self._reviewed.get(parsed.text)
        if reviewed is None:
            return super().plan(parsed)
        return reviewed.rebased(self.log.mapping)
