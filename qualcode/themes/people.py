"""Who counts as a participant, and how quotes are attributed to a speaker's role.

A participant is a distinct (location, speaker) pair: YP1 in Location 1 is not YP1
in Location 2. Only speakers whose role is participant count: the role is the one
`qualcode.speakers` gives (the project's stored role for the name, else the role its
name shows: Facilitator, Interviewer, Researcher, Moderator, ... are facilitators).
Segments without a speaker (workshop outputs, headers) belong to no participant.
"""

from __future__ import annotations

from qualcode.speakers import FACILITATOR, OTHER, PARTICIPANT, detect_role, role_sql


def is_facilitator(speaker: str | None, role: str | None = None) -> bool:
    """True for a facilitator's turn; `role`: the speaker's role when known (stored
    roles included), else the one the name shows."""
    return (role or detect_role(speaker)) == FACILITATOR


def is_participant(speaker: str | None, role: str | None = None) -> bool:
    """True for a named speaker whose role is participant."""
    return bool(speaker and speaker.strip()) and (role or detect_role(speaker)) == PARTICIPANT


def facilitator_sql(speaker: str = "s.speaker") -> str:
    """A SQL condition true for a turn of a named speaker who is not a participant
    (a facilitator, or another role such as an interpreter): words not to quote."""
    return f"coalesce({role_sql(speaker)} IN ('{FACILITATOR}', '{OTHER}'), false)"


def participant_sql(speaker: str = "s.speaker") -> str:
    """A SQL condition true for a participant's segment (see `is_participant`)."""
    return f"coalesce({role_sql(speaker)} = '{PARTICIPANT}', false)"


def participant_key_sql(speaker: str = "s.speaker", location: str = "c.location") -> str:
    """A SQL expression naming a segment's participant, NULL when it has none."""
    return (
        f"CASE WHEN {participant_sql(speaker)} "
        f"THEN coalesce({location}, '') || chr(31) || trim({speaker}) END"
    )


def role(speaker: str | None, stored: str | None = None) -> str:
    """The role an attribution names: 'facilitator', 'young person' (a participant or
    text without a speaker) or, for another role, the speaker's name. `stored`: the
    speaker's role from `qualcode.speakers` when known."""
    found = stored or detect_role(speaker)
    if found == FACILITATOR:
        return "facilitator"
    if found == OTHER:
        return (speaker or "").strip().lower()
    return "young person"
