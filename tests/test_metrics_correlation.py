"""The one implementation of Pearson / Spearman / Kendall tau-b (metrics/correlation.py) against
scipy.stats: ties, constant input, the NaN policy (a pair with a missing value is left out, as
scipy's ``nan_policy="omit"``), the row-wise (bootstrap) forms, and that every caller uses it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from scipy import stats

from judgekit import aggregations
from judgekit.metrics import correlation, pointwise, ranking
from judgekit.metrics.correlation import (
    kendall_tau,
    kendall_tau_rows,
    kendall_tau_with_p,
    pearson_r,
    rankdata,
    spearman_rho,
    spearman_rows,
)

CASES = yaml.safe_load("""
- {x: [1, 2, 3, 4, 5], y: [2, 1, 4, 3, 5]}
- {x: [1, 1, 2, 2, 3, 5, 5], y: [1, 2, 2, 3, 3, 4, 5]}
- {x: [5, 4, 3, 2, 1, 1], y: [1, 2, 3, 4, 5, 5]}
- {x: [3, 3, 3, 1, 2, 4, 5, 5], y: [2, 3, 3, 1, 1, 5, 4, 5]}
- {x: [1, 2], y: [2, 1]}
""")


@pytest.mark.parametrize("case", CASES)
def test_values_match_scipy_with_ties(case: dict) -> None:
    x, y = case["x"], case["y"]
    assert pearson_r(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert spearman_rho(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)  # tau-b
    np.testing.assert_array_equal(rankdata(np.array(x, dtype=float)), stats.rankdata(x))


def test_random_integer_grades_against_scipy() -> None:
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(3, 120))
        x, y = rng.integers(1, 6, n).astype(float), rng.integers(1, 6, n).astype(float)
        if len(set(x)) < 2 or len(set(y)) < 2:
            continue
        assert pearson_r(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
        assert spearman_rho(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        tau, p = kendall_tau_with_p(x, y)
        ref = stats.kendalltau(x, y, method="asymptotic")
        assert tau == pytest.approx(ref.statistic, abs=1e-12)
        assert p == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-15)


def test_constant_input_and_too_few_pairs_are_nan() -> None:
    for f in (pearson_r, spearman_rho, kendall_tau):
        assert math.isnan(f([1, 1, 1], [1, 2, 3]))
        assert math.isnan(f([1, 2, 3], [4, 4, 4]))
        assert math.isnan(f([1.0], [2.0]))
        assert math.isnan(f([], []))
    with pytest.warns(stats.ConstantInputWarning):  # scipy agrees: undefined
        assert math.isnan(stats.pearsonr([1, 1, 1], [1, 2, 3]).statistic)


def test_nan_pairs_are_left_out_as_scipy_omit() -> None:
    x = [1.0, 2.0, math.nan, 4.0, 5.0, 6.0, 2.0]
    y = [2.0, 1.0, 3.0, math.inf, 5.0, 4.0, 2.0]
    keep = [0, 1, 4, 5, 6]
    xs, ys = [x[i] for i in keep], [y[i] for i in keep]
    assert pearson_r(x, y) == pytest.approx(stats.pearsonr(xs, ys).statistic, abs=1e-12)
    assert spearman_rho(x, y) == pytest.approx(stats.spearmanr(x[:3] + x[4:], y[:3] + y[4:],
                                                                nan_policy="omit").statistic, abs=1e-12)
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(xs, ys).statistic, abs=1e-12)
    with pytest.raises(ValueError, match="length mismatch"):
        pearson_r([1, 2], [1, 2, 3])


def test_row_forms_equal_the_scalar_forms() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=9)
    X = np.round(rng.normal(size=(50, 9)), 1)
    X[0] = 2.0  # a constant row: undefined
    taus, rhos = kendall_tau_rows(X, y), spearman_rows(X, y)
    assert math.isnan(taus[0]) and math.isnan(rhos[0])
    for row, tau, rho in zip(X[1:], taus[1:], rhos[1:], strict=True):
        assert tau == pytest.approx(stats.kendalltau(row, y).statistic, abs=1e-12)
        assert rho == pytest.approx(stats.spearmanr(row, y).statistic, abs=1e-12)


def test_every_caller_uses_the_one_implementation() -> None:
    assert aggregations.pearson is correlation.pearson_r
    assert aggregations.spearman is correlation.spearman_rho
    assert aggregations.kendall_tau_b is correlation.kendall_tau
    assert aggregations.ranks is correlation.rankdata
    assert pointwise.kendall_tau is correlation.kendall_tau and pointwise.spearman_rho is correlation.spearman_rho
    assert ranking.kendall_tau_batch is correlation.kendall_tau_rows
    assert ranking.spearman_batch is correlation.spearman_rows
