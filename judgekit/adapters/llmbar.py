"""LLMBar (princeton-nlp/LLMBar; Zeng et al., 2024): instruction-following pairs, one output
correct and one not; ``input, output_1, output_2, label`` with label 1 or 2. A split is made of
subsets (Natural; Adversarial Neighbor, GPTInst, GPTOut, Manual), one file each; the subset is
the example's category. The same format serves LLMBar's processed FairEval, LLMEval2 and
MT-Bench sets."""

from __future__ import annotations

import os

from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import LoadedData, Row, split_parts

LABELS = {1: "A", 2: "B"}


def pair_from_row(row: Row, example_id: str, category: str | None) -> PairExample:
    label = row.get("label", types=(int, str))
    try:
        gold = LABELS[int(label)]
    except (KeyError, ValueError):
        raise row.error(f"unknown label {label!r}; expected 1 or 2", "label") from None
    return PairExample(id=example_id, prompt=row.get("input"), response_a=row.get("output_1"),
                       response_b=row.get("output_2"), label=gold,  # type: ignore[arg-type]
                       category=category or None)


@adapters.register("llmbar")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    for subset, rows in parts.items():
        for i, row in enumerate(rows):
            examples.append(pair_from_row(row, f"{subset or 'llmbar'}/{i}", subset))
    return LoadedData(examples, provenance)
