"""The bootstrap is the ordinary nonparametric percentile bootstrap that resamples clusters
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

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .confidence import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    ArrayLike,
    finite_or_none,
    percentile_interval,
)
from .interval import Score

if TYPE_CHECKING:
    from scipy import sparse

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
