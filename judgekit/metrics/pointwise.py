"""Pointwise grading: correlation of judge scores with human scores, and agreement on
Likert scales.

Pearson, Spearman and Kendall's tau-b are computed here (not delegated to scipy.stats,
which the tests use as the reference). Intervals are Fisher-z by default: Pearson's
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


def _pair(x: Numbers, y: Numbers) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"length mismatch: {a.size} vs {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _pearson_r(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2:
        return float("nan")
    da = a - a.mean()
    db = b - b.mean()
    den = math.sqrt(float(da @ da) * float(db @ db))
    return float(np.clip(float(da @ db) / den, -1.0, 1.0)) if den > 0 else float("nan")


def rankdata(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    n = a.size
    first = np.concatenate([[True], s[1:] != s[:-1]]) if n else np.zeros(0, dtype=bool)
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.concatenate([starts[1:], [n]])
    avg = (starts + ends + 1) / 2.0  # mean of 1-based positions start+1 .. end
    ranks = np.empty(n)
    ranks[order] = avg[group]
    return ranks


def _count_inversions(codes: np.ndarray) -> int:
    """Pairs i < j with codes[i] > codes[j] (integer codes 0..m-1), by a vectorised bottom-up
    merge sort: O(n log^2 n) numpy work."""
    cur = np.asarray(codes, dtype=np.int64).copy()
    n = cur.size
    if n < 2:
        return 0
    m = int(cur.max()) + 1
    idx = np.arange(n, dtype=np.int64)
    inversions = 0
    w = 1
    while w < n:
        block = idx // (2 * w)
        right = (idx // w) % 2 == 1
        key = block * m + cur  # sorted within every w-wide run
        left_keys = key[~right]  # ascending: runs in block order, each sorted
        r_keys = key[right]
        r_block = block[right]
        at_or_below = np.searchsorted(left_keys, r_keys, side="right")
        block_end = np.searchsorted(left_keys, (r_block + 1) * m, side="left")
        inversions += int((block_end - at_or_below).sum())
        cur = np.sort(key) - block * m
        w *= 2
    return inversions


def _tie_stats(a: np.ndarray) -> tuple[int, float, float]:
    _, cnt = np.unique(a, return_counts=True)
    cnt = cnt[cnt > 1].astype(float)
    return int((cnt * (cnt - 1) // 2).sum()), float((cnt * (cnt - 1) * (cnt - 2)).sum()), \
        float((cnt * (cnt - 1) * (2 * cnt + 5)).sum())


def _kendall(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Kendall's tau-b and its two-sided asymptotic p-value (the tie-corrected variance
    ``scipy.stats.kendalltau(method="asymptotic")`` uses)."""
    n = a.size
    if n < 2:
        return float("nan"), float("nan")
    order = np.lexsort((b, a))
    xs, ys = a[order], b[order]
    _, y_codes = np.unique(ys, return_inverse=True)
    dis = _count_inversions(y_codes)
    xtie, x0, x1 = _tie_stats(xs)
    ytie, y0, y1 = _tie_stats(ys)
    both_first = np.concatenate([[True], (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])])
    runs = np.diff(np.concatenate([np.flatnonzero(both_first), [n]])).astype(float)
    ntie = int((runs * (runs - 1) // 2).sum())
    tot = n * (n - 1) // 2
    if xtie == tot or ytie == tot:
        return float("nan"), float("nan")
    con_minus_dis = tot - xtie - ytie + ntie - 2 * dis
    tau = con_minus_dis / math.sqrt(tot - xtie) / math.sqrt(tot - ytie)
    tau = float(min(1.0, max(-1.0, tau)))
    m = n * (n - 1.0)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + (2 * xtie * ytie) / m + (x0 * y0 / (9 * m * (n - 2)) if n > 2 else 0.0)
    p = float(2 * stats.norm.sf(abs(con_minus_dis) / math.sqrt(var))) if var > 0 else float("nan")
    return tau, p


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
    a0 = np.asarray(x, dtype=float)
    b0 = np.asarray(y, dtype=float)
    if a0.shape != b0.shape:
        raise ValueError(f"length mismatch: {a0.size} vs {b0.size}")
    keep = np.isfinite(a0) & np.isfinite(b0)
    a, b = a0[keep], b0[keep]
    n = int(a.size)
    cl = None if cluster is None else np.asarray(cluster, dtype=object)[keep]

    def value(u: np.ndarray, v: np.ndarray) -> float:
        if name == "pearson":
            return _pearson_r(u, v)
        if name == "spearman":
            return _pearson_r(rankdata(u), rankdata(v))
        return _kendall(u, v)[0]

    r = value(a, b)
    if name == "kendall":
        p = _kendall(a, b)[1]
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


def kendall_tau(x: Numbers, y: Numbers) -> float:
    """Kendall's tau-b alone (NaN when undefined)."""
    a, b = _pair(x, y)
    return _kendall(a, b)[0]


def spearman_rho(x: Numbers, y: Numbers) -> float:
    a, b = _pair(x, y)
    return _pearson_r(rankdata(a), rankdata(b))


def likert_agreement(judge: Numbers, human: Numbers, *, tolerance: float = 1.0,
                     level: float = DEFAULT_LEVEL) -> tuple[Score, Score]:
    """Exact-match and within-``tolerance`` (within-one) agreement of judge and human scores
    on a Likert scale, each a share with a Wilson interval. Missing (NaN) pairs are left out."""
    a, b = _pair(judge, human)
    n = int(a.size)
    exact = int(np.sum(a == b))
    near = int(np.sum(np.abs(a - b) <= tolerance + 1e-12))

    def est(k: int) -> Score:
        lo, hi = wilson_interval(k, n, level)
        return Score(value=k / n if n else None, n=n, ci_low=lo, ci_high=hi, ci_level=level, method="wilson")

    return est(exact), est(near)
