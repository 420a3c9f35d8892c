"""Code: the review queue, one segment at a time.

Each decision is written as a coding event the moment it is made. Blind: only
this coder's own decisions, codings and memos are read here. Two ways through
the data: the suggestion queue (best score first, or most uncertain first), or
every segment in reading order (for coding without suggestions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import streamlit as st

from qualcode.codebook import Code
from qualcode.coding import (
    Decision,
    Filters,
    SegmentCard,
    Trail,
    add_memo,
    excerpt_span,
    mark_reviewed,
    next_segment,
    record_decision,
    record_decisions,
    segment_card,
    undo_last,
)
from qualcode.errors import QualcodeError
from qualcode.store import Project
from qualcode.suggest import THRESHOLD, is_predicted, primary_suggestion, review_queue
from qualcode.ui import cache
from qualcode.ui.common import choice, one_line, run_page
from qualcode.ui.identity import Identity
from qualcode.ui.markup import esc, md, text_html, turns_html

QUEUE = "Suggestions queue"
WALK = "All segments, in reading order"
ORDERS = {"score": "Best score first", "uncertainty": "Most uncertain first"}
KIND_NAMES = {
    "label": "the code's label",
    "definition": "the definition",
    "include": "an include clause",
    "example": "an example",
}

# Shortcut keys are ignored while a text field has the focus, and a sidebar selectbox
# keeps it after a choice: the page takes it back so the keys work again at once.
# A fixed script (no data in it), the one place the app runs JavaScript.
RETURN_FOCUS = (
    "<script>(() => { const el = document.activeElement;"
    " if (el && el.closest('[data-testid=\"stSidebar\"]')) el.blur(); })();</script>"
)

QUEUE_PAGE = 20  # upcoming queue segments kept in the session between queue reads

S_CURRENT = "code_current"
S_SKIPPED = "code_skipped"
S_UPCOMING = "code_upcoming"
S_TRAIL = "code_trail"
S_FILTERS = "code_filter_signature"
S_FLASH = "code_flash"
S_INPUTS_FOR = "code_inputs_segment"
# What each per-segment input holds on a segment just shown: nothing typed or chosen
# for one segment may carry over to the next.
SEGMENT_INPUTS: dict[str, Any] = {
    "code_add_code": None,
    "code_add_excerpt": "",
    "code_memo_target": "segment",
    "code_memo_text": "",
}


def _flash(kind: str, message: str) -> None:
    st.session_state[S_FLASH] = (kind, message)


def _trail() -> Trail:
    return st.session_state.setdefault(S_TRAIL, Trail())


def _clear_inputs_on_a_new_segment(current: int | None) -> None:
    """Empty the add-a-code and memo inputs when the segment shown changes."""
    if st.session_state.get(S_INPUTS_FOR) != current:
        st.session_state[S_INPUTS_FOR] = current
        st.session_state.update(SEGMENT_INPUTS)


def _act(work: Callable[[], str | None]) -> None:
    """Run a button's work; keep its message (or its one-line error) for the next run."""
    try:
        message = work()
    except (QualcodeError, duckdb.Error) as exc:
        _flash("error", one_line(exc))
    else:
        if message:
            _flash("success", message)


def _sidebar_filters(project: Project, codes: list[Code]) -> tuple[str, str, Filters]:
    """The mode, the order and the filters chosen in the sidebar."""
    options = cache.options(str(project.path))
    titles = dict(options.documents)
    with st.sidebar:
        st.subheader("Review")
        mode = st.radio("Work through", [QUEUE, WALK], key="code_mode")
        order = "score"
        if mode == QUEUE:
            order = st.radio(
                "Order", list(ORDERS), format_func=ORDERS.get, key="code_order", horizontal=True
            )
        filters = Filters(
            document_id=choice("Document", list(titles), "code_document", titles.get),
            location=choice("Location", options.locations, "code_location"),
            session=choice("Session", options.sessions, "code_session"),
            code_id=choice(
                "Code", [c.id for c in codes], "code_code", {c.id: c.label for c in codes}.get
            ),
            sample=choice("Reliability sample", options.samples, "code_sample"),
            unreviewed_only=st.checkbox(
                "Only segments I have not started",
                key="code_unreviewed",
                help="Leave out segments you have already decided something on (the queue "
                "only ever shows suggestions you have not decided).",
            ),
        )
    return mode, order, filters


def _next_id(
    project: Project,
    identity: Identity,
    mode: str,
    order: str,
    filters: Filters,
    after: int | None,
) -> int | None:
    """The next segment to show: the next in reading order, or the queue's next one not
    skipped (the queue is read a page at a time and kept in the session)."""
    if mode == WALK:
        return next_segment(project, identity.name, filters, after=after)
    avoid = {*st.session_state.setdefault(S_SKIPPED, []), after}
    upcoming = [i for i in st.session_state.get(S_UPCOMING, []) if i not in avoid]
    if not upcoming:
        items = review_queue(
            project,
            identity.name,
            order=order,  # type: ignore[arg-type]
            limit=QUEUE_PAGE + len(avoid),
            document_id=filters.document_id,
            code_id=filters.code_id,
            location=filters.location,
            session=filters.session,
            sample=filters.sample,
            unreviewed_only=filters.unreviewed_only,
        )
        upcoming = [i.segment_id for i in items if i.segment_id not in avoid]
    st.session_state[S_UPCOMING] = upcoming[1:]
    return upcoming[0] if upcoming else None


def _move(
    project: Project,
    identity: Identity,
    mode: str,
    order: str,
    filters: Filters,
    skip: bool = False,
) -> str | None:
    current = st.session_state.get(S_CURRENT)
    if skip and current is not None:
        st.session_state.setdefault(S_SKIPPED, []).append(current)
    following = _trail().forward(current)  # first the segments stepped back from
    if following is None:
        following = _next_id(project, identity, mode, order, filters, current)
    st.session_state[S_CURRENT] = following
    return None


def _back() -> None:
    st.session_state[S_CURRENT] = _trail().back(st.session_state.get(S_CURRENT))


def _decide(project: Project, decisions: list[Decision], message: str) -> str:
    record_decisions(project, decisions)
    return message


def _undo(project: Project, identity: Identity) -> str:
    done = undo_last(project, identity.name)
    if done is None:
        return "Nothing to undo."
    segment_id = done.targets[0][0]
    st.session_state[S_CURRENT] = _trail().jump(st.session_state.get(S_CURRENT), segment_id)
    actions = ", ".join(f"{action} {code}" for _, code, action in done.targets)
    return f"Undone: {actions} (segment {segment_id})."


def _add_code(project: Project, identity: Identity, card: SegmentCard) -> str:
    code_id = st.session_state.get("code_add_code")
    if not code_id:
        raise QualcodeError("choose a code to add")
    excerpt = st.session_state.get("code_add_excerpt", "")
    span = excerpt_span(card, excerpt) if excerpt.strip() else None
    start, end = span if span else (None, None)
    record_decision(
        project, Decision(card.segment_id, code_id, identity.name, "add", start=start, end=end)
    )
    st.session_state.update(code_add_code=None, code_add_excerpt="")
    where = f"“{card.text[start - card.start : end - card.start]}”" if span else "the segment"
    return f"Added {code_id} to {where}."


def _save_memo(project: Project, identity: Identity, card: SegmentCard) -> str:
    text = st.session_state.get("code_memo_text", "")
    about = st.session_state.get("code_memo_target")
    if about and about != "segment":
        add_memo(project, "code", about, identity.name, text)
        what = f"code {about}"
    else:
        add_memo(project, "segment", card.segment_id, identity.name, text)
        what = "this segment"
    st.session_state["code_memo_text"] = ""
    return f"Memo saved on {what}."


def _code_help(code: Code | None) -> None:
    if code is None:
        return
    for heading, value in (
        ("Definition", code.full_definition or code.definition),
        ("Include", code.include),
        ("Exclude", code.exclude),
    ):
        if value:
            st.html(f"<p><b>{heading}.</b> {esc(value)}</p>")
    if code.examples:
        st.html("<p><b>Examples.</b> " + " · ".join(f"“{esc(e)}”" for e in code.examples))


def _evidence(kind: str, phrase: str) -> str:
    """Why a code was suggested, without revealing other coders' decisions (blind)."""
    if kind == "accepted":
        return "close to segments coders have accepted for this code"
    return f"matched {KIND_NAMES.get(kind, kind)}: “{esc(phrase)}”"


def _suggestions(
    project: Project, identity: Identity, card: SegmentCard, index: dict[str, Code]
) -> None:
    open_ones = card.open_suggestions()
    primary = primary_suggestion(open_ones)
    st.markdown("**Suggested codes**")
    if not card.suggestions:
        st.caption("No suggestions for this segment (run suggest from the Import page).")
    elif not open_ones:
        st.caption("You have decided every suggestion here.")
    if primary is None:
        _no_primary_accept(card, open_ones)
    for position, s in enumerate(open_ones, start=1):
        with st.container(border=True):
            left, mid, right = st.columns([6, 1.2, 1.2], vertical_alignment="center")
            with left:
                st.html(
                    f"<div><b>{position}. {esc(s.label)}</b> "
                    f"<span class='qc-meta'>({esc(s.code_id)}) score {s.score:.2f}"
                    f"{'' if is_predicted(s.score) else ' · below the threshold'}</span><br>"
                    f"<span class='qc-meta'>{_evidence(s.evidence_kind, s.evidence)}</span></div>"
                )
            accept = Decision(
                card.segment_id, s.code_id, identity.name, "accept", "suggestion", s.score, s.model
            )
            reject = Decision(
                card.segment_id, s.code_id, identity.name, "reject", "suggestion", s.score, s.model
            )
            mid.button(
                "Accept",
                key=f"accept__{s.code_id}",
                type="primary" if s is primary else "secondary",
                on_click=_act,
                args=(lambda d=accept, s=s: _decide(project, [d], f"Accepted {s.code_id}."),),
                width="stretch",
                shortcut="A" if s is primary else (str(position) if position <= 9 else None),
            )
            right.button(
                "Reject",
                key=f"reject__{s.code_id}",
                on_click=_act,
                args=(lambda d=reject, s=s: _decide(project, [d], f"Rejected {s.code_id}."),),
                width="stretch",
                shortcut="X" if position == 1 else None,
            )
            with st.expander("Definition, include, exclude"):
                _code_help(index.get(s.code_id))
    refused = [s.label for s in card.suggestions if s.state == "refused"]
    if refused:
        st.caption(md("You rejected: " + "; ".join(refused)))


def _no_primary_accept(card: SegmentCard, open_ones: list) -> None:
    """No suggestion reaches the threshold (or none is left): A accepts nothing here,
    and pressing it says so rather than doing nothing silently."""
    if open_ones:
        why = (
            f"No suggestion here reaches the threshold ({THRESHOLD:.2f}), so A accepts "
            "nothing: accept one with its own Accept button or number key if it applies."
        )
        st.caption(why)
    elif card.suggestions:
        why = "No suggestion is left to accept here: add a code below if one applies."
    else:
        why = "This segment has no suggestions: add a code below if one applies."
    st.button(
        "A accepts nothing here", key="code_no_accept", type="tertiary", shortcut="A",
        on_click=_flash, args=("info", why),
    )  # fmt: skip


def _own_codings(project: Project, identity: Identity, card: SegmentCard) -> None:
    st.markdown("**Your codes on this segment**")
    if not card.codings:
        st.caption("None yet.")
    for i, coding in enumerate(card.codings):
        left, right = st.columns([7.2, 1.2], vertical_alignment="center")
        where = f" on “{esc(coding.excerpt)}”" if coding.excerpt is not None else ""
        left.html(f"<div>{esc(coding.label)} <span class='qc-meta'>{where}</span></div>")
        remove = Decision(
            card.segment_id, coding.code_id, identity.name, "remove",
            start=coding.start, end=coding.end,
        )  # fmt: skip
        right.button(
            "Remove",
            key=f"remove__{i}__{coding.code_id}",
            on_click=_act,
            args=(lambda d=remove, c=coding: _decide(project, [d], f"Removed {c.code_id}."),),
            width="stretch",
        )


def _add_and_memo(
    project: Project, identity: Identity, card: SegmentCard, codes: list[Code]
) -> None:
    labels = {c.id: f"{c.label} ({c.id})" for c in codes}
    add, memo = st.columns(2)
    with add:
        st.markdown("**Add a code**")
        st.selectbox(
            "Code", list(labels), format_func=labels.get, index=None,
            placeholder="Type to search the codebook", key="code_add_code",
        )  # fmt: skip
        st.text_input(
            "Only these words (optional)",
            key="code_add_excerpt",
            help="To code part of the segment, type or paste the exact words; they must "
            "occur once in the segment. Leave empty to code the whole segment.",
        )
        st.button(
            "Add code", key="code_add", on_click=_act,
            args=(lambda: _add_code(project, identity, card),),
        )  # fmt: skip
    with memo:
        st.markdown("**Memo**")
        st.selectbox(
            "About", ["segment", *labels],
            format_func=lambda v: "this segment" if v == "segment" else f"code {labels[v]}",
            key="code_memo_target",
        )  # fmt: skip
        st.text_area("Memo text", key="code_memo_text", height=80)
        st.button(
            "Save memo", key="code_memo_save", on_click=_act,
            args=(lambda: _save_memo(project, identity, card),),
        )  # fmt: skip
        for m in card.memos:
            st.html(text_html(f"{m.created_at:%d %b %Y %H:%M}: {m.text}"))


def _navigation(
    project: Project,
    identity: Identity,
    card: SegmentCard,
    mode: str,
    order: str,
    filters: Filters,
) -> None:
    open_ones = card.open_suggestions()
    rejects = [
        Decision(
            card.segment_id, s.code_id, identity.name, "reject", "suggestion", s.score, s.model
        )
        for s in open_ones
    ]

    def done() -> str | None:
        if rejects:
            record_decisions(project, rejects)
        elif not card.reviewed:
            mark_reviewed(project, [card.segment_id], identity.name)
        return _move(project, identity, mode, order, filters)

    cols = st.columns([2.4, 0.9, 0.9, 1.8, 1.2])
    cols[0].button(
        "Done, next" if not rejects else f"Done, next (reject {len(rejects)} left)",
        key="code_next", type="primary", on_click=_act, args=(done,), shortcut="N",
        help="Records that the remaining suggestions do not apply (or, with none left and "
        "nothing decided, that you reviewed the segment and no code applies).",
    )  # fmt: skip
    cols[1].button(
        "Skip", key="code_skip", on_click=_act, shortcut="S",
        args=(lambda: _move(project, identity, mode, order, filters, skip=True),),
        help="Move on and record nothing more: suggestions left stay open.",
    )  # fmt: skip
    cols[2].button(
        "Back", key="code_back", on_click=_back, shortcut="B",
        disabled=not _trail().past,
    )  # fmt: skip
    cols[3].button(
        "Undo last decision", key="code_undo", on_click=_act, shortcut="U",
        args=(lambda: _undo(project, identity),),
    )  # fmt: skip
    skipped = st.session_state.get(S_SKIPPED, [])
    if skipped:
        cols[4].button(
            f"Unskip {len(skipped)}", key="code_unskip",
            on_click=lambda: st.session_state.update({S_SKIPPED: [], S_UPCOMING: []}),
        )  # fmt: skip
    st.caption(md(_what_next_does(card, [s.label for s in open_ones])))
    st.caption(
        "Keys: A accept the top suggestion when it reaches the threshold · 2–9 accept that "
        "one (1 too, when A does not) · X reject the top · N done, next · S skip · B back · "
        "U undo. Keys do nothing while you type in a field: click the segment's text to "
        "use them again. Or Tab through the buttons and press Enter."
    )


def _what_next_does(card: SegmentCard, left: list[str]) -> str:
    """What N and S would record on this segment, in words."""
    if left:
        which = "; ".join(left)
        return (
            f"N records a rejection of each of the {len(left)} suggestions left ({which}) "
            "and moves on. S moves on without deciding them: they stay open."
        )
    if not card.reviewed:
        return (
            "N records that you reviewed this segment and no code applies, and moves on. "
            "S moves on and records nothing."
        )
    return "N and S move on; nothing more is recorded."


def body(project: Project, identity: Identity) -> None:
    st.title("Code")
    codebook = cache.codebook(str(project.path))
    if codebook is None:
        st.info("No codebook yet: load one on the Codebook page.")
        return
    codes = codebook.codable()
    index = codebook.by_id()
    mode, order, filters = _sidebar_filters(project, codes)
    signature: Any = (mode, order, filters)
    if st.session_state.get(S_FILTERS) != signature:
        if st.session_state.get(S_FILTERS) is not None:  # a sidebar control changed
            with st.sidebar:
                st.html(RETURN_FOCUS, unsafe_allow_javascript=True)
        st.session_state[S_FILTERS] = signature
        st.session_state[S_SKIPPED] = []
        st.session_state[S_UPCOMING] = []
        st.session_state[S_TRAIL] = Trail()
        st.session_state[S_CURRENT] = _next_id(project, identity, mode, order, filters, None)
    flash = st.session_state.pop(S_FLASH, None)
    if flash:
        show = {"error": st.error, "info": st.info}.get(flash[0], st.success)
        show(md(flash[1]))
    current = st.session_state.get(S_CURRENT)
    if current is None:
        st.info("Nothing left to review with these filters.")
        if st.session_state.get(S_SKIPPED):
            st.button(
                "Review the segments I skipped", key="code_unskip_end",
                on_click=lambda: st.session_state.update(
                    {S_SKIPPED: [], S_FILTERS: None}
                ),
            )  # fmt: skip
        st.button("Undo last decision", key="code_undo", on_click=_act,
                  args=(lambda: _undo(project, identity),))  # fmt: skip
        return
    _clear_inputs_on_a_new_segment(current)
    card = segment_card(project, identity.name, current)
    where = " · ".join(
        part
        for part in (
            card.document_title,
            f"location {card.location}" if card.location else "",
            f"session {card.session}" if card.session else "",
            f"turn {card.ordinal + 1}",
        )
        if part
    )
    st.html(text_html(where))
    st.html(turns_html([(t.speaker, t.text, t.current) for t in card.context]))
    st.divider()
    _suggestions(project, identity, card, index)
    _own_codings(project, identity, card)
    _add_and_memo(project, identity, card, codes)
    st.divider()
    _navigation(project, identity, card, mode, order, filters)


run_page(body)
