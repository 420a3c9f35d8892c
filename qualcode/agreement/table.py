"""Reading a long ratings table (unit, coder, value) and reporting its agreement.

One CSV row is one rating. A missing rating is an absent row; a row whose value is
blank, "NA", "N/A" or "NaN" counts as absent too, so such placeholders never become
categories. Every problem with the file becomes one InputError line.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TypedDict

import numpy as np

from qualcode.agreement.stats import (
    LEVELS,
    FloatArray,
    Level,
    cohen_kappa,
    complete_units,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairable_units,
    percent_agreement,
)
from qualcode.errors import InputError
from qualcode.limits import read_limited

REQUIRED_COLUMNS: tuple[str, ...] = ("unit", "coder", "value")
MISSING_VALUES: frozenset[str] = frozenset({"", "na", "n/a", "nan"})


class TableReport(TypedDict):
    """The agreement summary of one ratings table (see table_report)."""

    n_units: int
    n_coders: int
    level: str
    percent_agreement: float
    percent_agreement_definition: str
    cohen_kappa: float | None
    fleiss_kappa: float | None
    krippendorff_alpha: float
    gwet_ac1: float | None
    units_pairable: int


def _number(text: str) -> float | None:
    """The finite number `text` spells, else None ("nan" and "inf" are not numbers here)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _same(first: str, second: str) -> bool:
    """Whether two spellings give the same rating ("2" and "2.0" do)."""
    if first == second:
        return True
    number = _number(first)
    return number is not None and number == _number(second)


def _read_text(path: Path) -> str:
    """The file's text (within the size limit), with any UTF-8 byte-order mark removed."""
    try:
        return read_limited(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"unreadable CSV: not UTF-8 text ({exc.reason})") from exc


def _read_ratings(
    path: Path,
) -> tuple[list[str], list[str], dict[tuple[str, str], tuple[str, int]]]:
    """Units and coders in order of appearance, and each (unit, coder)'s value and line."""
    text = _read_text(path)
    if not text.strip():
        raise InputError(path, "empty file: expected a header unit,coder,value and rating rows")
    if "\x00" in text:
        raise InputError(path, "unreadable CSV: it contains NUL bytes (a binary or UTF-16 file?)")
    reader = csv.reader(io.StringIO(text), strict=True)
    ratings: dict[tuple[str, str], tuple[str, int]] = {}
    units: dict[str, None] = {}
    coders: dict[str, None] = {}
    try:
        header = [name.strip().lower() for name in next(reader)]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise InputError(
                path,
                f"missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}",
            )
        where = [header.index(name) for name in REQUIRED_COLUMNS]
        for row in reader:
            line = reader.line_num
            if not any(field.strip() for field in row):
                continue
            if len(row) <= max(where):
                raise InputError(
                    path, f"line {line} has {len(row)} field(s), the header has {len(header)}"
                )
            unit, coder, value = (row[i].strip() for i in where)
            if not unit or not coder:
                raise InputError(
                    path, f"line {line} has an empty {'unit' if not unit else 'coder'}"
                )
            if value.lower() in MISSING_VALUES:
                continue
            earlier = ratings.get((unit, coder))
            if earlier is not None and not _same(earlier[0], value):
                raise InputError(
                    path,
                    f"unit {unit!r}, coder {coder!r} has conflicting values {earlier[0]!r} "
                    f"(line {earlier[1]}) and {value!r} (line {line})",
                )
            ratings.setdefault((unit, coder), (value, line))
            units.setdefault(unit)
            coders.setdefault(coder)
    except csv.Error as exc:
        raise InputError(path, f"unreadable CSV at line {reader.line_num}: {exc}") from exc
    if not ratings:
        raise InputError(path, "empty file: no ratings below the header")
    return list(units), list(coders), ratings


def read_table(
    path: str | Path, level: Level = "nominal"
) -> tuple[list[str], list[str], FloatArray]:
    """Read a unit,coder,value CSV into (units, coders, coders x units matrix, NaN = missing).

    Numeric values stay numbers. At the nominal level, if any value is not a number,
    all values are taken as labels and coded 0, 1, ... in sorted label order. Other
    levels need numbers. Raises InputError for a table that cannot give agreement.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    path = Path(path)
    units, coders, ratings = _read_ratings(path)
    if len(coders) < 2:
        raise InputError(path, f"only one coder ({coders[0]!r}); agreement needs at least two")
    numbers = {value: _number(value) for value, _ in ratings.values()}
    bad = [(line, value) for value, line in ratings.values() if numbers[value] is None]
    if bad and level != "nominal":
        line, value = min(bad)
        raise InputError(path, f"level {level} needs numeric values; line {line} has {value!r}")
    if bad:
        labels = sorted(numbers)
        code = {label: float(i) for i, label in enumerate(labels)}
    else:
        code = {value: float(number) for value, number in numbers.items() if number is not None}
    unit_index = {unit: i for i, unit in enumerate(units)}
    coder_index = {coder: i for i, coder in enumerate(coders)}
    matrix = np.full((len(coders), len(units)), np.nan)
    for (unit, coder), (value, _) in ratings.items():
        matrix[coder_index[coder], unit_index[unit]] = code[value]
    if pairable_units(matrix) == 0:
        raise InputError(
            path, "no unit is coded by two or more coders, so there is no pairable unit"
        )
    return units, coders, matrix


def table_report(path: str | Path, level: Level = "nominal") -> TableReport:
    """Agreement summary of a unit,coder,value CSV.

    Percent agreement is Krippendorff's pairable-value weighted one (the definition is
    reported); Cohen's kappa (unweighted) only for exactly two coders; Fleiss' kappa and
    Gwet's AC1 only at the nominal level, Fleiss' on the units every coder rated.
    """
    units, coders, matrix = read_table(path, level)
    agreement = percent_agreement(matrix, "pairable")
    complete = complete_units(matrix)
    nominal = level == "nominal"
    return {
        "n_units": len(units),
        "n_coders": len(coders),
        "level": level,
        "percent_agreement": float(agreement),
        "percent_agreement_definition": agreement.definition,
        "cohen_kappa": cohen_kappa(matrix[0], matrix[1]) if len(coders) == 2 else None,
        "fleiss_kappa": fleiss_kappa(complete) if nominal and complete.shape[1] else None,
        "krippendorff_alpha": krippendorff_alpha(matrix, level),
        "gwet_ac1": gwet_ac1(matrix) if nominal else None,
        "units_pairable": pairable_units(matrix),
    }
