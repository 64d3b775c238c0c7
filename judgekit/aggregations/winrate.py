"""Win rates without gold labels (AlpacaEval, Arena-Hard style), per model and overall."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..metrics.interval import Score
from ..protocols import by_category
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    _verdict,
    invalid_counts,
    rate,
    register,
)


@register("winrate")
def winrate(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """The win rate of response B (the evaluated model) against response A (the reference model),
    per category (the model) and overall, over every valid judgment: a win is 1, a tie 0.5, a
    loss 0, and a continuous preference (AlpacaEval's) counts as its probability, 1 - p(A). As
    AlpacaEval and Arena-Hard report it without gold labels; unparseable verdicts are left out and
    counted."""
    def credit(j: Judgment) -> float | None:
        v = _verdict(j)
        if v == "invalid":
            return None
        if j.p_a is not None:
            return 1.0 - j.p_a
        return 1.0 if v == "B" else 0.5 if v == "tie" else 0.0

    def figures(group: Sequence[Judgment]) -> dict[str, Score]:
        credits = [c for c in (credit(j) for j in group) if c is not None]
        decisive = [j for j in group if _verdict(j) in ("A", "B")]
        return {
            "win rate": Score(value=100.0 * float(np.mean(credits)) if credits else None, n=len(credits),
                              higher_is_better=None),
            "ties": rate([_verdict(j) == "tie" for j in group], higher_is_better=None),
            "invalid": rate([_verdict(j) == "invalid" for j in group], higher_is_better=False),
            "first-shown wins": rate([j.shown_winner == "A" for j in decisive], higher_is_better=None),
        }

    table = by_category(figures, overall_first=False, blank="all")(rows)
    return SuiteReport(aggregation="winrate", headline_name="win rate of response B (overall)",
                       headline=table["overall"]["win rate"],
                       tables=(ReportTable(title="win rates", columns=("win rate", "ties", "invalid", "first-shown wins"),
                                           rows=table),),
                       counts=invalid_counts(rows))
