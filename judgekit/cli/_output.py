"""Rendering of metrics for the terminal."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..aggregations import PointwiseMetrics, SuiteReport
from ..metrics.pairwise import PairwiseMetrics
from ..metrics.registry import Metric, shown_on
from ..scoring import applicable_policies, headline
from ..views.format import ci_short as _ci_short
from ..views.format import digits_for, format_p, interval, num
from ..views.format import value as _fmt
from ..views.format import with_ci as _with_ci


def metrics_table(m: PairwiseMetrics, title: str, width: int = 80, report: SuiteReport | None = None) -> Table:
    """Accuracy under each conflict policy that applies to the run, one row per category (and
    overall), one column per policy: the row labels never lose to the width (a category list only
    makes the table longer). For a suite whose headline is its pairwise headline policy (JudgeBench)
    that policy comes first, marked *, with its interval and n; for a suite with a published
    aggregation (its headline is printed with it) no policy is marked."""
    cats = list(next(iter(m.accuracy.values())).categories) if m.accuracy else []
    level = "95% CI" if m.bootstrap is None or m.bootstrap.level == 0.95 else f"{100 * m.bootstrap.level:g}% CI"
    policies = applicable_policies(m, report)
    head_policy = m.headline_policy if report is None else None
    if head_policy is not None:
        caption = f"accuracy %; * headline: {headline(m, report)[0]}, with its {level} and n"
    else:
        caption = ("accuracy % under each conflict policy; the suite's headline is its published aggregation "
                   "(below)")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption=caption, caption_justify="left")
    table.add_column("", no_wrap=True)
    for policy in policies:
        table.add_column(policy + ("*" if policy == head_policy else ""), justify="right", no_wrap=True)
    head = m.accuracy[head_policy] if head_policy is not None else None
    if head is not None:
        table.add_column(level, justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    n_source = head or m.accuracy[policies[0]]
    for c in cats:
        ci = [_ci_short(head.categories.get(c))] if head is not None else []
        cat_n = n_source.categories.get(c)
        table.add_row(c, *[_fmt(m.accuracy[p].categories.get(c)) for p in policies], *ci,
                      str(cat_n.n) if cat_n is not None else "")
    ci = [_ci_short(head.overall)] if head is not None else []
    table.add_row("overall", *[_fmt(m.accuracy[p].overall) for p in policies], *ci, str(n_source.overall.n),
                  style="bold")
    return table


def print_metrics(m: PairwiseMetrics, title: str, console: Console | None = None,
                  report: SuiteReport | None = None) -> None:
    console = console or Console()
    console.print(metrics_table(m, title, console.width, report))
    other = Table(show_header=False, box=None, padding=(0, 2))
    for metric in shown_on("terminal", "pairwise"):
        for row in figure_rows(metric, m, report):
            other.add_row(*row)
    if m.bootstrap is not None and m.bootstrap.n_resamples:
        other.add_row("[dim]intervals[/dim]",
                      f"[dim]{m.bootstrap.method} bootstrap, {m.bootstrap.n_resamples} resamples of "
                      f"{m.bootstrap.cluster}, seed {m.bootstrap.seed}[/dim]")
    if m.n_failed:
        other.add_row("[red]failed requests[/red]",
                      f"[red]{m.n_failed}: rerun the same command to retry them[/red]")
    console.print(other)


def figure_rows(metric: Metric, m: PairwiseMetrics | PointwiseMetrics, report: SuiteReport | None
                ) -> list[tuple[str, str]]:
    """A registered metric's lines in the terminal: (label, text), as its declaration says."""
    label = metric.terminal or metric.label
    s = metric.value(m)
    if s is None:
        return [(label, metric.missing)] if metric.missing else []
    style = metric.terminal_style
    if style == "bounds":
        if not (isinstance(m, PairwiseMetrics) and m.n_invalid + m.n_failed > 0
                and s.policy in applicable_policies(m, report)):
            return []
        return [(f"{s.policy} {label}",
                 f"{_fmt(s.invalid_as_wrong)} / {_fmt(s.invalid_dropped)} / {_fmt(s.invalid_as_correct)} %")]
    if style == "soft":
        sc = m.soft_calibration if isinstance(m, PairwiseMetrics) else None
        if sc is None:
            return []
        return [(label, f"{num(sc.brier.value, 4)} {interval(sc.brier, 4)} / "
                        f"{num(sc.ece.value, 4)} {interval(sc.ece, 4)}  (n = {sc.n})")]
    unit = f" {metric.unit}" if metric.unit else ""
    if style == "decisive":
        p_text = f", {format_p(s.p_value)}" if s.p_value is not None else ""
        return [(label, f"{_with_ci(s, metric.digits)}{unit}  of {s.n} decisive verdicts{p_text}")]
    if style == "count":
        return [(label, f"{s.count} of {s.n}  ({_with_ci(s, metric.digits)}{unit})")]
    rows = [(label, f"{_with_ci(s, metric.digits)}{unit}")]
    rows += [(f"{label}: {cat}", f"{_with_ci(c, metric.digits)}{unit}  (n = {c.n})")
             for cat, c in metric.categories(m).items()]
    return rows


def print_pointwise(m: PointwiseMetrics, title: str, console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title=title, title_justify="left", show_header=False)
    t.add_row("Pearson r", _fmt(m.pearson, 4), f"n={m.pearson.n}")
    t.add_row("Spearman rho", _fmt(m.spearman, 4), f"n={m.spearman.n}")
    t.add_row("Kendall tau-b", _fmt(m.kendall_tau, 4), f"n={m.kendall_tau.n}")
    t.add_row("exact agreement %", _fmt(m.exact), f"n={m.exact.n}")
    t.add_row("within one %", _fmt(m.within_one), f"n={m.within_one.n}")
    t.add_row("mean absolute error", _fmt(m.mean_abs_error, 3), f"n={m.mean_abs_error.n}")
    t.add_row("invalid grades", f"{m.n_invalid} of {m.invalid_rate.n}", f"{_fmt(m.invalid_rate)} %")
    console.print(t)
    # the registered metrics that apply to pointwise runs (the built-in ones are the table's rows)
    other = Table(show_header=False, box=None, padding=(0, 2))
    for metric in shown_on("terminal", "pointwise"):
        if metric.compute is not None:
            for row in figure_rows(metric, m, None):
                other.add_row(*row)
    if other.row_count:
        console.print(other)
    if m.n_failed:
        console.print(f"[red]failed requests: {m.n_failed}: rerun the same command to retry them[/red]")


def print_report(report: SuiteReport, title: str, console: Console | None = None) -> None:
    """Every table of a suite's published aggregation, then its headline and counts."""
    console = console or Console()
    for table in report.tables:
        t = Table(title=f"{title}: {table.title}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
        t.add_column("", no_wrap=True)
        for c in table.columns:
            t.add_column(c, justify="right")
        t.add_column("n", justify="right")
        for name, row in table.rows.items():
            n = max((s.n for s in row.values()), default=0)
            t.add_row(name, *[_fmt(row.get(c), digits_for(c)) for c in table.columns], str(n))
        console.print(t)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    headline_column = "pearson" if report.aggregation == "pointwise" else ""
    console.print(f"[bold]headline: {report.headline_name} {_fmt(report.headline, digits_for(headline_column))}"
                  f"[/bold]   ({counts})")
    for note in report.notes:
        console.print(f"note: {note}")


def print_run(metrics: PairwiseMetrics | PointwiseMetrics, report: SuiteReport | None, title: str,
              console: Console | None = None) -> None:
    console = console or Console()
    if isinstance(metrics, PointwiseMetrics):
        print_pointwise(metrics, title, console)
    else:
        print_metrics(metrics, title, console, report)
        if report is None:
            name, score = headline(metrics, report)
            console.print(f"[bold]headline: {name} {_with_ci(score)}[/bold]")
    if report is not None:
        print_report(report, title, console)


def headline_text(metrics: PairwiseMetrics | PointwiseMetrics, report: SuiteReport | None) -> tuple[str, str]:
    """The run's one headline (name, value as printed): the same in the run's tables, the summary
    of several suites, metrics.json, the leaderboard and the report."""
    if report is None and not isinstance(metrics, PairwiseMetrics):
        return "-", "-"
    name, score = headline(metrics, report)
    ratio = report is not None and report.aggregation == "pointwise"
    return name, _fmt(score, digits_for("pearson" if ratio else ""))
