"""The theme table for papers: theme, subthemes or codes, definition, participants
(n/N), documents, locations and sessions represented, and illustrative quotes."""

from __future__ import annotations

from qualcode.codebook.versions import codebook_at
from qualcode.coding.layers import Layer, resolve_layer
from qualcode.errors import NextStep, QualcodeError
from qualcode.exports.table import Table
from qualcode.store import Project
from qualcode.themes.attribution import DEFAULT_TEMPLATE
from qualcode.themes.catalog import read_themes
from qualcode.themes.ordering import natural_key
from qualcode.themes.quotes import MAX_QUOTES, Quote, quotes_with
from qualcode.themes.targets import theme_targets
from qualcode.themes.tracking import TrackRow, denominators, track_with

COLUMNS = [
    "Theme",
    "Subthemes or codes",
    "Definition",
    "Participants (n/N)",
    "Documents",
    "Locations and sessions",
    "Illustrative quotes",
]


def represented(rows: list[TrackRow]) -> str:
    """'Location 1 (sessions 1, 3); Location 2 (session 2)' from a target's cell rows."""
    sessions: dict[str | None, list[str]] = {}
    for row in rows:
        if row.scope == "cell" and row.segments:
            found = sessions.setdefault(row.location, [])
            if row.session is not None:
                found.append(row.session)
    parts = []
    for location in sorted(sessions, key=natural_key):
        listed = sorted(set(sessions[location]), key=natural_key)
        place = location or "(no location)"
        if listed:
            word = "session" if len(listed) == 1 else "sessions"
            place += f" ({word} {', '.join(listed)})"
        parts.append(place)
    return "; ".join(parts)


def quote_text(quotes: list[Quote]) -> str:
    """Quotes one per line: “text” (attribution)."""
    return "\n".join(f"\u201c{q.text.strip()}\u201d {q.attribution}" for q in quotes)


def theme_table(
    project: Project,
    layer: str | Layer = "consensus",
    quotes: int = MAX_QUOTES,
    template: str = DEFAULT_TEMPLATE,
) -> Table:
    """One row per theme, subthemes after their parent."""
    with project.connect(read_only=True) as con:
        chosen = resolve_layer(con, layer, project.user)
        themes = read_themes(con)
        if not themes:
            raise QualcodeError("no themes yet", next_step=NextStep.CREATE_THEMES)
        codebook = codebook_at(con)
        targets = theme_targets(themes)
        rows = track_with(con, chosen, targets)
        picked = quotes_with(con, chosen, targets, quotes, template, reader=project.user)
        n_participants, _ = denominators(con)
    labels = {c.id: c.label for c in codebook.codes} if codebook else {}
    retired = {c.id for c in codebook.codes if c.retired} if codebook else set()
    shown_retired = False
    by_id = {t.id: t for t in themes}
    per_target: dict[str, list[TrackRow]] = {}
    for row in rows:
        per_target.setdefault(row.id, []).append(row)
    body = []
    for target in targets:
        theme = by_id[int(target.id)]
        total = next(r for r in per_target[target.id] if r.scope == "total")
        parts = [by_id[s].name for s in theme.subthemes] + [
            labels.get(c, c) + (" (retired)" if c in retired else "") for c in theme.codes
        ]
        shown_retired = shown_retired or any(c in retired for c in theme.codes)
        name = theme.name
        if theme.parent in by_id:
            name += f" (subtheme of {by_id[theme.parent].name})"
        definition = theme.definition
        if theme.central_concept:
            definition += f"\nCentral organising concept: {theme.central_concept}"
        body.append([
            name,
            "; ".join(parts),
            definition.strip(),
            f"{total.participants}/{n_participants}",
            total.documents,
            represented(per_target[target.id]),
            quote_text(picked[("theme", target.id)]),
        ])  # fmt: skip
    notes = [
        f"Counts from the {chosen.name} layer. N = {n_participants} participants: distinct "
        "speakers per location, facilitators not counted.",
        f"Quotes: chosen by the researchers where pinned on the {chosen.name} layer; "
        "otherwise those the most coders coded with the theme, closest to 25 words. "
        "Facilitators are not quoted by default.",
    ]
    if shown_retired:
        notes.append(
            "(retired): a code retired from the codebook after it was applied; its "
            "codings still count for the theme."
        )
    return Table("Themes", COLUMNS, body, notes, sheet="Themes")
