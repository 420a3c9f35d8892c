"""Import: upload transcripts and workshop outputs with their attributes (or a
manifest), see what happened to each file, then suggest codes with a progress bar."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.ingest.pipeline import IngestReport
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import reporting, run_page
from qualcode.ui.identity import Identity
from qualcode.ui.markup import md
from qualcode.uploads import Upload, accepted_suffixes, ingest_uploads

LOG_ENV = "QUALCODE_PSEUDONYM_LOG"


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
    failed = {f["path"]: f["error"] for f in report.failed}
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
        submitted = st.form_submit_button("Import", type="primary")
    if submitted:
        with reporting():
            if not files:
                raise QualcodeError("choose one or more files to import")
            attributes = {"date": date, "group": group, **parse_attributes(other)}
            attributes = {k: v for k, v in attributes.items() if v}
            pseudonymiser = None
            if pseudonymise:
                if not log_path.strip():
                    raise QualcodeError("pseudonymising needs a replacement log file")
                from qualcode.privacy import Pseudonymiser

                pseudonymiser = Pseudonymiser.open(log_path.strip(), project.path)
                for note in pseudonymiser.notes:
                    st.warning(md(note))
            bar = st.progress(0.0, text="Reading files…")

            def step(done: int, total: int, name: str) -> None:
                bar.progress(done / total if total else 1.0, text=f"{done} of {total}: {name}")

            report = ingest_uploads(
                project,
                [Upload(f.name, f.getvalue()) for f in files],
                manifest=Upload(manifest.name, manifest.getvalue()) if manifest else None,
                location=location.strip() or None,
                session=session.strip() or None,
                attributes=attributes,
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
            _results(report, [f.name.replace("\\", "/").rsplit("/", 1)[-1] for f in files])
            if then_suggest and report.documents_added:
                _suggest(project)
    st.divider()
    st.subheader("Suggestions")
    st.caption("Re-score every segment, learning from the decisions coders have made so far.")
    if st.button("Suggest codes now", key="import_suggest_now", disabled=not has_codebook):
        with reporting():
            _suggest(project)


run_page(body)
