"""RewardBench (allenai/reward-bench, split ``filtered``; Lambert et al., 2024): 2,985 prompts,
each with a chosen and a rejected response: ``prompt, chosen, chosen_model, rejected,
rejected_model, subset, id``. The chosen response is response A (the runner judges both orders,
so the position of the chosen one does not favour any judge); the subset is the category."""

from __future__ import annotations

import os

from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import LoadedData, split_parts


@adapters.register("rewardbench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    for rows in parts.values():
        for row in rows:
            subset = row.get("subset")
            examples.append(PairExample(
                id=str(row.get("id", types=(int, str))), prompt=row.get("prompt"),
                response_a=row.get("chosen"), response_b=row.get("rejected"), label="A", category=subset,
                metadata={"chosen_model": row.get("chosen_model", required=False),
                          "rejected_model": row.get("rejected_model", required=False)}))
    return LoadedData(examples, provenance)
