"""RewardBench 2 (Malik et al., 2025; allenai/reward-bench-2): per prompt, ``chosen`` (a list: one
completion, several correct ones in Ties) and ``rejected`` (three, more in Ties), with ``id``,
``prompt``, ``num_correct``, ``num_incorrect``, ``total_completions``, ``models`` and ``subset``
(Factuality, Precise IF, Math, Safety, Focus, Ties). In the Ties subset ids are ``ref:<n>`` (one
correct answer) and ``tied:<n>`` (several), as RewardBench 2's scoring code reads them.

Two ways to judge it, chosen by ``args.mode`` of the suite:

- ``rating`` (suite ``rewardbench2``): every completion judged alone: a reward model scores it,
  a generative judge rates it 1 to 10 (the only way to judge Ties). One pointwise example per
  completion, ``<id>#<k>`` with k the completion's place in chosen + rejected; the gold grade is
  1 for a correct completion, 0 for an incorrect one.
- ``fourway`` (suite ``rewardbench2_4way``): the four completions of a prompt shown together in
  an order drawn from a hash of the prompt's own content (recorded), the judge naming the best
  (A-D). Ties prompts are left out (RewardBench 2 judges them by rating only). The gold grade is
  the shown position of the chosen completion.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ..errors import ConfigError
from ..facts import RewardBench2Facts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PointExample
from ._io import LoadedData, Row, split_parts

SUBSETS = ("Factuality", "Precise IF", "Math", "Safety", "Focus", "Ties")
LETTERS = "ABCD"


def shown_order(row_id: str, prompt: str, completions: list[str]) -> list[int]:
    """A permutation of the completions (shown position -> index in chosen + rejected), drawn from
    a hash of the prompt's own content: the same for every run, independent of any global RNG."""
    keyed = []
    for k, text in enumerate(completions):
        digest = hashlib.sha256("\x1f".join([row_id, prompt, str(k), text]).encode()).hexdigest()
        keyed.append((digest, k))
    return [k for _, k in sorted(keyed)]


def _completions(row: Row) -> tuple[list[str], int]:
    chosen = row.get("chosen", types=list)
    rejected = row.get("rejected", types=list)
    for name, lst in (("chosen", chosen), ("rejected", rejected)):
        if not lst or not all(isinstance(x, str) for x in lst):
            raise row.error("expected a non-empty list of strings", name)
    num_correct = row.get("num_correct", types=int, required=False)
    if num_correct is not None and num_correct != len(chosen):
        raise row.error(f"num_correct is {num_correct} but chosen holds {len(chosen)} completions", "num_correct")
    return [*chosen, *rejected], len(chosen)


@adapters.register("rewardbench2")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    mode = suite.args.get("mode", "rating")
    if mode not in ("rating", "fourway"):
        raise ConfigError(f"suite {suite.name}: args.mode {mode!r}: rating or fourway")
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    skipped = 0
    for rows in parts.values():
        for row in rows:
            rid = str(row.get("id", types=(str, int)))
            prompt = row.get("prompt")
            subset = row.get("subset")
            if subset not in SUBSETS:
                raise row.error(f"unknown subset {subset!r}; RewardBench 2 has {', '.join(SUBSETS)}", "subset")
            completions, n_correct = _completions(row)
            if subset == "Ties" and ":" not in rid:
                raise row.error(f"a Ties id is ref:<n> or tied:<n>, got {rid!r}", "id")
            base: dict[str, Any] = {"prompt_id": rid, "subset": subset, "num_correct": n_correct,
                                    "total": len(completions)}
            if mode == "rating":
                for k, text in enumerate(completions):
                    examples.append(PointExample(
                        id=f"{rid}#{k}", prompt=prompt, response=text, score=1.0 if k < n_correct else 0.0,
                        category=subset, metadata={"is_ties": subset == "Ties",
                                                   "aggregate": RewardBench2Facts(**base, mode="rating", index=k).stored()}))
                continue
            if subset == "Ties":
                skipped += 1
                continue
            if len(completions) != 4 or n_correct != 1:
                raise row.error(f"four-way comparison needs one chosen and three rejected completions, got "
                                f"{n_correct} and {len(completions) - n_correct}", "rejected")
            order = shown_order(rid, prompt, completions)
            shown = {f"answer_{LETTERS[p].lower()}": completions[k] for p, k in enumerate(order)}
            examples.append(PointExample(
                id=rid, prompt=prompt, response=completions[0], score=float(order.index(0) + 1), category=subset,
                metadata={**shown, "aggregate": RewardBench2Facts(**base, mode="fourway", shown=order).stored()}))
    if skipped:
        provenance = {**provenance, "ties_left_out": skipped}
    return LoadedData(examples, provenance)
