"""RewardBench (Lambert et al., 2024): subsets, sections and the overall score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..metrics.interval import Score
from ..protocols import by_category, by_example
from ..types import Judgment
from ._common import (
    ReportTable,
    SuiteReport,
    _subset,
    _verdict,
    correct,
    invalid_counts,
    mean_of,
    rate,
    register,
)


@register("rewardbench")
def rewardbench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """RewardBench (Lambert et al., 2024). Per-subset accuracy, the four section scores as the
    example-count-weighted mean of their subsets' accuracies with RewardBench's published counts
    (math-prm counted as 984 so that it weighs as much as the code subsets), and the overall score
    as the mean of the sections.

    A judgment scores 1 when it picks the chosen response, 0 when it picks the rejected one and
    0.5 for a tie or an unparseable output, as RewardBench scores generative judges; with both
    orders judged, a pair's credit is the mean over its orders.
    """
    sections: dict[str, list[str]] = args["sections"]
    counts: dict[str, int] = args["example_counts"]
    def credit(js: Sequence[Judgment]) -> float:
        return float(np.mean([1.0 if correct(j) else 0.5 if _verdict(j) in ("tie", "invalid") else 0.0 for j in js]))

    subsets = by_category(lambda exs: rate([credit(js) for js in exs]), key=_subset, overall=None,
                          blank="")(by_example(rows).values())
    section_scores: dict[str, dict[str, Score]] = {}
    for section, members in sections.items():
        present = [m for m in members if m in subsets and subsets[m].value is not None]
        if not present:
            continue
        weight = sum(counts[m] for m in present)
        value = sum((subsets[m].value or 0.0) * counts[m] for m in present) / weight
        section_scores[section] = {"score": Score(value=value, n=sum(subsets[m].n for m in present),
                                                  higher_is_better=True)}
    overall = mean_of([s["score"] for s in section_scores.values()])
    unknown = sorted(set(subsets) - {m for ms in sections.values() for m in ms})
    notes = (f"subsets outside RewardBench's sections (in no section score): {', '.join(unknown)}",) if unknown else ()
    return SuiteReport(
        aggregation="rewardbench", headline_name="RewardBench score (mean of sections)", headline=overall,
        tables=(ReportTable(title="sections", columns=("score",), rows={**section_scores, "overall": {"score": overall}}),
                ReportTable(title="subsets", columns=("accuracy",),
                            rows={k: {"accuracy": v} for k, v in subsets.items()})),
        counts=invalid_counts(rows), notes=notes)
