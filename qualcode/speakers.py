"""Speakers' roles, and which parts of a transcript are units of coding.

Every named speaker has a role: `participant` (a young person, whose words are the
data), `facilitator` (who asks the questions) or `other` (an interpreter, an
observer). The role is detected from the name: names starting with Facilitator,
Co-facilitator, Interviewer, Researcher or Moderator are facilitators; Interpreter,
Translator, Observer and Note-taker are other; everyone else is a participant. A
supervisor can set a speaker's role for the whole project (a name such as "Sam" that
no rule can read); the stored role overrides the detected one for that name, in
every document and location. This module is the one home of that rule: the review
queue, agreement, samples, quotes, the framework matrix and tracking all read it.

Two project settings decide what is offered for coding:

- `coding_speakers`: `participants` (default) offers only participants' turns (and
  speaker-less text such as workshop outputs); facilitators' and others' turns are
  shown around a segment as context. `all` offers every turn.
- `preamble`: `context` (default) keeps the note above a transcript's first speaker
  turn as the document's header, not a segment (`qualcode.ingest.preamble`);
  `segment` makes it segments, as any paragraph, from the next import on.

Both are read when the queue, a reliability sample or the agreement units are
built, so changing one back restores the earlier behaviour at once; segments are
never deleted (a preamble stored as segments before schema 8 keeps them, with any
coding, and they leave the queue and the agreement units while `preamble` is
`context`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qualcode.access import recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.errors import ArgumentError
from qualcode.jsonable import Jsonable
from qualcode.settings import CODING_SPEAKERS, PREAMBLE, setting_value
from qualcode.store import Project

__all__ = [
    "DETECTED",
    "FACILITATOR",
    "FACILITATOR_NAMES",
    "OTHER",
    "OTHER_NAMES",
    "PARTICIPANT",
    "ROLES",
    "SpeakerRole",
    "coding_unit_sql",
    "detect_role",
    "list_speakers",
    "role_of",
    "role_sql",
    "set_speaker_role",
    "speaker_key",
    "stored_roles",
]

PARTICIPANT = "participant"
FACILITATOR = "facilitator"
OTHER = "other"
ROLES = (PARTICIPANT, FACILITATOR, OTHER)
DETECTED = "detected"
"""Passed as a role to `set_speaker_role`: forget the stored role, use the detected one."""

FACILITATOR_NAMES = (
    "facilitator",
    "co-facilitator",
    "cofacilitator",
    "interviewer",
    "researcher",
    "moderator",
)
"""Name beginnings (lower case) that detect a facilitator: "Facilitator 2", "MODERATOR"."""
OTHER_NAMES = ("interpreter", "translator", "observer", "note-taker", "notetaker", "note taker")
"""Name beginnings (lower case) that detect a speaker who is neither."""


def speaker_key(name: str) -> str:
    """The form a speaker's name is matched in: lower case, single spaces."""
    return " ".join(name.split()).lower()


def detect_role(name: str | None) -> str | None:
    """The role a speaker's name shows (None for text without a speaker)."""
    key = speaker_key(name or "")
    if not key:
        return None
    if key.startswith(FACILITATOR_NAMES):
        return FACILITATOR
    if key.startswith(OTHER_NAMES):
        return OTHER
    return PARTICIPANT


def role_of(name: str | None, stored: dict[str, str]) -> str | None:
    """A speaker's role: the project's stored role for the name, else the detected one.
    `stored` is `stored_roles(con)`."""
    if not name or not name.strip():
        return None
    return stored.get(speaker_key(name)) or detect_role(name)


def stored_roles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The roles set for this project, by `speaker_key`."""
    return dict(con.execute("SELECT speaker_key, role FROM speaker_roles").fetchall())


def _starts_with_any(key: str, names: tuple[str, ...]) -> str:
    return " OR ".join(f"starts_with({key}, '{name}')" for name in names)


def role_sql(speaker: str = "s.speaker") -> str:
    """A SQL expression for a segment's speaker role (NULL without a speaker): the
    project's stored role for the name, else the detected one (see `role_of`)."""
    key = f"lower(trim({speaker}))"
    detected = (
        f"CASE WHEN {_starts_with_any(key, FACILITATOR_NAMES)} THEN '{FACILITATOR}' "
        f"WHEN {_starts_with_any(key, OTHER_NAMES)} THEN '{OTHER}' ELSE '{PARTICIPANT}' END"
    )
    stored = f"(SELECT sr.role FROM speaker_roles sr WHERE sr.speaker_key = {key})"
    return f"(CASE WHEN coalesce({key}, '') = '' THEN NULL ELSE coalesce({stored}, {detected}) END)"


def coding_unit_sql(con: duckdb.DuckDBPyConnection, segment: str = "s") -> str:
    """A SQL condition on the segments table aliased `segment`: true for a unit of
    coding under the project's settings (the review queue, reliability samples and the
    agreement units read it). Speaker-less text stays a unit unless it is preamble."""
    parts = []
    if setting_value(con, CODING_SPEAKERS.key) == "participants":
        parts.append(
            f"coalesce({role_sql(f'{segment}.speaker')}, '{PARTICIPANT}') = '{PARTICIPANT}'"
        )
    if setting_value(con, PREAMBLE.key) == "context":
        parts.append(
            f"{segment}.start_offset >= coalesce((SELECT pd.preamble_end FROM documents pd "
            f"WHERE pd.id = {segment}.document_id), 0)"
        )
    return "(" + " AND ".join(parts) + ")" if parts else "true"


@dataclass
class SpeakerRole(Jsonable):
    """A speaker of the project's current documents (or one with a stored role)."""

    speaker: str
    role: str  # the role that applies: stored, else detected
    detected: str
    stored: str | None  # set for this project, by set_by
    set_by: str | None
    segments: int  # segments of current documents spoken by them
    documents: int


_SPEAKERS = """
WITH spoken AS (
    SELECT lower(trim(s.speaker)) AS speaker_key, min(trim(s.speaker)) AS speaker,
           count(*) AS segments, count(DISTINCT s.document_id) AS documents
    FROM segments s JOIN current_documents d ON d.id = s.document_id
    WHERE coalesce(trim(s.speaker), '') <> ''
    GROUP BY 1
)
SELECT coalesce(p.speaker, r.speaker), r.role, r.set_by,
       coalesce(p.segments, 0), coalesce(p.documents, 0)
FROM spoken p FULL OUTER JOIN speaker_roles r ON r.speaker_key = p.speaker_key
"""


def list_speakers(project: Project) -> list[SpeakerRole]:
    """Every speaker with detected and stored role and how much they said, the most
    segments first."""
    with project.connect(read_only=True) as con:
        found = con.execute(_SPEAKERS).fetchall()
    speakers = [
        SpeakerRole(name, stored or detect_role(name), detect_role(name), stored, by, n, docs)
        for name, stored, by, n, docs in found
    ]
    return sorted(speakers, key=lambda s: (-s.segments, speaker_key(s.speaker)))


def set_speaker_role(project: Project, speaker: str, role: str, actor: str = "cli") -> SpeakerRole:
    """Set a speaker's role for the whole project (supervisors and admins; audited with
    the previous role). `role` "detected" forgets the stored role."""
    key = speaker_key(speaker)
    if not key:
        raise ArgumentError("speaker", "must not be empty")
    if role not in (*ROLES, DETECTED):
        raise ArgumentError("role", f"must be one of {', '.join((*ROLES, DETECTED))}")
    require_supervisor(project, "change a speaker's role")
    actor = recorded_as(project, actor)
    name = " ".join(speaker.split())
    with project.transaction() as con:
        row = con.execute("SELECT role FROM speaker_roles WHERE speaker_key = ?", [key]).fetchone()
        previous = row[0] if row else None
        if role == DETECTED:
            con.execute("DELETE FROM speaker_roles WHERE speaker_key = ?", [key])
        else:
            con.execute(
                "INSERT OR REPLACE INTO speaker_roles (speaker_key, speaker, role, set_by) "
                "VALUES (?, ?, ?, ?)",
                [key, name, role, actor],
            )
        log_action(
            con,
            actor,
            "speakers.role",
            {"speaker": name, "from": previous, "to": None if role == DETECTED else role},
        )
    found = {speaker_key(s.speaker): s for s in list_speakers(project)}
    detected = detect_role(name) or PARTICIPANT
    return found.get(key) or SpeakerRole(name, detected, detected, None, None, 0, 0)
