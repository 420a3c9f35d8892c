"""The fast segment bootstrap computes exactly what the general statistics compute."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.agreement.binary import (
    NAMES,
    bootstrap_intervals,
    segment_totals,
    statistics_from_totals,
)
from qualcode.agreement.stats import (
    cohen_kappa,
    complete_units,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)


def general(values: np.ndarray) -> dict[str, float]:
    matrix = values.reshape(values.shape[0], -1)
    complete = complete_units(matrix)
    return {
        "percent_agreement": float(percent_agreement(matrix)),
        "cohen_kappa": cohen_kappa(matrix[0], matrix[1]) if len(matrix) == 2 else np.nan,
        "fleiss_kappa": fleiss_kappa(complete) if complete.shape[1] else np.nan,
        "krippendorff_alpha": krippendorff_alpha(matrix),
        "gwet_ac1": gwet_ac1(matrix),
    }


def random_layers(seed: int, coders: int, segments: int = 40, codes: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.random((segments, codes)) < 0.2
    values = np.where(rng.random((coders, segments, codes)) < 0.85, truth, ~truth).astype(float)
    unreviewed = rng.random((coders, segments)) < 0.2
    values[unreviewed] = np.nan
    return values


@pytest.mark.parametrize("coders", [2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_weighted_totals_equal_general_statistics(coders: int, seed: int) -> None:
    values = random_layers(seed, coders)
    totals = segment_totals(values)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        picks = rng.integers(0, values.shape[1], values.shape[1])
        weights = np.bincount(picks, minlength=values.shape[1]).astype(float)
        fast = statistics_from_totals(weights[None, :] @ totals, coders)
        slow = general(values[:, picks, :])
        for name in NAMES:
            assert fast[name][0] == pytest.approx(slow[name], abs=1e-9, nan_ok=True), name


def test_intervals_are_reproducible_and_contain_the_estimate() -> None:
    values = random_layers(7, 2, segments=120)
    first = bootstrap_intervals(values, n=300, seed=0)
    assert first == bootstrap_intervals(values, n=300, seed=0)
    assert first != bootstrap_intervals(values, n=300, seed=1)
    point = general(values)
    for name in NAMES:
        low, high = first[name]
        assert low <= point[name] <= high, name


@pytest.mark.parametrize("coders", [2, 3])
def test_per_code_totals_equal_general_statistics(coders: int) -> None:
    from qualcode.agreement.binary import totals

    values = random_layers(11, coders)
    _, per_code = totals(values)
    fast = statistics_from_totals(per_code, coders)
    for k in range(values.shape[2]):
        slow = general(values[:, :, k : k + 1])
        for name in NAMES:
            assert fast[name][k] == pytest.approx(slow[name], abs=1e-9, nan_ok=True), (k, name)
