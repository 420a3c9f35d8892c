"""Document: a whole transcript with its coded segments highlighted, to read in context."""

from __future__ import annotations

import streamlit as st

from qualcode.access import visible_layers
from qualcode.coding import document_view, list_documents
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import run_page
from qualcode.ui.identity import Identity, coders
from qualcode.ui.layer_picker import layer_label
from qualcode.ui.markup import Line, Span, chips, code_color, document_html, text_html

UNIT_NAMES = {
    "turn": "coded by turn",
    "sentence": "coded by sentence (turns of more than three sentences split)",
}


def body(project: Project, identity: Identity) -> None:
    st.title("Document")
    documents = list_documents(project)
    if not documents:
        st.info("No documents yet: add some on the Import page.")
        return
    by_id = {d.id: d for d in documents}

    def describe(doc_id: int) -> str:
        d = by_id[doc_id]
        where = ", ".join(p for p in (d.location, f"session {d.session}" if d.session else "") if p)
        return f"{d.title} ({where})" if where else d.title

    left, right = st.columns([3, 2])
    doc_id = left.selectbox("Document", list(by_id), format_func=describe, key="doc_id")
    layers = visible_layers(project, [c.name for c in coders(project)])
    layer = right.selectbox(
        "Codings shown", layers, format_func=lambda v: layer_label(v, identity), key="doc_layer"
    )
    view = document_view(project, doc_id, layer)
    codebook = cache.codebook(str(project.path))
    codes = codebook.by_id() if codebook else {}
    show_coder = layer == "all"
    spans = []
    for c in view.codings:
        code = codes.get(c.code_id)
        label = code.label if code else c.code_id
        if show_coder:
            label = f"{label} ({c.coder})"
        spans.append(
            Span(c.start, c.end, c.code_id, label, code_color(c.code_id, code and code.color))
        )
    info = view.info
    meta = " · ".join(
        p
        for p in (
            info.format,
            f"location {info.location}" if info.location else "",
            f"session {info.session}" if info.session else "",
            f"group {info.group}" if info.group else "",
            info.date or "",
            f"version {info.version}" if info.version > 1 else "",
            UNIT_NAMES.get(info.coding_unit, "segments from the imported project"),
            f"{len(view.segments)} segments, {len(view.codings)} codings shown",
        )
        if p
    )
    st.html(text_html(meta))
    used = dict.fromkeys((s.label, s.color) for s in spans)
    if used:
        with st.expander(f"Codes in this document ({len(used)})"):
            st.html(chips(used))
    if view.preamble:
        st.caption("Header: the note above the first speaker turn (not coded)")
        st.html("".join(text_html(line) for line in view.preamble.splitlines() if line.strip()))
    lines = [Line(s.start, s.end, s.speaker, s.text) for s in view.segments]
    st.html(document_html(lines, spans))


run_page(body)
