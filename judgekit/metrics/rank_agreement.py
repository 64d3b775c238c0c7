"""How well a judge's system ranking agrees with a gold one, and JuStRank's characterisation
of the judge.

- :func:`rank_agreement` / :func:`rank_agreement_bootstrap`: Kendall's tau and Spearman's
  rho (:mod:`.correlation`) between a judge-derived system ranking and a gold one (for
  example Chatbot Arena Elo), with bootstrap intervals over items: JuStRank's headline
  (Gera et al. 2025, "JuStRank: Benchmarking LLM Judges for System Ranking").
- :func:`decisiveness` and :func:`system_bias`: implemented from the paper's description (no
  reference code was available here): the judge's pairwise system win rates are plotted
  against the gold ones and fitted with the CDF of a symmetric Beta(alpha, alpha)
  distribution; alpha > 1 means the judge pushes win rates towards 0 and 1 (decisive),
  alpha < 1 towards 0.5. A system's bias is the mean, over its opponents, of the judge's win
  rate minus the gold one, raw and after the decisiveness curve is taken out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import optimize, special

from ..errors import DataError
from ..types import Frozen
from .correlation import kendall_tau, kendall_tau_rows, spearman_rho, spearman_rows
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    finite_or_none,
    normal_interval,
)

# --------------------------------------------------------------------------- agreement with a gold ranking


class RankAgreement(Frozen):
    """Kendall's tau-b and Spearman's rho between a judge's system scores and gold scores
    (over the systems both have), with bootstrap intervals when computed."""

    systems: list[str]
    kendall_tau: Score
    spearman: Score


def rank_agreement(judge: Mapping[str, float], gold: Mapping[str, float]) -> RankAgreement:
    common = sorted(set(judge) & set(gold))
    x = np.array([judge[s] for s in common], dtype=float)
    g = np.array([gold[s] for s in common], dtype=float)
    return RankAgreement(systems=common, kendall_tau=Score(value=finite_or_none(kendall_tau(x, g)), n=len(common)),
                         spearman=Score(value=finite_or_none(spearman_rho(x, g)), n=len(common)))


kendall_tau_batch = kendall_tau_rows  # the names this module has always offered
spearman_batch = spearman_rows


#: the bootstrap standard deviation of tau / rho is scaled by this (the worst case of its underestimate,
#: a pair of systems tied in truth: see :func:`rank_agreement_from_samples`)
SD_INFLATION = math.sqrt(1.5)


def rank_agreement_from_samples(point: np.ndarray, samples: np.ndarray | None, systems: Sequence[str],
                                gold: Mapping[str, float], level: float = DEFAULT_LEVEL) -> RankAgreement:
    """Rank agreement of system scores ``point`` (S) with gold, with intervals from bootstrap
    replicates ``samples`` (B x S) of the same scores.

    The interval is for the tau (rho) the judge gets on a benchmark of this many prompts drawn like
    these (its expectation over prompt samples): the point value plus or minus z times
    ``SD_INFLATION`` times the replicates' standard deviation, clipped to [-1, 1]. Tau of system
    means is a sum of signs of mean differences, not smooth where two systems are close: the
    bootstrap redraws around the observed difference, so it underestimates the variance of a
    near-tied pair's sign (by up to 1.5 times at an exact tie, E[4 f (1 - f)] = 2/3 for f uniform on
    [0, 1/2]), and the percentile interval is shifted by the close pairs' extra flips. No unbiased
    estimate of a sign's variance exists, so a nominal interval is out of reach; over a grid of simulated
    judges (``bench/tau_coverage.py``, 18 cells x 300) this interval covered that target in 95-100 % of
    simulations (never below 93 %), the plain normal one in 89-98 %, the percentile one in 85-99 %, and
    two corrections aiming at nominal coverage (Satterthwaite's degrees of freedom, an empirical-Bayes
    sign variance) fell below 93 % in some cells. No interval
    from resampling prompts covers the infinite-prompt tau uniformly (the README says by how much)."""
    keep = [k for k, s in enumerate(systems) if s in gold]
    names = [systems[k] for k in keep]
    g = np.array([gold[s] for s in names], dtype=float)
    p = np.asarray(point, dtype=float)[keep]
    tau = kendall_tau(p, g)
    rho = spearman_rho(p, g)

    def est(v: float, reps: np.ndarray | None) -> Score:
        lo = hi = None
        if reps is not None and math.isfinite(v):
            r = reps[np.isfinite(reps)]
            if r.size >= 2:
                a, b = normal_interval(v, SD_INFLATION * float(r.std(ddof=1)), level)
                lo, hi = max(-1.0, a), min(1.0, b)
        return Score(value=finite_or_none(v), n=len(names), ci_low=lo, ci_high=hi,
                     ci_level=level if lo is not None else None,
                     method="normal-bootstrap-inflated" if lo is not None else None)

    if samples is None:
        return RankAgreement(systems=names, kendall_tau=est(tau, None), spearman=est(rho, None))
    S = np.asarray(samples, dtype=float)[:, keep]
    return RankAgreement(systems=names, kendall_tau=est(tau, kendall_tau_batch(S, g)),
                         spearman=est(rho, spearman_batch(S, g)))


def rank_agreement_bootstrap(scores: np.ndarray, systems: Sequence[str], gold: Mapping[str, float], *,
                             n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                             level: float = DEFAULT_LEVEL) -> RankAgreement:
    """JuStRank's headline: systems scored by the mean of the judge's per-item scores
    (``scores``: items x systems, NaN for a missing item; for pairwise judges a per-item win
    indicator against a baseline gives the win-rate aggregation), ranked, and compared with
    the gold ranking by Kendall's tau and Spearman's rho; intervals resample items."""
    M = np.asarray(scores, dtype=float)
    if M.ndim != 2 or M.shape[1] != len(systems):
        raise ValueError("scores must be items x systems")
    have = np.isfinite(M)
    V = np.where(have, M, 0.0)
    H = have.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = V.sum(axis=0) / H.sum(axis=0)
    samples = None
    if n_resamples:
        rng = np.random.default_rng(seed)
        n_items = M.shape[0]
        W = rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=n_resamples)
        with np.errstate(divide="ignore", invalid="ignore"):
            samples = (W @ V) / (W @ H)
    return rank_agreement_from_samples(point, samples, systems, gold, level)


# --------------------------------------------------------------------------- JuStRank: decisiveness and bias


def elo_win_matrix(ratings: Mapping[str, float], systems: Sequence[str], *, scale: float = 400.0,
                   base: float = 10.0) -> np.ndarray:
    """Expected win rate of each row system over each column system from Elo ratings."""
    r = np.array([ratings[s] for s in systems], dtype=float)
    return 1.0 / (1.0 + base ** ((r[None, :] - r[:, None]) / scale))


def score_win_matrix(scores: np.ndarray) -> np.ndarray:
    """Pairwise win rates of systems from per-item scores (items x systems): the share of
    items (where both have a score) on which the row system scores higher, a tie half."""
    M = np.asarray(scores, dtype=float)
    S = M.shape[1]
    out = np.full((S, S), np.nan)
    for i in range(S):
        d = M[:, [i]] - M
        ok = np.isfinite(d)
        wins = ((d > 0) + 0.5 * (d == 0)) * ok
        with np.errstate(divide="ignore", invalid="ignore"):
            out[i] = wins.sum(axis=0) / ok.sum(axis=0)
    np.fill_diagonal(out, np.nan)
    return out


class Decisiveness(Frozen):
    alpha: float  # Beta(alpha, alpha) CDF fitted to judge win rate against gold win rate
    n_pairs: int
    rmse: float  # of the fitted curve


def _beta_cdf(x: np.ndarray, alpha: float) -> np.ndarray:
    return special.betainc(alpha, alpha, np.clip(x, 0.0, 1.0))


def decisiveness(judge_win: np.ndarray, gold_win: np.ndarray) -> Decisiveness:
    """JuStRank's decisiveness: the alpha of the Beta(alpha, alpha) CDF that best fits (least
    squares) the judge's pairwise system win rates as a function of the gold ones. Accepts
    matrices (S x S, diagonal ignored) or flat arrays of the same pairs."""
    j = np.asarray(judge_win, dtype=float).ravel()
    g = np.asarray(gold_win, dtype=float).ravel()
    ok = np.isfinite(j) & np.isfinite(g)
    j, g = j[ok], g[ok]
    if j.size == 0:
        raise DataError("no pairs with both a judge and a gold win rate")

    def loss(log_alpha: float) -> float:
        return float(np.mean((_beta_cdf(g, math.exp(log_alpha)) - j) ** 2))

    res = optimize.minimize_scalar(loss, bounds=(math.log(0.05), math.log(50.0)), method="bounded",
                                   options={"xatol": 1e-10})
    alpha = math.exp(float(res.x))
    return Decisiveness(alpha=alpha, n_pairs=int(j.size), rmse=math.sqrt(loss(float(res.x))))


class SystemBias(Frozen):
    raw: float  # mean over opponents of judge win rate minus gold win rate
    beyond_decisiveness: float  # the same against the fitted decisiveness curve
    n_opponents: int


def system_bias(judge_win: np.ndarray, gold_win: np.ndarray, systems: Sequence[str],
                alpha: float | None = None) -> dict[str, SystemBias]:
    """JuStRank's per-system bias from the pairwise win-rate matrices (S x S): how much more
    (positive) or less the judge lets each system win than the gold ranking does."""
    J = np.asarray(judge_win, dtype=float)
    G = np.asarray(gold_win, dtype=float)
    if alpha is None:
        alpha = decisiveness(J, G).alpha
    F = _beta_cdf(G, alpha)
    out = {}
    for k, s in enumerate(systems):
        ok = np.isfinite(J[k]) & np.isfinite(G[k])
        ok[k] = False
        n = int(ok.sum())
        out[s] = SystemBias(raw=float(np.mean(J[k, ok] - G[k, ok])) if n else float("nan"),
                            beyond_decisiveness=float(np.mean(J[k, ok] - F[k, ok])) if n else float("nan"),
                            n_opponents=n)
    return out
