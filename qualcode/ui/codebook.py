"""Codebook: browse the hierarchy, edit a code (each change is a new codebook version),
add a coded segment as an example, retire a code, import and export YAML and .qdc."""

from __future__ import annotations

import streamlit as st

from qualcode.codebook import (
    Code,
    Codebook,
    add_code,
    add_example,
    current_codebook,
    edit_code,
    retire_code,
)
from qualcode.codebook_files import codebook_file, load_codebook_file
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes import coded_segments
from qualcode.ui import cache
from qualcode.ui.common import reporting, run_page, show_success, success_next_run
from qualcode.ui.identity import Identity
from qualcode.ui.markup import STYLE, code_color, esc, md

S_FLASH = "codebook_flash"


def _tree_html(codebook: Codebook) -> str:
    rows = []
    for code in codebook.codes:
        depth = len(codebook.ancestors(code.id))
        color = code_color(code.id, code.color)
        marks = []
        if not code.codable:
            marks.append("group")
        if code.retired:
            marks.append("retired")
        note = f" <span class='qc-meta'>({', '.join(marks)})</span>" if marks else ""
        style = "text-decoration: line-through; opacity: .6;" if code.retired else ""
        weight = "font-weight: 600;" if not code.codable else ""
        rows.append(
            f"<div style='margin-left:{1.2 * depth}rem; {style} {weight}'>"
            f"<span style='color:{esc(color)}'>■</span> {esc(code.label)} "
            f"<span class='qc-meta'>{esc(code.id)}</span>{note}</div>"
        )
    return STYLE + "".join(rows)


def _details(code: Code) -> None:
    fields = (
        ("Definition", code.definition),
        ("Full definition", code.full_definition),
        ("Include", code.include),
        ("Exclude", code.exclude),
        ("Provenance", code.provenance),
        ("Thematic priorities", ", ".join(code.priorities)),
    )
    st.html(
        "".join(f"<p><b>{name}.</b> {esc(value)}</p>" for name, value in fields if value)
        + "".join(f"<p>Example: “{esc(e)}”</p>" for e in code.examples)
    )


def _done(message: str) -> None:
    cache.forget()
    success_next_run(S_FLASH, message)


def _edit_form(project: Project, identity: Identity, code: Code) -> None:
    with st.form(f"edit_{code.id}"):
        label = st.text_input("Label", code.label)
        definition = st.text_area("Definition", code.definition, height=68)
        full = st.text_area("Full definition", code.full_definition, height=100)
        include = st.text_area("Include (when to use)", code.include, height=68)
        exclude = st.text_area("Exclude (when not to use)", code.exclude, height=68)
        examples = st.text_area("Examples (one per line)", "\n".join(code.examples), height=100)
        left, right = st.columns([1, 3])
        color = left.color_picker("Colour", code_color(code.id, code.color))
        provenance = right.text_input("Provenance", code.provenance)
        if st.form_submit_button("Save as a new codebook version", type="primary"):
            with reporting():
                result = edit_code(
                    project, code.id, identity.name, label=label.strip(),
                    definition=definition.strip(), full_definition=full.strip(),
                    include=include.strip(), exclude=exclude.strip(),
                    examples=[e.strip() for e in examples.splitlines() if e.strip()],
                    color=color if code.color or color != code_color(code.id, None) else None,
                    provenance=provenance.strip(),
                )  # fmt: skip
                _done(
                    f"Saved {code.id}: codebook version {result.version}."
                    if result.created
                    else "Nothing changed."
                )


def _example_from_segment(project: Project, identity: Identity, code: Code) -> None:
    try:
        mine = coded_segments(project, f"coder:{identity.name}", "code", code.id, limit=100)
    except QualcodeError:
        mine = []
    if not mine:
        st.caption("Segments you code with this code can be added here as examples.")
        return
    texts = {s.segment_id: s for s in mine}
    picked = st.selectbox(
        "One of your coded segments", list(texts), key=f"example_pick_{code.id}",
        format_func=lambda i: f"{texts[i].document} turn {texts[i].ordinal + 1}: "
        f"{texts[i].text[:90]}",
    )  # fmt: skip
    if st.button("Add as an example", key=f"example_add_{code.id}") and picked is not None:
        with reporting():
            result = add_example(project, code.id, texts[picked].text, identity.name)
            _done(f"Example added to {code.id}: codebook version {result.version}.")


def _retire(project: Project, identity: Identity, code: Code) -> None:
    sure = st.checkbox(
        md(
            f"Retire '{code.id}': it stays in the codebook and in past codings, but can no "
            "longer be applied"
        ),
        key=f"retire_sure_{code.id}",
    )
    if st.button("Retire code", key=f"retire_{code.id}", disabled=not sure):
        with reporting():
            result = retire_code(project, code.id, identity.name)
            _done(f"Retired {code.id}: codebook version {result.version}.")


def _new_code(project: Project, identity: Identity, codebook: Codebook) -> None:
    parents = [c.id for c in codebook.active()]
    with st.form("new_code"):
        left, right = st.columns(2)
        code_id = left.text_input("Id (letters, digits, _ - .; never changes meaning)")
        label = right.text_input("Label")
        parent = st.selectbox("Parent", [None, *parents], format_func=lambda v: v or "(top level)")
        definition = st.text_area("Definition", height=68)
        codable = st.checkbox("Codable (not only a group)", value=True)
        if st.form_submit_button("Add code"):
            with reporting():
                result = add_code(
                    project,
                    Code(id=code_id.strip(), label=label.strip(), parent=parent,
                         codable=codable, definition=definition.strip()),
                    identity.name,
                )  # fmt: skip
                _done(f"Added {code_id.strip()}: codebook version {result.version}.")


def _upload(project: Project, identity: Identity) -> None:
    upload = st.file_uploader(
        "Load a codebook (YAML or REFI .qdc): stored as a new version if it differs",
        type=["yaml", "yml", "qdc"],
        key="codebook_upload",
    )
    if st.button("Load codebook", key="codebook_load", disabled=upload is None) and upload:
        with reporting():
            result = load_codebook_file(project, upload.name, upload.getvalue(), identity.name)
            _done(
                f"Loaded {upload.name}: codebook version {result.version} "
                f"({len(result.added)} added, {len(result.changed)} changed, "
                f"{len(result.retired)} retired)."
                if result.created
                else f"{upload.name} matches the current codebook: nothing stored."
            )


def _files(project: Project, identity: Identity, codebook: Codebook | None) -> None:
    st.subheader("Import and export" if identity.supervises else "Download")
    if identity.supervises:
        _upload(project, identity)
    if codebook is None:
        return
    left, right = st.columns(2)
    for column, fmt, label, mime in (
        (left, "yaml", "Download YAML", "application/yaml"),
        (right, "qdc", "Download REFI .qdc", "application/xml"),
    ):
        column.download_button(
            label,
            data=lambda fmt=fmt: codebook_file(project, fmt)[1],
            file_name=f"codebook-v{codebook.version}.{fmt}",
            mime=mime,
            key=f"codebook_download_{fmt}",
            on_click="ignore",
        )


def body(project: Project, identity: Identity) -> None:
    st.title("Codebook")
    show_success(S_FLASH)
    codebook = current_codebook(project)
    if codebook is None:
        if identity.supervises:
            st.info("No codebook yet: load one below (the CSF-POF codebook ships as YAML).")
            _files(project, identity, None)
        else:
            st.info("No codebook yet: a supervisor or admin loads it.")
        return
    active = len(codebook.codable())
    st.caption(md(f"{codebook.name}, version {codebook.version}: {active} codable codes."))
    tree, detail = st.columns([2, 3])
    with tree:
        st.html(_tree_html(codebook))
    with detail:
        labels = {c.id: f"{c.label} ({c.id}){' – retired' if c.retired else ''}"
                  for c in codebook.codes}  # fmt: skip
        chosen = st.selectbox("Code", list(labels), format_func=labels.get, key="codebook_code")
        code = codebook.by_id()[chosen]
        _details(code)
        if not identity.supervises:
            st.caption(
                "Supervisors and admins change the codebook; propose a change to them "
                "in a memo on the code."
            )
        elif not code.retired:
            with st.expander("Edit"):
                _edit_form(project, identity, code)
            if code.codable:
                with st.expander("Add one of your coded segments as an example"):
                    _example_from_segment(project, identity, code)
            with st.expander("Retire"):
                _retire(project, identity, code)
        if identity.supervises:
            with st.expander("New code"):
                _new_code(project, identity, codebook)
    st.divider()
    _files(project, identity, codebook)


run_page(body)
