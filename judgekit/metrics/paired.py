"""The paired comparison of two judges on the same items: the difference in accuracy with a
clustered bootstrap interval and McNemar's exact test, overall and per category (with
adjusted p-values)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..types import Frozen
from .bootstrap import bootstrap_rows, factorize
from .confidence import DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, ArrayLike, rng_for
from .interval import Score
from .significance import AdjustMethod, McNemarResult, adjust_pvalues, mcnemar_exact, simultaneous_level

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
