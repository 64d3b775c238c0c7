"""Stored judgments -> metrics -> the suite's published aggregation -> the metrics document.

The one scoring path: the runner scores a finished run with it, ``judgekit score`` and the
importers rescore with it, and the leaderboard, report and validate read runs through it
(none of them imports the runner, so none of them loads a backend or the cache).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .aggregations import PointwiseMetrics, SuiteReport, aggregate, by_example, pointwise_metrics
from .bulk import paused_gc
from .column_aggregations import aggregate_columns
from .columns import JudgmentColumns, Rows, as_judgments, read_columns
from .errors import ConfigError
from .headline_sums import (
    HEADLINE_SUMS,
    HEADLINE_SUMS_COLUMNS,
    relabeler,
    resample_groups,
    resampled_counts,
    resampled_sums,
)
from .manifest import RunManifest, require_manifest
from .metrics.interval import Score
from .metrics.pairwise import PairwiseMetrics, pairwise_metrics, pairwise_metrics_from_arrays
from .metrics.registry import MetricInput, computed_metrics, registered_figures
from .metrics.stats import DEFAULT_LEVEL, percentile_interval, resample_indices, rng_for
from .protocols import combine, win_credit
from .store import JUDGMENTS, RunStore
from .types import Judgment, Winner

Metrics = PairwiseMetrics | PointwiseMetrics

__all__ = ["HEADLINE_RESAMPLES", "Metrics", "applicable_policies", "by_example", "combined_verdict", "headline",
           "headline_and_categories", "headline_interval", "headline_replicates", "headline_replicates_loop",
           "metrics_document", "rescore", "score", "score_rows", "suite_report",
           "win_credit"]


@paused_gc
def score_rows(rows: Rows | Iterable[Judgment], manifest: RunManifest) -> Metrics:
    """The run's metrics: pointwise, or the pairwise report under the manifest's headline policy
    (from the columns' arrays when ``rows`` are :class:`judgekit.columns.JudgmentColumns`), with the
    metrics declared in judgekit.metrics.registry that apply to this run."""
    if not isinstance(rows, (JudgmentColumns, list)):
        rows = list(rows)
    metrics: Metrics
    policy, order = manifest.protocol.headline_policy, manifest.protocol.category_order
    if manifest.kind == "pointwise":
        metrics = pointwise_metrics(as_judgments(rows))
    elif isinstance(rows, JudgmentColumns):
        metrics = pairwise_metrics_from_arrays(rows.pairwise_arrays(), headline_policy=policy, category_order=order)
    else:
        metrics = pairwise_metrics(rows, headline_policy=policy, category_order=order)
    inp = MetricInput(kind=manifest.kind, suite=manifest.suite.name,
                      aggregation=manifest.aggregation.name if manifest.aggregation else None)
    if not computed_metrics(inp):
        return metrics  # only the built-ins, read off the metrics: no records needed
    figures = registered_figures(as_judgments(rows), inp, order)
    return metrics.model_copy(update={"registered": figures}) if figures else metrics


@paused_gc
def suite_report(rows: Rows | Iterable[Judgment], manifest: RunManifest) -> SuiteReport | None:
    """The suite's published aggregation, as the manifest records it (None for suites without one)."""
    spec = manifest.aggregation
    if spec is None:
        return None
    if isinstance(rows, JudgmentColumns):
        return aggregate_columns(spec.name, rows, spec.args)
    return aggregate(spec.name, rows, spec.args)


def metrics_document(manifest: RunManifest, metrics: Metrics, n_rows: int,
                     report: SuiteReport | None = None) -> dict[str, Any]:
    """metrics.json: the run's identity, every metric and the suite report."""
    extra = {"suite_report": report.model_dump(mode="json")} if report is not None else {}
    if isinstance(metrics, PairwiseMetrics) or report is not None:
        name, score = headline(metrics, report)
        extra["headline"] = {"name": name, **score.model_dump(mode="json")}
    return {
        "run_id": manifest.run_id,
        "suite": manifest.suite.name,
        "split": manifest.suite.split,
        "judge": manifest.judge.display_name,
        "template": manifest.to_json()["template"],
        "n_requests": manifest.n_requests,
        "complete": n_rows == manifest.n_requests and metrics.n_failed == 0,
        **({"kind": "pointwise"} if isinstance(metrics, PointwiseMetrics) else {}),
        **metrics.model_dump(mode="json"),
        **extra,
    }


def score_run(run_dir: str | Path, write: bool = True, rows: JudgmentColumns | None = None
              ) -> tuple[Metrics, SuiteReport | None]:
    """A stored run's metrics and suite report from its judgments (rewriting metrics.json when
    ``write``); ``rows``: the columns of its judgments.jsonl when the caller has them already
    (the runner's, taken as it wrote the rows), else the file is read."""
    manifest = require_manifest(run_dir)
    if rows is None:
        rows = read_columns(Path(run_dir) / JUDGMENTS)
    metrics = score_rows(rows, manifest)
    report = suite_report(rows, manifest)
    if write:
        RunStore(run_dir).write_metrics(metrics_document(manifest, metrics, len(rows), report))
    return metrics, report


def rescore(run_dir: str | Path) -> tuple[Metrics, SuiteReport | None]:
    """Recompute a run's metrics and suite report from its stored judgments (rewriting metrics.json)."""
    return score_run(run_dir)


def score(run_dir: str | Path) -> Metrics:
    """Recompute a run's metrics from its stored judgments (and rewrite metrics.json)."""
    return score_run(run_dir)[0]


# --------------------------------------------------------------------------- shared rules


def verdicts(js: Sequence[Judgment]) -> list[Winner]:
    """The un-swapped verdicts of an example's judgments; a failed request is an invalid verdict."""
    return [j.winner if j.status == "ok" else "invalid" for j in js]


def combined_verdict(js: Sequence[Judgment], policy: str) -> Winner:
    """One example's verdict under a conflict policy (its judgments grouped by :func:`by_example`)."""
    return combine(policy, verdicts(js))


def preference(j: Judgment) -> float:
    """AlpacaEval's preference for one judgment (1 = response A better, 2 = response B, 1.5 a draw;
    NaN for an invalid or failed verdict): 1 + the verdict's credit for B."""
    credit = win_credit(j.winner, j.p_a) if j.status == "ok" else None
    return np.nan if credit is None else 1.0 + credit


# --------------------------------------------------------------------------- headlines


def headline_and_categories(metrics: Metrics, report: SuiteReport | None
                            ) -> tuple[str, Score, dict[str, Score], dict[str, Score]]:
    """The suite's headline, its per-category scores and the other figures of its row: the
    published aggregation's headline (with the rows of the table it comes from, in the same
    column, and the other columns of its own row) when the suite has one, else the pairwise
    report's headline-policy accuracy and its categories."""
    if report is not None:
        for table in report.tables:
            for row_name, row in table.rows.items():
                for column, value in row.items():
                    if value == report.headline:
                        cats = {name: r[column] for name, r in table.rows.items()
                                if name != row_name and column in r}
                        extra = {c: s for c, s in row.items() if c != column}
                        return report.headline_name, report.headline, cats, extra
        return report.headline_name, report.headline, {}, {}
    if isinstance(metrics, PairwiseMetrics):
        acc = metrics.accuracy[metrics.headline_policy]
        return f"accuracy ({metrics.headline_policy} policy)", acc.overall, dict(acc.categories), {}
    raise ConfigError("this run's suite has neither a published aggregation nor a pairwise headline")


def headline(metrics: Metrics, report: SuiteReport | None) -> tuple[str, Score]:
    """The one headline of a run, named by the suite's own rule: its published aggregation's when
    it has one, else the accuracy under its headline policy (JudgeBench's two-order vote). The
    terminal, the summary, metrics.json, the leaderboard and the report all show this one."""
    name, score, _, _ = headline_and_categories(metrics, report)
    return name, score


def applicable_policies(metrics: PairwiseMetrics, report: SuiteReport | None = None) -> list[str]:
    """The conflict policies worth showing for a run, the headline policy first when it is the
    suite's headline: every policy but "first" needs both orders (a single-order run or import
    shows "first" alone), and "judgebench" is JudgeBench's own rule, shown only where it is the
    suite's headline policy."""
    two_orders = metrics.swap_consistency is not None and metrics.swap_consistency.n > 0
    head = metrics.headline_policy if report is None else None
    out = [head] if head is not None and head in metrics.accuracy else []
    for policy in metrics.accuracy:
        if policy == head or (policy != "first" and not two_orders):
            continue
        if policy == "judgebench" and metrics.headline_policy != "judgebench":
            continue
        out.append(policy)
    return out


HEADLINE_RESAMPLES = 200  # the leaderboard's resamples of a published aggregation's headline


@paused_gc
def headline_interval(rows: Rows, manifest: RunManifest,
                      n_resamples: int = HEADLINE_RESAMPLES, seed: int = 0,
                      report: SuiteReport | None = None) -> Score | None:
    """The published aggregation's headline with a percentile-bootstrap interval: examples (all
    their orders together) resampled with replacement and the headline recomputed on each
    resample (:func:`headline_replicates`). None when the run has no aggregation or no headline.
    ``report``: the rows' suite report, when the caller has it already."""
    report = report if report is not None else suite_report(rows, manifest)
    spec = manifest.aggregation
    if spec is None or report is None or report.headline.value is None or not n_resamples:
        return None
    values = headline_replicates(rows, spec.name, spec.args, n_resamples, seed)
    low, high = percentile_interval(values, DEFAULT_LEVEL)
    return report.headline.model_copy(update={"ci_low": low, "ci_high": high,
                                              "ci_level": DEFAULT_LEVEL if low is not None else None})


def headline_replicates(rows: Rows, aggregation: str, args: Mapping[str, Any],
                        n_resamples: int = HEADLINE_RESAMPLES, seed: int = 0) -> np.ndarray:
    """The aggregation's headline on each of ``n_resamples`` bootstrap resamples of the examples
    (NaN where it is undefined). Vectorised (:mod:`judgekit.headline_sums`: the headline as a
    function of per-example sums) for the aggregations that have such a form, which gives the
    replicates of :func:`headline_replicates_loop` from the same draws; the loop otherwise."""
    column_builder = HEADLINE_SUMS_COLUMNS.get(aggregation) if isinstance(rows, JudgmentColumns) else None
    if column_builder is not None:
        assert isinstance(rows, JudgmentColumns)
        sums = column_builder(rows, args)
    else:
        builder = HEADLINE_SUMS.get(aggregation)
        sums = builder(resample_groups(as_judgments(rows), aggregation), args) if builder is not None else None
    if sums is None:
        return headline_replicates_loop(as_judgments(rows), aggregation, args, n_resamples, seed)
    draws = rng_for(seed, "leaderboard", "headline")
    if sums.by_counts:
        return np.asarray(sums.statistic(resampled_counts(len(sums.units), n_resamples, draws)), dtype=float)
    return np.asarray(sums.statistic(resampled_sums(sums.units, n_resamples, draws)), dtype=float)


def headline_replicates_loop(rows: Sequence[Judgment], aggregation: str, args: Mapping[str, Any],
                             n_resamples: int = HEADLINE_RESAMPLES, seed: int = 0) -> np.ndarray:
    """:func:`headline_replicates` by rerunning the aggregation in Python on each resample (a drawn
    unit appears as often as it was drawn, under ids of its own): the reference the vectorised
    form is tested against, and the path of aggregations without one (seconds per resample on a
    run of 100,000s of examples). The unit is the example (all its orders together) unless the
    aggregation resamples another (:data:`judgekit.headline_sums.RESAMPLE_UNITS`: RewardBench 2's
    prompts)."""
    groups = resample_groups(list(rows), aggregation)
    relabel = relabeler(aggregation)
    draws = resample_indices(len(groups), n_resamples, rng_for(seed, "leaderboard", "headline"))
    values = np.full(n_resamples, np.nan)
    for b, draw in enumerate(draws):
        seen: Counter[int] = Counter()
        sample: list[Judgment] = []
        for i in draw.tolist():
            seen[i] += 1
            k = seen[i]
            sample += groups[i] if k == 1 else [relabel(j, k) for j in groups[i]]
        value = aggregate(aggregation, sample, args)
        if value.headline.value is not None:
            values[b] = value.headline.value
    return values
