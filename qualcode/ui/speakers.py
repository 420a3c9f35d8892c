"""The Import page's "Speakers and what is coded" section: each speaker's role and the
project's settings for which turns are offered for coding.

A supervisor changes them (the library refuses anyone else); a coder sees them. Not a
page of its own: a supervisor checks who is a facilitator right after importing.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from qualcode.settings import CODING_SPEAKERS, PREAMBLE, change_setting, read_setting
from qualcode.speakers import (
    DETECTED,
    ROLES,
    SpeakerRole,
    list_speakers,
    set_speaker_role,
    speaker_key,
)
from qualcode.store import Project
from qualcode.ui.common import reporting, show_success, success_next_run
from qualcode.ui.identity import Identity
from qualcode.ui.markup import md

SAVED_KEY = "speakers_saved"
CODING_CHOICES = {
    "participants": "Participants' turns (facilitators' turns shown as context)",
    "all": "Every speaker's turns",
}
PREAMBLE_CHOICES = {
    "context": "The document's header, shown above it, not coded",
    "segment": "Segments, coded like any paragraph (files imported from now on)",
}


def role_key(speaker: str) -> str:
    """The widget key of a speaker's role choice (stable across runs and spellings)."""
    return "speaker_role__" + hashlib.sha1(speaker_key(speaker).encode()).hexdigest()[:12]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _table(speakers: list[SpeakerRole]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "speaker": s.speaker,
                "role": s.role,
                "how": f"set by {s.set_by}" if s.stored else "from the name",
                "segments": s.segments,
                "documents": s.documents,
            }
            for s in speakers
        ]
    )


def _save(project: Project, speakers: list[SpeakerRole], coding: str, preamble: str) -> None:
    changed: list[str] = []
    for key, value in ((CODING_SPEAKERS.key, coding), (PREAMBLE.key, preamble)):
        if read_setting(project, key) != value:
            change_setting(project, key, value)
            changed.append(f"{key} = {value}")
    for s in speakers:
        chosen = st.session_state.get(role_key(s.speaker), s.role)
        if chosen == s.role:
            continue
        stored = DETECTED if chosen == s.detected else chosen
        set_speaker_role(project, s.speaker, stored)
        changed.append(f"{s.speaker}: {chosen}")
    message = "Saved: " + "; ".join(changed) if changed else "Nothing changed."
    success_next_run(SAVED_KEY, message)


def speakers_section(project: Project, identity: Identity) -> None:
    """Speakers with their roles, and the two settings; editable by a supervisor."""
    st.subheader("Speakers and what is coded")
    show_success(SAVED_KEY)
    speakers = list_speakers(project)
    coding = read_setting(project, CODING_SPEAKERS.key)
    preamble = read_setting(project, PREAMBLE.key)
    st.caption(
        "A speaker's role comes from the name (Facilitator, Interviewer, Researcher, "
        "Moderator: facilitator; Interpreter, Observer: other; everyone else: participant) "
        "unless a supervisor sets it here. It applies to the name in every document."
    )
    if not identity.supervises:
        st.markdown(md(f"Offered for coding: {CODING_CHOICES[coding]}."))
        st.markdown(md(f"Text above the first speaker: {PREAMBLE_CHOICES[preamble]}."))
        if speakers:
            st.dataframe(_table(speakers), hide_index=True)
        st.caption("A supervisor can change roles and these settings.")
        return
    with st.form("speakers_form"):
        left, right = st.columns(2)
        chosen_coding = left.selectbox(
            "Offer for coding",
            list(CODING_CHOICES),
            index=list(CODING_CHOICES).index(coding),
            format_func=CODING_CHOICES.get,
            key="speakers_coding",
        )
        chosen_preamble = right.selectbox(
            "Text above a transcript's first speaker",
            list(PREAMBLE_CHOICES),
            index=list(PREAMBLE_CHOICES).index(preamble),
            format_func=PREAMBLE_CHOICES.get,
            key="speakers_preamble",
        )
        for s in speakers:
            name, role, counts = st.columns((3, 2, 3))
            name.markdown(md(s.speaker))
            role.selectbox(
                f"Role of {s.speaker}",
                ROLES,
                index=ROLES.index(s.role),
                key=role_key(s.speaker),
                label_visibility="collapsed",
            )
            how = f"set by {s.set_by}" if s.stored else "from the name"
            counts.caption(
                md(f"{how}; {_count(s.segments, 'segment')} in {_count(s.documents, 'document')}")
            )
        if not speakers:
            st.caption("No speakers yet: import transcripts first.")
        submitted = st.form_submit_button("Save roles and settings")
    if submitted:
        with reporting():
            _save(project, speakers, str(chosen_coding), str(chosen_preamble))
