"""Pointwise grading: correlation of judge scores with human scores, and agreement on
Likert scales.

Pearson, Spearman and Kendall's tau-b come from :mod:`.correlation` (the one
implementation; scipy.stats is the tests' reference). Intervals are Fisher-z by default: Pearson's
standard error 1/sqrt(n-3); Spearman's with the Bonett-Wright (2000) variance
(1 + r^2/2)/(n-3); Kendall's with the Fieller-Hartley-Pearson (1957) variance 0.437/(n-4).
``ci="bootstrap"`` gives percentile bootstrap intervals instead (resampling items, or
clusters of items).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from scipy import stats

from .correlation import finite_pairs, kendall_of_finite, paired_finite, pearson_of_finite, rankdata
from .correlation import kendall_tau as kendall_tau  # re-exported: the value alone
from .correlation import spearman_rho as spearman_rho  # re-exported: the value alone
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    finite_or_none,
    percentile_interval,
    wilson_interval,
)

Numbers = Sequence[float] | np.ndarray
CIMethod = Literal["fisher", "bootstrap", "none"]


def _t_pvalue(r: float, n: int) -> float:
    if n < 3 or not math.isfinite(r):
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    t = r * math.sqrt((n - 2) / ((1 - r) * (1 + r)))
    return float(2 * stats.t.sf(abs(t), n - 2))


def _fisher(r: float, se: float, level: float) -> tuple[float | None, float | None]:
    if not (math.isfinite(r) and math.isfinite(se)) or se <= 0:
        return None, None
    z = math.atanh(max(-1 + 1e-15, min(1 - 1e-15, r)))
    crit = float(stats.norm.ppf(0.5 + level / 2))
    return math.tanh(z - crit * se), math.tanh(z + crit * se)


def _bootstrap(fn: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray, b: np.ndarray,
               cluster: np.ndarray | None, n_resamples: int, seed: int,
               level: float) -> tuple[float | None, float | None]:
    rng = np.random.default_rng(seed)
    if cluster is None:
        groups = [np.array([i]) for i in range(a.size)]
        flat = True
    else:
        _, inv = np.unique(cluster, return_inverse=True)
        order = np.argsort(inv, kind="mergesort")
        cuts = np.flatnonzero(np.diff(inv[order])) + 1
        groups = np.split(order, cuts)
        flat = False
    reps = np.empty(n_resamples)
    for r in range(n_resamples):
        pick = rng.integers(0, len(groups), size=len(groups))
        idx = pick if flat else np.concatenate([groups[i] for i in pick])
        reps[r] = fn(a[idx], b[idx])
    return percentile_interval(reps, level)


def _correlation(name: str, x: Numbers, y: Numbers, ci: CIMethod, level: float, n_resamples: int, seed: int,
                 cluster: Sequence[object] | np.ndarray | None) -> Score:
    a, b, keep = finite_pairs(x, y)
    n = int(a.size)
    cl = None if cluster is None else np.asarray(cluster, dtype=object)[keep]

    def value(u: np.ndarray, v: np.ndarray) -> float:
        if name == "pearson":
            return pearson_of_finite(u, v)
        if name == "spearman":
            return pearson_of_finite(rankdata(u), rankdata(v))
        return kendall_of_finite(u, v)[0]

    r = value(a, b)
    if name == "kendall":
        p = kendall_of_finite(a, b)[1]
        se = math.sqrt(0.437 / (n - 4)) if n > 4 else float("nan")
    elif name == "spearman":
        p = _t_pvalue(r, n)
        se = math.sqrt((1 + r * r / 2) / (n - 3)) if n > 3 and math.isfinite(r) else float("nan")
    else:
        p = _t_pvalue(r, n)
        se = 1 / math.sqrt(n - 3) if n > 3 else float("nan")
    lo: float | None
    hi: float | None
    if ci == "fisher":
        lo, hi = _fisher(r, se, level)
    elif ci == "bootstrap":
        codes = None if cl is None else np.unique(cl.astype(str), return_inverse=True)[1]
        lo, hi = _bootstrap(value, a, b, codes, n_resamples, seed, level) if n >= 3 else (None, None)
    else:
        lo = hi = None
    return Score(value=finite_or_none(r), n=n, ci_low=lo, ci_high=hi,
                    ci_level=level if lo is not None else None,
                    method=None if lo is None else ("fisher-z" if ci == "fisher" else "percentile-bootstrap"),
                    p_value=finite_or_none(p))


def pearson(x: Numbers, y: Numbers, *, ci: CIMethod = "fisher", level: float = DEFAULT_LEVEL,
            n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
            cluster: Sequence[object] | np.ndarray | None = None) -> Score:
    """Pearson's r with a two-sided p-value (t test with n - 2 df) and an interval.
    Pairs where either value is missing (NaN) are left out."""
    return _correlation("pearson", x, y, ci, level, n_resamples, seed, cluster)


def spearman(x: Numbers, y: Numbers, *, ci: CIMethod = "fisher", level: float = DEFAULT_LEVEL,
             n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
             cluster: Sequence[object] | np.ndarray | None = None) -> Score:
    """Spearman's rho (Pearson's r of average ranks), p-value from the t approximation."""
    return _correlation("spearman", x, y, ci, level, n_resamples, seed, cluster)


def kendall(x: Numbers, y: Numbers, *, ci: CIMethod = "fisher", level: float = DEFAULT_LEVEL,
            n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
            cluster: Sequence[object] | np.ndarray | None = None) -> Score:
    """Kendall's tau-b (ties corrected), O(n log^2 n), with the asymptotic p-value."""
    return _correlation("kendall", x, y, ci, level, n_resamples, seed, cluster)


def likert_agreement(judge: Numbers, human: Numbers, *, tolerance: float = 1.0,
                     level: float = DEFAULT_LEVEL) -> tuple[Score, Score]:
    """Exact-match and within-``tolerance`` (within-one) agreement of judge and human scores
    on a Likert scale, each a share with a Wilson interval. Missing (NaN) pairs are left out."""
    a, b = paired_finite(judge, human)
    n = int(a.size)
    exact = int(np.sum(a == b))
    near = int(np.sum(np.abs(a - b) <= tolerance + 1e-12))

    def est(k: int) -> Score:
        lo, hi = wilson_interval(k, n, level)
        return Score(value=k / n if n else None, n=n, ci_low=lo, ci_high=hi, ci_level=level, method="wilson")

    return est(exact), est(near)
