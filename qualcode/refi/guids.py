"""Stable GUIDs for exported entities, and lenient reading of other tools' GUIDs.

Every GUID qualcode writes is a UUID5 of the project's own UUID (kept in the
`meta` table under `project_uuid`, created on the first export) and the
entity's kind and key, e.g. ("code", "safety"). Exporting the same project
twice therefore gives the same GUIDs, so other tools recognise what they
imported before; two projects never share GUIDs.
"""

from __future__ import annotations

import uuid

from qualcode.store import Project

PROJECT_UUID_KEY = "project_uuid"
_STANDALONE = uuid.UUID("6f1c1d3e-5b7a-4c4e-9a55-6b2f3f0a7c11")  # codebooks outside a project


def project_uuid(project: Project) -> uuid.UUID:
    """The project's UUID, created and stored on first use."""
    with project.transaction() as con:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [PROJECT_UUID_KEY]).fetchone()
        if row is not None:
            return uuid.UUID(row[0])
        value = uuid.uuid4()
        con.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [PROJECT_UUID_KEY, str(value)])
        return value


def standalone_namespace(name: str) -> uuid.UUID:
    """A namespace for a codebook exported without a project: derived from its name."""
    return uuid.uuid5(_STANDALONE, name)


def entity_guid(namespace: uuid.UUID, kind: str, key: object) -> str:
    """The GUID of one entity: lower-case, valid for the REFI-QDA GUIDType."""
    return str(uuid.uuid5(namespace, f"{kind}:{key}"))


def normalise_guid(value: str | None) -> str | None:
    """A GUID as read from any tool, for matching: stripped, braces removed, lower case.

    Non-GUID ids (some tools write `c001`) are kept, lower-cased, so references still match.
    """
    if value is None:
        return None
    value = value.strip().strip("{}").strip().lower()
    return value or None
