"""Themes, candidate themes, tracking across locations and sessions, quotes and the
Framework Method matrix. Every function returns plain data for the CLI and the app."""

from qualcode.coding.layers import Layer, parse_layer
from qualcode.coding.state import refresh_coding_state
from qualcode.themes.attribution import DEFAULT_TEMPLATE, attribute
from qualcode.themes.candidates import Proposal, Proposals, accept_proposal, propose_themes
from qualcode.themes.catalog import (
    add_codes,
    create_theme,
    delete_theme,
    get_theme,
    list_themes,
    remove_codes,
    update_theme,
)
from qualcode.themes.framework import FrameworkResult, create_framework_themes
from qualcode.themes.matrix import Matrix, framework_matrix, set_summary, summary_history
from qualcode.themes.model import STATUSES, Theme
from qualcode.themes.quotes import Quote, illustrative_quotes, pin_quote, unpin_quote
from qualcode.themes.tracking import Tracking, TrackRow, track

__all__ = [
    "DEFAULT_TEMPLATE",
    "STATUSES",
    "FrameworkResult",
    "Layer",
    "Matrix",
    "Proposal",
    "Proposals",
    "Quote",
    "Theme",
    "TrackRow",
    "Tracking",
    "accept_proposal",
    "add_codes",
    "attribute",
    "create_framework_themes",
    "create_theme",
    "delete_theme",
    "framework_matrix",
    "get_theme",
    "illustrative_quotes",
    "list_themes",
    "parse_layer",
    "pin_quote",
    "propose_themes",
    "refresh_coding_state",
    "remove_codes",
    "set_summary",
    "summary_history",
    "track",
    "unpin_quote",
    "update_theme",
]
