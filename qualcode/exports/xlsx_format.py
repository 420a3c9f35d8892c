"""Excel: one sheet per table, a bold frozen header row, wrapped long text, notes below.

Text is always stored as text: a quote beginning with '=' must never become a formula.
Emphasised runs (a quote's coded part) are bold, as rich text within the cell.
"""

from __future__ import annotations

import io

from qualcode.exports.table import Marked, Table, is_number, text

_MAX_WIDTH = 60


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name.lower(), 0)
        seen[name.lower()] = count + 1
        out.append(name if count == 0 else f"{name[:28]} {count + 1}")
    return out


def _rich(value: Marked) -> object:
    """The value as rich text, its emphasised runs bold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    blocks: list[object] = []
    for piece, emphasis in value.runs:
        piece = ILLEGAL_CHARACTERS_RE.sub("", piece)
        if piece:
            blocks.append(TextBlock(InlineFont(b=True), piece) if emphasis else piece)
    return CellRichText(blocks)


def render_xlsx(tables: list[Table]) -> bytes:
    """A workbook with a sheet per table."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for table, name in zip(tables, _unique([t.sheet_name for t in tables]), strict=True):
        sheet = workbook.create_sheet(name)
        for c, name in enumerate(table.columns, start=1):  # as text: never a formula
            cell = sheet.cell(row=1, column=c)
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", name)
            cell.data_type = "s"
            cell.font = Font(bold=True)
        widths = [len(c) for c in table.columns]
        for r, row in enumerate(table.rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if is_number(value):
                    cell.value = value
                    continue
                shown = ILLEGAL_CHARACTERS_RE.sub("", text(value))
                cell.value = _rich(value) if isinstance(value, Marked) else shown
                cell.data_type = "s"
                if "\n" in shown or len(shown) > _MAX_WIDTH:
                    cell.alignment = wrap
                longest = max((len(line) for line in shown.splitlines()), default=0)
                widths[c - 1] = max(widths[c - 1], longest)
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = min(width + 2, _MAX_WIDTH)
        sheet.freeze_panes = "A2"
        if table.notes:
            start = len(table.rows) + 3
            for offset, note in enumerate(table.notes):
                cell = sheet.cell(row=start + offset, column=1, value=note)
                cell.data_type = "s"
                cell.font = Font(italic=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
