"""The one implementation of Pearson's r, Spearman's rho and Kendall's tau-b in judgekit.

Computed here (not delegated to scipy.stats, which the tests use as the reference), as
plain values; :mod:`.pointwise` adds p-values and intervals, the suite aggregations and the
system rankings call these. NaN policy: a pair where either value is missing (NaN or
infinite) is left out (scipy's ``nan_policy="omit"``). A coefficient that is undefined
(fewer than two pairs, or a constant input) is NaN.

- :func:`pearson_r`, :func:`spearman_rho` (Pearson's r of average ranks),
  :func:`kendall_tau` (tau-b, ties corrected, O(n log^2 n)).
- :func:`kendall_tau_with_p`: tau-b and the two-sided asymptotic p-value with the
  tie-corrected variance ``scipy.stats.kendalltau(method="asymptotic")`` uses.
- :func:`kendall_tau_rows`, :func:`spearman_rows`: the same coefficients of each row of a
  matrix (bootstrap replicates) against one vector, vectorised; rows are taken as given
  (no NaN removal), as the bootstrap of system scores needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Numbers = Sequence[float] | np.ndarray


def finite_pairs(x: Numbers, y: Numbers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two inputs as float arrays without the pairs where either is not finite, and the mask
    of the pairs kept (for whatever travels with them, such as clusters)."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"length mismatch: {a.size} vs {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep], keep


def paired_finite(x: Numbers, y: Numbers) -> tuple[np.ndarray, np.ndarray]:
    """The two inputs as float arrays, without the pairs where either is not finite."""
    a, b, _ = finite_pairs(x, y)
    return a, b


def rankdata(a: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    a = np.asarray(a, dtype=float)
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


def pearson_of_finite(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r of two finite arrays of the same length (NaN when undefined)."""
    if a.size < 2:
        return float("nan")
    da = a - a.mean()
    db = b - b.mean()
    den = math.sqrt(float((da * da).sum()) * float((db * db).sum()))
    return float(np.clip(float((da * db).sum()) / den, -1.0, 1.0)) if den > 0 else float("nan")


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


def kendall_of_finite(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Kendall's tau-b of two finite arrays and its two-sided asymptotic p-value."""
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
    tau = con_minus_dis / math.sqrt(float(tot - xtie) * float(tot - ytie))
    tau = float(min(1.0, max(-1.0, tau)))
    m = n * (n - 1.0)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + (2 * xtie * ytie) / m + (x0 * y0 / (9 * m * (n - 2)) if n > 2 else 0.0)
    if var <= 0:
        return tau, float("nan")
    from scipy import stats  # loaded on first use: `import judgekit` stays quick

    return tau, float(2 * stats.norm.sf(abs(con_minus_dis) / math.sqrt(var)))


def pearson_r(x: Numbers, y: Numbers) -> float:
    """Pearson's r over the pairs where both values are finite (NaN when undefined)."""
    return pearson_of_finite(*paired_finite(x, y))


def spearman_rho(x: Numbers, y: Numbers) -> float:
    """Spearman's rho: Pearson's r of the average ranks (NaN when undefined)."""
    a, b = paired_finite(x, y)
    return pearson_of_finite(rankdata(a), rankdata(b))


def kendall_tau(x: Numbers, y: Numbers) -> float:
    """Kendall's tau-b alone (NaN when undefined)."""
    return kendall_of_finite(*paired_finite(x, y))[0]


def kendall_tau_with_p(x: Numbers, y: Numbers) -> tuple[float, float]:
    """Kendall's tau-b and its asymptotic two-sided p-value."""
    return kendall_of_finite(*paired_finite(x, y))


def kendall_tau_rows(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b of each row of X (B x S) with y (S), by the O(S^2) sign matrix."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    y = np.asarray(y, dtype=float)
    iu, ju = np.triu_indices(y.size, 1)
    sy = np.sign(y[iu] - y[ju])
    sx = np.sign(X[:, iu] - X[:, ju])
    num = (sx * sy).sum(axis=1)
    den = np.sqrt((sx != 0).sum(axis=1) * float((sy != 0).sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def spearman_rows(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row of X (B x S) with y (S)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    rx = np.apply_along_axis(rankdata, 1, X) if X.shape[1] else X
    ry = rankdata(np.asarray(y, dtype=float))
    rx = rx - rx.mean(axis=1, keepdims=True)
    ry = ry - ry.mean()
    den = np.sqrt((rx**2).sum(axis=1) * float(ry @ ry))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (rx @ ry) / np.where(den > 0, den, 1), np.nan)
