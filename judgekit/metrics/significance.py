"""Exact tests: the binomial test, a clustered share test, McNemar's exact test of two judges
on the same items, and the adjustment of p-values for multiple comparisons."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..types import Frozen
from .confidence import ArrayLike

# --------------------------------------------------------------------------- exact tests


def binomial_test(k: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact binomial test of ``k`` successes in ``n`` trials against ``p``.

    The p-value sums the probabilities of every outcome no more likely than the observed
    one (with scipy's relative tolerance of 1e-7), the definition ``scipy.stats.binomtest``
    uses. NaN for n = 0.
    """
    from scipy import special

    if n <= 0:
        return float("nan")
    if not 0 <= k <= n:
        raise ValueError(f"k={k} outside [0, {n}]")
    if p in (0.0, 1.0):
        return 1.0 if k == round(n * p) else 0.0
    j = np.arange(n + 1)
    log_pmf = (special.gammaln(n + 1) - special.gammaln(j + 1) - special.gammaln(n - j + 1)
               + j * math.log(p) + (n - j) * math.log1p(-p))
    pmf = np.exp(log_pmf)
    d = pmf[k]
    return float(min(1.0, pmf[pmf <= d * (1 + 1e-7)].sum()))


def clustered_share_test(numerators: ArrayLike, denominators: ArrayLike, p0: float = 0.5) -> float:
    """Two-sided test of a share against ``p0`` when the verdicts come in clusters (both
    orders of a pair): a Wald test with the cluster-robust (sandwich) variance of the ratio
    estimator, ``sum_c (k_c - p n_c)^2 / N^2 * C / (C - 1)``. With one verdict per cluster
    it is the usual z test; use :func:`binomial_test` then for an exact p-value. A share
    with zero variance (every cluster exactly at the estimate) gives 1 when the estimate is
    ``p0`` and 0 otherwise. NaN without data."""
    k = np.asarray(numerators)
    n = np.asarray(denominators)
    keep = n > 0
    k, n = k[keep].astype(float), n[keep].astype(float)  # filtered first: no float copy of the whole
    total = float(n.sum())
    c = int(k.size)
    if total == 0 or c == 0:
        return float("nan")
    p_hat = float(k.sum()) / total
    resid = k - p_hat * n
    var = float(resid @ resid) / total**2 * (c / (c - 1) if c > 1 else 1.0)
    if var <= 0:
        return 1.0 if math.isclose(p_hat, p0, abs_tol=1e-12) else 0.0
    z = abs(p_hat - p0) / math.sqrt(var)
    return float(math.erfc(z / math.sqrt(2.0)))


class McNemarResult(Frozen):
    b: int  # first right, second wrong
    c: int  # first wrong, second right
    n: int  # items compared
    p_value: float  # exact two-sided (binomial on the discordant pairs)


def mcnemar_exact(correct_a: ArrayLike, correct_b: ArrayLike) -> McNemarResult:
    """McNemar's exact test on paired right/wrong outcomes of two judges on the same items.

    p = min(1, 2 * P(Binom(b + c, 1/2) <= min(b, c))), as ``statsmodels``' ``mcnemar(exact=True)``;
    1 when there are no discordant items. Assumes items are independent: pass one row per
    item (a pair's combined verdict), not both orders.
    """
    from scipy import stats

    a = np.asarray(correct_a, dtype=bool)
    b_ = np.asarray(correct_b, dtype=bool)
    if a.shape != b_.shape:
        raise ValueError(f"length mismatch: {a.size} vs {b_.size}")
    b = int(np.sum(a & ~b_))
    c = int(np.sum(~a & b_))
    p = 1.0 if b + c == 0 else float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))
    return McNemarResult(b=b, c=c, n=int(a.size), p_value=p)


AdjustMethod = Literal["holm", "bonferroni", "bh", "none"]


def adjust_pvalues(p_values: ArrayLike, method: AdjustMethod = "holm") -> np.ndarray:
    """Multiple-comparison adjusted p-values: Holm's step-down (family-wise error),
    Bonferroni, or Benjamini-Hochberg (false discovery rate). NaN entries stay NaN and do
    not count as tests."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    order = np.argsort(q, kind="mergesort")
    ranked = q[order]
    if method == "bonferroni":
        adj_sorted = np.minimum(1.0, ranked * m)
    elif method == "holm":
        adj_sorted = np.minimum(1.0, np.maximum.accumulate(ranked * (m - np.arange(m))))
    elif method == "bh":
        adj_sorted = np.minimum(1.0, np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1])
    else:
        raise ValueError(f"unknown adjustment {method!r}; known: holm, bonferroni, bh, none")
    adj = np.empty(m)
    adj[order] = adj_sorted
    out[ok] = adj
    return out


def simultaneous_level(level: float, n_comparisons: int) -> float:
    """The per-interval level that gives ``level`` jointly over ``n_comparisons`` intervals
    (Bonferroni)."""
    return 1.0 - (1.0 - level) / max(1, n_comparisons)
