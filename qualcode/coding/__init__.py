"""Coding: decisions as append-only events, coding layers and their folded state, the
segment card a coder reviews, undo, imported codings, memos, retrieval and progress.
Themes, agreement and exports read codings through this package."""
