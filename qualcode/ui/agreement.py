"""Agreement (supervisors only): the agreement report, the disagreements, and settling
each in the consensus layer. The role is checked by the library calls themselves."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from qualcode.agreement import (
    BY_CHOICES,
    Disagreement,
    agreement_report,
    disagreements,
    next_open,
    settle,
)
from qualcode.coding import segment_context
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.ui import cache
from qualcode.ui.common import choice, one_line, reporting, run_page, show_success, success_next_run
from qualcode.ui.identity import Identity, coders
from qualcode.ui.markup import esc, md, text_html, turns_html

S_FLASH = "agreement_flash"
S_SETTLED = "agreement_settled"  # the (segment, code) just settled: the next is shown
STATS = {
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    "percent_agreement": "Percent agreement",
}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _overall(report: dict[str, Any]) -> None:
    overall = report["overall"]
    ci = overall.get("ci95") or {}
    shown = [k for k in STATS if overall.get(k) is not None]
    cols = st.columns(len(shown) or 1)
    for col, key in zip(cols, shown, strict=False):
        low, high = ci.get(key) or (None, None)
        col.metric(STATS[key], _fmt(overall[key]))
        if low is not None:
            col.caption(f"95% CI {_fmt(low)} – {_fmt(high)}")
    share = overall.get("joint_absence_share")
    if overall.get("percent_agreement") is not None and share is not None:
        st.caption(
            f"Percent agreement counts a code both coders left off a segment as agreement "
            f"({share:.0%} of the agreement here), so it runs high; kappa, alpha and AC1 "
            "correct for chance and are the figures to report."
        )
    st.caption(
        md(
            f"Unit: {report['unit']}. {report['n_units']} segments reviewed by two or more of "
            f"{', '.join(report['coders'])}; {report['n_segments_reviewed']} reviewed by any."
        )
    )


def _per_code(report: dict[str, Any]) -> None:
    two = len(report["coders"]) == 2
    stat = "cohen_kappa" if two else "krippendorff_alpha"
    frame = pd.DataFrame([{"code": code, **values} for code, values in report["per_code"].items()])
    if frame.empty:
        return
    frame["flag"] = frame["rare"].map({True: "rare (unstable)", False: "enough positives"})
    chart = (
        alt.Chart(frame.dropna(subset=[stat]))
        .mark_bar()
        .encode(
            x=alt.X(f"{stat}:Q", title=STATS[stat], scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("code:N", sort="-x", title=None),
            color=alt.Color("flag:N", title=None),
            tooltip=["code", alt.Tooltip(f"{stat}:Q", format=".3f"), "positives", "n_units"],
        )
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(frame.drop(columns=["flag"]), hide_index=True)


def _groups(report: dict[str, Any]) -> None:
    by = report.get("by")
    if not by:
        return
    st.subheader(f"By {by['dimension']}")
    rows = [{by["dimension"]: key, **values} for key, values in by["groups"].items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _describe(d: Disagreement) -> str:
    settled = f" · settled {d.settled}" if d.settled else ""
    return f"{d.code_id} · {d.document} turn {d.ordinal + 1}{settled}"


def _settle_one(project: Project, identity: Identity, d: Disagreement) -> None:
    turns = segment_context(project, d.segment_id)  # the neighbouring turns, as on Code
    st.html(text_html(f"{d.document} · turn {d.ordinal + 1} · code {d.code_id}"))
    st.html(turns_html([(t.speaker, t.text, t.id == d.segment_id) for t in turns]))
    st.html(
        "".join(f"<p>{esc(c)}: <b>{esc(v)}</b></p>" for c, v in sorted(d.decisions.items()))
        + "".join(f"<p><i>{esc(m['coder'])}: {esc(m['memo'])}</i></p>" for m in d.memos)
    )
    adopt_options = [f"adopt:{coder}" for coder in sorted(d.decisions)]
    options = [*adopt_options, "present", "absent"]

    def label(value: str) -> str:
        if value.startswith("adopt:"):
            coder = value.removeprefix("adopt:")
            return md(f"Adopt {coder}'s decision ({d.decisions[coder]})")
        return f"Decide otherwise: the code is {value}"

    key = f"{d.segment_id}_{d.code_id}"
    with st.form(f"settle_{key}"):
        chosen = st.radio("Settle as", options, format_func=label, key=f"settle_choice_{key}")
        reason = st.text_input(
            "Reason (needed when deciding otherwise)", key=f"settle_reason_{key}"
        )
        if st.form_submit_button("Settle", type="primary"):
            with reporting():
                if chosen.startswith("adopt:"):
                    settle(project, d.segment_id, d.code_id, identity.name,
                           adopt=chosen.removeprefix("adopt:"), reason=reason or None)  # fmt: skip
                else:
                    settle(project, d.segment_id, d.code_id, identity.name,
                           decision=chosen, reason=reason)  # fmt: skip
                st.session_state[S_SETTLED] = (d.segment_id, d.code_id)
                success_next_run(
                    S_FLASH,
                    f"Settled {d.code_id} on segment {d.segment_id} in the consensus layer.",
                )


def body(project: Project, identity: Identity) -> None:
    st.title("Agreement")
    names = [c.name for c in coders(project)]
    options = cache.options(str(project.path))
    with st.sidebar:
        chosen = st.multiselect(
            "Coders (none chosen: all; model = the suggestions)", [*names, "model"],
            key="agr_coders",
        )  # fmt: skip
        by = choice("Break down by", [b for b in BY_CHOICES if b != "code"], "agr_by")
        sample = choice("Reliability sample", options.samples, "agr_sample")
        with_ci = st.checkbox("Bootstrap 95% intervals", value=True, key="agr_ci")
    selection = {"coders": chosen or None, "sample": sample}
    try:  # the library refuses anyone but a supervisor or admin
        report = agreement_report(project, by=by, ci=with_ci, **selection)
    except QualcodeError as exc:
        if not identity.supervises:
            raise
        st.info(md(one_line(exc)))  # not enough decisions yet
        return
    show_success(S_FLASH)
    _overall(report)
    st.subheader("Per code")
    _per_code(report)
    _groups(report)
    with st.expander("Definitions"):
        for key, text in report["definitions"].items():
            st.html(f"<p><b>{esc(key)}</b>: {esc(text)}</p>")
    st.subheader("Disagreements")
    found = disagreements(project, **selection)
    if not found:
        st.info("No disagreements among these coders.")
        return
    open_count = sum(1 for d in found if d.settled is None)
    st.caption(f"{len(found)} disagreements, {open_count} not settled yet.")
    table = pd.DataFrame(
        [
            {
                "code": d.code_id,
                "document": d.document,
                "turn": d.ordinal + 1,
                "text": d.text,
                **{f"{c}": v for c, v in d.decisions.items()},
                "settled": d.settled or "",
            }
            for d in found
        ]
    )
    st.dataframe(table, hide_index=True, height=240)
    keys = [(d.segment_id, d.code_id) for d in found]
    if S_SETTLED in st.session_state or st.session_state.get("agr_pick") not in keys:
        following = next_open(found, st.session_state.pop(S_SETTLED, None))
        if following is None:
            st.success("Every disagreement here is settled.")
        st.session_state["agr_pick"] = keys[following or 0]
    picked = st.selectbox(
        "Settle", keys, format_func=lambda k: _describe(found[keys.index(k)]), key="agr_pick",
    )  # fmt: skip
    _settle_one(project, identity, found[keys.index(picked)])


run_page(body)
