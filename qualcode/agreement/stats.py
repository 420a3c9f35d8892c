"""Inter-coder agreement statistics on a reliability data matrix.

The matrix has one row per coder and one column per unit, holding numeric values
(category codes for nominal data) with NaN for a missing rating. A placeholder such as
-1 or 99 for "missing" must never be used: it would become a category of its own.

Everything is computed from per-unit value counts with numpy, so the cost grows
linearly with the number of units and no statistic loops over units in Python.
Krippendorff's alpha is computed here from the coincidence matrix rather than through
the `krippendorff` package, which builds a units x values x values array (15 s and
3.8 GB for 100,000 units with 40 categories); the tests check both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import combinations
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"]
WeightBy = Literal["value", "position"]
PercentMethod = Literal["pairable", "unit_mean"]
SetDistance = Literal["set", "jaccard", "masi", "dkpro_masi"]

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
SET_DISTANCES: tuple[str, ...] = ("set", "jaccard", "masi", "dkpro_masi")
PERCENT_DEFINITIONS: dict[str, str] = {
    "pairable": "pairable-value weighted observed agreement (Krippendorff)",
    "unit_mean": "mean over pairable units of per-unit pairwise agreement",
}

FloatArray = NDArray[np.float64]


class PercentAgreement(float):
    """A proportion of agreement that also says which definition produced it.

    It behaves as a float; `method` is "pairable" or "unit_mean" and `definition`
    is the human-readable name, because the two differ once ratings are missing.
    """

    method: str
    definition: str

    def __new__(cls, value: float, method: str) -> PercentAgreement:
        obj = super().__new__(cls, value)
        obj.method = method
        obj.definition = PERCENT_DEFINITIONS[method]
        return obj

    def __repr__(self) -> str:
        return f"PercentAgreement({float(self)!r}, method={self.method!r})"

    def __reduce__(self) -> tuple[type[PercentAgreement], tuple[float, str]]:
        return PercentAgreement, (float(self), self.method)


class ChanceCorrected(NamedTuple):
    """Observed agreement, chance-expected agreement and the chance-corrected index."""

    observed: float
    expected: float
    value: float


# ---------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------


def as_matrix(data: ArrayLike) -> FloatArray:
    """Return `data` as a coders x units float matrix (NaN = missing), or raise ValueError."""
    try:
        matrix = np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "reliability data must be numeric (category codes), with NaN for missing"
        ) from exc
    if matrix.ndim != 2:
        raise ValueError(f"reliability data must be 2-D (coders x units), got {matrix.ndim}-D")
    if np.isinf(matrix).any():
        raise ValueError("reliability data contains an infinite value")
    return matrix


def _distinct(values: FloatArray) -> FloatArray:
    """Sorted distinct values; a bincount when they are small non-negative integers."""
    if values.size == 0:
        return np.empty(0)
    if values.min() >= 0 and values.max() <= 4 * values.size + 1024:
        as_int = values.astype(np.intp)
        if (as_int == values).all():
            return np.flatnonzero(np.bincount(as_int)).astype(np.float64)
    return np.unique(values)


def _categorise(values: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct sorted values and each value's index among them."""
    categories = _distinct(values)
    return categories, np.searchsorted(categories, values).astype(np.intp)


def _value_counts(matrix: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Categories and a categories x units matrix of how many coders gave each value.

    Categories are the first axis so that per-unit sums add a few long rows.
    """
    present = ~np.isnan(matrix)
    values = matrix[present]
    categories = _distinct(values)
    n_units, n_cats = matrix.shape[1], len(categories)
    if n_cats <= 16:  # one comparison pass per category beats scattering for few categories
        counts = np.empty((n_cats, n_units))
        for k, category in enumerate(categories):
            np.sum(matrix == category, axis=0, out=counts[k])
        return categories, counts
    inverse = np.searchsorted(categories, values)
    unit_of = np.broadcast_to(np.arange(n_units), matrix.shape)[present]
    flat = np.bincount(inverse * n_units + unit_of, minlength=n_cats * n_units)
    return categories, flat.reshape(n_cats, n_units).astype(np.float64)


def _pairable(counts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The value counts of units with two or more ratings, and their numbers of ratings."""
    m = counts.sum(axis=0)
    keep = m >= 2
    if keep.all():
        return counts, m
    return counts[:, keep], m[keep]


def _chance_corrected(observed: float, expected: float) -> float:
    """(Po - Pe) / (1 - Pe), NaN when chance agreement is already perfect."""
    if np.isnan(observed) or np.isnan(expected) or np.isclose(expected, 1.0, rtol=0, atol=1e-12):
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def _complete(data: ArrayLike, name: str) -> FloatArray:
    """The matrix, checked to have two or more coders and no missing rating."""
    matrix = as_matrix(data)
    if matrix.shape[0] < 2:
        raise ValueError(f"{name} needs at least two coders, got {matrix.shape[0]}")
    if np.isnan(matrix).any():
        raise ValueError(
            f"{name} needs every coder to rate every unit; drop incomplete units first "
            "(complete_units)"
        )
    return matrix


def complete_units(data: ArrayLike) -> FloatArray:
    """Only the units (columns) that every coder rated."""
    matrix = as_matrix(data)
    return matrix[:, ~np.isnan(matrix).any(axis=0)]


def pairable_units(data: ArrayLike) -> int:
    """How many units have two or more ratings, i.e. can show agreement at all."""
    matrix = as_matrix(data)
    return int(((~np.isnan(matrix)).sum(axis=0) >= 2).sum())


def _n_categories(observed: int, given: int | None) -> int:
    """The number of categories to assume: `given`, or those observed."""
    if given is None:
        return observed
    if given < observed:
        raise ValueError(f"n_categories={given} but {observed} categories occur in the data")
    return given


# ---------------------------------------------------------------------------
# Percent agreement
# ---------------------------------------------------------------------------


def percent_agreement(data: ArrayLike, method: PercentMethod = "pairable") -> PercentAgreement:
    """Observed agreement over units with two or more ratings.

    "pairable" weights each unit by its number of pairable values (Krippendorff's
    observed agreement, 1 - Do for nominal data); "unit_mean" averages each unit's
    share of agreeing coder pairs (Fleiss' Po). They coincide when every unit has the
    same number of ratings. NaN when no unit is pairable.
    """
    if method not in PERCENT_DEFINITIONS:
        raise ValueError(f"method must be 'pairable' or 'unit_mean', got {method!r}")
    _, counts = _value_counts(as_matrix(data))
    c, mk = _pairable(counts)
    if mk.size == 0:
        return PercentAgreement(float("nan"), method)
    agreeing_pairs = (c * c).sum(axis=0) - mk
    if method == "pairable":
        value = (agreeing_pairs / (mk - 1)).sum() / mk.sum()
    else:
        value = (agreeing_pairs / (mk * (mk - 1))).mean()
    return PercentAgreement(float(value), method)


# ---------------------------------------------------------------------------
# Two coders
# ---------------------------------------------------------------------------


def _two_coder_table(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, NDArray[np.int64]]:
    """Categories and the contingency table of units that both coders rated."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError("a and b must be 1-D ratings of the same units")
    both = ~np.isnan(x) & ~np.isnan(y)
    n = int(both.sum())
    categories, inverse = _categorise(np.concatenate([x[both], y[both]]))
    k = len(categories)
    table = np.bincount(inverse[:n] * k + inverse[n:], minlength=k * k).reshape(k, k)
    return categories, table


def _agreement_weights(
    categories: FloatArray, weights: Weights | None, weight_by: WeightBy
) -> FloatArray:
    """Agreement weights 1 - d/d_max, with d the value (or position) distance."""
    k = len(categories)
    if weights is None:
        return np.eye(k)
    if weight_by not in ("value", "position"):
        raise ValueError(f"weight_by must be 'value' or 'position', got {weight_by!r}")
    where = categories if weight_by == "value" else np.arange(k, dtype=np.float64)
    distance = np.abs(where[:, None] - where[None, :])
    if weights == "quadratic":
        distance = distance**2
    elif weights != "linear":
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    if k < 2:
        return np.ones((k, k))
    return 1.0 - distance / distance.max()


def cohen_components(
    a: ArrayLike,
    b: ArrayLike,
    weights: Weights | None = None,
    weight_by: WeightBy = "value",
) -> ChanceCorrected:
    """Cohen's (1960/1968) kappa with its observed and expected agreement.

    Only units both coders rated count. Weighted kappa uses the distance between the
    numeric values (weight_by="value"), so codes 1, 2, 5 are not equally spaced;
    weight_by="position" reproduces scikit-learn and R irr, which space the categories
    that occur evenly.
    """
    categories, table = _two_coder_table(a, b)
    n = table.sum()
    if n == 0:
        return ChanceCorrected(float("nan"), float("nan"), float("nan"))
    p = table / n
    expected_table = np.outer(p.sum(axis=1), p.sum(axis=0))
    w = _agreement_weights(categories, weights, weight_by)
    observed, expected = float((w * p).sum()), float((w * expected_table).sum())
    return ChanceCorrected(observed, expected, _chance_corrected(observed, expected))


def cohen_kappa(
    a: ArrayLike,
    b: ArrayLike,
    weights: Weights | None = None,
    weight_by: WeightBy = "value",
) -> float:
    """Cohen's kappa for two coders, optionally weighted by value distance."""
    return cohen_components(a, b, weights, weight_by).value


def scott_pi(a: ArrayLike, b: ArrayLike) -> float:
    """Scott's (1955) pi: chance from the two coders' pooled category distribution."""
    _, table = _two_coder_table(a, b)
    n = table.sum()
    if n == 0:
        return float("nan")
    pooled = (table.sum(axis=0) + table.sum(axis=1)) / (2 * n)
    return _chance_corrected(float(np.trace(table) / n), float((pooled**2).sum()))


def bennett_s(a: ArrayLike, b: ArrayLike, n_categories: int | None = None) -> float:
    """Bennett, Alpert & Goldstein's (1954) S: chance agreement 1/q for q categories.

    q defaults to the number of categories either coder used.
    """
    categories, table = _two_coder_table(a, b)
    n = table.sum()
    q = _n_categories(len(categories), n_categories)
    if n == 0 or q < 2:
        return float("nan")
    return _chance_corrected(float(np.trace(table) / n), 1.0 / q)


def category_kappa_cohen(a: ArrayLike, b: ArrayLike) -> dict[float, float]:
    """Per-category kappa, binarised Cohen version: Cohen's kappa of "k" versus "not k".

    Each coder keeps their own marginals. Compare category_kappa_pooled.
    """
    categories, table = _two_coder_table(a, b)
    n = float(table.sum())
    if n == 0:
        return {}
    rows, cols, both = table.sum(axis=1), table.sum(axis=0), np.diag(table)
    observed = (n - rows - cols + 2 * both) / n
    expected = (rows * cols + (n - rows) * (n - cols)) / n**2
    return {
        float(c): _chance_corrected(float(o), float(e))
        for c, o, e in zip(categories, observed, expected, strict=True)
    }


# ---------------------------------------------------------------------------
# Any number of coders
# ---------------------------------------------------------------------------


def fleiss_components(data: ArrayLike) -> ChanceCorrected:
    """Fleiss' (1971) kappa with Po (mean per-unit pair agreement) and Pe (pooled).

    Every coder must rate every unit (see complete_units).
    """
    matrix = _complete(data, "Fleiss' kappa")
    raters, n_units = matrix.shape
    if n_units == 0:
        return ChanceCorrected(float("nan"), float("nan"), float("nan"))
    _, counts = _value_counts(matrix)
    observed = float((((counts**2).sum(axis=0) - raters) / (raters * (raters - 1))).mean())
    shares = counts.sum(axis=1) / (n_units * raters)
    expected = float((shares**2).sum())
    return ChanceCorrected(observed, expected, _chance_corrected(observed, expected))


def fleiss_kappa(data: ArrayLike) -> float:
    """Fleiss' kappa for any number of coders on complete units."""
    return fleiss_components(data).value


def randolph_kappa(data: ArrayLike, n_categories: int | None = None) -> float:
    """Randolph's (2005) free-marginal multirater kappa: (Po - 1/q) / (1 - 1/q).

    Po is the mean per-unit pairwise agreement (units with two or more ratings);
    q defaults to the number of categories observed. Equals Bennett's S for two coders.
    """
    matrix = as_matrix(data)
    observed = float(percent_agreement(matrix, "unit_mean"))
    categories = _distinct(matrix[~np.isnan(matrix)])
    q = _n_categories(len(categories), n_categories)
    if q < 2:
        return float("nan")
    return _chance_corrected(observed, 1.0 / q)


def conger_kappa(data: ArrayLike) -> float:
    """Conger's (1980) kappa, also Hubert's (1977): Pe is the mean over coder pairs of
    the chance agreement from each pair's own marginals. Complete units only.
    """
    matrix = _complete(data, "Conger's kappa")
    raters, n_units = matrix.shape
    if n_units == 0:
        return float("nan")
    observed = fleiss_components(matrix).observed
    categories, inverse = _categorise(matrix.reshape(-1))
    k = len(categories)
    coder_of = np.repeat(np.arange(raters), n_units)
    shares = np.bincount(coder_of * k + inverse, minlength=raters * k).reshape(raters, k)
    shares = shares / n_units
    pair_expected = (shares @ shares.T)[np.triu_indices(raters, k=1)]
    return _chance_corrected(observed, float(pair_expected.mean()))


def light_kappa(data: ArrayLike) -> float:
    """Light's (1971) kappa: the mean of Cohen's kappa over all coder pairs."""
    matrix = as_matrix(data)
    if matrix.shape[0] < 2:
        raise ValueError(f"Light's kappa needs at least two coders, got {matrix.shape[0]}")
    pairs = combinations(range(matrix.shape[0]), 2)
    return float(np.mean([cohen_kappa(matrix[i], matrix[j]) for i, j in pairs]))


def gwet_ac1(data: ArrayLike, n_categories: int | None = None) -> float:
    """Gwet's AC1 (2008; 2014 form for missing ratings) for nominal data.

    pa averages per-unit pair agreement over units with two or more ratings;
    pe = sum_k pi_k (1 - pi_k) / (q - 1), with pi_k the mean over rated units of the
    share of that unit's ratings in category k. q defaults to the categories observed.
    """
    categories, counts = _value_counts(as_matrix(data))
    q = _n_categories(len(categories), n_categories)
    c2, r2 = _pairable(counts)
    if r2.size == 0 or q < 2:
        return float("nan")
    observed = float((((c2 * c2).sum(axis=0) - r2) / (r2 * (r2 - 1))).mean())
    r = counts.sum(axis=0)
    rated = r >= 1
    pi = (counts[:, rated] / r[rated]).mean(axis=1)
    expected = float((pi * (1 - pi)).sum() / (q - 1))
    return _chance_corrected(observed, expected)


def category_kappa_pooled(data: ArrayLike) -> dict[float, float]:
    """Per-category kappa, pooled-marginal version (Fleiss 1971; Scott's pi for 2 coders).

    kappa_k = 1 - sum_u n_uk (m - n_uk) / (N m (m - 1) p_k (1 - p_k)), which is Fleiss'
    kappa on "k" versus "not k". Complete units only. Compare category_kappa_cohen.
    """
    matrix = _complete(data, "Per-category (pooled) kappa")
    raters, n_units = matrix.shape
    categories, counts = _value_counts(matrix)
    share = counts.sum(axis=1) / (n_units * raters)
    disagreement = (counts * (raters - counts)).sum(axis=1)
    denominator = n_units * raters * (raters - 1) * share * (1 - share)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(denominator > 0, 1 - disagreement / denominator, np.nan)
    return {float(c): float(v) for c, v in zip(categories, kappa, strict=True)}


# ---------------------------------------------------------------------------
# Krippendorff's alpha
# ---------------------------------------------------------------------------


def _coincidences(counts: FloatArray) -> FloatArray:
    """Krippendorff's coincidence matrix: sum over pairable units of n n' / (m - 1)."""
    c, m = _pairable(counts)
    scaled = c / (m - 1.0)
    return scaled @ c.T - np.diag(scaled.sum(axis=1))


def _distance_matrix(categories: FloatArray, n_v: FloatArray, level: str) -> FloatArray:
    """Squared distances between values at a level of measurement (Krippendorff 2011)."""
    if level == "nominal":
        return 1.0 - np.eye(len(categories))
    if level == "interval":
        return (categories[:, None] - categories[None, :]) ** 2
    if level == "ratio":
        total = categories[:, None] + categories[None, :]
        diff = categories[:, None] - categories[None, :]
        return np.divide(diff, total, out=np.zeros_like(total), where=total != 0) ** 2
    if level == "ordinal":
        index = np.arange(len(categories))
        low = np.minimum(index[:, None], index[None, :])
        high = np.maximum(index[:, None], index[None, :])
        cumulative = np.cumsum(n_v)
        between = cumulative[high] - cumulative[low] + n_v[low]
        return (between - (n_v[:, None] + n_v[None, :]) / 2.0) ** 2
    raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")


def _alpha(coincidences: FloatArray, distance: FloatArray) -> float:
    """1 - Do/De from a coincidence matrix and a distance matrix; NaN if undefined."""
    n_v = coincidences.sum(axis=0)
    n = n_v.sum()
    if n < 2:
        return float("nan")
    expected = (np.outer(n_v, n_v) - np.diag(n_v)) / (n - 1)
    disagreement_expected = float((expected * distance).sum())
    if disagreement_expected <= 0:
        return float("nan")
    return 1.0 - float((coincidences * distance).sum()) / disagreement_expected


def krippendorff_alpha(data: ArrayLike, level: Level = "nominal") -> float:
    """Krippendorff's alpha at a level of measurement; missing ratings (NaN) allowed.

    NaN when no unit has two ratings or all pairable values are equal.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    categories, counts = _value_counts(as_matrix(data))
    coincidences = _coincidences(counts)
    distance = _distance_matrix(categories, coincidences.sum(axis=0), level)
    return _alpha(coincidences, distance)


def category_alpha(data: ArrayLike) -> dict[float, float]:
    """Per-category nominal alpha: alpha of "k" versus "not k", missing ratings kept missing.

    Closed form for binary data: 1 - (n - 1) o_k,notk / (n_k n_notk), all categories at once.
    """
    categories, counts = _value_counts(as_matrix(data))
    c, mk = _pairable(counts)
    n = mk.sum()
    n_k = c.sum(axis=1)
    off_diagonal = (c * (mk - c) / (mk - 1)).sum(axis=1)
    product = n_k * (n - n_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(product > 0, 1 - (n - 1) * off_diagonal / product, np.nan)
    return {float(k): float(v) for k, v in zip(categories, alpha, strict=True)}


# ---------------------------------------------------------------------------
# Set-valued ratings
# ---------------------------------------------------------------------------


def set_distance(x: frozenset[Hashable], y: frozenset[Hashable], distance: SetDistance) -> float:
    """Distance between two sets of codes.

    "set": 0 identical, 1/3 one contains the other, 2/3 overlapping, 1 disjoint
    (DKPro SetAnnotationDistanceFunction; an empty set is a subset of any set).
    "jaccard": 1 - |x & y| / |x | y|. "masi": Passonneau's (2006) 1 - J * M, with
    M = 1, 2/3, 1/3, 0 for the four cases above. "dkpro_masi": DKPro's
    MASISetAnnotationDistanceFunction, the Jaccard distance times the "set" distance.
    """
    union = len(x | y)
    jaccard = len(x & y) / union if union else 1.0
    if x == y:
        monotone = 0.0
    elif x <= y or y <= x:
        monotone = 1.0 / 3.0
    elif x & y:
        monotone = 2.0 / 3.0
    else:
        monotone = 1.0
    if distance == "set":
        return monotone
    if distance == "jaccard":
        return 1.0 - jaccard
    if distance == "masi":
        return 1.0 - jaccard * (1.0 - monotone)
    if distance == "dkpro_masi":
        return (1.0 - jaccard) * monotone
    raise ValueError(f"distance must be one of {', '.join(SET_DISTANCES)}; got {distance!r}")


def encode_sets(
    ratings: Sequence[Sequence[Iterable[Hashable] | None]],
) -> tuple[FloatArray, list[frozenset[Hashable]]]:
    """Code each distinct set of codes as a number (coders x units; None = missing).

    Returns the code matrix, usable by percent_agreement for exact-set agreement,
    and the distinct sets in code order.
    """
    distinct: dict[frozenset[Hashable], int] = {}
    rows: list[list[float]] = []
    for coder in ratings:
        row = []
        for item in coder:
            if item is None:
                row.append(float("nan"))
                continue
            key = frozenset(item)
            row.append(float(distinct.setdefault(key, len(distinct))))
        rows.append(row)
    if len({len(row) for row in rows}) > 1:
        raise ValueError("every coder must have one entry (set or None) per unit")
    return np.array(rows, dtype=np.float64), list(distinct)


def krippendorff_alpha_sets(
    ratings: Sequence[Sequence[Iterable[Hashable] | None]], distance: SetDistance = "masi"
) -> float:
    """Krippendorff's alpha for set-valued ratings (coders x units; None = missing)."""
    if distance not in SET_DISTANCES:
        raise ValueError(f"distance must be one of {', '.join(SET_DISTANCES)}; got {distance!r}")
    codes, sets = encode_sets(ratings)
    categories, counts = _value_counts(codes)
    chosen = [sets[int(c)] for c in categories]
    matrix = np.zeros((len(chosen), len(chosen)))
    for i, j in combinations(range(len(chosen)), 2):
        matrix[i, j] = matrix[j, i] = set_distance(chosen[i], chosen[j], distance)
    return _alpha(_coincidences(counts), matrix)


# ---------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------


def bootstrap_ci(
    statistic: Callable[[FloatArray], float],
    data: ArrayLike,
    n: int = 1000,
    seed: int | None = None,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval, resampling units (columns) with replacement.

    The same seed gives the same interval. Resamples on which the statistic is
    undefined (NaN) are dropped; (NaN, NaN) if every one is.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    matrix = as_matrix(data)
    n_units = matrix.shape[1]
    if n_units == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    replicates = np.empty(n)
    for i in range(n):
        replicates[i] = statistic(matrix[:, rng.integers(0, n_units, n_units)])
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)
