"""Pointwise absolute grading in Prometheus' Feedback-Bench format (prometheus-eval/Feedback-Bench;
Kim et al., 2024): ``orig_instruction, orig_response, orig_reference_answer, orig_criteria,
orig_score1_description .. orig_score5_description, orig_score`` (the gold grade, 1 to 5,
written as a string or a number). The rubric is shown as Prometheus formats it."""

from __future__ import annotations

import os

from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PointExample
from ._io import LoadedData, Row, split_parts


def rubric_of(row: Row) -> str:
    """Prometheus' score rubric: the criteria in brackets, then one line per grade."""
    lines = [f"[{row.get('orig_criteria')}]"]
    for k in range(1, 6):
        lines.append(f"Score {k}: {row.get(f'orig_score{k}_description')}")
    return "\n".join(lines)


def gold_of(row: Row) -> float:
    raw = row.get("orig_score", types=(str, int, float))
    try:
        value = float(raw)
    except ValueError:
        raise row.error(f"expected a grade from 1 to 5, got {raw!r}", "orig_score") from None
    if not 1 <= value <= 5:
        raise row.error(f"expected a grade from 1 to 5, got {raw!r}", "orig_score")
    return value


@adapters.register("feedback_bench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    for rows in parts.values():
        for i, row in enumerate(rows):
            rid = row.get("id", types=(str, int), required=False)
            examples.append(PointExample(
                id=str(rid) if rid is not None else str(i), prompt=row.get("orig_instruction"),
                response=row.get("orig_response"), score=gold_of(row),
                reference=row.get("orig_reference_answer", required=False), rubric=rubric_of(row),
                category=row.get("orig_criteria")[:60] if suite.args.get("category_by_criteria") else None))
    return LoadedData(examples, provenance)
