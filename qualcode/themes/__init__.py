"""Themes, candidate themes, tracking across locations and sessions, quotes and the
Framework Method matrix. Every function returns plain data for the CLI and the app."""

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
from qualcode.themes.explore import ANY, CodedSegment, code_cooccurrence, coded_segments
from qualcode.themes.framework import FrameworkResult, create_framework_themes
from qualcode.themes.matrix import (
    ROW_KINDS,
    Cell,
    Matrix,
    framework_matrix,
    set_summary,
    summary_history,
)
from qualcode.themes.model import STATUSES, Theme, descendants, tree_order
from qualcode.themes.quotes import Quote, illustrative_quotes, pin_quote, unpin_quote
from qualcode.themes.targets import Target
from qualcode.themes.tracking import Tracking, TrackRow, track

__all__ = [
    "ANY",
    "DEFAULT_TEMPLATE",
    "ROW_KINDS",
    "STATUSES",
    "Cell",
    "CodedSegment",
    "FrameworkResult",
    "Matrix",
    "Proposal",
    "Proposals",
    "Quote",
    "Target",
    "Theme",
    "TrackRow",
    "Tracking",
    "accept_proposal",
    "add_codes",
    "attribute",
    "code_cooccurrence",
    "coded_segments",
    "create_framework_themes",
    "create_theme",
    "delete_theme",
    "descendants",
    "framework_matrix",
    "get_theme",
    "illustrative_quotes",
    "list_themes",
    "pin_quote",
    "propose_themes",
    "remove_codes",
    "set_summary",
    "summary_history",
    "track",
    "tree_order",
    "unpin_quote",
    "update_theme",
]
