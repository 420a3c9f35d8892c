"""Audit: every change to the project (imports, codebook versions, coding events,
settlements, exports, sign-ins), who and when, newest first, with a CSV download.

What a person may read is decided by the library: a coder's project shows only their
own entries, a supervisor's or admin's everything."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.audit import audit_trail, detail_fields
from qualcode.exports import Table, render
from qualcode.store import Project
from qualcode.ui.common import choice, run_page
from qualcode.ui.identity import Identity

COLUMNS = ["when", "who", "action", "details"]
SHOWN = 5000  # entries read at most, the newest: a project's trail holds every coding event


def kind_of(action: str) -> str:
    """The kind of an action: what comes before the first dot ('coding.add' -> 'coding')."""
    return action.split(".", 1)[0]


def entry_rows(entries: list[dict[str, Any]], as_fields: bool = True) -> list[list[str]]:
    """Audit entries as plain-text rows (when, who, action, details), in their order:
    details as fields to read (`qualcode.audit.detail_fields`), or as JSON for a file
    other tools read."""
    return [
        [
            e["at"][:19],
            e["actor"],
            e["action"],
            detail_fields(e["detail"])
            if as_fields
            else json.dumps(e["detail"], ensure_ascii=False, sort_keys=True),
        ]
        for e in entries
    ]


def trail_csv(rows: list[list[str]]) -> bytes:
    """Rows as CSV (through the exports' one CSV renderer)."""
    return render(Table("Audit trail", COLUMNS, list(rows)), "csv")


def _options(found: set[str], key: str) -> list[str]:
    """A filter's choices: the values found, plus the one chosen, so a filter stays put
    while another (a later date) leaves it nothing to match."""
    chosen = st.session_state.get(key)
    return sorted(found | ({chosen} if chosen else set()))


def body(project: Project, identity: Identity) -> None:
    st.title("Audit")
    if not identity.supervises:
        st.caption("You see your own actions (supervisors see everyone's).")
    since: date | None = st.date_input(
        "Since", value=None, key="audit_since", format="YYYY-MM-DD",
        help="Only what happened on or after this day.",
    )  # fmt: skip
    day = since.isoformat() if since else None
    entries = audit_trail(project, since=day, limit=SHOWN, newest=True)
    cols = st.columns(2)
    with cols[0]:
        people = {e["actor"] for e in entries}
        person = choice("Person", _options(people, "audit_person"), "audit_person")
    with cols[1]:
        kinds = {kind_of(e["action"]) for e in entries}
        kind = choice("Kind of action", _options(kinds, "audit_kind"), "audit_kind")
    if person is not None:  # the person's own newest entries, not only those among everyone's
        entries_of_person = audit_trail(project, since=day, actor=person, limit=SHOWN, newest=True)
    else:
        entries_of_person = entries
    chosen = [e for e in entries_of_person if kind is None or kind_of(e["action"]) == kind]
    rows = entry_rows(chosen)
    more = len(entries) == SHOWN
    st.caption(
        f"{len(rows)} of {len(entries)} entries"
        + (f" (the newest {SHOWN}; `qualcode audit` lists them all)" if more else "")
    )
    if not rows:
        st.info("Nothing recorded for these filters.")
        return
    st.dataframe(pd.DataFrame(rows, columns=COLUMNS), hide_index=True)
    st.download_button(
        f"Download these {len(rows)} entries (CSV)",
        data=trail_csv(entry_rows(chosen, as_fields=False)),  # JSON details: for tools
        file_name="audit.csv",
        mime="text/csv",
        key="audit_download",
        on_click="ignore",
    )


run_page(body)
