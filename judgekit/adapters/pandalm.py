"""PandaLM test set (WeOpenML/PandaLM, data/testset-v1.json; Wang et al., 2023): 999 pairs
``idx, instruction, input, response1, response2, annotator1..3`` where each annotator wrote
0 (tie), 1 or 2. The gold label is the majority of the three annotators (a pair with three
different answers has no gold label and is counted, not scored)."""

from __future__ import annotations

import os
from collections import Counter

from ..facts import PandaLMFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, GoldLabel, PairExample
from ._io import LoadedData, Row, split_parts

VOTES: dict[int, GoldLabel] = {0: "tie", 1: "A", 2: "B"}


def majority(votes: list[GoldLabel]) -> GoldLabel | None:
    (top, n), *rest = Counter(votes).most_common()
    return top if n * 2 > len(votes) else None


def prompt_of(instruction: str, inp: str | None) -> str:
    """The task as PandaLM shows it: the instruction, then the input when there is one."""
    return f"{instruction}\n\n{inp}" if inp and inp.strip() else instruction


def votes_of(row: Row) -> list[GoldLabel]:
    votes: list[GoldLabel] = []
    for k in ("annotator1", "annotator2", "annotator3"):
        v = row.get(k, types=(int, str))
        try:
            votes.append(VOTES[int(v)])
        except (KeyError, ValueError):
            raise row.error(f"unknown annotation {v!r}; expected 0 (tie), 1 or 2", k) from None
    return votes


def response(row: Row, name: str) -> str:
    """A response as text. The published file holds JSON literals where a model answered just
    "True" (six items, idx 157 to 164, hold the boolean true); PandaLM's own code formats them
    into its prompt with Python's str(), and so do we."""
    return str(row.get(name, types=(str, bool, int, float)))


@adapters.register("pandalm")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    no_majority = 0
    for rows in parts.values():
        for row in rows:
            idx = row.get("idx", types=(int, str))
            votes = votes_of(row)
            gold = majority(votes)
            no_majority += gold is None
            examples.append(PairExample(
                id=str(idx), prompt=prompt_of(row.get("instruction"), row.get("input", required=False)),
                response_a=response(row, "response1"), response_b=response(row, "response2"), label=gold,
                metadata={"instruction": row.get("instruction"), "input": row.get("input", required=False) or "",
                          "motivation_app": row.get("motivation_app", required=False),
                          "aggregate": PandaLMFacts(annotators=votes).stored()}))
    provenance["no_majority"] = no_majority
    return LoadedData(examples, provenance)
