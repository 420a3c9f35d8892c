"""Attributing a quote the way the field does: "(young person, location 3, session 2, May 2022)".

The template is filled from the quote's case. Fields: {role} ("young person", or
"facilitator" for a facilitator's words, by the speaker's role in the project),
{speaker}, {location} (first letter lower-cased, "Location 3" -> "location 3";
locations are pseudonyms in this field), {session}, {month}, {year}, {date} and
{document}. A field the case lacks is left out along with the comma before it.
"""

from __future__ import annotations

import re
import string
from datetime import date as Date

from qualcode.errors import QualcodeError
from qualcode.themes.people import role as attributed_role

DEFAULT_TEMPLATE = "({role}, {location}, session {session}, {month} {year})"
FIELDS = ("role", "speaker", "location", "session", "month", "year", "date", "document")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


def check_template(template: str) -> str:
    """The template, if every {field} in it is known; QualcodeError otherwise."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise QualcodeError(f"attribution template: {exc}") from None
    for name in names:
        if name not in FIELDS:
            raise QualcodeError(
                f"attribution template: unknown field '{{{name}}}' (fields: {', '.join(FIELDS)})"
            )
    return template


def month_year(value: str | None) -> tuple[str, str]:
    """('May', '2022') from an ISO date; what can be found of them otherwise."""
    if not value:
        return "", ""
    text = value.strip()
    try:
        parsed = Date.fromisoformat(text[:10])
        return _MONTHS[parsed.month - 1], str(parsed.year)
    except ValueError:
        pass
    month = next((m for m in _MONTHS if m.lower() in text.lower()), "")
    year = _YEAR.search(text)
    return month, year.group(1) if year else ""


def _lower_first(value: str) -> str:
    return value[:1].lower() + value[1:]


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,)])", r"\1", text)
    text = re.sub(r",+", ",", text)
    text = re.sub(r"\(\s*,\s*", "(", text)
    text = re.sub(r",\s*\)", ")", text)
    return text.strip()


def attribute(
    template: str,
    *,
    speaker: str | None,
    location: str | None,
    session: str | None,
    date: str | None,
    document: str | None = None,
    role: str | None = None,
) -> str:
    """The filled template for one quote; `role`: the speaker's role
    (`qualcode.speakers`), when known."""
    month, year = month_year(date)
    values = {
        "role": attributed_role(speaker, role),
        "speaker": speaker or "",
        "location": _lower_first(location or ""),
        "session": session or "",
        "month": month,
        "year": year,
        "date": date or "",
        "document": document or "",
    }
    filled = check_template(template).format(**values)
    if not session:
        filled = re.sub(r"\bsession\s*(?=[,)]|$)", "", filled)
    return _tidy(filled)
