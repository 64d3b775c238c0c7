"""MT-Bench human judgments (lmsys/mt_bench_human_judgments; Zheng et al., 2023).

The hub rows are votes: ``question_id, model_a, model_b, winner ("model_a", "model_b", "tie"),
judge, conversation_a, conversation_b (lists of {role, content}), turn (1 or 2)``. Votes on the
same (question, two models, turn) become one pair, as MT-Bench's compute_agreement.py groups
them: response A is the model whose name sorts first, and every vote is mapped into that frame.
The pair keeps all its human votes (``meta.human_votes``) for the agreement figures; its label
is their strict majority (none when there is none). A turn-2 pair carries the whole
conversation (``question_1``, ``answer_1_a`` ...) for the multi-turn judge prompt.

The question's category comes from its id (MT-Bench numbers its 80 questions in blocks of ten
per category); GPT-4 reference answers (MT-Bench's reference_answer/gpt-4.jsonl) are attached
for the categories MT-Bench judges with a reference when that file is found.

LLMBar's processed MT-Bench set (200 pairs with human-majority labels, ties removed;
``input, output_1, output_2, label``) reads through the same adapter.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

from ..facts import MTBenchFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, GoldLabel, PairExample
from ._io import LoadedData, Row, split_parts
from .llmbar import pair_from_row

WINNERS: dict[str, GoldLabel] = {"model_a": "A", "model_b": "B", "tie": "tie"}
FLIP: dict[GoldLabel, GoldLabel] = {"A": "B", "B": "A", "tie": "tie"}


def vote_of(winner: str) -> GoldLabel | None:
    """A vote in the pair's frame; FastChat's GPT-4 files write "tie (inconsistent)", also a tie."""
    if winner in WINNERS:
        return WINNERS[winner]
    return "tie" if "tie" in winner else None


def category_of(question_id: int, categories: dict[str, list[int]]) -> str | None:
    for name, (low, high) in categories.items():
        if low <= question_id <= high:
            return name
    return None


def _turns(row: Row, name: str) -> list[str]:
    conv = row.get(name, types=list)
    out = []
    for msg in conv:
        if not isinstance(msg, dict) or "content" not in msg:
            raise row.error("expected a list of {role, content} messages", name)
        out.append(str(msg["content"]))
    if len(out) < 2:
        raise row.error(f"expected at least one user and one assistant message, got {len(out)}", name)
    return out


def majority(votes: list[GoldLabel]) -> GoldLabel | None:
    if not votes:
        return None
    top, n = Counter(votes).most_common(1)[0]
    return top if n * 2 > len(votes) else None


@adapters.register("mtbench_human")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    categories: dict[str, list[int]] = args.get("categories", {})
    need_ref: set[str] = set(args.get("reference_categories", []))
    judge_prefixes: tuple[str, ...] = tuple(args.get("human_judges", ["expert"]))
    parts, provenance = split_parts(suite, split, data)

    references: dict[int, list[str]] = {}
    for row in parts.get("references", []):
        choices = row.get("choices", types=list)
        if choices and isinstance(choices[0], dict):
            references[int(row.get("question_id", types=(int, str)))] = [str(t) for t in choices[0].get("turns", [])]

    examples: list[Example] = []
    if "pairs" in parts:  # LLMBar's processed set: one labelled pair per row
        for i, row in enumerate(parts["pairs"]):
            ex = pair_from_row(row, f"mtbench-processed/{i}", None)
            examples.append(ex.model_copy(update={"metadata": {"aggregate": MTBenchFacts(human_votes=[ex.label]).stored()}}))
        return LoadedData(examples, provenance)

    groups: dict[tuple[int, str, str, int], dict[str, Any]] = {}
    votes: dict[tuple[int, str, str, int], list[GoldLabel]] = defaultdict(list)
    skipped = 0
    for row in parts.get("votes", []):
        judge = row.get("judge", types=(str, list))
        judge_name = judge if isinstance(judge, str) else "-".join(map(str, judge))
        if judge_prefixes and not judge_name.startswith(judge_prefixes):
            skipped += 1
            continue
        qid = int(row.get("question_id", types=(int, str)))
        turn = int(row.get("turn", types=(int, str)))
        if turn not in (1, 2):
            raise row.error(f"expected turn 1 or 2, got {turn}", "turn")
        model_a, model_b = row.get("model_a"), row.get("model_b")
        winner = row.get("winner")
        vote = vote_of(winner)
        if vote is None:
            raise row.error(f"unknown winner {winner!r}; expected model_a, model_b or tie", "winner")
        conv_a, conv_b = _turns(row, "conversation_a"), _turns(row, "conversation_b")
        if turn == 2 and (len(conv_a) < 4 or len(conv_b) < 4):
            raise row.error("a turn-2 vote needs two user and two assistant messages", "conversation_a")
        if model_b < model_a:  # the pair's frame: models in name order
            model_a, model_b, conv_a, conv_b, vote = model_b, model_a, conv_b, conv_a, FLIP[vote]
        key = (qid, model_a, model_b, turn)
        votes[key].append(vote)
        groups.setdefault(key, {"conv_a": conv_a, "conv_b": conv_b})

    for key in sorted(groups):
        qid, model_a, model_b, turn = key
        conv_a, conv_b = groups[key]["conv_a"], groups[key]["conv_b"]
        category = category_of(qid, categories)
        meta: dict[str, Any] = {"question_1": conv_a[0], "answer_1_a": conv_a[1], "answer_1_b": conv_b[1],
                                "turn": turn, "model_a": model_a, "model_b": model_b}
        if turn == 2:
            meta.update(question_2=conv_a[2], answer_2_a=conv_a[3], answer_2_b=conv_b[3])
        ref = references.get(qid)
        if category in need_ref and ref:
            meta["ref_answer_1"] = ref[0]
            if len(ref) > 1:
                meta["ref_answer_2"] = ref[1]
        meta["aggregate"] = MTBenchFacts(turn=turn, human_votes=list(votes[key])).stored()
        examples.append(PairExample(
            id=f"{qid}/{model_a}/{model_b}/turn{turn}",
            prompt=conv_a[0] if turn == 1 else conv_a[2],
            response_a=conv_a[1] if turn == 1 else conv_a[3],
            response_b=conv_b[1] if turn == 1 else conv_b[3],
            label=majority(votes[key]), category=category, metadata=meta))
    provenance["votes_other_judges"] = skipped
    provenance["references"] = len(references)
    return LoadedData(examples, provenance)
