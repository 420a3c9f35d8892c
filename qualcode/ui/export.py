"""Export: tables for papers (themes, framework matrix, codings, codebook) as files."""

from __future__ import annotations

import streamlit as st

from qualcode.exports import FORMATS, KINDS, export_bytes
from qualcode.store import Project
from qualcode.ui.common import reporting, run_page
from qualcode.ui.identity import Identity, coders
from qualcode.ui.layers import layer_label, visible_layers

KIND_NAMES = {
    "themes": "Theme table (counts, participants, quotes)",
    "matrix": "Framework matrix",
    "codings": "Codings",
    "codebook": "Codebook (appendix table)",
}
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown",
    "tex": "application/x-tex",
}
S_READY = "export_ready"


def body(project: Project, identity: Identity) -> None:
    st.title("Export")
    kind = st.selectbox("Table", KINDS, format_func=KIND_NAMES.get, key="export_kind")
    fmt = st.selectbox("Format", FORMATS, key="export_format")
    layer = None
    if kind != "codebook":
        layers = visible_layers(identity, [c.name for c in coders(project)])
        layer = st.selectbox(
            "Codings from", layers, format_func=lambda v: layer_label(v, identity),
            key="export_layer",
        )  # fmt: skip
    request = (kind, fmt, layer)
    if st.button("Prepare the file", key="export_prepare", type="primary"):
        with reporting():
            result = export_bytes(project, kind, fmt, layer, actor=identity.name)
            st.session_state[S_READY] = (request, result.data, result.rows)
    ready = st.session_state.get(S_READY)
    if ready and ready[0] == request:
        _, data, rows = ready
        st.download_button(
            f"Download {kind}.{fmt} ({rows} rows)",
            data=data,
            file_name=f"{kind}.{fmt}",
            mime=MIME.get(fmt),
            key="export_download",
            on_click="ignore",
        )


run_page(body)
