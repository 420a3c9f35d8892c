"""Who counts as a participant, and how quotes are attributed to a speaker's role.

A participant is a distinct (location, speaker) pair: YP1 in Location 1 is not YP1
in Location 2. Facilitators are not participants: speakers whose name starts with
"Facilitator", "Interviewer" or "Researcher" (any case). Segments without a speaker
(workshop outputs, headers) belong to no participant.
"""

from __future__ import annotations

FACILITATOR_PREFIXES = ("facilitator", "interviewer", "researcher")


def is_facilitator(speaker: str | None) -> bool:
    """True for a facilitator's, interviewer's or researcher's turn."""
    return bool(speaker) and speaker.strip().lower().startswith(FACILITATOR_PREFIXES)


def is_participant(speaker: str | None) -> bool:
    """True for a named speaker who is not a facilitator."""
    return bool(speaker and speaker.strip()) and not is_facilitator(speaker)


def facilitator_sql(speaker: str = "s.speaker") -> str:
    """A SQL condition true for a facilitator's segment (see `is_facilitator`)."""
    tests = " OR ".join(f"starts_with(lower(trim({speaker})), '{p}')" for p in FACILITATOR_PREFIXES)
    return f"coalesce({tests}, false)"


def participant_sql(speaker: str = "s.speaker") -> str:
    """A SQL condition true for a participant's segment (see `is_participant`)."""
    return f"(coalesce(trim({speaker}), '') <> '' AND NOT {facilitator_sql(speaker)})"


def participant_key_sql(speaker: str = "s.speaker", location: str = "c.location") -> str:
    """A SQL expression naming a segment's participant, NULL when it has none."""
    return (
        f"CASE WHEN {participant_sql(speaker)} "
        f"THEN coalesce({location}, '') || chr(31) || trim({speaker}) END"
    )


def role(speaker: str | None) -> str:
    """The role an attribution names: 'facilitator' or 'young person'."""
    return "facilitator" if is_facilitator(speaker) else "young person"
