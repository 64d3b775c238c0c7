"""What every published aggregation shares: the report model (:class:`SuiteReport`), the
registry the aggregations register in, and the small rules they count with (a verdict, a rate,
both orders, agreement, invalid counts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..metrics.interval import Score
from ..registry import Registry
from ..types import Frozen, Judgment, Winner

# ----------------------------------------------------------------------------- report model


class ReportTable(Frozen):
    """A table of scores: row name -> column name -> Score."""

    title: str
    columns: tuple[str, ...]
    rows: dict[str, dict[str, Score]]


class SuiteReport(Frozen):
    aggregation: str
    headline_name: str  # e.g. "overall accuracy"
    headline: Score
    tables: tuple[ReportTable, ...] = ()
    counts: dict[str, int] = {}
    notes: tuple[str, ...] = ()

    def table(self, title: str) -> ReportTable:
        for t in self.tables:
            if t.title == title:
                return t
        raise KeyError(title)


Aggregation = Callable[[Sequence[Judgment], Mapping[str, Any]], SuiteReport]
#: the built-ins (one module each in this package, found by importing every module of it) register
#: with ``@register``; plugins through the ``judgekit.aggregations`` entry points
aggregations: Registry[SuiteReport] = Registry("aggregation", "judgekit.aggregations", "judgekit.aggregations",
                                               listing="known")
register = aggregations.register


# ----------------------------------------------------------------------------- helpers


def _verdict(j: Judgment) -> Winner:
    return j.winner if j.status == "ok" else "invalid"


def rate(flags: Sequence[bool] | Sequence[float], higher_is_better: bool | None = True) -> Score:
    """Mean of 0/1 (or fractional) credits, in percent; count is the number of full credits."""
    n = len(flags)
    if n == 0:
        return Score(value=None, n=0, count=0, higher_is_better=higher_is_better)
    arr = np.asarray(flags, dtype=float)
    return Score(value=float(100.0 * arr.mean()), n=n, count=int((arr == 1.0).sum()),
                 higher_is_better=higher_is_better)


def mean_of(scores: Sequence[Score], higher_is_better: bool | None = True) -> Score:
    """Unweighted mean of scores (skipping empty ones); n is the total of their n."""
    vals = [s.value for s in scores if s.value is not None]
    return Score(value=float(np.mean(vals)) if vals else None, n=sum(s.n for s in scores),
                 higher_is_better=higher_is_better)


def ratio(value: float, n: int, higher_is_better: bool | None = True) -> Score:
    return Score(value=None if math.isnan(value) else float(value), n=n, higher_is_better=higher_is_better)


def correct(j: Judgment) -> bool:
    return j.label is not None and _verdict(j) == j.label


def both_orders(js: Sequence[Judgment]) -> tuple[Judgment, Judgment] | None:
    ab = ba = None
    for j in js:  # the first of each order
        if j.order == "AB":
            if ab is None:
                ab = j
        elif j.order == "BA" and ba is None:
            ba = j
    return (ab, ba) if ab is not None and ba is not None else None


def agree(pair: tuple[Judgment, Judgment]) -> bool:
    """Positional agreement: the same valid verdict in both orders (un-swapped)."""
    a, b = _verdict(pair[0]), _verdict(pair[1])
    return a == b and a != "invalid"


def same_verdict(pair: tuple[Judgment, Judgment]) -> bool:
    """Positional agreement as LLMBar's evaluate.py counts it (``equal += output_True ==
    output_False``): the same verdict in both orders, where two unparseable ones (None == None)
    are the same too."""
    return _verdict(pair[0]) == _verdict(pair[1])


def invalid_counts(rows: Sequence[Judgment]) -> dict[str, int]:
    return {"judgments": len(rows), "invalid": sum(j.status == "ok" and j.winner == "invalid" for j in rows),
            "failed": sum(j.status != "ok" for j in rows)}


def _same(items: list[Any]) -> list[Any]:
    return items


def _subset(js: Sequence[Judgment]) -> str:
    return js[0].category or ""


LLMBAR_STRICT = "agreement (both parseable)"


def _order_report(groups: Mapping[str, list[list[Judgment]]], *, llmbar_agreement: bool = False
                  ) -> dict[str, dict[str, Score]]:
    """Per group: accuracy averaged over both orders, positional agreement, both orders correct.
    With ``llmbar_agreement``, "agreement" follows LLMBar's rule (two unparseable verdicts agree)
    and the stricter figure (the same valid verdict) comes beside it as LLMBAR_STRICT."""
    table: dict[str, dict[str, Score]] = {}
    for name, examples in groups.items():
        per_order = [correct(j) for js in examples for j in js]
        pairs = [p for p in (both_orders(js) for js in examples) if p is not None]
        table[name] = {
            "accuracy": rate(per_order),
            "agreement": rate([(same_verdict if llmbar_agreement else agree)(p) for p in pairs]),
        }
        if llmbar_agreement:
            table[name][LLMBAR_STRICT] = rate([agree(p) for p in pairs])
        table[name]["both correct"] = rate([correct(p[0]) and correct(p[1]) for p in pairs])
    return table
