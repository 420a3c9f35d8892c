"""Project settings: named choices a team makes once for a whole project.

Each setting is declared here with its allowed values and default, so a typo in a key
or a value is refused instead of silently stored. Values live in the project's `meta`
table. A setting changes what every coder sees (which turns are offered for coding,
what a unit of coding is), so changing one is a supervisor's or admin's act, and it is
audited with its previous value.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qualcode.access import recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.errors import ArgumentError
from qualcode.store import Project

__all__ = [
    "CODING_SPEAKERS",
    "CODING_UNIT",
    "CODING_UNITS",
    "CONTEXTS",
    "PREAMBLE",
    "QUOTE_CONTEXT",
    "SETTINGS",
    "Setting",
    "change_setting",
    "register",
    "read_setting",
    "read_settings",
    "setting_value",
]


@dataclass(frozen=True)
class Setting:
    """One project setting: its key, allowed values (None: any non-empty text), default
    and what it means."""

    key: str
    default: str
    allowed: tuple[str, ...] | None
    meaning: str

    def check(self, value: str) -> str:
        """The value, stripped, if this setting allows it."""
        value = value.strip()
        if not value:
            raise ArgumentError(self.key, "must not be empty")
        if self.allowed is not None and value not in self.allowed:
            raise ArgumentError(self.key, f"must be one of {', '.join(self.allowed)}")
        return value


SETTINGS: dict[str, Setting] = {}


def register(setting: Setting) -> Setting:
    """Declare a setting (each module that reads one declares it once, at import)."""
    existing = SETTINGS.get(setting.key)
    if existing is not None and existing != setting:
        raise ValueError(f"setting {setting.key!r} declared twice")
    SETTINGS[setting.key] = setting
    return setting


# Every setting of a project, declared here so that each is known wherever it is read
# or listed; the modules whose behaviour a setting changes read it by key.

CODING_SPEAKERS = register(
    Setting(
        "coding_speakers",
        "participants",
        ("participants", "all"),
        "whose turns are offered for coding and count in agreement: participants "
        "(facilitators' and others' turns are shown as context) or all speakers",
    )
)
PREAMBLE = register(
    Setting(
        "preamble",
        "context",
        ("context", "segment"),
        "the note above a transcript's first speaker turn: context (the document's "
        "header, not coded) or segment (coded like any paragraph, from the next import)",
    )
)
CODING_UNITS = ("turn", "sentence")
CODING_UNIT = register(
    Setting(
        "coding_unit",
        "sentence",
        CODING_UNITS,
        "the unit of coding for documents imported from now on: a speaker's whole turn "
        "(turn), or each sentence of a turn of more than three sentences (sentence); "
        "documents already imported keep theirs",
    )
)

CONTEXTS = ("turn", "unit", "1", "2", "3")
QUOTE_CONTEXT = register(
    Setting(
        "quote_context",
        "turn",
        CONTEXTS,
        "what a quote shows in the Themes and Matrix pages and the exported tables: the "
        "speaker's whole turn with the coded part marked (turn), the coded unit alone "
        "(unit), or 1, 2 or 3 sentences either side of it within the turn",
    )
)


def _setting(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise ArgumentError(
            "key", f"no setting {key!r} (settings: {', '.join(SETTINGS)})"
        ) from None


def setting_value(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """A setting's value inside an open connection (its default when never set)."""
    setting = _setting(key)
    row = con.execute("SELECT value FROM meta WHERE key = ?", [f"setting.{key}"]).fetchone()
    return row[0] if row else setting.default


def read_setting(project: Project, key: str) -> str:
    """A setting's value (its default when never set)."""
    with project.connect(read_only=True) as con:
        return setting_value(con, key)


def read_settings(project: Project) -> dict[str, str]:
    """Every declared setting's value."""
    with project.connect(read_only=True) as con:
        return {key: setting_value(con, key) for key in SETTINGS}


def change_setting(project: Project, key: str, value: str, actor: str = "cli") -> str:
    """Set a setting for the whole project (supervisors and admins; audited with the
    previous value). Returns the value stored."""
    setting = _setting(key)
    value = setting.check(value)
    require_supervisor(project, f"change the project setting {key}")
    actor = recorded_as(project, actor)
    with project.transaction() as con:
        previous = setting_value(con, key)
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [f"setting.{key}", value]
        )
        log_action(con, actor, "settings.change", {"key": key, "from": previous, "to": value})
    return value
