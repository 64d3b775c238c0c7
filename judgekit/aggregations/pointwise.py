"""Pointwise grading (Prometheus' Feedback-Bench style): correlations and agreement with gold grades."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import SerializerFunctionWrapHandler, model_serializer

from ..metrics.correlation import kendall_tau, pearson_r, rankdata, spearman_rho
from ..metrics.interval import Score
from ..metrics.registry import Figure, omit_empty
from ..protocols import by_category, by_example
from ..types import Frozen, Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    rate,
    ratio,
    register,
)

# Pearson, Spearman (with its average ranks) and Kendall's tau-b: the one implementation in
# metrics/correlation.py, under the names this module has always offered.
ranks = rankdata
pearson = pearson_r
spearman = spearman_rho
kendall_tau_b = kendall_tau


class PointwiseMetrics(Frozen):
    n_examples: int
    n_judgments: int
    n_invalid: int
    n_failed: int
    pearson: Score
    spearman: Score
    kendall_tau: Score
    exact: Score
    within_one: Score
    mean_abs_error: Score
    invalid_rate: Score
    registered: dict[str, Figure] = {}  # the registered metrics (judgekit.metrics.registry); omitted when none

    @model_serializer(mode="wrap")
    def _omit_no_registered(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_empty(handler(self), "registered")


def pointwise_metrics(rows: Iterable[Judgment]) -> PointwiseMetrics:
    """Agreement of the judge's grades with the gold grades: Pearson, Spearman and Kendall's tau-b
    over the examples with a grade, exact and within-one agreement and the mean absolute error.
    Exact and within-one count an unread grade as a miss (over every labelled example); the
    correlations use the graded examples only (their n says how many)."""
    rows = list(rows)
    first = [js[0] for js in by_example(rows).values()]
    labelled = [j for j in first if j.gold_score is not None]
    graded = [j for j in labelled if j.status == "ok" and j.score is not None]
    judge = [float(j.score) for j in graded if j.score is not None]
    gold = [float(j.gold_score) for j in graded if j.gold_score is not None]
    n = len(graded)
    ok = [j for j in rows if j.status == "ok"]
    n_invalid = sum(j.score is None for j in ok)
    exact = [j in graded and j.score == j.gold_score for j in labelled]
    within = [j in graded and abs(float(j.score or 0) - float(j.gold_score or 0)) <= 1.0 for j in labelled]
    mae = float(np.mean(np.abs(np.asarray(judge) - np.asarray(gold)))) if n else math.nan
    return PointwiseMetrics(
        n_examples=len(first), n_judgments=len(rows), n_invalid=n_invalid, n_failed=len(rows) - len(ok),
        pearson=ratio(pearson(judge, gold), n), spearman=ratio(spearman(judge, gold), n),
        kendall_tau=ratio(kendall_tau_b(judge, gold), n),
        exact=rate(exact), within_one=rate(within),
        mean_abs_error=ratio(mae, n, higher_is_better=False),
        invalid_rate=Score(value=100.0 * n_invalid / len(ok) if ok else None, n=len(ok), count=n_invalid,
                           higher_is_better=False))


@register("pointwise")
def pointwise(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Pointwise grading (Prometheus' Feedback-Bench style): correlations with the gold grades,
    exact and within-one agreement, overall and per category."""
    cols = ("pearson", "spearman", "kendall_tau", "exact", "within_one", "mean_abs_error")

    def figures(group: Sequence[Judgment]) -> dict[str, Score]:
        m = pointwise_metrics(group)
        return {c: getattr(m, c) for c in cols}

    table = by_category(figures)(rows)
    overall = pointwise_metrics(rows)
    return SuiteReport(aggregation="pointwise", headline_name="Pearson correlation with gold",
                       headline=overall.pearson,
                       tables=(ReportTable(title="agreement with gold grades", columns=cols, rows=table),),
                       counts={"judgments": overall.n_judgments, "invalid": overall.n_invalid,
                               "failed": overall.n_failed})
