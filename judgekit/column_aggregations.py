"""Published aggregations computed from :class:`judgekit.columns.JudgmentColumns`, without a
Judgment record per row: the suites whose runs grow to millions of judgments (the generic suite's
``three_way``, which PandaLM and JudgeLM share). Each one returns the very SuiteReport its
:mod:`judgekit.aggregations` rule returns on the same rows (tests compare them on every stored
fixture and on random rows): it feeds the same per-example verdicts, in the same order, to the
same functions (``rate``, ``macro_prf``, ``cohen_kappa``). An aggregation not listed here reads
the rows back as Judgment records (:func:`aggregate_columns`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .aggregations import STRICT_TITLE, ReportTable, SuiteReport, aggregate, macro_prf, rate, ratio
from .columns import JudgmentColumns
from .metrics.agreement import cohen_kappa
from .metrics.interval import Score
from .metrics.pairwise_arrays import INVALID, TIE, WINNERS

ColumnAggregation = Callable[[JudgmentColumns, Mapping[str, Any]], SuiteReport]
COLUMN_AGGREGATIONS: dict[str, ColumnAggregation] = {}

_NAMES = np.asarray(WINNERS, dtype=object)  # verdict code -> "A" | "B" | "tie" | "invalid"
_LABELS = np.asarray(["A", "B", "tie"], dtype=object)


def aggregate_columns(name: str, t: JudgmentColumns, args: Mapping[str, Any] | None = None) -> SuiteReport:
    """The named aggregation over the rows: its columnar form when it has one, else the rule itself
    on the rows read back as Judgment records."""
    fn = COLUMN_AGGREGATIONS.get(name)
    if fn is None:
        return aggregate(name, t.judgments(), args)
    return fn(t, dict(args or {}))


def invalid_counts(t: JudgmentColumns) -> dict[str, int]:
    """:func:`judgekit.aggregations.invalid_counts` of the rows."""
    return {"judgments": len(t), "invalid": t.n_invalid, "failed": t.n_failed}


def published_verdicts(t: JudgmentColumns, args: Mapping[str, Any]) -> np.ndarray:
    """three_way's verdict codes: a failed request invalid; with ``unparseable: tie`` (PandaLM) an
    answered but unparseable verdict a tie."""
    v = t.verdict
    if args.get("unparseable") == "tie":
        v = np.where(t.ok & (t.winner == INVALID), TIE, v)
    return v


def _figures(verdicts: np.ndarray, gold: np.ndarray) -> dict[str, Score]:
    """three_way's figures of verdicts against gold labels (object arrays of label strings)."""
    n = len(gold)
    v, g = verdicts.tolist(), gold.tolist()
    p, r, f = macro_prf(g, v) if n else (math.nan,) * 3
    return {
        "accuracy": rate(verdicts == gold),
        "precision": ratio(100 * p, n), "recall": ratio(100 * r, n), "F1": ratio(100 * f, n),
        "kappa": ratio(cohen_kappa(g, v) if n else math.nan, n),
    }


def three_way(t: JudgmentColumns, args: Mapping[str, Any]) -> SuiteReport:
    """:func:`judgekit.aggregations.three_way` from columns."""
    ex = t.examples()
    first = ex.first
    lab_ex = np.flatnonzero(t.label[first] >= 0)  # the labelled examples, in by_example order
    rows1 = first[lab_ex]
    pub = published_verdicts(t, args)
    strict = t.verdict
    gold = _LABELS[t.label[rows1]]
    table: dict[str, dict[str, Score]] = {"first order": _figures(_NAMES[pub[rows1]], gold)}
    ab, ba = ex.first_ab[lab_ex], ex.first_ba[lab_ex]
    two = (ab >= 0) & (ba >= 0)
    ab2, ba2, gold2 = ab[two], ba[two], gold[two]
    if two.any():
        table["second order"] = _figures(_NAMES[pub[ba2]], gold2)
        consistency = rate(t.ok[ab2] & t.ok[ba2] & (pub[ab2] == pub[ba2]))
    else:
        consistency = Score(value=None, n=0, higher_is_better=True)
    table_of = t.category_table
    cats = [table_of[c] for c in t.category_code[rows1].tolist()]
    by_cat: dict[str, list[int]] = {}
    for k, c in enumerate(cats):
        if c:
            by_cat.setdefault(c, []).append(k)
    for cat in sorted(by_cat):
        members = np.asarray(by_cat[cat], dtype=np.int64)
        table[f"first order: {cat}"] = _figures(_NAMES[pub[rows1[members]]], gold[members])
    counts = invalid_counts(t)
    counts["unlabelled examples"] = len(ex) - len(lab_ex)
    columns = ("accuracy", "precision", "recall", "F1", "kappa")
    tables = [ReportTable(title="agreement with gold", columns=columns, rows=table)]
    unparseable_as_tie = args.get("unparseable") == "tie"
    if unparseable_as_tie:
        strict_rows = {"first order": _figures(_NAMES[strict[rows1]], gold)}
        if two.any():
            strict_rows["second order"] = _figures(_NAMES[strict[ba2]], gold2)
        tables.append(ReportTable(title=STRICT_TITLE, columns=columns, rows=strict_rows))
    if two.any():
        tables.append(ReportTable(title="order", columns=("consistency",),
                                  rows={"both orders": {"consistency": consistency}}))
    name = "accuracy (first order, unparseable = tie)" if unparseable_as_tie else "accuracy (first order)"
    return SuiteReport(aggregation="three_way", headline_name=name,
                       headline=table["first order"]["accuracy"], tables=tuple(tables), counts=counts)


COLUMN_AGGREGATIONS["three_way"] = three_way
