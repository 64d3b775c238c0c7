"""The report's system ranking for graded systems suites (``mt_bench``, the generic systems suite
judged pointwise): each system's mean grades with their 95 % intervals over questions (MT-Bench:
overall, turn 1, turn 2), best first, as a plot and a table."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..aggregations import ReportTable
from .leaderboard_grades import GRADE_AGGREGATIONS
from .report_plots import COLORS, LoadedRun, _figure, _svg


def grade_table(run: LoadedRun) -> ReportTable | None:
    """The run's grade leaderboard table (None when the run is not a graded systems run)."""
    agg = None if run.manifest.aggregation is None else run.manifest.aggregation.name
    if agg not in GRADE_AGGREGATIONS or run.report is None or not run.report.tables:
        return None
    return run.report.tables[0]


def plot_grades(table: ReportTable) -> str:
    """Each system's grades (one marker per grade column) with their intervals, best at the top."""
    columns = [c for c in table.columns if not c.startswith("n_")]
    names = list(table.rows)[::-1]
    fig = _figure(7.0, max(2.0, 0.35 * len(names) * max(1, len(columns) // 2) + 1.2))
    ax = fig.subplots()
    step = 0.8 / max(1, len(columns))
    for k, c in enumerate(columns):
        scores = [table.rows[n].get(c) for n in names]
        y = np.arange(len(names)) + (k - (len(columns) - 1) / 2) * step
        v = np.array([np.nan if s is None or s.value is None else s.value for s in scores])
        lo = np.array([0.0 if s is None or s.ci_low is None or s.value is None else s.value - s.ci_low for s in scores])
        hi = np.array([0.0 if s is None or s.ci_high is None or s.value is None else s.ci_high - s.value
                       for s in scores])
        ax.errorbar(v, y, xerr=[lo, hi], fmt="o", capsize=3, color=COLORS[k % len(COLORS)], label=c)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel("mean grade (95% bootstrap interval over questions)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _svg(fig)


def grade_rows(table: ReportTable, fmt: Any, esc: Any) -> tuple[list[str], list[list[str]]]:
    """Header and cells (escaped) of the report's grade table."""
    header = ["system", *table.columns]
    rows = [[esc(name), *[str(int(row[c].value or 0)) if c.startswith("n_") else fmt(row.get(c))
                          for c in table.columns]] for name, row in table.rows.items()]
    return header, rows
