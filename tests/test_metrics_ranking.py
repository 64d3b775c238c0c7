"""Rankings: Bradley-Terry against Arena-Hard's logistic-regression formulation (scikit-learn),
recovery of known strengths, style control, Elo, rank agreement, JuStRank's decisiveness and
bias, and the length-controlled win rate against a statsmodels GLM."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
import yaml
from scipy import special
from sklearn.linear_model import LogisticRegression

from judgekit.metrics.ranking import (
    bradley_terry,
    decisiveness,
    elo_ratings,
    elo_win_matrix,
    kendall_tau_batch,
    rank_agreement,
    rank_agreement_bootstrap,
    score_win_matrix,
    style_features,
    system_bias,
    win_rates,
)

CASES = yaml.safe_load((Path(__file__).parent / "data" / "metrics" / "ranking.yaml").read_text())


def _battles(rng: np.random.Generator, strengths: np.ndarray, n: int, tie_rate: float = 0.1
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = strengths.size
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = special.expit(strengths[a] - strengths[b])
    u = rng.random(n)
    out = np.where(u < tie_rate, 0.5, np.where(u < tie_rate + (1 - tie_rate) * p, 1.0, 0.0))
    names = np.array([f"s{k:02d}" for k in range(m)], dtype=object)
    return names[a], names[b], out


def arena_hard_mle_elo(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, systems: list[str]) -> np.ndarray:
    """Arena-Hard's compute_mle_elo (show_result_bt.py): battles duplicated, a tie counted as a
    win in the first copy and a loss in the second, +-log(10) columns, no intercept, no penalty,
    ratings 400 * coef + 1000."""
    idx = {s: i for i, s in enumerate(systems)}
    n = a.size
    X = np.zeros((2 * n, len(systems)))
    rows = np.arange(2 * n)
    X[rows, np.tile([idx[s] for s in a], 2)] = math.log(10)
    X[rows, np.tile([idx[s] for s in b], 2)] = -math.log(10)
    y = np.zeros(2 * n)
    y[:n][outcome == 1] = 1
    y[n:][outcome == 1] = 1
    y[:n][outcome == 0.5] = 1
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    return 400 * lr.coef_[0] + 1000


def test_bradley_terry_matches_arena_hard_logistic_regression() -> None:
    rng = np.random.default_rng(16)
    a, b, out = _battles(rng, np.linspace(-1.5, 1.5, 8), 3000)
    res = bradley_terry(a, b, out, n_resamples=0)
    ref = arena_hard_mle_elo(a, b, out, res.systems)
    ours = np.array([res.ratings[s].value for s in res.systems])
    np.testing.assert_allclose(ours, ref, atol=1e-3)
    assert np.mean(ours) == pytest.approx(1000.0)
    assert res.converged and res.n_battles == 3000


def test_bradley_terry_recovers_true_ordering_with_intervals() -> None:
    rng = np.random.default_rng(17)
    strengths = rng.permutation(np.linspace(-1.5, 1.5, 12))  # neighbours 0.27 apart in log-odds
    a, b, out = _battles(rng, strengths, 20000, tie_rate=0.0)  # with ties the BT scale shrinks
    res = bradley_terry(a, b, out, n_resamples=300, seed=3, baseline="s00")
    est = np.array([res.ratings[f"s{k:02d}"].value for k in range(12)])
    assert np.array_equal(np.argsort(est), np.argsort(strengths))
    true = 1000 + 400 / math.log(10) * (strengths - strengths.mean())
    inside = [res.ratings[f"s{k:02d}"].ci_low <= true[k] <= res.ratings[f"s{k:02d}"].ci_high for k in range(12)]
    assert sum(inside) >= 9
    # the win rate against the baseline follows the ratings
    assert res.win_rate_vs_baseline is not None
    assert res.win_rate_vs_baseline["s00"].value == pytest.approx(0.5)
    k = 5
    expected = 1 / (1 + 10 ** ((res.ratings["s00"].value - res.ratings[f"s{k:02d}"].value) / 400))
    assert res.win_rate_vs_baseline[f"s{k:02d}"].value == pytest.approx(expected)


def test_bradley_terry_weights_anchor_and_invalid() -> None:
    a = np.array(["x", "x", "y", "z", "x"], dtype=object)
    b = np.array(["y", "z", "z", "x", "y"], dtype=object)
    out = ["A", "A", "tie", "B", "invalid"]
    w = [3, 1, 1, 1, 1]
    weighted = bradley_terry(a, b, out, weights=w, n_resamples=0, anchor="y")
    repeated = bradley_terry(np.concatenate([a[:1], a[:1], a]), np.concatenate([b[:1], b[:1], b]),
                             ["A", "A", *out], n_resamples=0, anchor="y")
    for s in ("x", "y", "z"):
        assert weighted.ratings[s].value == pytest.approx(repeated.ratings[s].value, abs=1e-6)
    assert weighted.ratings["y"].value == pytest.approx(1000.0)
    assert weighted.n_dropped == 1


def test_bradley_terry_clustered_bootstrap_is_wider_for_duplicated_questions() -> None:
    rng = np.random.default_rng(18)
    a, b, out = _battles(rng, np.array([0.0, 0.5, 1.0]), 400)
    # every battle judged twice with the same result (both orders of one question)
    ma, mb, res = np.repeat(a, 2), np.repeat(b, 2), np.repeat(out, 2)
    q = np.repeat(np.arange(400), 2)
    flat = bradley_terry(ma, mb, res, n_resamples=400, seed=1)
    clustered = bradley_terry(ma, mb, res, n_resamples=400, seed=1, cluster=q)
    assert flat.ratings["s00"].value == pytest.approx(clustered.ratings["s00"].value)
    w_flat = flat.ratings["s00"].ci_high - flat.ratings["s00"].ci_low  # type: ignore[operator]
    w_cl = clustered.ratings["s00"].ci_high - clustered.ratings["s00"].ci_low  # type: ignore[operator]
    assert w_cl > 1.2 * w_flat


def test_style_control_matches_logistic_regression() -> None:
    rng = np.random.default_rng(19)
    m, n = 5, 4000
    strengths = np.linspace(-1, 1, m)
    ai = rng.integers(0, m, n)
    bi = (ai + rng.integers(1, m, n)) % m
    la = rng.integers(100, 3000, n).astype(float)
    lb = rng.integers(100, 3000, n).astype(float)
    md_a = rng.poisson(3, (n, 2)).astype(float)
    md_b = rng.poisson(3, (n, 2)).astype(float)
    Z = style_features(la, lb, md_a, md_b)
    assert Z.shape == (n, 3)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-12)
    p = special.expit(strengths[ai] - strengths[bi] + 0.7 * Z[:, 0])
    y = (rng.random(n) < p).astype(float)
    names = np.array([f"m{k}" for k in range(m)], dtype=object)
    res = bradley_terry(names[ai], names[bi], y, covariates=Z, covariate_names=["length", "md1", "md2"],
                        n_resamples=0)
    X = np.zeros((n, m))
    X[np.arange(n), ai] = 1
    X[np.arange(n), bi] = -1
    design = np.hstack([X[:, 1:], Z])  # system m0 fixed at 0
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-12, max_iter=10000).fit(design, y)
    assert res.coefficients["length"].value == pytest.approx(lr.coef_[0][m - 1], abs=1e-4)
    assert res.coefficients["length"].value == pytest.approx(0.7, abs=0.15)
    theta = np.concatenate([[0.0], lr.coef_[0][: m - 1]])
    ref = 1000 + 400 / math.log(10) * (theta - theta.mean())
    np.testing.assert_allclose([res.ratings[f"m{k}"].value for k in range(m)], ref, atol=1e-2)
    with_ci = bradley_terry(names[ai][:600], names[bi][:600], y[:600], covariates=Z[:600], n_resamples=30, seed=2)
    c = with_ci.coefficients["z0"]
    assert c.ci_low < c.value < c.ci_high  # type: ignore[operator]


@pytest.mark.parametrize("case", CASES["elo"])
def test_online_elo_hand(case: dict) -> None:
    got = elo_ratings(case["model_a"], case["model_b"], case["winner"])
    for s, v in case["expected"].items():
        assert got[s] == pytest.approx(v, abs=case["tol"])


@pytest.mark.parametrize("case", CASES["win_rates"])
def test_win_rates_hand(case: dict) -> None:
    got = win_rates(case["system"], case["outcome"], n_resamples=100)
    for s, v in case["expected"].items():
        assert (got[s].value, got[s].n) == (pytest.approx(v), case["n"][s])


@pytest.mark.parametrize("case", CASES["rank_agreement"])
def test_rank_agreement_hand(case: dict) -> None:
    r = rank_agreement(case["judge"], case["gold"])
    assert r.kendall_tau.value == pytest.approx(case["tau"]) and r.spearman.value == pytest.approx(case["rho"])


def test_tau_identical_and_reversed_batch() -> None:
    g = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    X = np.vstack([g, -g, g * 2 + 1])
    np.testing.assert_allclose(kendall_tau_batch(X, g), [1.0, -1.0, 1.0])


def test_rank_agreement_bootstrap_on_simulated_judge() -> None:
    rng = np.random.default_rng(20)
    S, items = 15, 300
    quality = np.sort(rng.normal(0, 1, S))
    systems = [f"sys{k}" for k in range(S)]
    gold = {s: float(q) for s, q in zip(systems, quality, strict=True)}
    scores = quality[None, :] + rng.normal(0, 3, (items, S))  # a noisy judge
    scores[rng.random((items, S)) < 0.05] = np.nan
    r = rank_agreement_bootstrap(scores, systems, gold, n_resamples=500, seed=4)
    assert r.kendall_tau.ci_low < r.kendall_tau.value < r.kendall_tau.ci_high  # type: ignore[operator]
    assert r.kendall_tau.value > 0.5  # type: ignore[operator]
    perfect = rank_agreement_bootstrap(np.tile(quality, (5, 1)), systems, gold, n_resamples=50)
    assert perfect.kendall_tau.value == pytest.approx(1.0) and perfect.kendall_tau.ci_low == pytest.approx(1.0)


def test_decisiveness_and_system_bias_recover_simulated_judge() -> None:
    rng = np.random.default_rng(21)
    systems = [f"s{k}" for k in range(10)]
    elo = {s: 1000 + 60 * k for k, s in enumerate(systems)}
    G = elo_win_matrix(elo, systems)
    J = special.betainc(2.5, 2.5, G) + rng.normal(0, 0.005, G.shape)
    J[3, :] += 0.08  # the judge favours s3 ...
    J[:, 3] -= 0.08  # ... against everyone
    np.fill_diagonal(J, np.nan)
    d = decisiveness(J, G)
    assert d.alpha == pytest.approx(2.5, rel=0.15)
    bias = system_bias(J, G, systems, alpha=d.alpha)
    assert bias["s3"].beyond_decisiveness == pytest.approx(0.08, abs=0.02)
    assert abs(bias["s5"].beyond_decisiveness) < 0.03
    assert bias["s3"].n_opponents == 9
    # a judge that mirrors the gold win rates has alpha 1 and no bias
    d1 = decisiveness(G, G)
    assert d1.alpha == pytest.approx(1.0, abs=1e-4)
    # score_win_matrix: per-item scores -> pairwise win rates
    W = score_win_matrix(np.array([[1.0, 2.0], [3.0, 3.0], [2.0, 1.0], [0.0, 5.0]]))
    assert W[0, 1] == pytest.approx((0 + 0.5 + 1 + 0) / 4) and W[1, 0] == pytest.approx(1 - W[0, 1])


def test_bradley_terry_soft_outcomes_match_logistic_regression() -> None:
    """Soft outcomes (a judge's p(A) instead of a verdict) are used as they are, not rounded."""
    rng = np.random.default_rng(33)
    a, b, _ = _battles(rng, np.array([-0.5, 0.0, 0.7]), 600)
    soft = rng.uniform(0, 1, 600)
    res = bradley_terry(a, b, soft, n_resamples=50, seed=1)
    idx = {s: i for i, s in enumerate(res.systems)}
    X = np.zeros((600, 3))
    X[np.arange(600), [idx[s] for s in a]] = 1
    X[np.arange(600), [idx[s] for s in b]] = -1
    glm = sm.GLM(soft, X[:, 1:], family=sm.families.Binomial()).fit()
    theta = np.concatenate([[0.0], glm.params])
    ref = 1000 + 400 / math.log(10) * (theta - theta.mean())
    np.testing.assert_allclose([res.ratings[s].value for s in res.systems], ref, atol=1e-4)
