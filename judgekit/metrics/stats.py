"""Uncertainty and comparison: bootstrap intervals, exact tests, the paired comparison of
two judges, multiple-comparison adjustment (the logistic-regression solver it offers is
:mod:`.logistic`'s).

The bootstrap is the ordinary nonparametric percentile bootstrap that resamples clusters
(examples: both orders of a pair travel together) with replacement, from a seeded numpy
Generator.

Most judge metrics depend on the data only through sums of a few small per-cluster counts
(correct or not, decisive or not, the cells of a confusion matrix). Resampling n clusters
with replacement then picks each *distinct* cluster type a multinomial number of times,
with probabilities equal to the types' observed shares. :func:`bootstrap_sums` draws those
multinomial counts directly: the same bootstrap distribution, exactly, at a cost of
O(B x k) for k distinct types instead of O(B x n). That is what makes 1,000 resamples of a
million judgments take milliseconds. (Only when there are more than 20,000 distinct types,
as with continuous per-unit values over a large sample, are the multinomial counts replaced
by their normal approximation, with the same mean and covariance.) Statistics that do not
reduce to sums (correlations, rankings) resample indices and refit per resample.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from ..types import Frozen
from .interval import Score
from .logistic import LogisticFit as LogisticFit  # re-exported: the fit lives in .logistic
from .logistic import logistic_regression as logistic_regression

if TYPE_CHECKING:
    from scipy import sparse

# scipy is imported inside the functions that need it: ``import judgekit`` (and the CLI)
# should not pay scipy.stats' import time.

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
DEFAULT_SEED = 0

ArrayLike = Sequence[float] | Sequence[int] | Sequence[bool] | np.ndarray


def finite_or_none(x: float | np.floating | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- random streams


def _key_int(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")


def rng_for(seed: int, *key: str) -> np.random.Generator:
    """An independent Generator for one named quantity under one seed.

    Each metric draws from its own stream (``rng_for(seed, "accuracy", "judgebench", "math")``),
    so adding or removing a metric never changes another metric's interval.
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), *(_key_int(k) for k in key)]))


# --------------------------------------------------------------------------- intervals


def percentile_interval(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[float | None, float | None]:
    """The percentile interval of bootstrap replicates; non-finite replicates (a resample on
    which the statistic is undefined) are left out. (None, None) when none is finite."""
    s = np.asarray(samples, dtype=float).ravel()
    s = s[np.isfinite(s)]
    if s.size == 0:
        return None, None
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(s, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def wilson_interval(k: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float | None, float | None]:
    """Wilson score interval for a binomial proportion (no continuity correction)."""
    from scipy import stats

    if n <= 0:
        return None, None
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = k / n
    denom = 1.0 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def clopper_pearson_interval(k: int, n: int, level: float = DEFAULT_LEVEL) -> tuple[float | None, float | None]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    from scipy import stats

    if n <= 0:
        return None, None
    alpha = 1.0 - level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def normal_interval(value: float, se: float, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return value - z * se, value + z * se


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
    k = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
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


# --------------------------------------------------------------------------- bootstrap machinery


def cluster_sums(cluster: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per-cluster column sums of ``rows`` (n x d) for integer cluster codes 0..m-1."""
    cluster = np.asarray(cluster, dtype=np.int64)
    rows = np.asarray(rows)
    if rows.ndim == 1:
        rows = rows[:, None]
    m = int(cluster.max()) + 1 if cluster.size else 0
    out = np.empty((m, rows.shape[1]), dtype=float)
    for j in range(rows.shape[1]):
        out[:, j] = np.bincount(cluster, weights=rows[:, j], minlength=m)
    if np.issubdtype(rows.dtype, np.integer) or rows.dtype == bool:
        return out.astype(np.int64)
    return out


def compress_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``rows`` (n x d) and how often each occurs."""
    rows = np.asarray(rows)
    if rows.ndim == 1:
        rows = rows[:, None]
    n, d = rows.shape
    if n == 0:
        return rows[:0], np.zeros(0, dtype=np.int64)
    if np.issubdtype(rows.dtype, np.floating) and np.all(np.isfinite(rows)) and np.all(rows == np.rint(rows)) \
            and float(np.abs(rows).max()) < 2.0**53:
        types, counts = compress_rows(rows.astype(np.int64))
        return types.astype(rows.dtype), counts
    if np.issubdtype(rows.dtype, np.integer) or rows.dtype == bool:
        r = rows.astype(np.int64)
        lo = r.min(axis=0)
        span = r.max(axis=0) - lo + 1
        total = float(np.prod(span.astype(float)))
        if total < 2.0**62:
            key = np.zeros(n, dtype=np.int64)
            for j in range(d):
                key = key * span[j] + (r[:, j] - lo[j])
            if total <= max(1 << 16, 2 * n):  # few possible rows: count them without sorting
                cnt = np.bincount(key, minlength=int(total))
                present = np.flatnonzero(cnt)
                types = np.empty((present.size, d), dtype=np.int64)
                rest = present.copy()
                for j in range(d - 1, -1, -1):
                    types[:, j] = rest % span[j] + lo[j]
                    rest //= span[j]
                return types.astype(rows.dtype), cnt[present]
            _, first, counts = np.unique(key, return_index=True, return_counts=True)
            return rows[first], counts
    types, counts = np.unique(rows, axis=0, return_counts=True)
    return types, counts


T = TypeVar("T")

PARALLEL_MIN_DRAWS = 1 << 21  # below this many multinomial cells a single thread is faster


def workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def map_resample_chunks(fn: Callable[[np.random.Generator, int], T], n_resamples: int, rng: np.random.Generator,
                        chunk: int, parallel: bool) -> list[T]:
    """Split ``n_resamples`` into chunks of ``chunk`` and run ``fn(generator, size)`` on each.

    With ``parallel``, every chunk gets its own child Generator (``rng.spawn``) and the
    chunks run on a thread pool (numpy's samplers and linear algebra release the GIL); the
    result depends only on the seed and the chunking, not on thread timing. Otherwise one
    chunk draws everything from ``rng`` itself.
    """
    if not parallel or n_resamples <= chunk:
        return [fn(rng, n_resamples)]
    sizes = [min(chunk, n_resamples - s) for s in range(0, n_resamples, chunk)]
    children = rng.spawn(len(sizes))
    with ThreadPoolExecutor(max_workers=workers()) as pool:
        return list(pool.map(fn, children, sizes))


EXACT_MAX_TYPES = 20_000  # above this many distinct unit types, the normal approximation


def bootstrap_sums(types: np.ndarray | sparse.spmatrix | sparse.sparray, counts: np.ndarray, n_resamples: int,
                   rng: np.random.Generator, *, max_cells: int = 1 << 23,
                   exact_max_types: int = EXACT_MAX_TYPES) -> np.ndarray:
    """Column sums of ``n_resamples`` bootstrap resamples of the units described by
    ``types`` (k x d distinct unit vectors, dense or sparse) and ``counts`` (how many units
    of each type).

    Each resample draws n = counts.sum() units with replacement; the number of draws of each
    type is Multinomial(n, counts / n), so the sums are ``W @ types``. Returns B x d floats.

    With more than ``exact_max_types`` distinct types (continuous per-unit values over a
    large sample: say p(A) on half a million pairs) and few columns, the sums are drawn
    from their normal approximation instead: a sum of n independent draws of a unit vector,
    with exactly the resampled sums' mean ``n * mu`` and covariance ``n * Cov(unit)``. At
    that size the central limit theorem makes the two indistinguishable, and it costs
    O(k d^2) instead of O(B k).
    """
    counts = np.asarray(counts, dtype=np.int64)
    is_sparse = not isinstance(types, np.ndarray) and hasattr(types, "tocsr")
    if not is_sparse:
        types = np.asarray(types, dtype=float)
        if types.ndim == 1:
            types = types[:, None]
    k, d = types.shape
    n = int(counts.sum())
    if n == 0 or n_resamples == 0:
        return np.zeros((n_resamples, d))
    if k == 1:
        row = np.asarray(types[[0]].todense()).ravel() if is_sparse else types[0]  # type: ignore[union-attr]
        return np.tile(n * row, (n_resamples, 1))
    p = counts / n
    if k > exact_max_types and d <= 512:
        if is_sparse:
            mu = np.asarray(types.T @ p).ravel()
            second = np.asarray((types.T @ types.multiply(p[:, None])).todense())  # type: ignore[union-attr]
        else:
            mu = p @ types
            second = (types * p[:, None]).T @ types
        cov = second - np.outer(mu, mu)
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        z = rng.standard_normal((n_resamples, d))
        return n * mu + math.sqrt(n) * z @ root.T

    def draw(g: np.random.Generator, size: int) -> np.ndarray:
        w = g.multinomial(n, p, size=size)
        return np.asarray((types.T @ w.T).T) if is_sparse else w @ types

    chunk = max(1, min(n_resamples, max_cells // k, 128 if k * n_resamples >= PARALLEL_MIN_DRAWS else n_resamples))
    parts = map_resample_chunks(draw, n_resamples, rng, chunk, parallel=k * n_resamples >= PARALLEL_MIN_DRAWS)
    return np.vstack(parts)


@dataclass(frozen=True)
class BootstrapResult:
    value: float
    low: float | None
    high: float | None
    level: float
    samples: np.ndarray  # the B replicate values

    def estimate(self, n: int, scale: float = 1.0, method: str = "percentile-bootstrap") -> Score:
        def sc(x: float | None) -> float | None:
            return None if x is None else x * scale

        return Score(value=finite_or_none(self.value * scale), n=n, ci_low=sc(self.low), ci_high=sc(self.high),
                        ci_level=self.level, method=method)


SumStatistic = Callable[[np.ndarray], np.ndarray]


def bootstrap_from_types(types: np.ndarray, counts: np.ndarray, statistic: SumStatistic, *,
                         n_resamples: int = DEFAULT_RESAMPLES, rng: np.random.Generator,
                         level: float = DEFAULT_LEVEL) -> BootstrapResult:
    """Percentile bootstrap of ``statistic``, a vectorised function of column sums
    (B x d -> B), over units given as distinct types and their counts."""
    types = np.asarray(types, dtype=float)
    if types.ndim == 1:
        types = types[:, None]
    total = (np.asarray(counts, dtype=float)[:, None] * types).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(statistic(total[None, :])[0])
        samples = np.asarray(statistic(bootstrap_sums(types, counts, n_resamples, rng)), dtype=float)
    low, high = percentile_interval(samples, level) if n_resamples else (None, None)
    return BootstrapResult(value=value, low=low, high=high, level=level, samples=samples)


def bootstrap_rows(rows: np.ndarray, statistic: SumStatistic, *, cluster: np.ndarray | None = None,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = DEFAULT_SEED,
                   level: float = DEFAULT_LEVEL) -> BootstrapResult:
    """Percentile bootstrap of a statistic of column sums of ``rows`` (n x d), resampling
    clusters when ``cluster`` (integer codes, one per row) is given, else rows."""
    rows = np.asarray(rows)
    if rows.ndim == 1:
        rows = rows[:, None]
    units = cluster_sums(cluster, rows) if cluster is not None else rows
    types, counts = compress_rows(units)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return bootstrap_from_types(types, counts, statistic, n_resamples=n_resamples, rng=rng, level=level)


def ratio(sums: np.ndarray) -> np.ndarray:
    """Column 0 over column 1 (NaN where column 1 is 0): the statistic of most shares."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sums[:, 1] > 0, sums[:, 0] / np.where(sums[:, 1] > 0, sums[:, 1], 1), np.nan)


def bootstrap_share(flags: ArrayLike, *, cluster: np.ndarray | None = None, valid: ArrayLike | None = None,
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = DEFAULT_SEED,
                    level: float = DEFAULT_LEVEL) -> BootstrapResult:
    """Bootstrap interval of the share of true ``flags`` among ``valid`` rows (all rows by
    default), resampling clusters when given."""
    f = np.asarray(flags, dtype=np.int64)
    v = np.ones_like(f) if valid is None else np.asarray(valid, dtype=np.int64)
    return bootstrap_rows(np.column_stack([f * v, v]), ratio, cluster=cluster, n_resamples=n_resamples,
                          seed=seed, level=level)


def resample_indices(n_units: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """B x n indices of units drawn with replacement (for statistics that need refitting)."""
    return rng.integers(0, n_units, size=(n_resamples, n_units))


def factorize(values: Sequence[object] | np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Integer codes (in first-seen order) and the distinct values."""
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    distinct = list(dict.fromkeys(seq))
    index = {v: i for i, v in enumerate(distinct)}
    codes = np.fromiter(map(index.__getitem__, seq), dtype=np.int64, count=len(seq))
    return codes, distinct


# --------------------------------------------------------------------------- paired comparison


class PairedComparison(Frozen):
    """Two judges on the same items: accuracy of each, their difference (first minus second)
    with a paired bootstrap interval, and McNemar's exact test."""

    n: int
    accuracy_a: float | None
    accuracy_b: float | None
    difference: Score
    bootstrap_p: float | None  # two-sided: 2 * min(P*(diff <= 0), P*(diff >= 0))
    mcnemar: McNemarResult
    p_adjusted: float | None = None  # set by compare_by_category


def compare_judges(correct_a: ArrayLike, correct_b: ArrayLike, *, cluster: np.ndarray | None = None,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = DEFAULT_SEED,
                   level: float = DEFAULT_LEVEL) -> PairedComparison:
    """Paired comparison of two judges' right/wrong outcomes on the same rows.

    The bootstrap resamples items (clusters when given) and keeps each item's two outcomes
    together, so the interval of the difference accounts for their correlation. McNemar's
    test runs on the rows as given: pass one row per item for it to be valid.
    """
    a = np.asarray(correct_a, dtype=np.int64)
    b = np.asarray(correct_b, dtype=np.int64)
    if a.shape != b.shape:
        raise ValueError(f"length mismatch: {a.size} vs {b.size}")
    rows = np.column_stack([a, b, np.ones_like(a)])

    def diff(s: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (s[:, 0] - s[:, 1]) / s[:, 2]

    res = bootstrap_rows(rows, diff, cluster=cluster, n_resamples=n_resamples, seed=seed, level=level)
    s = res.samples[np.isfinite(res.samples)]
    p_boot = float(min(1.0, 2 * min(np.mean(s <= 0), np.mean(s >= 0)))) if s.size else None
    n = int(a.size)
    return PairedComparison(
        n=n, accuracy_a=float(a.mean()) if n else None, accuracy_b=float(b.mean()) if n else None,
        difference=res.estimate(n), bootstrap_p=p_boot, mcnemar=mcnemar_exact(a, b))


def compare_by_category(correct_a: ArrayLike, correct_b: ArrayLike, category: Sequence[str], *,
                        cluster: np.ndarray | None = None, adjust: AdjustMethod = "holm",
                        n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                        level: float = DEFAULT_LEVEL, simultaneous: bool = True) -> dict[str, PairedComparison]:
    """:func:`compare_judges` per category, with McNemar p-values adjusted across the
    categories (Holm by default) and, when ``simultaneous``, Bonferroni-widened intervals so
    that all categories' intervals hold jointly at ``level``."""
    a = np.asarray(correct_a)
    b = np.asarray(correct_b)
    cat = np.asarray(category, dtype=object)
    cl = None if cluster is None else np.asarray(cluster)
    names = sorted(set(cat.tolist()))
    lvl = simultaneous_level(level, len(names)) if simultaneous else level
    out: dict[str, PairedComparison] = {}
    for name in names:
        m = cat == name
        sub_cluster = None if cl is None else factorize(cl[m].tolist())[0]
        out[name] = compare_judges(a[m], b[m], cluster=sub_cluster, n_resamples=n_resamples,
                                   seed=rng_for(seed, "compare", name), level=lvl)
    adjusted = adjust_pvalues([c.mcnemar.p_value for c in out.values()], adjust)
    return {k: v.model_copy(update={"p_adjusted": float(p)}) for (k, v), p in zip(out.items(), adjusted, strict=True)}
