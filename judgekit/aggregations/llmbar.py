"""LLMBar (Zeng et al., 2024): per-subset accuracy, positional agreement, both orders correct."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    LLMBAR_STRICT,
    ReportTable,
    SuiteReport,
    _order_report,
    _same,
    _subset,
    invalid_counts,
    mean_of,
    register,
)


@register("llmbar")
def llmbar(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """LLMBar (Zeng et al., 2024): per subset, accuracy averaged over both orders, positional
    agreement and the share judged correctly in both orders, as LLMBar's evaluate.py counts them:
    agreement is the same verdict in both orders, two unparseable ones included; the stricter
    figure (the same parseable verdict) is reported beside it. Groups (Adversarial) are the
    unweighted mean of their subsets, as the paper's Average; the overall row is the unweighted
    mean of every subset present."""
    groups = by_category(_same, key=_subset, order=args.get("subsets"), overall=None, blank="")(
        by_example(rows).values())
    order = list(groups)
    table = _order_report(groups, llmbar_agreement=True)
    columns = ("accuracy", "agreement", LLMBAR_STRICT, "both correct")
    for group, members in args.get("groups", {}).items():
        present = [m for m in members if m in table]
        if present:
            table[group] = {c: mean_of([table[m][c] for m in present]) for c in columns}
    table["overall"] = {c: mean_of([table[m][c] for m in order]) for c in columns}
    return SuiteReport(aggregation="llmbar", headline_name="accuracy (mean of subsets, both orders)",
                       headline=table["overall"]["accuracy"],
                       tables=(ReportTable(title="subsets", columns=columns, rows=table),),
                       counts=invalid_counts(rows))
