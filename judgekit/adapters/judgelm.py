"""JudgeLM validation set (BAAI/JudgeLM-data-collection-v1.0; Zhu et al., 2023).

Three files joined by position, as JudgeLM's own evaluation joins them:
``judgelm_val_5k.jsonl`` (``question_id, question_body, answer1_body, answer2_body,
answer1_model_id, answer2_model_id``), the GPT-4 verdicts ``judgelm_val_5k_gpt4.jsonl`` (or
``..._gpt4_with_reference.jsonl``; ``score: [s1, s2]`` and ``text`` whose first line holds the
two scores) and, optionally, ``judgelm_val_5k_references.jsonl`` (``reference: {text}``, or a
plain string). The gold label is the higher GPT-4 score (equal scores are a tie); pairs whose
GPT-4 score is [-1, -1] (GPT-4 failed) are dropped, as JudgeLM drops them, and counted.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..facts import JudgeLMFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, GoldLabel, PairExample
from ._io import LoadedData, Row, split_parts

_SCORES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)")


def gold_scores(row: Row) -> tuple[float, float]:
    score = row.get("score", types=list, required=False)
    if score is not None:
        if len(score) != 2 or not all(isinstance(s, (int, float)) for s in score):
            raise row.error(f"expected two numbers, got {score!r:.60}", "score")
        return float(score[0]), float(score[1])
    m = _SCORES.match(row.get("text"))
    if not m:
        raise row.error("no pair of scores on the first line", "text")
    return float(m.group(1)), float(m.group(2))


def label_of(s1: float, s2: float) -> GoldLabel:
    return "A" if s1 > s2 else "B" if s2 > s1 else "tie"


def reference_text(row: Row) -> str | None:
    ref: Any = row.get("reference", types=(dict, str), required=False)
    if isinstance(ref, dict):
        text = ref.get("text")
        if not isinstance(text, str):
            raise row.error("expected {text: ...}", "reference")
        return text
    return ref


@adapters.register("judgelm")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    parts, provenance = split_parts(suite, split, data)
    questions, verdicts = parts["questions"], parts["gpt4"]
    references = parts.get("references")
    if len(verdicts) != len(questions):
        raise verdicts[-1].error(f"{len(verdicts)} GPT-4 verdicts for {len(questions)} questions; the files "
                                 "are joined by position and must have the same length")
    if references is not None and len(references) != len(questions):
        raise references[-1].error(f"{len(references)} references for {len(questions)} questions")
    examples: list[Example] = []
    dropped = 0
    for i, (q, v) in enumerate(zip(questions, verdicts, strict=True)):
        qid = q.get("question_id", types=(int, str))
        vid = v.get("question_id", types=(int, str), required=False)
        if vid is not None and str(vid) != str(qid):
            raise v.error(f"question_id {vid} does not match the question file's {qid} at position {i + 1}",
                          "question_id")
        s1, s2 = gold_scores(v)
        if s1 == -1 or s2 == -1:
            dropped += 1
            continue
        metadata: dict[str, Any] = {"answer1_model_id": q.get("answer1_model_id", required=False),
                                    "answer2_model_id": q.get("answer2_model_id", required=False),
                                    "aggregate": JudgeLMFacts(gpt4_scores=[s1, s2]).stored()}
        if references is not None:
            metadata["reference"] = reference_text(references[i])
        examples.append(PairExample(
            id=str(qid), prompt=q.get("question_body"), response_a=q.get("answer1_body"),
            response_b=q.get("answer2_body"), label=label_of(s1, s2), metadata=metadata))
    provenance["dropped_gpt4_failed"] = dropped
    return LoadedData(examples, provenance)
