"""EvalBiasBench (OffsetBias; Park et al., 2024): a JSON object keyed by bias type, each a list
of ``instruction, response1, response2, label`` (label 1 or 2; in the published file always 1).
The hub copy is one row per item with the bias type in ``bias``."""

from __future__ import annotations

import os
from collections import Counter

from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import LoadedData, split_parts

LABELS = {1: "A", 2: "B"}


@adapters.register("evalbiasbench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    seen: Counter[str] = Counter()
    for rows in parts.values():
        for row in rows:
            bias = row.get("bias", required=False) or row.get("_group", required=False)
            if not bias:
                raise row.error("missing (no bias type in the item or its group)", "bias")
            label = row.get("label", types=(int, str))
            try:
                gold = LABELS[int(label)]
            except (KeyError, ValueError):
                raise row.error(f"unknown label {label!r}; expected 1 or 2", "label") from None
            examples.append(PairExample(
                id=f"{bias}/{seen[bias]}", prompt=row.get("instruction"), response_a=row.get("response1"),
                response_b=row.get("response2"), label=gold, category=bias))  # type: ignore[arg-type]
            seen[bias] += 1
    return LoadedData(examples, provenance)
