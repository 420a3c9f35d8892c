"""Export: tables for papers (themes, framework matrix, codings, codebook) as files, and
(for supervisors) the whole project as a REFI-QDA exchange file."""

from __future__ import annotations

import streamlit as st

from qualcode.access import visible_layers
from qualcode.coding import layers_with_codings
from qualcode.exports import FORMATS, KINDS, export_bytes
from qualcode.refi import qdpx_bytes
from qualcode.store import Project
from qualcode.ui.common import reporting, run_page
from qualcode.ui.identity import Identity, coders
from qualcode.ui.layer_picker import export_default, layer_label
from qualcode.ui.markup import md

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
S_QDPX = "export_qdpx_ready"
QDPX_MIME = "application/zip"


def body(project: Project, identity: Identity) -> None:
    st.title("Export")
    kind = st.selectbox("Table", KINDS, format_func=KIND_NAMES.get, key="export_kind")
    fmt = st.selectbox("Format", FORMATS, key="export_format")
    layer = None
    if kind != "codebook":
        layers = layers_with_codings(
            project, visible_layers(project, [c.name for c in coders(project)])
        )
        if not layers:
            st.info(
                "No codings to export yet: code on the Code page first (the codebook "
                "can be exported now)."
            )
            _qdpx_if_supervisor(project, identity)
            return
        layer = st.selectbox(
            "Codings from", layers, index=export_default(layers, identity),
            format_func=lambda v: layer_label(v, identity), key="export_layer",
            help="Only layers with codings are listed.",
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
    _qdpx_if_supervisor(project, identity)


def _qdpx_if_supervisor(project: Project, identity: Identity) -> None:
    if identity.supervises:
        _qdpx(project, identity)


def _qdpx(project: Project, identity: Identity) -> None:
    """The whole project as a .qdpx for NVivo, ATLAS.ti or MAXQDA: every coder's codings,
    so supervisors and admins only (the library checks too)."""
    st.subheader("Exchange project (REFI-QDA .qdpx)")
    st.caption(
        "Documents, the codebook, every coder's codings, memos and cases, for NVivo, "
        "ATLAS.ti or MAXQDA."
    )
    if st.button("Prepare the .qdpx", key="export_qdpx_prepare"):
        with reporting():
            data, report = qdpx_bytes(project, actor=identity.name)
            st.session_state[S_QDPX] = (data, report.documents, report.codings)
    ready = st.session_state.get(S_QDPX)
    if ready:
        data, documents, codings = ready
        name = f"{project.path.stem}.qdpx"
        st.download_button(
            md(f"Download {name} ({documents} documents, {codings} codings)"),
            data=data,
            file_name=name,
            mime=QDPX_MIME,
            key="export_qdpx_download",
            on_click="ignore",
        )


run_page(body)
