"""Each suite's published aggregation: the numbers a benchmark's own paper or leaderboard
reports, computed from judgekit's judgment rows.

Every aggregation is a pure function ``(rows, args) -> SuiteReport`` over the stored
judgments (one row per example and order, un-swapped into the example's own frame) and the
arguments the suite's YAML gives it. Facts about an example that a rule needs beyond its
label and category (an RM-Bench pair's styles, MT-Bench's turn and human votes) travel in
``Judgment.meta``. An invalid verdict or a failed request is never dropped: it is a verdict
that agrees with nothing, and each report counts them.

Rates are in percent; kappa and correlations are ratios.

One module per published aggregation in this package (``rewardbench.py``, ``llmbar.py``, ...),
each registering its function with ``@register("name")`` from :mod:`._common`. The registry finds
them by importing every module of the package (pkgutil) the first time a name is looked up, so a
new aggregation is one new file here and no other edit. The names below stay importable from
``judgekit.aggregations`` for the modules that used them before the split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..protocols import by_example
from ..types import Judgment
from ._common import (
    LLMBAR_STRICT,
    Aggregation,
    ReportTable,
    SuiteReport,
    _subset,
    _verdict,
    aggregations,
    agree,
    both_orders,
    correct,
    invalid_counts,
    mean_of,
    rate,
    ratio,
    register,
    same_verdict,
)
from .mtbench_agreement import agreement_with_votes, conservative, human_votes
from .pointwise import PointwiseMetrics, kendall_tau_b, pearson, pointwise_metrics, ranks, spearman
from .rmbench import hard_normal_easy, rmbench_cell, style_matrix
from .three_way import CLASSES, STRICT_TITLE, macro_prf


def aggregate(name: str, rows: Iterable[Judgment], args: Mapping[str, Any] | None = None) -> SuiteReport:
    """Run the named aggregation over judgment rows."""
    from .. import rankings  # noqa: F401 - the systems suites' leaderboards register from their own module
    return aggregations.get(name)(list(rows), dict(args or {}))


__all__ = ["CLASSES", "LLMBAR_STRICT", "STRICT_TITLE", "Aggregation", "PointwiseMetrics", "ReportTable", "SuiteReport",
           "_subset", "_verdict", "aggregate", "aggregations", "agree", "agreement_with_votes", "both_orders",
           "by_example", "conservative", "correct", "hard_normal_easy", "human_votes", "invalid_counts",
           "kendall_tau_b", "macro_prf", "mean_of", "pearson", "pointwise_metrics", "ranks", "rate", "ratio",
           "register", "rmbench_cell", "same_verdict", "spearman", "style_matrix"]
