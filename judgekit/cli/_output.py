"""Rendering of metrics for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..aggregations import PointwiseMetrics, SuiteReport
from ..metrics.pairwise import PairwiseMetrics
from ..views.format import ci_short as _ci_short
from ..views.format import digits_for, interval, num
from ..views.format import value as _fmt
from ..views.format import with_ci as _with_ci


def metrics_table(m: PairwiseMetrics, title: str, width: int = 80) -> Table:
    cats = list(next(iter(m.accuracy.values())).categories) if m.accuracy else []
    table = Table(title=title, title_justify="left")
    table.add_column("accuracy %\n(policy)" if width < 110 else "accuracy %  (policy)")
    for c in cats:
        table.add_column(c, justify="right")
    table.add_column("overall", justify="right", style="bold", no_wrap=True)
    table.add_column("95% CI" if m.bootstrap is None or m.bootstrap.level == 0.95
                     else f"{100 * m.bootstrap.level:g}% CI", justify="right", no_wrap=True, min_width=9)
    table.add_column("n", justify="right", no_wrap=True)
    for policy, acc in m.accuracy.items():
        name = policy + ("  (headline)" if policy == m.headline_policy else "")
        table.add_row(name, *[_fmt(acc.categories[c]) for c in cats], _fmt(acc.overall), _ci_short(acc.overall),
                      str(acc.overall.n))
    head = m.accuracy.get(m.headline_policy)
    if cats and head is not None and width >= 110:  # per-category intervals when there is room
        table.add_row("  95% CI" if m.bootstrap is None or m.bootstrap.level == 0.95 else "  CI",
                      *[_ci_short(head.categories[c]) for c in cats], "", "", "", style="dim")
    return table


def print_metrics(m: PairwiseMetrics, title: str, console: Console | None = None) -> None:
    console = console or Console()
    console.print(metrics_table(m, title, console.width))
    other = Table(show_header=False, box=None, padding=(0, 2))
    other.add_row("swap consistency", f"{_with_ci(m.swap_consistency)} %" if m.swap_consistency else
                  "- (single order)")
    pp = m.position_preference
    p_text = f", p = {pp.p_value:.3g}" if pp.p_value is not None else ""
    other.add_row("position preference (first shown)",
                  f"{_with_ci(pp)} %  of {pp.n} decisive verdicts{p_text}")
    if m.length_bias is not None:
        lb = m.length_bias
        other.add_row("prefers the longer response", f"{_with_ci(lb)} %  of {lb.n} decisive verdicts"
                      + (f", p = {lb.p_value:.3g}" if lb.p_value is not None else ""))
    other.add_row("invalid verdicts", f"{m.n_invalid} of {m.invalid_rate.n}  ({_with_ci(m.invalid_rate)} %)")
    if m.accuracy_bounds is not None and m.n_invalid + m.n_failed > 0:
        b = m.accuracy_bounds
        other.add_row(f"{b.policy} accuracy, invalid as wrong / dropped / correct",
                      f"{_fmt(b.invalid_as_wrong)} / {_fmt(b.invalid_dropped)} / {_fmt(b.invalid_as_correct)} %")
    other.add_row("Cohen's kappa vs gold", _with_ci(m.cohen_kappa, 4))
    if m.soft_calibration is not None:
        sc = m.soft_calibration
        other.add_row("soft verdicts: Brier / ECE",
                      f"{num(sc.brier.value, 4)} {interval(sc.brier, 4)} / "
                      f"{num(sc.ece.value, 4)} {interval(sc.ece, 4)}  (n = {sc.n})")
    if m.bootstrap is not None and m.bootstrap.n_resamples:
        other.add_row("[dim]intervals[/dim]",
                      f"[dim]{m.bootstrap.method} bootstrap, {m.bootstrap.n_resamples} resamples of "
                      f"{m.bootstrap.cluster}, seed {m.bootstrap.seed}[/dim]")
    if m.n_failed:
        other.add_row("[red]failed requests[/red]",
                      f"[red]{m.n_failed}: rerun the same command to retry them[/red]")
    console.print(other)


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
    if m.n_failed:
        console.print(f"[red]failed requests: {m.n_failed}: rerun the same command to retry them[/red]")


def print_report(report: SuiteReport, title: str, console: Console | None = None) -> None:
    """Every table of a suite's published aggregation, then its headline and counts."""
    console = console or Console()
    for table in report.tables:
        t = Table(title=f"{title}: {table.title}", title_justify="left")
        t.add_column("")
        for c in table.columns:
            t.add_column(c, justify="right")
        t.add_column("n", justify="right")
        for name, row in table.rows.items():
            n = max((s.n for s in row.values()), default=0)
            t.add_row(name, *[_fmt(row.get(c), digits_for(c)) for c in table.columns], str(n))
        console.print(t)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    headline_column = "pearson" if report.aggregation == "pointwise" else ""
    console.print(f"[bold]{report.headline_name}: {_fmt(report.headline, digits_for(headline_column))}[/bold]   ({counts})")
    for note in report.notes:
        console.print(f"note: {note}")


def print_run(metrics: PairwiseMetrics | PointwiseMetrics, report: SuiteReport | None, title: str,
              console: Console | None = None) -> None:
    console = console or Console()
    if isinstance(metrics, PointwiseMetrics):
        print_pointwise(metrics, title, console)
    else:
        print_metrics(metrics, title, console)
    if report is not None:
        print_report(report, title, console)
