"""The shared ground of judgekit's uncertainty: the default resamples, level and seed, the
seeded random streams (one per named statistic, so adding a statistic never shifts another's
draws) and the closed-form intervals (percentile, Wilson, Clopper-Pearson, normal).

scipy is imported inside the functions that need it: ``import judgekit`` (and the CLI)
should not pay scipy.stats' import time.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

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
