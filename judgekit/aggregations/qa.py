"""QA with references (\"Judging the Judges\"): the judge's accept / reject against gold correctness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..metrics.interval import Score
from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    invalid_counts,
    register,
)


def _estimate_score(e: Score, higher_is_better: bool | None) -> Score:
    return e.model_copy(update={"higher_is_better": higher_is_better})


@register("qa")
def qa(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """QA with references ("Judging the Judges"): the judge accepts an answer when its grade is at
    least 0.5; against the gold correctness label: accuracy, Cohen's kappa (the headline: the
    number that paper trusts), false accepts and false rejects (percent of all examples, and as
    rates over the incorrect and the correct answers), overall and per category. An unread verdict
    or a failed request counts as not accepted (and is counted)."""
    from ..metrics.qa import qa_agreement

    first = [js[0] for js in by_example(rows).values()]
    labelled = [j for j in first if j.gold_score is not None]
    cols = ("accuracy", "Cohen's kappa", "false accepts", "false rejects", "false accept rate", "false reject rate")

    def figures(group: Sequence[Judgment]) -> dict[str, Score]:
        accepted = [j.status == "ok" and j.score is not None and j.score >= 0.5 for j in group]
        m = qa_agreement(accepted, [float(j.gold_score or 0) >= 0.5 for j in group])
        return dict(zip(cols, (
            _estimate_score(m.accuracy, True), _estimate_score(m.cohen_kappa, True),
            _estimate_score(m.false_accept, False), _estimate_score(m.false_reject, False),
            _estimate_score(m.false_accept_rate, False), _estimate_score(m.false_reject_rate, False)), strict=True))

    table = by_category(figures)(labelled)
    counts = invalid_counts(rows)
    counts["unread as rejected"] = sum(j.status != "ok" or j.score is None for j in labelled)
    return SuiteReport(aggregation="qa", headline_name="Cohen's kappa vs gold (overall)",
                       headline=table["overall"]["Cohen's kappa"],
                       tables=(ReportTable(title="judge vs gold correctness", columns=cols, rows=table),),
                       counts=counts)
