"""Coding: decisions as append-only events, coding layers and their folded state, the
segment card a coder reviews, undo, imported codings, memos, retrieval and progress.
Themes, agreement and exports read codings through this package."""

from qualcode.coding.card import (
    FilterOptions,
    Filters,
    SegmentCard,
    excerpt_span,
    filter_options,
    next_segment,
    segment_card,
)
from qualcode.coding.csv_import import CodingsImport, import_codings
from qualcode.coding.decisions import (
    ACTIONS,
    Decision,
    append_decisions,
    mark_reviewed,
    record_decision,
    record_decisions,
)
from qualcode.coding.layers import Layer, layers_with_codings, parse_layer, resolve_layer
from qualcode.coding.memos import Memo, add_memo, memos_for
from qualcode.coding.progress import acceptance_rates, review_progress
from qualcode.coding.retrieve import (
    DocumentView,
    document_view,
    list_documents,
    segment_context,
)
from qualcode.coding.state import refresh_coding_state
from qualcode.coding.undo import Undone, undo_last

__all__ = [
    "ACTIONS",
    "CodingsImport",
    "Decision",
    "DocumentView",
    "FilterOptions",
    "Filters",
    "Layer",
    "Memo",
    "SegmentCard",
    "Undone",
    "acceptance_rates",
    "add_memo",
    "append_decisions",
    "document_view",
    "excerpt_span",
    "filter_options",
    "import_codings",
    "layers_with_codings",
    "list_documents",
    "memos_for",
    "mark_reviewed",
    "next_segment",
    "parse_layer",
    "record_decision",
    "record_decisions",
    "refresh_coding_state",
    "resolve_layer",
    "review_progress",
    "segment_card",
    "segment_context",
    "undo_last",
]
