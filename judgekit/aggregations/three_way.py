"""Agreement with a gold label that may be a tie (PandaLM, JudgeLM)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..metrics.agreement import cohen_kappa, precision_recall_f1
from ..metrics.interval import Score
from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    _verdict,
    both_orders,
    invalid_counts,
    rate,
    ratio,
    register,
)

CLASSES: tuple[str, ...] = ("A", "B", "tie")


def macro_prf(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str] = CLASSES
              ) -> tuple[float, float, float]:
    """Macro-averaged precision, recall and F1 over the gold classes (as scikit-learn's
    ``precision_recall_fscore_support(..., labels=classes, average="macro", zero_division=0)``).
    A prediction outside the classes (``invalid``) is wrong for its gold class's recall and
    enters no class's precision. Computed by :func:`judgekit.metrics.agreement.precision_recall_f1`
    (the one implementation), which leaves out an item whose gold label is not a class."""
    rep = precision_recall_f1(gold, pred, labels=classes)
    return rep.macro_precision, rep.macro_recall, rep.macro_f1


STRICT_TITLE = "strict: unparseable = invalid"


@register("three_way")
def three_way(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Agreement with a gold label that may be a tie, as PandaLM and JudgeLM report it: accuracy,
    macro precision / recall / F1 over (A, B, tie), Cohen's kappa, on each example's first judged
    order (the published protocol judges one order); with both orders, also consistency (the same
    verdict in both orders, JudgeLM's measure: ties count, and two unparseable outputs count as the
    same, as JudgeLM's parser turns both into a draw; a failed request is never consistent) and the
    same figures on the second order. With ``unparseable: tie`` (PandaLM), an unparseable output is a
    tie, as PandaLM's compute_metrics.py counts it, and the strict figures come in a table of their own."""
    grouped = by_example(rows)
    examples = [js for js in grouped.values() if js[0].label is not None]
    table: dict[str, dict[str, Score]] = {}
    # PandaLM's compute_metrics.py counts an unparseable judge output ("garbage") as a tie
    # (`args.unparseable: tie`); the strict figures (unparseable = invalid) come in their own table.
    unparseable_as_tie = args.get("unparseable") == "tie"

    def published(j: Judgment) -> str:
        v = _verdict(j)
        return "tie" if unparseable_as_tie and j.status == "ok" and v == "invalid" else v

    def figures(verdicts: list[str], gold: list[str]) -> dict[str, Score]:
        n = len(gold)
        p, r, f = macro_prf(gold, verdicts) if n else (math.nan,) * 3
        return {
            "accuracy": rate([v == g for v, g in zip(verdicts, gold, strict=True)]),
            "precision": ratio(100 * p, n), "recall": ratio(100 * r, n), "F1": ratio(100 * f, n),
            "kappa": ratio(cohen_kappa(gold, verdicts) if n else math.nan, n),
        }

    gold = [str(js[0].label) for js in examples]
    table["first order"] = figures([published(js[0]) for js in examples], gold)
    pairs = [(both_orders(js), str(js[0].label)) for js in examples]
    two = [(p, g) for p, g in pairs if p is not None]
    if two:
        table["second order"] = figures([published(p[1]) for p, _ in two], [g for _, g in two])
        # a failed request (no output at all) is never consistent with anything; two unparseable
        # outputs are (JudgeLM's parser makes both a draw)
        consistency = rate([p[0].status == "ok" and p[1].status == "ok" and published(p[0]) == published(p[1])
                            for p, _ in two])
    else:
        consistency = Score(value=None, n=0, higher_is_better=True)
    def first_order(group: Sequence[Sequence[Judgment]]) -> dict[str, Score]:
        return figures([published(js[0]) for js in group], [str(js[0].label) for js in group])

    per_cat = by_category(first_order, overall=None)(examples)
    table.update({f"first order: {cat}": row for cat, row in per_cat.items()})
    counts = invalid_counts(rows)
    counts["unlabelled examples"] = len(grouped) - len(examples)
    columns = ("accuracy", "precision", "recall", "F1", "kappa")
    tables = [ReportTable(title="agreement with gold", columns=columns, rows=table)]
    if unparseable_as_tie:
        strict = {"first order": figures([_verdict(js[0]) for js in examples], gold)}
        if two:
            strict["second order"] = figures([_verdict(p[1]) for p, _ in two], [g for _, g in two])
        tables.append(ReportTable(title=STRICT_TITLE, columns=columns, rows=strict))
    if two:
        tables.append(ReportTable(title="order", columns=("consistency",),
                                  rows={"both orders": {"consistency": consistency}}))
    name = "accuracy (first order, unparseable = tie)" if unparseable_as_tie else "accuracy (first order)"
    return SuiteReport(aggregation="three_way", headline_name=name,
                       headline=table["first order"]["accuracy"], tables=tuple(tables), counts=counts)
