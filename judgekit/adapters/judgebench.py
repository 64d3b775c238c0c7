"""JudgeBench (ScalerLab/JudgeBench): pairs labelled "A>B" or "B>A" by objective correctness."""

from __future__ import annotations

import os

from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import LoadedData, input_rows

LABELS = {"A>B": "A", "B>A": "B"}


def category_of(source: str, categories: dict[str, str]) -> str | None:
    for name, prefix in categories.items():
        if source.startswith(prefix):
            return name
    return None


@adapters.register("judgebench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    categories: dict[str, str] = suite.args.get("categories", {})
    rows, provenance = input_rows(suite, split, data)
    examples: list[Example] = []
    for row in rows:
        pair_id = row.get("pair_id")
        source = row.get("source")
        label = row.get("label")
        if label not in LABELS:
            raise row.error(f"unknown label {label!r}; expected one of {', '.join(LABELS)}", "label")
        category = category_of(source, categories)
        if category is None:
            raise row.error(f"unknown source {source!r}; expected a prefix among "
                            f"{', '.join(categories.values())}", "source")
        examples.append(PairExample(
            id=pair_id,
            prompt=row.get("question"),
            response_a=row.get("response_A"),
            response_b=row.get("response_B"),
            label=LABELS[label],  # type: ignore[arg-type]
            category=category,
            source=source,
            metadata={"original_id": str(row.get("original_id", types=(str, int), required=False)),
                      "response_model": row.get("response_model", required=False)},
        ))
    return LoadedData(examples, provenance)
