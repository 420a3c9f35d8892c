"""HTML for transcript text: always escaped, since transcripts are untrusted input.

Everything shown through `st.html` is built here, from `html.escape`d text, so a
transcript holding markup or markdown is shown as the literal characters; text
that goes through Streamlit's markdown (messages, captions) passes `md` first.
"""

from __future__ import annotations

import hashlib
import html
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip

STYLE = """<style>
.qc-doc p, .qc-turns p { margin: 0 0 .45rem 0; line-height: 1.6; }
.qc-speaker { font-weight: 600; margin-right: .4rem; }
.qc-turns .qc-other { opacity: .6; }
.qc-turns .qc-current { border-left: 4px solid #4e79a7; padding-left: .6rem; font-size: 1.1rem; }
.qc-doc mark { padding: 0 1px; border-radius: 2px; color: inherit; }
mark.qc-coded { background: #4e79a733; font-weight: 600; color: inherit; }
.qc-chip { display: inline-block; font-size: .75rem; border-radius: .6rem; padding: 0 .45rem;
           margin-left: .3rem; border: 1px solid #ccc; }
.qc-meta { font-size: .85rem; opacity: .75; }
</style>"""


def esc(text: object) -> str:
    """Text made safe for HTML (quotes too)."""
    return html.escape("" if text is None else str(text), quote=True)


def md(text: object) -> str:
    """Text for Streamlit's markdown (messages, captions, labels) shown literally: every
    ASCII punctuation mark backslash-escaped, so no link, image, HTML, :directive: or
    $math$ in it takes effect (an image link would make the browser fetch it)."""
    return "".join("\\" + c if c in string.punctuation else c for c in str(text))


def code_color(code_id: str, color: str | None) -> str:
    """The code's own colour, else a stable one from the palette."""
    if color:
        return color
    digest = hashlib.blake2b(code_id.encode(), digest_size=2).digest()
    return PALETTE[int.from_bytes(digest, "big") % len(PALETTE)]


@dataclass(frozen=True)
class Span:
    """A coded span to highlight: document offsets, end exclusive."""

    start: int
    end: int
    code_id: str
    label: str
    color: str


@dataclass(frozen=True)
class Line:
    """One segment to show: its offsets in the document, speaker and text."""

    start: int
    end: int
    speaker: str | None
    text: str


def _marked(line: Line, spans: Sequence[Span]) -> str:
    """The line's text, escaped, with the spans over it wrapped in coloured marks."""
    inside = [s for s in spans if s.start < line.end and s.end > line.start]
    cuts = sorted(
        {0, len(line.text)}
        | {min(max(s.start - line.start, 0), len(line.text)) for s in inside}
        | {min(max(s.end - line.start, 0), len(line.text)) for s in inside}
    )
    parts = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = esc(line.text[a:b])
        over = [s for s in inside if s.start - line.start <= a and s.end - line.start >= b]
        if not over or a == b:
            parts.append(piece)
            continue
        shadows = ", ".join(
            f"inset 0 -{3 * (i + 1)}px 0 {esc(s.color)}" for i, s in enumerate(over[1:])
        )
        style = f"background: {esc(over[0].color)}40;"
        if shadows:
            style += f" box-shadow: {shadows};"
        title = esc("; ".join(dict.fromkeys(s.label for s in over)))
        parts.append(f'<mark style="{style}" title="{title}">{piece}</mark>')
    return "".join(parts)


def chips(labels: Iterable[tuple[str, str]]) -> str:
    """Small labelled chips (label, colour)."""
    return "".join(
        f'<span class="qc-chip" style="border-color: {esc(color)}; background: {esc(color)}22">'
        f"{esc(label)}</span>"
        for label, color in labels
    )


def document_html(lines: Sequence[Line], spans: Sequence[Span]) -> str:
    """A transcript, one segment per paragraph, coded spans highlighted."""
    rows = []
    for line in lines:
        on_line = [s for s in spans if s.start < line.end and s.end > line.start]
        tags = chips(dict.fromkeys((s.label, s.color) for s in on_line))
        speaker = f'<span class="qc-speaker">{esc(line.speaker)}</span>' if line.speaker else ""
        rows.append(f"<p>{speaker}{_marked(line, spans)}{tags}</p>")
    return f'{STYLE}<div class="qc-doc">{"".join(rows)}</div>'


def turns_html(turns: Sequence[tuple[str | None, str, bool]]) -> str:
    """Turns around a segment: (speaker, text, is the segment under review)."""
    rows = []
    for speaker, text, current in turns:
        who = f'<span class="qc-speaker">{esc(speaker)}</span>' if speaker else ""
        kind = "qc-current" if current else "qc-other"
        rows.append(f'<p class="{kind}">{who}{esc(text)}</p>')
    return f'{STYLE}<div class="qc-turns">{"".join(rows)}</div>'


def quote_html(parts: Sequence[tuple[str, bool]]) -> str:
    """A quote's parts (text, coded), escaped; when it shows more than was coded (the
    speaker's turn around it), the coded parts are highlighted."""
    marked = any(not coded for _, coded in parts)
    return " ".join(
        f"<mark class='qc-coded'>{esc(text)}</mark>" if coded and marked else esc(text)
        for text, coded in parts
    )


def text_html(text: str, css_class: str = "qc-meta") -> str:
    """One escaped paragraph."""
    return f'{STYLE}<p class="{esc(css_class)}">{esc(text)}</p>'
