"""Editing themes on the Themes page: the theme tree, a new theme, editing, codes and
deleting one, and pinning segments as illustrative quotes. Every change goes through
`qualcode.themes` under the signed-in person, then flashes one line and reruns."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from qualcode.codebook import Codebook
from qualcode.store import Project
from qualcode.themes import (
    STATUSES,
    CodedSegment,
    Target,
    Theme,
    add_codes,
    create_theme,
    delete_theme,
    descendants,
    illustrative_quotes,
    list_themes,
    pin_quote,
    remove_codes,
    tree_order,
    unpin_quote,
    update_theme,
)
from qualcode.ui import cache
from qualcode.ui.common import reporting, show_success, success_next_run
from qualcode.ui.identity import Identity
from qualcode.ui.markup import STYLE, esc, md

S_FLASH = "themes_flash"


def flash() -> None:
    """The message the last change left, once."""
    show_success(S_FLASH)


def _done(message: str) -> None:
    success_next_run(S_FLASH, message)


def _tree_html(themes: list[Theme], labels: dict[str, str]) -> str:
    rows = []
    for theme, depth in tree_order(themes):
        codes = ", ".join(labels.get(c, c) for c in theme.codes) or "no codes"
        details = "".join(
            f"<br><span class='qc-meta'>{name}: {esc(value)}</span>"
            for name, value in (
                ("Definition", theme.definition),
                ("Central concept", theme.central_concept),
            )
            if value
        )
        rows.append(
            f"<p style='margin-left:{1.2 * depth}rem'><b>{esc(theme.name)}</b>"
            f"<span class='qc-chip'>{esc(theme.status)}</span>"
            f"<span class='qc-meta'> theme {theme.id}</span>{details}"
            f"<br><span class='qc-meta'>Codes: {esc(codes)}</span></p>"
        )
    return STYLE + "".join(rows)


def _code_choices(codebook: Codebook | None, extra: Sequence[str] = ()) -> dict[str, str]:
    """Codable codes of the current codebook (and `extra` ones a theme has), id -> label."""
    labels = {c.id: f"{c.label} ({c.id})" for c in codebook.codable()} if codebook else {}
    for code in extra:
        labels.setdefault(code, code)
    return labels


def _parent_box(label: str, themes: list[Theme], key: str, current: int | None = None,
                exclude: Sequence[int] = ()) -> int | None:  # fmt: skip
    names = {t.id: t.name for t in themes if t.id not in exclude}
    options: list[int | None] = [None, *names]
    return st.selectbox(
        label, options, index=options.index(current) if current in options else 0, key=key,
        format_func=lambda v: "(none: a top-level theme)" if v is None else names[v],
    )  # fmt: skip


def _new_theme(project: Project, identity: Identity, themes: list[Theme],
               codes: dict[str, str]) -> None:  # fmt: skip
    with st.form("theme_new", clear_on_submit=True):
        name = st.text_input("Name", key="theme_new_name")
        definition = st.text_area("Definition", key="theme_new_definition", height=68)
        concept = st.text_input("Central organising concept", key="theme_new_concept")
        left, right = st.columns(2)
        status = left.selectbox("Status", STATUSES, key="theme_new_status")
        with right:
            parent = _parent_box("Parent theme", themes, "theme_new_parent")
        chosen = st.multiselect("Codes", list(codes), format_func=codes.get, key="theme_new_codes")
        if st.form_submit_button("Create theme", type="primary"):
            with reporting():
                theme = create_theme(
                    project, name, identity.name, definition=definition.strip(),
                    central_concept=concept.strip(), status=status, parent=parent,
                    codes=chosen,
                )  # fmt: skip
                _done(f"Theme {theme.id} created: {theme.name}.")


def _edit(project: Project, identity: Identity, theme: Theme, themes: list[Theme]) -> None:
    with st.form(f"theme_edit__{theme.id}"):
        name = st.text_input("Name", theme.name, key=f"theme_edit_name__{theme.id}")
        definition = st.text_area(
            "Definition", theme.definition, key=f"theme_edit_definition__{theme.id}", height=68
        )
        concept = st.text_input(
            "Central organising concept", theme.central_concept,
            key=f"theme_edit_concept__{theme.id}",
        )  # fmt: skip
        left, right = st.columns(2)
        status = left.selectbox(
            "Status", STATUSES, index=STATUSES.index(theme.status),
            key=f"theme_edit_status__{theme.id}",
        )  # fmt: skip
        with right:
            parent = _parent_box(
                "Parent theme", themes, f"theme_edit_parent__{theme.id}", theme.parent,
                exclude=[theme.id, *descendants(themes, theme.id)],
            )  # fmt: skip
        memo = st.text_area("Memo", theme.memo, key=f"theme_edit_memo__{theme.id}", height=68)
        if st.form_submit_button("Save", type="primary"):
            given = {
                "name": name.strip(),
                "definition": definition.strip(),
                "central_concept": concept.strip(),
                "status": status,
                "memo": memo.strip(),
                "parent": parent,
            }
            changes = {k: v for k, v in given.items() if v != getattr(theme, k)}
            if not changes:
                _done("Nothing changed.")
            with reporting():
                update_theme(project, theme.id, identity.name, **changes)
                _done(f"Theme {theme.id} saved: {', '.join(changes)} changed.")


def _codes(project: Project, identity: Identity, theme: Theme, codes: dict[str, str]) -> None:
    options = {**codes, **{c: c for c in theme.codes if c not in codes}}
    with st.form(f"theme_codes__{theme.id}"):
        chosen = st.multiselect(
            "Codes of the theme", list(options), default=theme.codes,
            format_func=options.get, key=f"theme_codes_pick__{theme.id}",
        )  # fmt: skip
        if st.form_submit_button("Save codes"):
            added = [c for c in chosen if c not in theme.codes]
            removed = [c for c in theme.codes if c not in chosen]
            if not added and not removed:
                _done("Nothing changed.")
            with reporting():
                if added:
                    add_codes(project, theme.id, added, identity.name)
                if removed:
                    remove_codes(project, theme.id, removed, identity.name)
                parts = [f"added {', '.join(added)}"] if added else []
                parts += [f"removed {', '.join(removed)}"] if removed else []
                _done(f"Theme {theme.id} codes: {'; '.join(parts)}.")


def _delete(project: Project, identity: Identity, theme: Theme) -> None:
    sure = st.checkbox(
        md(f"Delete '{theme.name}' with its code links and pinned quotes"),
        key=f"theme_delete_sure__{theme.id}",
    )
    if st.button("Delete theme", key=f"theme_delete__{theme.id}"):
        if not sure:
            st.warning("Tick the box above to confirm deleting the theme.")
            return
        with reporting():
            delete_theme(project, theme.id, identity.name)
            st.session_state.pop("theme_chosen", None)
            _done(f"Theme {theme.id} deleted: {theme.name}.")


def themes_section(project: Project, identity: Identity) -> None:
    """The theme tree, a new theme, and editing the chosen one."""
    st.subheader("Themes")
    themes = list_themes(project)
    codebook = cache.codebook(str(project.path))
    codes = _code_choices(codebook)
    labels = {c.id: c.label for c in codebook.codes} if codebook else {}
    if themes:
        st.html(_tree_html(themes, labels))
    else:
        st.caption("No themes yet.")
    with st.expander("New theme"):
        _new_theme(project, identity, themes, codes)
    if not themes:
        return
    by_id = {t.id: t for t in themes}
    ordered = [t.id for t, _ in tree_order(themes)]
    chosen = st.selectbox(
        "Theme to change", ordered, key="theme_chosen",
        format_func=lambda i: f"{by_id[i].name} (theme {i}, {by_id[i].status})",
    )  # fmt: skip
    if chosen is None or chosen not in by_id:
        return
    theme = by_id[chosen]
    with st.expander("Edit"):
        _edit(project, identity, theme, themes)
    with st.expander("Codes"):
        _codes(project, identity, theme, codes)
    with st.expander("Delete"):
        _delete(project, identity, theme)


def pin_key(target: Target, segment_id: int, verb: str = "pin") -> str:
    """The stable key of a segment's pin (or unpin) button for a theme or code."""
    return f"{verb}__{target.kind}__{target.id}__{segment_id}"


def segments_with_pins(project: Project, identity: Identity, layer: str, target: Target,
                       found: Sequence[CodedSegment]) -> None:  # fmt: skip
    """Each segment behind a cell, with a button pinning it as a quote of the target
    (or unpinning it)."""
    pinned = {
        q.segment_id
        for q in illustrative_quotes(project, target.kind, target.id, layer)
        if q.pinned
    }
    kind = "theme" if target.kind == "theme" else "code"
    st.caption(
        md(f"{len(pinned)} quotes pinned to {kind} '{target.label}' in this layer (at most "
           "3); pinned ones replace the layer's default choice of illustrative quotes.")
    )  # fmt: skip
    for s in found:
        text, action = st.columns([6, 1])
        text.html(
            f"<p><b>{esc(s.speaker or '')}</b> {esc(s.text)}<br>"
            f"<span style='opacity:.7;font-size:.85rem'>{esc(s.document)}, "
            f"{esc(s.location or 'no location')}, session {esc(s.session or '?')} · "
            f"{esc(', '.join(s.codes))} · {esc(', '.join(s.coders))}</span></p>"
        )
        if s.segment_id in pinned:
            if action.button("Unpin", key=pin_key(target, s.segment_id, "unpin")):
                with reporting():
                    unpin_quote(project, target.kind, target.id, s.segment_id, identity.name, layer)
                    _done(f"Segment {s.segment_id} unpinned from '{target.label}'.")
        elif action.button("Pin as quote", key=pin_key(target, s.segment_id)):
            with reporting():
                position = pin_quote(
                    project, target.kind, target.id, s.segment_id, identity.name, layer
                )
                _done(f"Segment {s.segment_id} pinned to '{target.label}' (quote {position}).")
