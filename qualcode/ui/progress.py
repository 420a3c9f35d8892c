"""Progress: how much each coder has reviewed, per document, and how often each
code's suggestions were accepted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.coding import acceptance_rates, review_progress
from qualcode.store import Project
from qualcode.ui.common import run_page
from qualcode.ui.identity import Identity
from qualcode.ui.markup import md


def body(project: Project, identity: Identity) -> None:
    st.title("Progress")
    rows = review_progress(project)
    if not identity.supervises:
        st.caption("Your own progress (supervisors see every coder's).")
        rows = [r for r in rows if r["coder"] == identity.name]
    if not rows:
        st.info("No segment reviewed yet.")
    else:
        table = pd.DataFrame(rows)
        totals = table.groupby("coder", as_index=False)[["reviewed", "segments"]].sum()
        cols = st.columns(max(1, min(4, len(totals))))
        for i, row in enumerate(totals.itertuples()):
            cols[i % len(cols)].metric(
                md(row.coder), f"{row.reviewed / row.segments:.0%}",
                help=f"{row.reviewed} of {row.segments} segments in the documents they worked on",
            )  # fmt: skip
        st.subheader("Per document")
        st.dataframe(
            table[["coder", "document", "reviewed", "segments", "share"]],
            hide_index=True,
            column_config={
                "share": st.column_config.ProgressColumn(
                    "reviewed share", format="percent", min_value=0.0, max_value=1.0
                )
            },
        )
    st.subheader("Suggestions accepted, per code")
    rates = acceptance_rates(project, None if identity.supervises else identity.name)
    if not rates:
        st.info("No suggestion decided yet.")
        return
    frame = pd.DataFrame(rates)
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "rate": st.column_config.ProgressColumn(
                "acceptance rate", format="percent", min_value=0.0, max_value=1.0
            )
        },
    )


run_page(body)
