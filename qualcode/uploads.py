"""Ingesting files that arrive as bytes (uploads in the app), under their own names.

Each upload is read from its bytes (nothing is written to disk) and stored through
the file ingest's own path (`qualcode.ingest.pipeline.ingest_document`), its name as
the document's title and source. An upload is known by its name in its case: a
changed re-upload of a stored name for the same location and session (or for none)
becomes that document's next version, an unchanged one adds nothing, and the same
name for another location or session is another document. Attributes typed in beside
the upload (date, group, any other) apply to every file; an uploaded manifest gives
them per file, by name. An upload over the size limit (qualcode.limits) is refused
before it is read.

Pseudonymised uploads can be reviewed first: `plan_uploads` runs detection once
per file, `review_uploads` applies a researcher's added and kept strings to the
whole batch (numbered as it will be stored), and `ReviewedPseudonymiser` makes
ingest apply exactly those reviewed plans.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from qualcode.errors import InputError, QualcodeError
from qualcode.ingest.manifest import FileAttributes, file_attributes, parse_manifest
from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.pipeline import (
    Added,
    IngestJob,
    IngestReport,
    Progress,
    ingest_document,
    ingest_each,
)
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document_bytes
from qualcode.limits import max_file_bytes, too_large
from qualcode.privacy import Pseudonymiser
from qualcode.privacy.plan import (
    Detection,
    PseudonymisationPlan,
    PseudonymisedDocument,
    mapping_with,
)
from qualcode.privacy.pseudonyms import PseudonymMap, normalise_key
from qualcode.store import Project


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


def _attributes_by_name(
    manifest: Upload | None, attributes: dict[str, str], limit: int
) -> Callable[[str], FileAttributes]:
    """Each upload's attributes by its name: its manifest row, or the attributes given
    for all; a manifest that cannot be used stops the import (QualcodeError)."""
    if manifest is None:
        shared = file_attributes(attributes)
        return lambda name: shared
    if len(manifest.data) > limit:
        raise QualcodeError(f"{manifest.name}: {too_large(len(manifest.data), limit)}")
    try:
        parsed = parse_manifest(manifest.data, _safe_name(manifest.name))
    except InputError as exc:
        raise QualcodeError(f"{manifest.name}: {exc.problem}") from None
    # entries and uploads are both bare names, resolved alike: a listed name matches
    return lambda name: parsed.attributes_for(Path(name))


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
    names = upload_names(files)
    limit = max_file_bytes(max_bytes)
    attributes_for = _attributes_by_name(manifest, attributes, limit)
    refused: list[dict[str, str]] = []
    jobs: list[IngestJob] = []
    for name, upload in zip(names, files, strict=True):
        if len(upload.data) > limit:
            refused.append({"path": name, "error": too_large(len(upload.data), limit)})
            continue
        found = attributes_for(name).with_defaults(location or None, session or None)
        store = partial(
            ingest_upload, project, name, upload.data, found, actor, pseudonymise, limit
        )
        jobs.append((name, found, store))
    report = ingest_each(jobs, progress)
    report.failed = [*refused, *report.failed]
    return report


def ingest_upload(
    project: Project,
    name: str,
    data: bytes,
    attributes: FileAttributes,
    actor: str = "app",
    pseudonymise: Pseudonymiser | None = None,
    max_bytes: int | None = None,
) -> Added:
    """Store one upload (already a safe file name) in one transaction; (document id,
    segments) or None if already stored. InputError names the file by `name`."""
    return ingest_document(
        project,
        read_document_bytes(data, name, max_bytes=max_bytes),
        title=name,
        source=name,
        label=name,
        attributes=attributes,
        actor=actor,
        pseudonymise=pseudonymise,
        known_by_source=False,
    )


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
    if len(upload.data) > limit:  # the size first, as ingest_uploads refuses it
        raise InputError(name, too_large(len(upload.data), limit))
    return read_document_bytes(upload.data, name, max_bytes=limit)


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
            plan = pseudonymiser.plan(read_upload(upload), name)
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
    kinds: Iterable[tuple[str, str]] = (),
) -> list[ReviewedUpload]:
    """The batch with a researcher's changes: `added` (text, kind) strings are replaced
    in every file they occur in; `kept[i]` holds detection keys that stay as written
    in file i; `kinds` (text, kind) give detected names another kind in every file
    that detects them (`PseudonymisationPlan.set_kind`). Each file is planned against
    `mapping` as the earlier files will leave it, so pseudonyms are numbered as they
    will be stored. Raises ValueError for an
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
        for text, kind in kinds:
            if any(d.key == normalise_key(text) for d in plan.detections):
                plan.set_kind(text, kind)
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

    def plan(self, parsed: ParsedDocument, name: str | None = None) -> PseudonymisationPlan:
        reviewed = self._reviewed.get(parsed.text)
        if reviewed is None:
            return super().plan(parsed, name)
        return reviewed.rebased(self.log.mapping)
