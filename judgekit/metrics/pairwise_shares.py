"""The interval machinery of the pairwise report: a share from per-example
[numerator, denominator] counts with its exact type-count bootstrap interval (each number on
its own seeded stream), its p-value against 0.5, and the counting helpers behind them."""

from __future__ import annotations

import math

import numpy as np

from .interval import Score
from .stats import (
    binomial_test,
    bootstrap_from_types,
    clustered_share_test,
    ratio,
    rng_for,
)


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else x


def _share_p(units: np.ndarray) -> float | None:
    """p-value of a share against 0.5 from per-example [numerator, denominator] rows: exact
    binomial when no example has more than one verdict, else cluster-robust (the two orders
    of a pair are not independent verdicts)."""
    has = units[:, 1] > 0
    if not has.any():
        return None
    if int(units[:, 1].max()) <= 1:
        return _nan_to_none(binomial_test(int(units[has, 0].sum()), int(units[has, 1].sum())))
    return _nan_to_none(clustered_share_test(units[:, 0], units[:, 1]))  # it leaves out n = 0 itself


class _Ctx:
    """What every metric of one report shares: the seed, the resample count, the level."""

    def __init__(self, n_resamples: int, seed: int, level: float) -> None:
        self.n_resamples, self.seed, self.level = n_resamples, seed, level

    def share(self, units: np.ndarray, key: tuple[str, ...], *, percent: bool = True,
              higher_is_better: bool | None = True, n: int | None = None, count: int | None = None,
              n_invalid: int | None = None, p_value: float | None = None) -> Score:
        """A share from per-unit [numerator, denominator] rows, with its bootstrap interval."""
        types, counts = _type_counts(np.asarray(units, dtype=np.int64).reshape(-1, 2))
        return self.share_of_types(types, counts[0], key, percent=percent, higher_is_better=higher_is_better, n=n,
                                   count=count, n_invalid=n_invalid, p_value=p_value)

    def share_of_types(self, types: np.ndarray, counts: np.ndarray, key: tuple[str, ...], *, percent: bool = True,
                       higher_is_better: bool | None = True, n: int | None = None, count: int | None = None,
                       n_invalid: int | None = None, p_value: float | None = None) -> Score:
        keep = counts > 0
        types, counts = types[keep], counts[keep]
        num, den = int(counts @ types[:, 0]), int(counts @ types[:, 1])
        scale = 100.0 if percent else 1.0
        value = scale * (num / den) if den else None
        lo = hi = None
        if den and self.n_resamples:
            res = bootstrap_from_types(types, counts, ratio, n_resamples=self.n_resamples,
                                       rng=rng_for(self.seed, *key), level=self.level)
            lo = None if res.low is None else scale * res.low
            hi = None if res.high is None else scale * res.high
        return Score(value=value, n=den if n is None else n, count=num if count is None else count,
                     higher_is_better=higher_is_better, ci_low=lo, ci_high=hi,
                     ci_level=self.level if lo is not None else None, n_invalid=n_invalid, p_value=p_value)


def _unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for non-negative integer keys, by counting
    when their range is small (it is for verdict tuples and confusion cells)."""
    if keys.size and int(keys.min()) >= 0 and int(keys.max()) < max(1 << 20, 4 * keys.size):
        present = np.flatnonzero(np.bincount(keys))
        lookup = np.empty(int(present[-1]) + 1, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return present, lookup[keys]
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, inv.ravel()


def _first_per_group(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and the index of each one's first occurrence."""
    if sorted_groups.size == 0:
        return sorted_groups, np.zeros(0, dtype=np.int64)
    first = np.concatenate([[True], sorted_groups[1:] != sorted_groups[:-1]])
    idx = np.flatnonzero(first)
    return sorted_groups[idx], idx


def _type_counts(units: np.ndarray, cat: np.ndarray | None = None, n_cat: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The possible [numerator, denominator] unit types and how many units of each there are,
    overall (row 0 when ``cat`` is None) or per category (row c + 1 for category c, row 0 for
    none): one bincount, no sorting."""
    num = units[:, 0]
    den = units[:, 1]
    big_n = int(num.max()) + 1 if num.size else 1
    big_d = int(den.max()) + 1 if den.size else 1
    width = big_n * big_d
    key = num * big_d + den
    if cat is None:
        counts = np.bincount(key, minlength=width)[None, :]
    else:
        counts = np.bincount((cat + 1) * width + key, minlength=(n_cat + 1) * width).reshape(n_cat + 1, width)
    grid = np.arange(width)
    return np.column_stack([grid // big_d, grid % big_d]), counts
