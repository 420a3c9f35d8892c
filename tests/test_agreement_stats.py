"""Agreement statistics against published values, hand arithmetic and reference libraries."""

from __future__ import annotations

import csv
import pickle
from collections.abc import Callable
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from qualcode.agreement import (
    bennett_s,
    bootstrap_ci,
    category_alpha,
    category_kappa_cohen,
    category_kappa_pooled,
    cohen_components,
    cohen_kappa,
    complete_units,
    conger_kappa,
    encode_sets,
    fleiss_components,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_alpha_sets,
    light_kappa,
    pairable_units,
    percent_agreement,
    randolph_kappa,
    scott_pi,
    set_distance,
)

from .conftest import REFERENCE

FIXTURES = REFERENCE / "agreement"
nan = np.nan


# ---------------------------------------------------------------------------
# Loading the reference datasets (independently of qualcode.agreement.table)
# ---------------------------------------------------------------------------


def load_matrix(dataset: str) -> tuple[np.ndarray, dict[str, float]]:
    """A fixture's units x coders matrix.csv as coders x units, with its label -> code map."""
    with (FIXTURES / f"{dataset}.matrix.csv").open(newline="") as handle:
        body = [row[1:] for row in list(csv.reader(handle))[1:]]
    labels = {value for row in body for value in row if value != ""}
    try:
        code = {label: float(label) for label in labels}
    except ValueError:
        code = {label: float(i) for i, label in enumerate(sorted(labels))}
    matrix = np.array([[code[v] if v != "" else nan for v in row] for row in body])
    return matrix.T, code


def load_sets(dataset: str) -> list[list[frozenset[str] | None]]:
    """The set-valued long.csv as coders x units of frozensets ("(none)" = empty set)."""
    with (FIXTURES / f"{dataset}.long.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    units = list(dict.fromkeys(row["unit"] for row in rows))
    coders = list(dict.fromkeys(row["coder"] for row in rows))
    given = {
        (row["unit"], row["coder"]): frozenset()
        if row["codes"] == "(none)"
        else frozenset(row["codes"].split("|"))
        for row in rows
    }
    return [[given.get((unit, coder)) for unit in units] for coder in coders]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def two(f: Callable[..., float], *args: object) -> Callable[[np.ndarray], float]:
    """A statistic of the first two coders."""
    return lambda m: f(m[0], m[1], *args)


SET_STATISTICS: dict[str, Callable[[list[list[frozenset[str] | None]]], float]] = {
    "kripp_alpha_set_distance": lambda s: krippendorff_alpha_sets(s, "set"),
    "kripp_alpha_masi_dkpro": lambda s: krippendorff_alpha_sets(s, "dkpro_masi"),
    "percent_agreement_exact_set": lambda s: percent_agreement(encode_sets(s)[0]),
}

MATRIX_STATISTICS: dict[str, Callable[[np.ndarray], float]] = {
    "percent_agreement": lambda m: percent_agreement(m, "pairable"),
    "pairwise_percent_agreement": lambda m: percent_agreement(m, "unit_mean"),
    "fleiss_kappa": fleiss_kappa,
    "fleiss_observed_agreement": lambda m: fleiss_components(m).observed,
    "fleiss_expected_agreement": lambda m: fleiss_components(m).expected,
    "fleiss_kappa_raters1to3": lambda m: fleiss_kappa(m[:3]),
    "randolph_free_marginal_kappa": randolph_kappa,
    "hubert_kappa": conger_kappa,
    "light_kappa_mean_pairwise_cohen": light_kappa,
    "cohen_kappa": two(cohen_kappa),
    "cohen_kappa_linear": two(cohen_kappa, "linear"),
    "cohen_kappa_quadratic": two(cohen_kappa, "quadratic"),
    "cohen_expected_agreement": lambda m: cohen_components(m[0], m[1]).expected,
    "scott_pi": two(scott_pi),
    "bennett_S": two(bennett_s),
    "gwet_ac1": gwet_ac1,
    # R irr kappa2 on raters 2 and 3, weights by position among the levels present.
    "cohen_kappa_rater2_vs_rater3": lambda m: cohen_kappa(m[1], m[2]),
    "cohen_kappa_rater2_vs_rater3_linear": lambda m: cohen_kappa(m[1], m[2], "linear", "position"),
    "cohen_kappa_rater2_vs_rater3_quadratic": lambda m: cohen_kappa(
        m[1], m[2], "quadratic", "position"
    ),
}


def compute(dataset: str, statistic: str, level: str) -> float:
    """Our value for one row of expected_values.csv; KeyError if no function covers it."""
    if statistic in SET_STATISTICS:
        return SET_STATISTICS[statistic](load_sets(dataset))
    matrix, code = load_matrix(dataset)
    if statistic == "kripp_alpha":
        return krippendorff_alpha(matrix, level)  # type: ignore[arg-type]
    name, _, category = statistic.partition("_binary_code=")
    if category:
        per_category = {"kripp_alpha": category_alpha, "fleiss_kappa": category_kappa_pooled}
        return per_category[name](matrix)[code[category]]
    return MATRIX_STATISTICS[statistic](matrix)


def expected_rows() -> list[dict[str, str]]:
    with (FIXTURES / "expected_values.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


EXPECTED = expected_rows()


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(r, id=f"{r['dataset']}:{r['statistic']}:{r['level_or_weights']}")
        for r in EXPECTED
    ],
)
def test_expected_value(row: dict[str, str]) -> None:
    value = compute(row["dataset"], row["statistic"], row["level_or_weights"])
    expected, tolerance = float(row["expected"]), float(row["tolerance"])
    assert abs(value - expected) <= tolerance, (value, expected, row["source"])


def test_every_expected_row_is_covered() -> None:
    """Names the rows of expected_values.csv that no function computes (there are none)."""
    uncovered = []
    for row in EXPECTED:
        try:
            compute(row["dataset"], row["statistic"], row["level_or_weights"])
        except KeyError:
            uncovered.append(f"{row['dataset']}:{row['statistic']}")
    assert len(EXPECTED) >= 83
    assert uncovered == []


# ---------------------------------------------------------------------------
# Hand-computed examples
# ---------------------------------------------------------------------------

# Units: u1 = (1, 1, 1), u2 = (1, 2), u3 = (2, 2), u4 = (1) alone; rows are coders.
PERCENT_DATA = [[1, 1, 2, 1], [1, 2, 2, nan], [1, nan, nan, nan]]


def test_percent_agreement_two_definitions_by_hand() -> None:
    # Ordered agreeing pairs n(n-1): u1 3*2 = 6, u2 0, u3 2*1 = 2; u4 is not pairable.
    # pairable (Krippendorff): sum 6/(3-1) + 0/(2-1) + 2/(2-1) over 3 + 2 + 2 values = 5/7.
    # unit_mean: mean of 6/(3*2) = 1, 0/(2*1) = 0, 2/(2*1) = 1 = 2/3.
    pairable = percent_agreement(PERCENT_DATA)
    unit_mean = percent_agreement(PERCENT_DATA, "unit_mean")
    assert pairable == pytest.approx(5 / 7)
    assert unit_mean == pytest.approx(2 / 3)
    assert (pairable.method, unit_mean.method) == ("pairable", "unit_mean")
    assert "Krippendorff" in pairable.definition
    assert "per-unit" in unit_mean.definition
    assert pairable_units(PERCENT_DATA) == 3
    restored = pickle.loads(pickle.dumps(unit_mean))  # e.g. a cache: the label survives
    assert (restored, restored.method) == (unit_mean, "unit_mean")


def test_percent_agreement_without_pairable_unit_is_nan() -> None:
    assert np.isnan(percent_agreement([[1, nan], [nan, 2]]))
    with pytest.raises(ValueError, match="unit_mean"):
        percent_agreement(PERCENT_DATA, "mean")  # type: ignore[arg-type]


def test_cohen_kappa_by_hand() -> None:
    # Agreement on units 1, 3, 4 of 5: Po = 0.6. Both coders: 1 twice, 2 three times,
    # so Pe = 0.4*0.4 + 0.6*0.6 = 0.52 and kappa = 0.08 / 0.48 = 1/6.
    a, b = [1, 1, 2, 2, 2], [1, 2, 2, 2, 1]
    parts = cohen_components(a, b)
    assert (parts.observed, parts.expected) == pytest.approx((0.6, 0.52))
    assert parts.value == pytest.approx(1 / 6)
    # Units that one coder left out are dropped, not counted as a category.
    assert cohen_kappa([*a, nan, 2], [*b, 1, nan]) == pytest.approx(1 / 6)


def test_cohen_scott_bennett_differ_by_chance_model() -> None:
    # a = 1,1,1,2 and b = 1,2,2,2 agree on units 1 and 4: Po = 0.5.
    # Cohen: Pe = 0.75*0.25 + 0.25*0.75 = 0.375, kappa = 0.125 / 0.625 = 0.2.
    # Scott: pooled shares 4/8 and 4/8, Pe = 0.5, pi = 0.
    # Bennett S: Pe = 1/q; q = 2 gives 0, q = 3 gives (0.5 - 1/3) / (2/3) = 0.25.
    a, b = [1, 1, 1, 2], [1, 2, 2, 2]
    assert cohen_kappa(a, b) == pytest.approx(0.2)
    assert scott_pi(a, b) == pytest.approx(0.0)
    assert bennett_s(a, b) == pytest.approx(0.0)
    assert bennett_s(a, b, n_categories=3) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="n_categories=1"):
        bennett_s(a, b, n_categories=1)


def test_weighted_kappa_by_value_not_position_by_hand() -> None:
    # Pairs (1,2), (2,1), (5,5); each coder uses 1, 2, 5 once, so E = 1/9 per cell.
    # kappa_w = 1 - sum(d * O) / sum(d * E).
    # Linear by value: d(1,2) = 1, d(1,5) = 4, d(2,5) = 3.
    #   sum dO = (1 + 1 + 0)/3 = 2/3; sum dE = 2*(1 + 4 + 3)/9 = 16/9; kappa = 1 - 6/16 = 0.625.
    # Linear by position (0, 1, 2): d = 1, 2, 1; sum dE = 8/9; kappa = 1 - 6/8 = 0.25.
    # Quadratic by value: d = 1, 16, 9; sum dE = 52/9; kappa = 1 - 6/52 = 46/52.
    # Quadratic by position: d = 1, 4, 1; sum dE = 12/9; kappa = 1 - 6/12 = 0.5.
    a, b = [1, 2, 5], [2, 1, 5]
    assert cohen_kappa(a, b, "linear") == pytest.approx(0.625)
    assert cohen_kappa(a, b, "linear", "position") == pytest.approx(0.25)
    assert cohen_kappa(a, b, "quadratic") == pytest.approx(46 / 52)
    assert cohen_kappa(a, b, "quadratic", "position") == pytest.approx(0.5)
    # scikit-learn weights by position among the labels used...
    assert cohen_kappa_score(a, b, weights="linear") == pytest.approx(0.25)
    # ...and by value once every value from 1 to 5 is a label.
    full = cohen_kappa_score(a, b, weights="linear", labels=[1, 2, 3, 4, 5])
    assert full == pytest.approx(0.625)


def test_fleiss_randolph_by_hand() -> None:
    # Units (1,1,1), (1,1,2), (2,2,2), (2,2,2); 3 coders.
    # Per-unit agreement (sum n^2 - 3) / 6: 1, (4 + 1 - 3)/6 = 1/3, 1, 1 -> Po = 5/6.
    # Shares: 1 -> 5/12, 2 -> 7/12; Pe = 25/144 + 49/144 = 37/72.
    # kappa = (60/72 - 37/72) / (35/72) = 23/35.
    # Randolph: (5/6 - 1/2) / (1/2) = 2/3 with q = 2; (5/6 - 1/3) / (2/3) = 3/4 with q = 3.
    data = [[1, 1, 2, 2], [1, 1, 2, 2], [1, 2, 2, 2]]
    parts = fleiss_components(data)
    assert (parts.observed, parts.expected) == pytest.approx((5 / 6, 37 / 72))
    assert fleiss_kappa(data) == pytest.approx(23 / 35)
    assert randolph_kappa(data) == pytest.approx(2 / 3)
    assert randolph_kappa(data, n_categories=3) == pytest.approx(3 / 4)


def test_randolph_with_missing_ratings_uses_per_unit_agreement() -> None:
    # PERCENT_DATA: mean per-unit pairwise agreement Po = 2/3 (see above), q = 2 (codes 1, 2):
    # (2/3 - 1/2) / (1/2) = 1/3. The pairable definition (5/7) would give 3/7 instead.
    assert randolph_kappa(PERCENT_DATA) == pytest.approx(1 / 3)


def test_fleiss_needs_complete_units() -> None:
    with pytest.raises(ValueError, match="every coder to rate every unit"):
        fleiss_kappa([[1, 2], [1, nan]])
    with pytest.raises(ValueError, match="at least two coders"):
        fleiss_kappa([[1, 2]])
    assert complete_units([[1, 2, 3], [1, nan, 3]]).tolist() == [[1, 3], [1, 3]]


def test_conger_and_light_by_hand() -> None:
    # Coders c1 = 1,1,1,2; c2 = 1,1,2,2; c3 = 1,2,2,2. Po = (1 + 1/3 + 1/3 + 1)/4 = 2/3.
    # Conger/Hubert: pair chance agreement from each pair's own shares of category 1
    # (0.75, 0.5, 0.25): c1c2 0.75*0.5 + 0.25*0.5 = 0.5, c1c3 0.75*0.25 + 0.25*0.75 = 0.375,
    # c2c3 0.5; Pe = 11/24; kappa = (16/24 - 11/24) / (13/24) = 5/13.
    # Light: Cohen per pair: c1c2 (0.75 - 0.5)/0.5 = 0.5, c1c3 (0.5 - 0.375)/0.625 = 0.2,
    # c2c3 0.5; mean 0.4. Fleiss: pooled shares 1/2, 1/2, Pe = 1/2, kappa = 1/3.
    data = [[1, 1, 1, 2], [1, 1, 2, 2], [1, 2, 2, 2]]
    assert conger_kappa(data) == pytest.approx(5 / 13)
    assert light_kappa(data) == pytest.approx(0.4)
    assert fleiss_kappa(data) == pytest.approx(1 / 3)


def test_gwet_ac1_by_hand() -> None:
    # Two coders: a = 1,1,1,2, b = 1,1,2,2. pa = 3/4. pi_1 = (3/4 + 2/4)/2 = 5/8, pi_2 = 3/8.
    # pe = (5/8 * 3/8 + 3/8 * 5/8) / (2 - 1) = 15/32; AC1 = (24/32 - 15/32) / (17/32) = 9/17.
    assert gwet_ac1([[1, 1, 1, 2], [1, 1, 2, 2]]) == pytest.approx(9 / 17)


def test_gwet_ac1_with_missing_by_hand() -> None:
    # Units: u1 (1, 1), u2 (1, 2, 2), u3 (2, 2, 2), u4 (1) alone.
    # pa over units with 2+ ratings: u1 2*1/(2*1) = 1, u2 (0 + 2*1)/(3*2) = 1/3, u3 1 -> 7/9.
    # pi over all 4 rated units: pi_1 = (1 + 1/3 + 0 + 1)/4 = 7/12, pi_2 = 5/12.
    # pe = 2 * 7/12 * 5/12 / (2 - 1) = 35/72; AC1 = (56/72 - 35/72) / (37/72) = 21/37.
    data = [[1, 1, 2, nan], [1, 2, 2, 1], [nan, 2, 2, nan]]
    assert gwet_ac1(data) == pytest.approx(21 / 37)


def test_krippendorff_alpha_nominal_by_hand() -> None:
    # Units u1 (1,1), u2 (1,2), u3 (2,2,2), u4 (1) alone (not pairable, ignored).
    # Coincidences: o11 = 2*1/1 = 2, o12 = o21 = 1/1 = 1, o22 = 3*2/2 = 3.
    # n1 = 3, n2 = 4, n = 7. Do = 2/7; De = 2*3*4/(7*6) = 4/7; alpha = 1 - 1/2 = 0.5.
    data = [[1, 1, 2, 1], [1, 2, 2, nan], [nan, nan, 2, nan]]
    assert krippendorff_alpha(data) == pytest.approx(0.5)


def test_krippendorff_alpha_levels_by_hand() -> None:
    # Units (1,2) and (2,3): o12 = o21 = o23 = o32 = 1; n_v = (1, 2, 1), n = 4.
    # Expected coincidences e_ck = n_c n_k / 3: e12 = 2/3, e13 = 1/3, e23 = 2/3.
    # alpha = 1 - sum(o d) / sum(e d), sums over ordered pairs:
    # nominal: 4 / (2*(2/3 + 1/3 + 2/3)) = 4 / (10/3) -> alpha = -0.2
    # interval d = 1, 4, 1: 4 / (2*(2/3 + 4/3 + 2/3)) = 4 / (16/3) -> 0.25
    # ordinal d12 = (3 - 1.5)^2 = 2.25, d23 = (3 - 1.5)^2 = 2.25, d13 = (4 - 1)^2 = 9:
    #   9 / (2*(1.5 + 3 + 1.5)) = 9/12 -> 0.25
    # ratio d12 = (1/3)^2, d23 = (1/5)^2, d13 = (2/4)^2:
    #   (2/9 + 2/25) / (2*(2/27 + 1/12 + 2/75)) = 816/994 -> 178/994
    data = [[1, 2], [2, 3]]
    assert krippendorff_alpha(data, "nominal") == pytest.approx(-0.2)
    assert krippendorff_alpha(data, "interval") == pytest.approx(0.25)
    assert krippendorff_alpha(data, "ordinal") == pytest.approx(0.25)
    assert krippendorff_alpha(data, "ratio") == pytest.approx(178 / 994)
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(data, "metric")  # type: ignore[arg-type]


def test_krippendorff_alpha_undefined_is_nan() -> None:
    assert np.isnan(krippendorff_alpha([[1, nan], [nan, 1]]))  # nothing pairable
    assert np.isnan(krippendorff_alpha([[3, 3], [3, 3]]))  # no variation


def test_per_category_kappa_pooled_versus_binarised_cohen_by_hand() -> None:
    # a = 1,1,1,2 and b = 1,2,2,2. "1 versus not 1" is the whole table for two categories.
    # Binarised Cohen: Po = 0.5, Pe = 0.75*0.25 + 0.25*0.75 = 0.375 -> 0.2 for both.
    # Pooled (Fleiss/Scott): shares 0.5, 0.5 -> Pe = 0.5 -> 0 for both.
    a, b = [1, 1, 1, 2], [1, 2, 2, 2]
    assert category_kappa_cohen(a, b) == pytest.approx({1.0: 0.2, 2.0: 0.2})
    assert category_kappa_pooled([a, b]) == pytest.approx({1.0: 0.0, 2.0: 0.0})


def test_per_category_pooled_kappa_and_alpha_by_hand() -> None:
    # Units (1,1,1), (1,1,2), (2,3,3), (3,3,3); m = 3 coders, N = 4.
    # Pooled kappa_k = 1 - sum n_uk (3 - n_uk) / (4*3*2 p_k q_k):
    #   k=1: n = 3,2,0,0, p = 5/12: 1 - 2 / (24 * 35/144) = 1 - 12/35 = 23/35
    #   k=2: n = 0,1,1,0, p = 2/12: 1 - 4 / (24 * 10/144) = 1 - 1.2 = -0.2
    #   k=3: n = 0,0,2,3, p = 5/12: 23/35
    # Binarised alpha_k = 1 - (n - 1) o_k,notk / (n_k n_notk), n = 12,
    # o_k,notk = sum n_uk (3 - n_uk) / 2:
    #   k=1: o = 1, 1 - 11/35 = 24/35; k=2: o = 2, 1 - 22/20 = -0.1; k=3: 24/35
    data = [[1, 1, 2, 3], [1, 1, 3, 3], [1, 2, 3, 3]]
    assert category_kappa_pooled(data) == pytest.approx({1.0: 23 / 35, 2.0: -0.2, 3.0: 23 / 35})
    assert category_alpha(data) == pytest.approx({1.0: 24 / 35, 2.0: -0.1, 3.0: 24 / 35})


def test_set_distances_by_hand() -> None:
    a, ab, bc, b, empty = (frozenset(x) for x in ("A", "AB", "BC", "B", ""))
    # (x, y): set, jaccard, masi = 1 - J*M, dkpro_masi = jaccard * set
    cases = {
        (a, a): (0, 0, 0, 0),
        (empty, empty): (0, 0, 0, 0),
        # subset: J = 1/2, M = 2/3 -> masi 1 - 1/3; dkpro (1/2)(1/3) = 1/6
        (a, ab): (1 / 3, 1 / 2, 2 / 3, 1 / 6),
        # overlap: J = 1/3, M = 1/3 -> masi 1 - 1/9; dkpro (2/3)(2/3) = 4/9
        (ab, bc): (2 / 3, 2 / 3, 8 / 9, 4 / 9),
        (a, b): (1, 1, 1, 1),
        # the empty set is a subset of {A} (DKPro's rule), with Jaccard distance 1
        (empty, a): (1 / 3, 1, 1, 1 / 3),
    }
    for (x, y), expected in cases.items():
        got = tuple(set_distance(x, y, d) for d in ("set", "jaccard", "masi", "dkpro_masi"))
        assert got == pytest.approx(expected), (x, y)
        assert got == pytest.approx(
            tuple(set_distance(y, x, d) for d in ("set", "jaccard", "masi", "dkpro_masi"))
        )


def test_set_alpha_on_singletons_equals_nominal_alpha() -> None:
    # Every distance is 1 between different singletons, so each is nominal alpha.
    codes = [[1, 1, 2, 3, nan], [1, 2, 2, 3, 3], [nan, 2, 2, 1, 3]]
    as_sets = [[None if np.isnan(v) else frozenset({v}) for v in row] for row in codes]
    for distance in ("set", "jaccard", "masi", "dkpro_masi"):
        assert krippendorff_alpha_sets(as_sets, distance) == pytest.approx(
            krippendorff_alpha(codes)
        )


def test_set_alpha_matches_krippendorff_package_with_custom_metric() -> None:
    sets = load_sets("dkpro_set_valued_2coders_9units")
    codes, distinct = encode_sets(sets)
    for name in ("set", "jaccard", "masi", "dkpro_masi"):
        table = np.array([[set_distance(x, y, name) for y in distinct] for x in distinct])

        def metric(
            v1: np.ndarray,
            v2: np.ndarray,
            i1: np.ndarray,
            i2: np.ndarray,
            n_v: np.ndarray,
            dtype: type = np.float64,
            table: np.ndarray = table,
        ) -> np.ndarray:
            return table[v1.astype(int), v2.astype(int)].astype(dtype)

        reference = krippendorff.alpha(codes, level_of_measurement=metric)
        assert krippendorff_alpha_sets(sets, name) == pytest.approx(reference, abs=1e-12)


# ---------------------------------------------------------------------------
# The pitfalls
# ---------------------------------------------------------------------------


def test_missing_placeholder_never_becomes_a_category() -> None:
    matrix, _ = load_matrix("wikipedia_kalpha_3coders_15units")
    sentinel = np.where(np.isnan(matrix), -1.0, matrix)
    ours = krippendorff_alpha(matrix)
    assert ours == pytest.approx(0.691358, abs=1e-6)  # the published value
    # With a placeholder the value drops sharply; the package agrees, so the data do it.
    assert krippendorff_alpha(sentinel) == pytest.approx(
        krippendorff.alpha(sentinel, level_of_measurement="nominal")
    )
    assert krippendorff_alpha(sentinel) < ours - 0.1


def test_weighted_kappa_by_value_differs_from_position_on_real_data() -> None:
    # Raters 2 and 3 of irr's anxiety data use 1, 2, 3, 4, 6: no 5, so value and position differ.
    matrix, _ = load_matrix("irr_anxiety_20subjects_3raters")
    a, b = matrix[1], matrix[2]
    by_position = cohen_kappa(a, b, "linear", "position")
    by_value = cohen_kappa(a, b, "linear")
    assert by_position == pytest.approx(0.1459075, abs=1e-6)  # R irr kappa2 'equal'
    assert by_position == pytest.approx(cohen_kappa_score(a, b, weights="linear"))
    full = cohen_kappa_score(a, b, weights="linear", labels=[1, 2, 3, 4, 5, 6])
    assert by_value == pytest.approx(full)
    assert abs(by_value - by_position) > 0.01


def test_percent_agreement_definitions_differ_with_missing_ratings() -> None:
    # Hayes & Krippendorff's data: units have 2 to 5 ratings, so the definitions part.
    matrix, _ = load_matrix("hayes_krippendorff2007_5obs_40units")
    pairable = percent_agreement(matrix, "pairable")
    unit_mean = percent_agreement(matrix, "unit_mean")
    assert abs(pairable - unit_mean) > 1e-3  # 0.6268 versus 0.6250
    # Krippendorff's pairable agreement is 1 - Do; recover Do from the package's alpha
    # as Do = (1 - alpha) De, with nominal De = 1 - sum n_c (n_c - 1) / (n (n - 1)).
    pairable_values = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2]
    _, n_c = np.unique(pairable_values[~np.isnan(pairable_values)], return_counts=True)
    n = n_c.sum()
    expected_disagreement = 1 - (n_c * (n_c - 1)).sum() / (n * (n - 1))
    alpha = krippendorff.alpha(matrix, level_of_measurement="nominal")
    assert pairable == pytest.approx(1 - (1 - alpha) * expected_disagreement, abs=1e-12)


# ---------------------------------------------------------------------------
# Cross-checks against the reference libraries on every fixture
# ---------------------------------------------------------------------------

MATRIX_DATASETS = sorted(p.name.removesuffix(".matrix.csv") for p in FIXTURES.glob("*.matrix.csv"))


@pytest.mark.parametrize("dataset", MATRIX_DATASETS)
def test_alpha_and_category_alpha_match_krippendorff_package(dataset: str) -> None:
    matrix, code = load_matrix(dataset)
    numeric = all(is_number(label) for label in code)
    levels = ("nominal", "ordinal", "interval", "ratio") if numeric else ("nominal",)
    for level in levels:
        reference = krippendorff.alpha(matrix, level_of_measurement=level)
        assert krippendorff_alpha(matrix, level) == pytest.approx(reference, abs=1e-12)
    for category, value in category_alpha(matrix).items():
        binary = np.where(np.isnan(matrix), nan, (matrix == category).astype(float))
        reference = krippendorff.alpha(binary, level_of_measurement="nominal")
        assert value == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("dataset", MATRIX_DATASETS)
def test_fleiss_matches_statsmodels(dataset: str) -> None:
    matrix, _ = load_matrix(dataset)
    complete = complete_units(matrix)
    counts, _ = aggregate_raters(complete.T)
    assert fleiss_kappa(complete) == pytest.approx(statsmodels_fleiss_kappa(counts), abs=1e-12)
    assert randolph_kappa(complete) == pytest.approx(
        statsmodels_fleiss_kappa(counts, method="randolph"), abs=1e-12
    )


@pytest.mark.filterwarnings("ignore::UserWarning")  # sklearn warns on one-category pairs
@pytest.mark.parametrize("dataset", MATRIX_DATASETS)
def test_cohen_matches_scikit_learn_for_every_coder_pair(dataset: str) -> None:
    matrix, _ = load_matrix(dataset)
    for i, j in combinations(range(min(len(matrix), 4)), 2):
        both = ~np.isnan(matrix[i]) & ~np.isnan(matrix[j])
        a, b = matrix[i][both], matrix[j][both]
        reference = cohen_kappa_score(a, b)
        assert cohen_kappa(a, b) == pytest.approx(reference, abs=1e-12, nan_ok=True)
        for weights in ("linear", "quadratic"):
            reference = cohen_kappa_score(a, b, weights=weights)
            ours = cohen_kappa(a, b, weights, "position")
            assert ours == pytest.approx(reference, abs=1e-12, nan_ok=True)
        per_category = category_kappa_cohen(a, b)
        for category, value in per_category.items():
            reference = cohen_kappa_score(a == category, b == category)
            assert value == pytest.approx(reference, abs=1e-12, nan_ok=True)


def test_alpha_matches_krippendorff_package_on_random_data_with_gaps() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        data = rng.integers(1, 8, size=(4, 60)).astype(float)
        data[rng.random(data.shape) < 0.3] = nan
        for level in ("nominal", "ordinal", "interval", "ratio"):
            reference = krippendorff.alpha(data, level_of_measurement=level)
            assert krippendorff_alpha(data, level) == pytest.approx(reference, abs=1e-12)


def test_many_categories_take_the_scatter_path() -> None:
    # More than 16 categories are counted by bincount rather than one pass per category.
    rng = np.random.default_rng(3)
    data = rng.integers(0, 30, size=(3, 400)).astype(float)
    data[:, :200] = data[0, :200]  # some agreement
    data[rng.random(data.shape) < 0.1] = nan
    assert krippendorff_alpha(data) == pytest.approx(
        krippendorff.alpha(data, level_of_measurement="nominal"), abs=1e-12
    )
    assert krippendorff_alpha(data + 0.5, "interval") == pytest.approx(
        krippendorff.alpha(data + 0.5, level_of_measurement="interval"), abs=1e-12
    )


# ---------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------


def test_bootstrap_is_reproducible_and_covers_the_estimate() -> None:
    matrix, _ = load_matrix("hayes_krippendorff2007_5obs_40units")

    def ordinal(m: np.ndarray) -> float:
        return krippendorff_alpha(m, "ordinal")

    point = ordinal(matrix)
    first = bootstrap_ci(ordinal, matrix, n=300, seed=11)
    assert bootstrap_ci(ordinal, matrix, n=300, seed=11) == first
    assert bootstrap_ci(ordinal, matrix, n=300, seed=12) != first
    low, high = first
    assert low < point < high
    assert 0.5 < low and high < 0.95  # alpha 0.76 on 40 units: a real, not degenerate, width


def test_bootstrap_of_two_coder_kappa_covers_the_estimate() -> None:
    matrix, _ = load_matrix("cohen1960_ex2_200items")

    def kappa(m: np.ndarray) -> float:
        return cohen_kappa(m[0], m[1])

    low, high = bootstrap_ci(kappa, matrix, n=200, seed=1)
    assert low < kappa(matrix) < high
    assert high - low < 0.4


def test_bootstrap_drops_undefined_resamples() -> None:
    # Units (1,1), (1,1), (2,1): a resample without the third unit has every rating 1,
    # so chance agreement is 1 and kappa is NaN (about (2/3)^3 = 30% of resamples).
    data = [[1, 1, 2], [1, 1, 1]]
    replicate_values = []

    def recording(m: np.ndarray) -> float:
        value = cohen_kappa(m[0], m[1])
        replicate_values.append(value)
        return value

    low, high = bootstrap_ci(recording, data, n=200, seed=5)
    assert any(np.isnan(v) for v in replicate_values)
    assert np.isfinite(low) and np.isfinite(high) and low <= high
    assert bootstrap_ci(lambda m: float("nan"), data, n=10, seed=5) == pytest.approx(
        (nan, nan), nan_ok=True
    )
    with pytest.raises(ValueError, match="n must be"):
        bootstrap_ci(recording, data, n=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(recording, data, confidence=95)


def test_non_numeric_data_is_refused() -> None:
    with pytest.raises(ValueError, match="must be numeric"):
        krippendorff_alpha([["a", "b"], ["a", "a"]])
    with pytest.raises(ValueError, match="2-D"):
        fleiss_kappa([1, 2, 3])
    with pytest.raises(ValueError, match="infinite"):
        percent_agreement([[1, np.inf], [1, 2]])


def test_the_reference_data_is_all_here() -> None:
    """The published values ship with the tests: without them the checks above would
    collect nothing and pass."""
    assert len(MATRIX_DATASETS) == 23
    assert len(EXPECTED) == 83
