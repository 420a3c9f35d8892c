"""Import: upload transcripts and workshop outputs with their attributes (or a
manifest), see what happened to each file, check the speakers' roles and what is
offered for coding (`qualcode.ui.speakers`), then suggest codes with a progress bar.

With pseudonymisation on, nothing is stored until the researcher has reviewed the
detections file by file: un-ticking a row keeps that string as written in that
file, a name's kind is changed in its row (for every file), an added string is
replaced in every file it occurs in, and "Import with these replacements" applies
exactly the reviewed plans. A file's name is checked like its text: the review says
the name it will be stored under.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.ingest import IngestReport
from qualcode.privacy import (
    KINDS,
    NAME_KINDS,
    Detection,
    PseudonymisedDocument,
    Pseudonymiser,
    PseudonymMap,
)
from qualcode.settings import CODING_UNIT, CODING_UNITS, change_setting, read_setting
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import in_app_words, reporting, run_page
from qualcode.ui.identity import Identity
from qualcode.ui.markup import STYLE, esc, md
from qualcode.ui.speakers import speakers_section
from qualcode.uploads import (
    PlannedUpload,
    ReviewedPseudonymiser,
    ReviewedUpload,
    Upload,
    accepted_suffixes,
    ingest_uploads,
    plan_uploads,
    review_uploads,
)

LOG_ENV = "QUALCODE_PSEUDONYM_LOG"
UNIT_LABELS = {"turn": "Whole turns", "sentence": "Sentences of long turns"}
REVIEW_KEY = "import_review"  # session state: the pseudonymised import under review
_ROW_WIDTHS = (3, 2, 2, 1, 2, 6)
_PREVIEW_STYLE = "white-space: pre-wrap; max-height: 24rem; overflow-y: auto; line-height: 1.5;"


@dataclass
class ImportRequest:
    """What the Import form asked for."""

    files: list[Upload]
    manifest: Upload | None
    location: str | None
    session: str | None
    attributes: dict[str, str]
    then_suggest: bool


@dataclass
class PendingReview:
    """A pseudonymised import waiting for the researcher: the plans (detection done once),
    the log's mapping as it was read, strings added, and the checkboxes shown last run."""

    request: ImportRequest
    log_path: str
    mapping: PseudonymMap
    planned: list[PlannedUpload]
    notes: list[str]
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    added: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, tuple[int, str]] = field(default_factory=dict)  # widget key -> (file, key)
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded -> (text, kind)


@dataclass
class _Row:
    """The detections of one string in one file."""

    key: str
    text: str
    kind: str
    added: bool
    lines: list[int]
    first: Detection


def parse_attributes(text: str) -> dict[str, str]:
    """`name = value` lines as a mapping; a line without '=' is an error."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise QualcodeError(f"attribute line {number}: write it as name = value")
        found[name.strip()] = value.strip()
    return found


def _results(report: IngestReport, names: list[str]) -> None:
    failed = {f["path"]: in_app_words(f["error"]) for f in report.failed}
    skipped = set(report.skipped)
    missing = set(report.without_location_session)
    rows = []
    for name in names:
        if name in failed:
            rows.append({"file": name, "result": "failed", "detail": failed[name]})
        elif name in skipped:
            rows.append({"file": name, "result": "already stored", "detail": "nothing added"})
        else:
            note = "no location or session" if name in missing else ""
            rows.append({"file": name, "result": "added", "detail": note})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    message = f"{report.documents_added} documents and {report.segments_added} segments added."
    (st.warning if failed else st.success)(
        md(message + (f" {len(failed)} files failed." if failed else ""))
    )


def _suggest(project: Project) -> None:
    from qualcode.suggest import suggest  # loads the embedding stack only when needed

    bar = st.progress(0.0, text="Preparing suggestions…")

    def step(done: int, total: int, _label: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"Embedding texts: {done} of {total}")

    report = suggest(project, progress=step)
    bar.progress(1.0, text="Suggestions ready.")
    st.success(
        md(
            f"{report.suggestions} suggestions for {report.segments} segments "
            f"(model {report.model}; {report.embedded} texts embedded, {report.cached} cached)."
        )
    )
    if report.fallback_reason:
        st.warning(md(f"TF-IDF fallback: {report.fallback_reason}"))


def _import(
    project: Project,
    identity: Identity,
    request: ImportRequest,
    pseudonymiser: Pseudonymiser | None,
) -> None:
    """Store the files with a progress bar, then show what happened to each."""
    bar = st.progress(0.0, text="Reading files…")

    def step(done: int, total: int, name: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done} of {total}: {name}")

    report = ingest_uploads(
        project,
        request.files,
        manifest=request.manifest,
        location=request.location,
        session=request.session,
        attributes=request.attributes,
        actor=identity.name,
        progress=step,
        pseudonymise=pseudonymiser,
    )
    cache.forget()
    if pseudonymiser is not None:
        summary = pseudonymiser.summary()
        st.info(
            md(
                f"Pseudonymised {summary['documents']} documents: "
                f"{summary['replacements']} replacements; log: {summary['log']}"
            )
        )
    _results(report, [f.name.replace("\\", "/").rsplit("/", 1)[-1] for f in request.files])
    if request.then_suggest and report.documents_added:
        _suggest(project)


def _start_review(project: Project, request: ImportRequest, log_path: str) -> None:
    """Detect in every file (nothing stored or saved) and keep the plans for review."""
    if not log_path:
        raise QualcodeError("pseudonymising needs a replacement log file")
    if request.manifest is not None and request.attributes:
        raise QualcodeError("give attributes in the manifest, or beside the upload, not both")
    pseudonymiser = Pseudonymiser.open(log_path, project.path)
    bar = st.progress(0.0, text="Finding names…")

    def step(done: int, total: int, name: str) -> None:
        bar.progress(
            done / total if total else 1.0, text=f"Finding names: {done} of {total}: {name}"
        )

    planned = plan_uploads(request.files, pseudonymiser, progress=step)
    bar.empty()
    st.session_state[REVIEW_KEY] = PendingReview(
        request, log_path, pseudonymiser.mapping.copy(), planned, pseudonymiser.notes
    )


def _widget_key(pending: PendingReview, index: int, key: str) -> str:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()
    return f"import_review_{pending.token}_{index}_{digest}"


def _kept(pending: PendingReview) -> dict[int, set[str]]:
    """The rows un-ticked last run, per file."""
    kept: dict[int, set[str]] = {}
    for widget, (index, key) in pending.rows.items():
        if st.session_state.get(widget) is False:
            kept.setdefault(index, set()).add(key)
    return kept


def _rows(item: ReviewedUpload) -> list[_Row]:
    """The detections grouped by string, in order of first appearance."""
    assert item.plan is not None
    text = item.plan.parsed.text
    rows: dict[str, _Row] = {}
    for d in item.detections:
        line = text.count("\n", 0, d.start) + 1
        row = rows.get(d.key)
        if row is None:
            rows[d.key] = _Row(d.key, d.text, d.kind, d.source == "added", [line], d)
        else:
            row.lines.append(line)
            row.added |= d.source == "added"
    return list(rows.values())


def _where(lines: list[int]) -> str:
    shown = sorted(set(lines))
    listed = ", ".join(str(n) for n in shown[:6]) + (", …" if len(shown) > 6 else "")
    return f"line {listed}" if len(shown) == 1 else f"lines {listed}"


def _context_html(d: Detection) -> str:
    return (
        f'<span class="qc-meta">{esc(d.context_before)}<mark>{esc(d.text)}</mark>'
        f"{esc(d.context_after)}</span>"
    )


def _preview_html(document: PseudonymisedDocument) -> str:
    """The text as it will be stored, escaped, each pseudonym marked."""
    text = document.text
    parts, position = [], 0
    for r in document.replacements:
        parts.append(esc(text[position : r.new_start]))
        parts.append(f"<mark>{esc(text[r.new_start : r.new_end])}</mark>")
        position = r.new_end
    parts.append(esc(text[position:]))
    return f'{STYLE}<div class="qc-doc" style="{_PREVIEW_STYLE}">{"".join(parts)}</div>'


def _set_kind(pending: PendingReview, widget: str, text: str) -> None:
    """A name's kind chosen in its row: applied to every file of the batch."""
    pending.kinds[" ".join(text.split()).casefold()] = (text, st.session_state[widget])


def _file_name(item: ReviewedUpload) -> None:
    """What the file's name becomes when it holds a detected name."""
    assert item.plan is not None
    found = item.plan.file_name_detections
    if not found:
        return
    names = ", ".join(f"{original} ({KINDS[kind].lower()})" for original, kind, _ in found)
    st.caption(md(f"The file's name holds {names}: stored as {item.plan.file_name}"))


def _file_review(pending: PendingReview, index: int, item: ReviewedUpload) -> None:
    """One file's detections, a tick box each, and a preview of the stored text."""
    st.markdown(f"**{md(item.name)}**")
    if item.plan is None or item.document is None:
        st.warning(
            md(f"{item.name}: {in_app_words(str(item.error))}; it will be reported as failed")
        )
        return
    _file_name(item)
    rows = _rows(item)
    if not rows:
        st.caption("Nothing detected. Add any name the detector missed below.")
    else:
        final = {d.key: d.pseudonym for d in item.plan.detections}
        kept = sum(1 for row in rows if row.key not in final)
        st.caption(
            md(
                f"{len(item.detections)} replacements of {len(rows)} strings"
                + (f"; {kept} kept as written" if kept else "")
                + ". Un-tick a row to keep that string as written in this file; "
                "a name's kind, changed in its row, applies to every file."
            )
        )
        labels = ("Replace", "Kind", "Pseudonym", "Count", "Where", "Context")
        for column, label in zip(st.columns(_ROW_WIDTHS), labels, strict=True):
            column.caption(label)
        for row in rows:
            widget = _widget_key(pending, index, row.key)
            if row.added:  # always replaced: its own box, never un-ticked
                widget += "_added"
            else:
                pending.rows[widget] = (index, row.key)
            tick, kind, pseudonym, count, where, context = st.columns(_ROW_WIDTHS)
            tick.checkbox(
                md(row.text),
                value=True,
                key=widget,
                disabled=row.added,
                help="Added by you: remove it under Added strings" if row.added else None,
            )
            if row.kind in NAME_KINDS and not row.added and row.key not in pending.mapping.entries:
                kind_key = _widget_key(pending, index, row.key) + "_kind"
                st.session_state[kind_key] = row.kind  # the plan's: a change in any file
                kind.selectbox(
                    md(f"Kind of {row.text}"), NAME_KINDS, format_func=KINDS.get,
                    key=kind_key, label_visibility="collapsed",
                    on_change=_set_kind, args=(pending, kind_key, row.text),
                )  # fmt: skip
            else:  # a rule's kind, an added string's or one the log fixed
                kind.markdown(md(KINDS.get(row.kind, row.kind)))
            pseudonym.markdown(md(final.get(row.key, "kept as written")))
            count.markdown(str(len(row.lines)))
            where.caption(md(_where(row.lines)))
            with context:
                st.html(_context_html(row.first))
    with st.expander("Preview of the stored text"):
        st.html(_preview_html(item.document))


def _add_string(pending: PendingReview, text: str, kind: str) -> None:
    """Add a missed string to the batch, refusing one that occurs in no file."""
    text = " ".join(text.split())
    if not text:
        raise QualcodeError("type the name or string the detector missed")
    plans = [p.plan for p in pending.planned if p.plan is not None and p.plan.occurs(text)]
    if not plans:
        raise QualcodeError(f"'{text}' does not occur (as whole words) in any of these files")
    try:
        plans[0].rebased(plans[0].mapping).add(text, kind)
    except ValueError as exc:
        raise QualcodeError(str(exc)) from None
    folded = text.casefold()
    pending.added = [(t, k) for t, k in pending.added if t.casefold() != folded]
    pending.added.append((text, kind))


def _review(project: Project, identity: Identity, pending: PendingReview) -> None:
    """The review step: detections per file, added strings, then import or cancel."""
    slot = st.empty()
    with slot.container():
        st.subheader("Review the pseudonyms before import")
        st.caption(
            md(
                "Nothing is stored yet. Replacement log (kept apart from the project): "
                f"{pending.log_path}"
            )
        )
        for note in pending.notes:
            st.warning(md(note))
        reviews = review_uploads(
            pending.planned,
            pending.mapping,
            pending.added,
            _kept(pending),
            kinds=list(pending.kinds.values()),
        )
        pending.rows = {}
        for index, item in enumerate(reviews):
            with st.container(border=True):
                _file_review(pending, index, item)

        st.markdown("**Add a missed name**")
        st.caption("It is replaced in every file it occurs in (any case, whole words).")
        with st.form("import_review_add", clear_on_submit=True):
            left, right = st.columns([3, 2])
            text = left.text_input("Name or string", key="import_review_add_text")
            kind = right.selectbox(
                "Kind", list(KINDS), format_func=KINDS.get, key="import_review_add_kind"
            )
            add = st.form_submit_button("Add")
        if add:
            with reporting():
                _add_string(pending, text, kind)
                st.rerun()
        if pending.added:
            st.markdown("**Added strings**")
            for number, (added_text, added_kind) in enumerate(list(pending.added)):
                left, middle, right = st.columns([3, 2, 1])
                left.markdown(md(added_text))
                middle.markdown(md(KINDS[added_kind]))
                if right.button("Remove", key=f"import_review_remove_{pending.token}_{number}"):
                    del pending.added[number]
                    st.rerun()

        left, right = st.columns(2)
        confirm = left.button(
            "Import with these replacements", type="primary", key="import_review_confirm"
        )
        cancel = right.button("Cancel", key="import_review_cancel")
    if cancel:
        slot.empty()
        st.session_state.pop(REVIEW_KEY, None)
        st.info("Import cancelled: nothing was stored.")
    elif confirm:
        with reporting():
            pseudonymiser = ReviewedPseudonymiser(
                Pseudonymiser.open(pending.log_path, project.path),
                [item.plan for item in reviews if item.plan is not None],
            )
            slot.empty()
            _import(project, identity, pending.request, pseudonymiser)
            st.session_state.pop(REVIEW_KEY, None)


def body(project: Project, identity: Identity) -> None:
    st.title("Import")
    has_codebook = cache.codebook(str(project.path)) is not None
    with st.form("import_form"):
        files = st.file_uploader(
            "Transcripts and workshop outputs",
            type=accepted_suffixes(),
            accept_multiple_files=True,
            key="import_files",
        )
        left, right = st.columns(2)
        location = left.text_input("Location", key="import_location")
        session = right.text_input("Session", key="import_session")
        left, right = st.columns(2)
        date = left.text_input("Date", key="import_date", placeholder="e.g. 2022-05-14")
        group = right.text_input("Group", key="import_group")
        other = st.text_area(
            "Other attributes (one name = value per line)", key="import_other", height=68
        )
        manifest = st.file_uploader(
            "Or a manifest (CSV or YAML: file, location, session, date, group, ...)",
            type=["csv", "yaml", "yml"],
            key="import_manifest",
        )
        pseudonymise = st.checkbox(
            "Pseudonymise: replace names, places, organisations, e-mails, phone numbers, "
            "dates of birth, addresses and postcodes before anything is stored",
            key="import_pseudonymise",
        )
        log_path = st.text_input(
            "Replacement log (originals and pseudonyms; a .json file kept apart from the project)",
            value=os.environ.get(LOG_ENV, ""),
            key="import_pseudonym_log",
        )
        then_suggest = st.checkbox(
            "Suggest codes afterwards", value=has_codebook, disabled=not has_codebook,
            key="import_suggest",
        )  # fmt: skip
        unit_now = read_setting(project, CODING_UNIT.key)
        unit = st.radio(
            "Unit of coding", CODING_UNITS, index=CODING_UNITS.index(unit_now),
            format_func=UNIT_LABELS.get, horizontal=True, disabled=not identity.supervises,
            key="import_unit",
            help="What coders code, for the documents imported from now on (a project "
            "setting; documents already imported keep theirs). A supervisor's choice.",
        )  # fmt: skip
        submitted = st.form_submit_button("Import", type="primary")
    if submitted:
        st.session_state.pop(REVIEW_KEY, None)
        with reporting():
            if not files:
                raise QualcodeError("choose one or more files to import")
            if unit != unit_now:
                change_setting(project, CODING_UNIT.key, unit, identity.name)
            attributes = {"date": date, "group": group, **parse_attributes(other)}
            request = ImportRequest(
                files=[Upload(f.name, f.getvalue()) for f in files],
                manifest=Upload(manifest.name, manifest.getvalue()) if manifest else None,
                location=location.strip() or None,
                session=session.strip() or None,
                attributes={k: v for k, v in attributes.items() if v},
                then_suggest=then_suggest,
            )
            if pseudonymise:
                _start_review(project, request, log_path.strip())
            else:
                _import(project, identity, request, None)
    pending = st.session_state.get(REVIEW_KEY)
    if pending is not None:
        _review(project, identity, pending)
    st.divider()
    speakers_section(project, identity)
    st.divider()
    st.subheader("Suggestions")
    st.caption("Re-score every segment, learning from the decisions coders have made so far.")
    if st.button("Suggest codes now", key="import_suggest_now", disabled=not has_codebook):
        with reporting():
            _suggest(project)


run_page(body)
