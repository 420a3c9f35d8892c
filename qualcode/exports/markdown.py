"""Markdown: a heading, a pipe table and the notes, per table. Raw HTML in any text is
escaped, so a transcript holding markup shows it as written wherever the file is
rendered."""

from __future__ import annotations

from qualcode.exports.table import Table, is_number, text


def _escaped(value: str) -> str:
    """Angle brackets as entities: no tag survives, and the text reads as written."""
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _cell(value: object) -> str:
    shown = _escaped(text(value)).replace("\\", "\\\\").replace("|", "\\|")  # type: ignore[arg-type]
    return "<br>".join(part.strip() for part in shown.splitlines()) or " "


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
