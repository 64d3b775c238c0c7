"""The one logistic fit (metrics/logistic.py): a hand-computed case (with one binary covariate the
maximum-likelihood fit is closed-form: the intercept is the logit of the mean outcome at x = 0, the
slope the difference of the two logits), scikit-learn's unpenalised fit, the batch form equal to the
single fit row by row, and every caller on it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from judgekit.metrics import bias, logistic, ranking, stats
from judgekit.metrics.logistic import logistic_regression, logistic_regression_batch


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


X0 = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
Y0 = np.array([1, 0, 0, 1, 0, 1, 1, 1, 0], dtype=float)  # 2/5 at x = 0, 3/4 at x = 1
DESIGN = np.column_stack([np.ones(X0.size), X0])


def test_closed_form_hand_case() -> None:
    fit = logistic_regression(DESIGN, Y0)
    assert fit.converged
    assert fit.coef == pytest.approx([_logit(0.4), _logit(0.75) - _logit(0.4)], abs=1e-10)
    # the standard errors too: var(b0) = 1/(n0 p0 q0), var(b1) = 1/(n0 p0 q0) + 1/(n1 p1 q1)
    v0, v1 = 1 / (5 * 0.4 * 0.6), 1 / (4 * 0.75 * 0.25)
    assert fit.se == pytest.approx([math.sqrt(v0), math.sqrt(v0 + v1)], rel=1e-8)


def test_weights_and_soft_outcomes_hand_case() -> None:
    w = np.array([2, 1, 1, 1, 1, 1, 1, 1, 3], dtype=float)  # x=0: 3 of 6; x=1: 3 of 6
    assert logistic_regression(DESIGN, Y0, w).coef == pytest.approx([0.0, 0.0], abs=1e-10)
    y_soft = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.6, 0.6])  # means 0.5 and 0.75
    assert logistic_regression(DESIGN, y_soft).coef == pytest.approx([0.0, _logit(0.75)], abs=1e-10)


def test_matches_sklearn_unpenalised() -> None:
    rng = np.random.default_rng(4)
    n = 400
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * X[:, 1] - 0.5 * X[:, 2])))).astype(float)
    w = rng.integers(1, 4, n).astype(float)
    ref = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10000).fit(X, y, sample_weight=w)
    assert logistic_regression(X, y, w).coef == pytest.approx(ref.coef_[0], abs=1e-6)


def test_batch_equals_single_fits_row_by_row() -> None:
    rng = np.random.default_rng(9)
    n = 120
    X = np.column_stack([np.ones(n), np.tanh(rng.normal(size=n))])
    y = np.clip(0.5 + 0.3 * X[:, 1] + rng.normal(0, 0.2, n), 0, 1)
    W = rng.multinomial(n, np.full(n, 1 / n), size=25).astype(float)
    start = logistic_regression(X, y).coef
    batch = logistic_regression_batch(X, y, W, start)
    for w, b in zip(W, batch, strict=True):
        assert b == pytest.approx(logistic_regression(X, y, w).coef, abs=1e-9)
    # a batch of the closed-form case, from a cold start
    assert logistic_regression_batch(DESIGN, Y0, np.ones((2, X0.size)))[1] == pytest.approx(
        [_logit(0.4), _logit(0.75) - _logit(0.4)], abs=1e-10)


def test_separated_data_gives_huge_coefficients_and_errors() -> None:
    fit = logistic_regression(DESIGN, X0, max_iter=30)  # y = x: the slope's MLE is infinite
    assert fit.coef[1] > 20 and fit.se[1] > 1e4 and fit.loglik == pytest.approx(0.0, abs=1e-6)


def test_every_caller_uses_the_one_fit() -> None:
    assert stats.logistic_regression is logistic.logistic_regression
    assert bias.logistic_regression is logistic.logistic_regression
    # metrics/ranking.py's only caller, the plain LC GLM, is gone (issue 12: AlpacaEval's LC is alpaca_glm's)
    assert not hasattr(ranking, "_logistic_batch") and not hasattr(ranking, "length_controlled_win_rate")
