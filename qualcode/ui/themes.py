"""Themes: the themes themselves (created, edited, deleted: `theme_edit`), coded segments
and distinct participants per theme and code across locations x sessions, the segments
behind any cell (each can be pinned as a quote), and code co-occurrence."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from qualcode.access import visible_layers
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.themes import (
    ANY,
    Target,
    Tracking,
    code_cooccurrence,
    coded_segments,
    create_framework_themes,
    list_themes,
    track,
)
from qualcode.ui.common import one_line, reporting, run_page
from qualcode.ui.identity import Identity, coders
from qualcode.ui.layer_picker import analysis_default, layer_label
from qualcode.ui.markup import md
from qualcode.ui.theme_edit import flash, segments_with_pins, themes_section

MEASURES = {
    "segments": "Coded segments",
    "participants": "Distinct participants",
    "documents": "Documents",
}


def _case_name(location: str | None, session: str | None) -> str:
    return f"{location or '(no location)'} · s{session or '?'}"


def _target_name(target: Target) -> str:
    kind = "Theme" if target.kind == "theme" else "Code"
    return f"{kind}: {'  ' * target.depth}{target.label}"


def _overview(tracking: Tracking, measure: str) -> None:
    rows = []
    for target in tracking.targets:
        total = tracking.get(target.kind, target.id)
        row = {
            "kind": target.kind,
            "theme or code": target.label,
            "segments": total.segments,
            "participants": total.participants,
        }
        for location, session in tracking.cases:
            cell = tracking.get(target.kind, target.id, "cell", location, session)
            row[_case_name(location, session)] = getattr(cell, measure)
        rows.append(row)
    frame = pd.DataFrame(rows)
    cells = [_case_name(loc, ses) for loc, ses in tracking.cases]
    styled = frame.style.background_gradient(cmap="Blues", subset=cells, axis=None)
    st.dataframe(styled, hide_index=True)
    st.caption(
        md(
            f"{MEASURES[measure]} per location x session in layer {tracking.layer}. "
            f"Totals: segments and distinct participants (of {tracking.participants_total} "
            f"participants in {tracking.documents_total} documents)."
        )
    )


def _heatmap(tracking: Tracking, target: Target, measure: str) -> dict | None:
    """A location x session heatmap of one target; returns the clicked cell, if any."""
    data = pd.DataFrame(
        [
            {
                "location": location or "(no location)",
                "session": session or "?",
                "value": getattr(
                    tracking.get(target.kind, target.id, "cell", location, session), measure
                ),
            }
            for location, session in tracking.cases
        ]
    )
    pick = alt.selection_point(fields=["location", "session"], name="cell")
    rows = max(1, data["location"].nunique())
    base = alt.Chart(data, height=max(140, 48 * rows)).encode(
        x=alt.X("session:N", title="session", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("location:N", title=None),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("value:Q", title=MEASURES[measure], scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=["location", "session", alt.Tooltip("value:Q", title=MEASURES[measure])],
    )
    labels = base.mark_text(baseline="middle", fontSize=14).encode(text="value:Q")
    event = st.altair_chart(
        (heat + labels).add_params(pick), on_select="rerun", key="themes_heat", width="stretch"
    )
    chosen = (event.selection.get("cell") or []) if event else []
    return chosen[0] if chosen else None


def _segments(project: Project, identity: Identity, layer: str, target: Target,
              tracking: Tracking, clicked: dict | None) -> None:  # fmt: skip
    st.subheader("Segments")
    locations = sorted({loc for loc, _ in tracking.cases}, key=lambda v: (v is None, v or ""))
    sessions = sorted({ses for _, ses in tracking.cases}, key=lambda v: (v is None, v or ""))
    left, right = st.columns(2)
    every = "(all)"
    picked_location = left.selectbox(
        "Location", [every, *locations], key="themes_loc",
        format_func=lambda v: "All" if v == every else v or "(none)",
    )  # fmt: skip
    picked_session = right.selectbox(
        "Session", [every, *sessions], key="themes_ses",
        format_func=lambda v: "All" if v == every else v or "(none)",
    )  # fmt: skip
    location = ANY if picked_location == every else picked_location
    session = ANY if picked_session == every else picked_session
    if clicked:
        location = next((v for v in locations if (v or "(no location)") == clicked["location"]),
                        location)  # fmt: skip
        session = next((v for v in sessions if (v or "?") == clicked["session"]), session)
        st.caption("Showing the cell clicked in the heatmap (click it again to clear).")
    found = coded_segments(project, layer, target.kind, target.id, location, session, limit=200)
    if not found:
        st.info("No coded segments there.")
        return
    st.caption(f"{len(found)} segments{' (first 200)' if len(found) == 200 else ''}.")
    segments_with_pins(project, identity, layer, target, found)


def _cooccurrence(project: Project, layer: str) -> None:
    st.subheader("Code co-occurrence")
    window = st.radio(
        "Together on", [0, 1], horizontal=True, key="themes_window",
        format_func=lambda w: "the same segment" if w == 0 else "the same or a neighbouring one",
    )  # fmt: skip
    result = code_cooccurrence(project, layer, window)
    if len(result.codes) < 2:
        st.info("Fewer than two codes used in this layer.")
        return
    similarity = result.similarity()
    rows = [
        {"a": a, "b": b, "together": int(result.counts[i, j]), "ochiai": float(similarity[i, j])}
        for i, a in enumerate(result.codes)
        for j, b in enumerate(result.codes)
    ]
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame[frame["a"] != frame["b"]])  # the diagonal would drown the colours
        .mark_rect()
        .encode(
            x=alt.X("a:N", sort=result.codes, title=None),
            y=alt.Y("b:N", sort=result.codes, title=None),
            color=alt.Color("together:Q", scale=alt.Scale(scheme="oranges")),
            tooltip=["a", "b", "together", alt.Tooltip("ochiai:Q", format=".2f")],
        )
    )
    st.altair_chart(chart, width="stretch")
    upper = np.triu_indices(len(result.codes), k=1)
    pairs = frame.set_index(["a", "b"]).loc[
        [(result.codes[i], result.codes[j]) for i, j in zip(*upper, strict=True)]
    ]
    top = pairs[pairs["together"] > 0].sort_values("ochiai", ascending=False).head(15)
    st.dataframe(top.reset_index(), hide_index=True)


def body(project: Project, identity: Identity) -> None:
    st.title("Themes")
    flash()
    layers = visible_layers(project, [c.name for c in coders(project)])
    left, right = st.columns(2)
    layer = left.selectbox(
        "Codings counted", layers, index=analysis_default(layers, identity),
        format_func=lambda v: layer_label(v, identity), key="themes_layer",
    )  # fmt: skip
    measure = right.radio(
        "Count", list(MEASURES), format_func=MEASURES.get, horizontal=True, key="themes_measure"
    )
    if not any(t.origin == "framework" for t in list_themes(project)):
        st.info("No framework themes yet: one theme per top-level group of the codebook.")
        if st.button("Create the framework's themes", key="themes_framework"):
            with reporting():
                create_framework_themes(project, identity.name)
                st.rerun()
    themes_section(project, identity)
    try:
        tracking = track(project, layer)
    except QualcodeError as exc:  # an empty project or layer: nothing to count yet
        st.info(md(one_line(exc)))
        return
    _overview(tracking, measure)
    st.subheader("Across locations and sessions")
    targets = {f"{t.kind}:{t.id}": t for t in tracking.targets}
    chosen = st.selectbox(
        "Theme or code", list(targets), format_func=lambda k: _target_name(targets[k]),
        key="themes_target",
    )  # fmt: skip
    if chosen is None:
        return
    target = targets[chosen]
    clicked = _heatmap(tracking, target, measure)
    _segments(project, identity, layer, target, tracking, clicked)
    _cooccurrence(project, layer)


run_page(body)
