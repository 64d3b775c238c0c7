"""Uncertainty and comparison: bootstrap intervals, exact tests, the paired comparison of
two judges, multiple-comparison adjustment and the logistic fit, under the names callers
have always imported from here. Each is computed in a module of its own:
:mod:`.confidence` (defaults, seeded streams, closed-form intervals), :mod:`.bootstrap`,
:mod:`.significance` (exact tests, p-value adjustment), :mod:`.paired` (two judges
compared) and :mod:`.logistic`.

How the bootstrap draws its resamples (exactly, over the distinct kinds of cluster) is told
in :mod:`.bootstrap`.
"""

from __future__ import annotations

# The names this module has always offered, from the modules that compute them.
from .bootstrap import (
    EXACT_MAX_TYPES,
    PARALLEL_MIN_DRAWS,
    BootstrapResult,
    SumStatistic,
    bootstrap_from_types,
    bootstrap_rows,
    bootstrap_share,
    bootstrap_sums,
    cluster_sums,
    compress_rows,
    factorize,
    map_resample_chunks,
    ratio,
    resample_indices,
    workers,
)
from .confidence import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    ArrayLike,
    clopper_pearson_interval,
    finite_or_none,
    normal_interval,
    percentile_interval,
    rng_for,
    wilson_interval,
)
from .logistic import LogisticFit, logistic_regression
from .paired import PairedComparison, compare_by_category, compare_judges
from .significance import (
    AdjustMethod,
    McNemarResult,
    adjust_pvalues,
    binomial_test,
    clustered_share_test,
    mcnemar_exact,
    simultaneous_level,
)

__all__ = [
    "DEFAULT_LEVEL", "DEFAULT_RESAMPLES", "DEFAULT_SEED", "EXACT_MAX_TYPES", "PARALLEL_MIN_DRAWS", "AdjustMethod",
    "ArrayLike", "BootstrapResult", "LogisticFit", "McNemarResult", "PairedComparison", "SumStatistic",
    "adjust_pvalues", "binomial_test", "bootstrap_from_types", "bootstrap_rows", "bootstrap_share", "bootstrap_sums",
    "clopper_pearson_interval", "cluster_sums", "clustered_share_test", "compare_by_category", "compare_judges",
    "compress_rows", "factorize", "finite_or_none", "logistic_regression", "map_resample_chunks", "mcnemar_exact",
    "normal_interval", "percentile_interval", "ratio", "resample_indices", "rng_for", "simultaneous_level",
    "wilson_interval", "workers",
]
