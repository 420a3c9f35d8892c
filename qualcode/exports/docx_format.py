"""Word: per table a heading, a real table with a repeating bold header row, and notes.

Tables with more than five columns go on landscape pages. Emphasised runs (a quote's
coded part) are bold.
"""

from __future__ import annotations

import io
from typing import Any

from qualcode.exports.table import Table, is_number, lines

LANDSCAPE_FROM = 6


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _fill(cell: Any, value: object, bold: bool = False, right: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = cell.paragraphs[0]
    for i, line in enumerate(lines(value)):  # type: ignore[arg-type]
        if i:
            paragraph = cell.add_paragraph()
        for piece, emphasis in line or [("", False)]:
            run = paragraph.add_run(piece)
            run.bold = bold or emphasis
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _landscape(document: Any) -> None:
    from docx.enum.section import WD_ORIENT

    section = document.sections[-1]
    if section.orientation != WD_ORIENT.LANDSCAPE:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width


def render_docx(tables: list[Table]) -> bytes:
    """A Word document holding every table."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.size = Pt(9)
    if any(len(t.columns) >= LANDSCAPE_FROM for t in tables):
        _landscape(document)
    for table in tables:
        document.add_heading(table.title, level=2)
        grid = document.add_table(rows=1, cols=len(table.columns))
        grid.style = "Table Grid"
        header = grid.rows[0]
        _repeat_header(header)
        for cell, name in zip(header.cells, table.columns, strict=True):
            _fill(cell, name, bold=True)
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                _fill(cell, value, right=is_number(value))
        for note in table.notes:
            paragraph = document.add_paragraph()
            run = paragraph.add_run(note)
            run.italic = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
