"""RM-Bench (Liu et al., 2025): the 3x3 style matrix per domain and its hard / normal / easy means."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..facts import RMBenchFacts, facts_of
from ..metrics.interval import Score
from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    correct,
    invalid_counts,
    mean_of,
    ratio,
    register,
)


def rmbench_cell(js: Sequence[Judgment]) -> tuple[str, int, int]:
    """An RM-Bench comparison's domain (its facts', else its category) and (chosen, rejected) styles."""
    f = facts_of(js[0], RMBenchFacts)
    return f.domain or js[0].category or "", f.chosen_style, f.rejected_style


def style_matrix(cells: Mapping[tuple[int, int], Sequence[float]], size: int = 3) -> np.ndarray:
    """The accuracy matrix: rows are the chosen response's style, columns the rejected one's."""
    m = np.full((size, size), np.nan)
    for (i, j), values in cells.items():
        if values:
            m[i, j] = float(np.mean(values))
    return m


def hard_normal_easy(m: np.ndarray) -> tuple[float, float, float]:
    """RM-Bench's means: hard = above the diagonal (chosen plainer than rejected), normal = the
    diagonal, easy = below it."""
    k = m.shape[0]
    upper = m[np.triu_indices(k, 1)]
    lower = m[np.tril_indices(k, -1)]
    return float(np.mean(upper)), float(np.mean(np.diag(m))), float(np.mean(lower))


@register("rmbench")
def rmbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """RM-Bench (Liu et al., 2025): each prompt has chosen and rejected responses in three styles
    (concise, detailed plain, detailed markdown); every (chosen style, rejected style) pair is one
    comparison. Per domain, the 3x3 accuracy matrix and its hard (upper triangle), normal
    (diagonal) and easy (lower triangle) means; the domain score is the mean of the nine cells;
    the overall figures are the means over domains. A comparison's credit is the share of its
    judged orders that pick the chosen response (a tie or an invalid verdict earns nothing, as a
    reward model's equal scores do not count as correct)."""
    styles = list(args.get("styles", ["concise", "detailed plain", "detailed markdown"]))
    k = len(styles)
    def style_cells(examples: Sequence[Sequence[Judgment]]) -> dict[tuple[int, int], list[float]]:
        out: dict[tuple[int, int], list[float]] = defaultdict(list)
        for js in examples:
            _, i, j = rmbench_cell(js)
            out[(i, j)].append(float(np.mean([correct(x) for x in js])))
        return out

    cells = by_category(style_cells, key=lambda js: rmbench_cell(js)[0], order=args.get("domains"), overall=None,
                        blank="")(by_example(rows).values())
    domains = list(cells)
    summary: dict[str, dict[str, Score]] = {}
    matrices: list[ReportTable] = []
    for d in domains:
        m = style_matrix(cells[d], k)
        hard, normal, easy = hard_normal_easy(m)
        n_pairs = sum(len(v) for v in cells[d].values())
        summary[d] = {"hard": ratio(100 * hard, n_pairs), "normal": ratio(100 * normal, n_pairs),
                      "easy": ratio(100 * easy, n_pairs), "average": ratio(100 * float(np.nanmean(m)), n_pairs)}
        matrices.append(ReportTable(
            title=f"{d}: chosen style (rows) vs rejected style (columns)", columns=tuple(styles),
            rows={styles[i]: {styles[j]: Score(value=None if math.isnan(m[i, j]) else 100 * float(m[i, j]),
                                               n=len(cells[d].get((i, j), [])), higher_is_better=True)
                              for j in range(k)} for i in range(k)}))
    cols = ("hard", "normal", "easy", "average")
    summary["overall"] = {c: mean_of([summary[d][c] for d in domains]) for c in cols}
    return SuiteReport(aggregation="rmbench", headline_name="average (mean over domains)",
                       headline=summary["overall"]["average"],
                       tables=(ReportTable(title="domains", columns=cols, rows=summary), *matrices),
                       counts=invalid_counts(rows))
