"""Markdown: a heading, a pipe table and the notes, per table. Raw HTML in any text is
escaped, so a transcript holding markup shows it as written wherever the file is
rendered; so is `*` in a cell, so that only the emphasised runs (a quote's coded part,
`**...**`) are bold."""

from __future__ import annotations

from qualcode.exports.table import Table, is_number
from qualcode.exports.table import lines as value_lines


def _escaped(value: str) -> str:
    """Angle brackets as entities: no tag survives, and the text reads as written."""
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _piece(piece: str, emphasis: bool) -> str:
    shown = _escaped(piece).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*")
    return f"**{shown.strip()}**" if emphasis else shown


def _cell(value: object) -> str:
    shown = ["".join(_piece(*run) for run in line).strip() for line in value_lines(value)]  # type: ignore[arg-type]
    return "<br>".join(shown) or " "


def render_markdown(tables: list[Table]) -> bytes:
    """Each table under a level-2 heading; numeric columns right-aligned."""
    parts: list[str] = []
    for table in tables:
        numeric = [
            bool(table.rows) and all(is_number(r[i]) or r[i] is None for r in table.rows)
            for i in range(len(table.columns))
        ]
        lines = [f"## {_escaped(table.title)}", ""]
        lines.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
        lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows]
        if table.notes:
            lines.append("")
            lines += [f"*{_escaped(note)}*" for note in table.notes]
        parts.append("\n".join(lines))
    return ("\n\n".join(parts) + "\n").encode("utf-8")
