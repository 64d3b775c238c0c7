"""MT-Bench human judgments (Zheng et al., 2023): agreement between the judge and the humans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..facts import MTBenchFacts, optional_facts
from ..metrics.interval import Score
from ..protocols import by_category, by_example
from ..types import GoldLabel, Judgment, Winner
from ._common import (
    ReportTable,
    SuiteReport,
    _verdict,
    invalid_counts,
    register,
)


def human_votes(js: Sequence[Judgment]) -> list[GoldLabel | None]:
    """An MT-Bench pair's human votes (its facts), or its gold label alone when it has none."""
    facts = optional_facts(js[0], MTBenchFacts)
    return (facts.human_votes if facts is not None else []) or ([js[0].label] if js[0].label else [])


def conservative(js: Sequence[Judgment]) -> Winner:
    """MT-Bench's pairwise rule with swapping: a win only when both orders agree, otherwise a tie;
    one order alone is its own verdict. An unparseable verdict stays invalid."""
    verdicts = [_verdict(j) for j in js]
    if "invalid" in verdicts:
        return "invalid"
    return verdicts[0] if all(v == verdicts[0] for v in verdicts) else "tie"


def agreement_with_votes(judge: Sequence[Winner], votes: Sequence[Sequence[str | None]], *, ties: bool) -> tuple[int, int]:
    """MT-Bench's agreement between a judge and humans: each (example, human vote) is one comparison.
    Without ties, examples the judge calls a tie and human votes that are ties are left out."""
    agree_n = total = 0
    for v, human in zip(judge, votes, strict=True):
        if not ties and v == "tie":
            continue
        for h in human:
            if not ties and h == "tie":
                continue
            total += 1
            agree_n += v == h
    return agree_n, total


@register("mtbench_agreement")
def mtbench_agreement(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """MT-Bench human judgments (Zheng et al., 2023): agreement between the judge and the human
    votes, with and without ties, per turn and overall. The judge's verdict on a pair combines its
    two orders conservatively (inconsistent = tie); the human votes come from ``meta.human_votes``
    (the gold label alone when there are none)."""
    def turn_of(js: Sequence[Judgment]) -> str:
        facts = optional_facts(js[0], MTBenchFacts)
        turn = facts.turn if facts is not None else None
        return f"turn {turn}" if turn else "pairs"

    def agreement(group: Sequence[Sequence[Judgment]]) -> dict[str, Score]:
        judge = [conservative(js) for js in group]
        votes = [human_votes(js) for js in group]
        row = {}
        for col, ties in (("with ties", True), ("without ties", False)):
            a, t = agreement_with_votes(judge, votes, ties=ties)
            row[col] = Score(value=100.0 * a / t if t else None, n=t, count=a, higher_is_better=True)
        return row

    table = by_category(agreement, key=turn_of, overall_first=False)(by_example(rows).values())
    return SuiteReport(aggregation="mtbench_agreement", headline_name="agreement with humans (without ties)",
                       headline=table["overall"]["without ties"],
                       tables=(ReportTable(title="agreement", columns=("with ties", "without ties"), rows=table),),
                       counts=invalid_counts(rows))
