"""Short-lived caches of what rarely changes (the codebook, the coders, the filter
choices), so a page rerun after a decision opens as few connections as it can.

Each entry lives a few seconds: a change made from the CLI shows within that
time, and a change made in the app clears the caches at once (`forget`).
Decisions, codings and memos are never cached: they are read fresh on every run.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qualcode.codebook import Codebook, current_codebook
from qualcode.coders import list_coders
from qualcode.coding import FilterOptions, filter_options
from qualcode.threaded import SharedProject

SECONDS = 10


@st.cache_data(ttl=SECONDS, show_spinner=False)
def codebook(path: str) -> Codebook | None:
    """The project's current codebook."""
    return current_codebook(SharedProject(Path(path)))


@st.cache_data(ttl=SECONDS, show_spinner=False)
def coder_list(path: str) -> list[dict[str, str]]:
    """The project's coders and their roles."""
    return list_coders(SharedProject(Path(path)))


@st.cache_data(ttl=SECONDS, show_spinner=False)
def options(path: str) -> FilterOptions:
    """Documents, locations, sessions and samples to filter by."""
    return filter_options(SharedProject(Path(path)))


def forget() -> None:
    """Drop every cached entry (after the app changed the codebook, coders or documents)."""
    for cached in (codebook, coder_list, options):
        cached.clear()
