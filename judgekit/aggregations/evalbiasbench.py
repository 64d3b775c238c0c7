"""EvalBiasBench (Park et al., 2024, OffsetBias): pair accuracy per bias type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    _order_report,
    _same,
    _subset,
    invalid_counts,
    register,
)


@register("evalbiasbench")
def evalbiasbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """EvalBiasBench (Park et al., 2024, OffsetBias): per bias type, pair accuracy (correct in both
    orders), agreement (the same verdict in both orders) and single-order accuracy; overall over
    all items."""
    raw = _order_report(by_category(_same, key=_subset, order=args.get("subsets"), overall="overall",
                                    overall_first=False, blank="")(by_example(rows).values()))
    table = {k: {"pair accuracy": v["both correct"], "agreement": v["agreement"], "accuracy": v["accuracy"]}
             for k, v in raw.items()}
    return SuiteReport(aggregation="evalbiasbench", headline_name="pair accuracy (correct in both orders)",
                       headline=table["overall"]["pair accuracy"],
                       tables=(ReportTable(title="bias types", columns=("pair accuracy", "agreement", "accuracy"),
                                           rows=table),),
                       counts=invalid_counts(rows))
