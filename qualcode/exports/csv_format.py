"""CSV: one table, a header row, UTF-8; line breaks stay inside quoted values; a text
cell that starts like a formula is written as text (`fileio.spreadsheet_text`). CSV has
no bold: emphasised words (a quote's coded part) are written between ** and **, as
Markdown writes bold."""

from __future__ import annotations

import csv
import io

from qualcode.errors import QualcodeError
from qualcode.exports.table import Table, is_number, starred, text
from qualcode.fileio import spreadsheet_text


def render_csv(tables: list[Table]) -> bytes:
    """The table as CSV; CSV holds one table, so several are refused."""
    if len(tables) != 1:
        raise QualcodeError("CSV holds one table; choose xlsx, docx, md or tex for several")
    table = tables[0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_text(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([text(v) if is_number(v) else spreadsheet_text(starred(v)) for v in row])
    return out.getvalue().encode("utf-8")
