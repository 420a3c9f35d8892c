"""Agreement statistics for present/absent codings, from sums over units.

Every statistic qualcode reports on 0/1 data (percent agreement, Cohen's and
Fleiss' kappa, Krippendorff's alpha, Gwet's AC1) is a function of a few sums over
units: numbers of ratings and of "present" ratings per unit. Summing those per
segment (codes pooled) or per code (segments pooled) gives every figure of a
project report in one vectorised pass, and a bootstrap resample of segments is a
weighted sum of per-segment totals: one matrix product for all resamples. Tests
check each statistic against the general functions in `stats.py`.
"""

from __future__ import annotations

import numpy as np

NAMES = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")


def totals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sufficient statistics of a coders x segments x codes 0/1/NaN array, summed
    per segment (segments x 16) and per code (codes x 16).

    Columns: pairable values, pairable presents, off-diagonal coincidences,
    per-unit pair agreement sum, pairable units, share-present sum over rated
    units, rated units, present ratings, absent ratings, complete units,
    complete presents, complete pair agreement, and the 2x2 table of the first
    two coders (11, 10, 01, 00).
    """
    n_coders = values.shape[0]
    rated = ~np.isnan(values)
    n = rated.sum(axis=0).astype(float)  # segments x codes
    k = np.nansum(values, axis=0)
    pairable = n >= 2
    safe = np.where(pairable, n, 2.0)
    agree_pairs = k * (k - 1) + (n - k) * (n - k - 1)
    complete = n == n_coders

    def columns():
        yield np.where(pairable, n, 0.0)
        yield np.where(pairable, k, 0.0)
        yield np.where(pairable, 2 * k * (n - k) / (safe - 1), 0.0)
        yield np.where(pairable, agree_pairs / (safe * (safe - 1)), 0.0)
        yield pairable.astype(float)
        yield np.where(n >= 1, k / np.where(n >= 1, n, 1.0), 0.0)
        yield (n >= 1).astype(float)
        yield k
        yield n - k
        yield complete.astype(float)
        yield np.where(complete, k, 0.0)
        yield np.where(complete, agree_pairs / max(n_coders * (n_coders - 1), 1), 0.0)
        if n_coders >= 2:
            a, b = values[0], values[1]
            both = rated[0] & rated[1]
            for x, y in ((1, 1), (1, 0), (0, 1), (0, 0)):
                yield (both & (a == x) & (b == y)).astype(float)
        else:
            for _ in range(4):
                yield np.zeros_like(n)

    per_segment, per_code = [], []
    for column in columns():
        per_segment.append(column.sum(axis=1))
        per_code.append(column.sum(axis=0))
    return np.stack(per_segment, axis=1), np.stack(per_code, axis=1)


def segment_totals(values: np.ndarray) -> np.ndarray:
    """Per-segment sums (codes pooled); see `totals`."""
    return totals(values)[0]


def _kappa(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected < 1, (observed - expected) / (1 - expected), np.nan)


def statistics_from_totals(totals: np.ndarray, n_coders: int) -> dict[str, np.ndarray]:
    """The five statistics for each row of summed totals (one row per resample)."""
    (pv, pk, cross, agree, pu, share, ru, present, absent, cu, ck, cagree, t11, t10, t01, t00) = (
        totals.T
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(pv > 0, 1 - cross / pv, np.nan)
        n0 = pv - pk
        alpha = np.where(pk * n0 > 0, 1 - (pv - 1) * cross / (2 * pk * n0), np.nan)
        both = t11 + t10 + t01 + t00
        pa1 = (t11 + t10) / both
        pb1 = (t11 + t01) / both
        cohen = _kappa((t11 + t00) / both, pa1 * pb1 + (1 - pa1) * (1 - pb1))
        p1 = ck / (cu * n_coders)
        fleiss = _kappa(cagree / cu, p1 * p1 + (1 - p1) * (1 - p1))
        pi1 = share / ru
        q2 = (present > 0) & (absent > 0)
        gwet = np.where(q2, _kappa(agree / pu, 2 * pi1 * (1 - pi1)), np.nan)
    return {
        "percent_agreement": percent,
        "cohen_kappa": cohen if n_coders == 2 else np.full(len(totals), np.nan),
        "fleiss_kappa": np.where(cu > 0, fleiss, np.nan),
        "krippendorff_alpha": alpha,
        "gwet_ac1": gwet,
    }


def bootstrap_intervals(
    values: np.ndarray,
    n: int = 1000,
    seed: int = 0,
    per_segment: np.ndarray | None = None,
) -> dict[str, list[float | None]]:
    """Percentile 95% intervals, resampling segments with replacement."""
    per_segment = segment_totals(values) if per_segment is None else per_segment
    n_segments = per_segment.shape[0]
    rng = np.random.default_rng(seed)
    weights = np.stack(
        [
            np.bincount(rng.integers(0, n_segments, n_segments), minlength=n_segments)
            for _ in range(n)
        ]
    ).astype(float)
    draws = statistics_from_totals(weights @ per_segment, values.shape[0])
    out: dict[str, list[float | None]] = {}
    for name in NAMES:
        finite = draws[name][np.isfinite(draws[name])]
        if finite.size == 0:
            out[name] = [None, None]
        else:
            low, high = np.percentile(finite, [2.5, 97.5])
            out[name] = [round(float(low), 6), round(float(high), 6)]
    return out
