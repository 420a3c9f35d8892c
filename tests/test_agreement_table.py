"""Reading unit,coder,value tables and reporting their agreement; each bad table's error."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from qualcode.agreement import read_table, table_report
from qualcode.errors import InputError

from .conftest import REFERENCE

FIXTURES = REFERENCE / "agreement"

REPORT_KEYS = {
    "n_units",
    "n_coders",
    "level",
    "percent_agreement",
    "percent_agreement_definition",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "units_pairable",
}


def write(tmp_path: Path, text: str | bytes, name: str = "ratings.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem(path: Path, level: str = "nominal") -> str:
    """The one-line message table_report gives for a bad table."""
    with pytest.raises(InputError) as caught:
        table_report(path, level)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return caught.value.problem


# ---------------------------------------------------------------------------
# Reports on the reference fixtures (published values from expected_values.csv)
# ---------------------------------------------------------------------------


def test_report_fleiss_diagnoses() -> None:
    report = table_report(FIXTURES / "fleiss1971_diagnoses_30subjects_6raters.long.csv")
    assert set(report) == REPORT_KEYS
    assert report["n_units"] == 30 and report["n_coders"] == 6
    assert report["units_pairable"] == 30
    assert report["level"] == "nominal"
    assert report["fleiss_kappa"] == pytest.approx(0.4302445, abs=1e-6)  # R irr kappam.fleiss
    assert report["percent_agreement"] == pytest.approx(0.5556, abs=1e-3)  # Fleiss' Po
    assert report["cohen_kappa"] is None  # six coders
    assert "Krippendorff" in report["percent_agreement_definition"]


def test_report_two_coders_with_string_labels() -> None:
    report = table_report(FIXTURES / "artstein_poesio2008_3cat_100items.long.csv")
    assert report["n_units"] == 100 and report["n_coders"] == 2
    assert report["cohen_kappa"] == pytest.approx(0.8013, abs=1e-4)
    assert report["krippendorff_alpha"] == pytest.approx(0.8, abs=1e-3)
    assert report["percent_agreement"] == pytest.approx(0.88, abs=1e-3)
    assert report["fleiss_kappa"] == pytest.approx(0.79953, abs=1e-5)  # Scott's pi for two


def test_report_gwet_on_cohen_example() -> None:
    report = table_report(FIXTURES / "cohen1960_ex1_100items.long.csv")
    assert report["gwet_ac1"] == pytest.approx(-0.04797, abs=1e-4)  # irrCAC
    assert report["percent_agreement"] == pytest.approx(0.29, abs=0.01)


def test_report_with_missing_ratings_at_two_levels() -> None:
    path = FIXTURES / "wikipedia_kalpha_3coders_15units.long.csv"
    nominal = table_report(path)
    # Units 2 and 14 have no rows, unit 1 has one rating: 13 units, 12 pairable.
    assert (nominal["n_units"], nominal["n_coders"], nominal["units_pairable"]) == (13, 3, 12)
    assert nominal["krippendorff_alpha"] == pytest.approx(0.691, abs=1e-3)
    # Fleiss on the two complete units (3,3,4) and (4,4,4): Po = (1/3 + 1)/2 = 2/3,
    # shares 3 -> 2/6, 4 -> 4/6, Pe = 1/9 + 4/9 = 5/9, kappa = (1/9) / (4/9) = 0.25.
    assert nominal["fleiss_kappa"] == pytest.approx(0.25)
    interval = table_report(path, "interval")
    assert interval["krippendorff_alpha"] == pytest.approx(0.811, abs=1e-3)
    assert interval["level"] == "interval"
    assert interval["fleiss_kappa"] is None and interval["gwet_ac1"] is None


def test_report_ratio_level() -> None:
    report = table_report(FIXTURES / "krippendorff1980_3obs_9units.long.csv", "ratio")
    assert report["krippendorff_alpha"] == pytest.approx(0.483, abs=1e-3)


def test_read_table_codes_labels_in_sorted_order() -> None:
    units, coders, matrix = read_table(FIXTURES / "randolph2005_ex1_3raters_4items.long.csv")
    assert units == ["1", "2", "3", "4"]
    assert coders == ["r1", "r2", "r3"]
    # No -> 0, Yes -> 1; unit 2 is Yes, Yes, No.
    assert matrix[:, 1].tolist() == [1.0, 1.0, 0.0]
    assert matrix.shape == (3, 4)


def test_read_table_keeps_numbers_and_gaps(tmp_path: Path) -> None:
    path = write(tmp_path, "unit,coder,value\nu1,A,1\nu1,B,2.5\nu2,A,3\nu2,B,3\nu3,B,1\n")
    units, coders, matrix = read_table(path, "interval")
    assert units == ["u1", "u2", "u3"] and coders == ["A", "B"]
    np.testing.assert_array_equal(matrix, [[1, 3, np.nan], [2.5, 3, 1]])


def test_placeholder_values_are_missing_not_categories(tmp_path: Path) -> None:
    plain = "unit,coder,value\n1,A,x\n1,B,x\n2,A,x\n2,B,y\n3,A,y\n3,B,y\n4,A,x\n"
    with_placeholders = plain + "4,B,NA\n5,A,\n5,B,n/a\n6,A,NaN\n6,B,y\n"
    clean = table_report(write(tmp_path, plain, "plain.csv"))
    noisy = table_report(write(tmp_path, with_placeholders, "noisy.csv"))
    # Unit 6 gains one rating (B: y) but stays unpairable; unit 5 has none at all.
    assert noisy["krippendorff_alpha"] == pytest.approx(clean["krippendorff_alpha"])
    assert noisy["units_pairable"] == clean["units_pairable"] == 3
    assert noisy["n_units"] == 5  # unit 5 only has placeholders: as if absent


def test_report_accepts_bom_spaces_header_case_and_identical_duplicates(tmp_path: Path) -> None:
    text = "\ufeffUnit , CODER,Value\n1, A ,2\n1,B,2\n1,B,2.0\n2,A,1\n2,B,2\n\n"
    report = table_report(write(tmp_path, text))
    # Two units: (2, 2) agree, (1, 2) differ -> percent agreement 1/2.
    assert report["percent_agreement"] == pytest.approx(0.5)
    assert report["n_units"] == 2 and report["n_coders"] == 2


# ---------------------------------------------------------------------------
# Bad tables: one line each
# ---------------------------------------------------------------------------


def test_missing_column_in_a_real_file() -> None:
    path = FIXTURES / "dkpro_set_valued_2coders_9units.long.csv"
    assert problem(path) == "missing column(s) value; found unit, coder, codes"


def test_missing_columns_are_named_with_those_found(tmp_path: Path) -> None:
    message = problem(write(tmp_path, "item,rater,value\n1,A,1\n"))
    assert message == "missing column(s) unit, coder; found item, rater, value"


def test_only_one_coder(tmp_path: Path) -> None:
    message = problem(write(tmp_path, "unit,coder,value\n1,A,1\n2,A,2\n3,B,NA\n"))
    assert message == "only one coder ('A'); agreement needs at least two"


def test_no_pairable_unit(tmp_path: Path) -> None:
    message = problem(write(tmp_path, "unit,coder,value\n1,A,1\n2,B,2\n"))
    assert "no unit is coded by two or more coders" in message
    assert "no pairable unit" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file: expected a header unit,coder,value and rating rows"),
        ("  \n\n", "empty file: expected a header unit,coder,value and rating rows"),
        ("unit,coder,value\n", "empty file: no ratings below the header"),
        ("unit,coder,value\n1,A,\n1,B,NA\n", "empty file: no ratings below the header"),
    ],
)
def test_empty_files(tmp_path: Path, text: str, expected: str) -> None:
    assert problem(write(tmp_path, text)) == expected


def test_conflicting_duplicate_rows(tmp_path: Path) -> None:
    text = "unit,coder,value\n1,A,x\n1,B,x\n2,A,y\n1,A,y\n"
    message = problem(write(tmp_path, text))
    assert message == "unit '1', coder 'A' has conflicting values 'x' (line 2) and 'y' (line 5)"


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"unit,coder,value\n1,A,\xff\xfe\n", r"^unreadable CSV: not UTF-8 text"),
        ("unit,coder,value\n1,A,1\n".encode("utf-16"), r"^unreadable CSV: not UTF-8 text"),
        (b"unit,coder,value\n1,A,\x00\n", r"^unreadable CSV: it contains NUL bytes"),
        (b'unit,coder,value\n1,A,"x\n2,B,y\n', r"^unreadable CSV at line 3: unexpected end"),
        (b'unit,coder,value\n1,A,"x"y\n', r"^unreadable CSV at line 2: ',' expected"),
        (b"unit,coder,value\n1,A\n", r"^line 2 has 2 field\(s\), the header has 3$"),
        (b"unit,coder,value\n,A,1\n", r"^line 2 has an empty unit$"),
    ],
)
def test_unreadable_csv(tmp_path: Path, content: bytes, pattern: str) -> None:
    assert re.search(pattern, problem(write(tmp_path, content)))


def test_unreadable_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert problem(tmp_path / "absent.csv") == "file not found"
    assert problem(tmp_path) == "not a file"
    big = tmp_path / "big.csv"
    big.write_bytes(b"unit,coder,value\n" + b"1,A,1\n" * 10)
    monkeypatch.setenv("QUALCODE_MAX_FILE_MB", "0.00005")  # 52 bytes
    assert problem(big).startswith("file too large (77 bytes; limit 52 bytes")


def test_non_numeric_value_at_a_numeric_level(tmp_path: Path) -> None:
    text = "unit,coder,value\n1,A,1\n1,B,2\n2,A,high\n2,B,low\n"
    assert problem(write(tmp_path, text), "ordinal") == (
        "level ordinal needs numeric values; line 4 has 'high'"
    )
    # "inf" and "nan" spell no rating value either.
    text = "unit,coder,value\n1,A,1\n1,B,inf\n"
    assert problem(write(tmp_path, text, "inf.csv"), "interval") == (
        "level interval needs numeric values; line 3 has 'inf'"
    )
    # At the nominal level the same labels are categories.
    report = table_report(tmp_path / "ratings.csv")
    assert report["n_units"] == 2 and math.isfinite(report["percent_agreement"])


def test_unknown_level_is_a_programming_error(tmp_path: Path) -> None:
    path = write(tmp_path, "unit,coder,value\n1,A,1\n1,B,1\n")
    with pytest.raises(ValueError, match="level must be one of"):
        table_report(path, "metric")  # type: ignore[arg-type]
