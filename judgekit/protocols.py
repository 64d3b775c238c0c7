"""Pairwise protocol: swap augmentation, un-swap and the conflict policies.

Swapping is an invertible transform of an example; an example's single order (when
only one is judged and the order is randomised) is drawn from a hash of the example's
own content, never from a global random state.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

from .types import GoldLabel, Judgment, Order, PairExample, Winner

FLIP: dict[str, Winner] = {"A": "B", "B": "A", "tie": "tie", "invalid": "invalid"}

SingleOrder = Literal["original", "random"]


def flip(winner: Winner) -> Winner:
    return FLIP[winner]


def swap(example: PairExample) -> PairExample:
    """The same example with the two responses exchanged and the label flipped."""
    return example.model_copy(update={
        "response_a": example.response_b,
        "response_b": example.response_a,
        "label": None if example.label is None else flip(example.label),
    })


def unswap_winner(shown: Winner, order: Order) -> Winner:
    """Map a verdict from the shown frame back to the example's own frame."""
    return shown if order == "AB" else flip(shown)


def unswap_scores(scores: list[float] | None, order: Order) -> list[float] | None:
    if scores is None or order == "AB":
        return scores
    return [scores[1], scores[0]]


def unswap_p(p_first: float | None, order: Order) -> float | None:
    if p_first is None or order == "AB":
        return p_first
    return 1.0 - p_first


def content_order(example: PairExample) -> Order:
    """A stable pseudo-random order drawn from the example's own content."""
    digest = hashlib.sha256(
        "\x1f".join([example.id, example.prompt, example.response_a, example.response_b]).encode()
    ).digest()
    return "AB" if digest[0] % 2 == 0 else "BA"


def orders_for(example: PairExample, swap_augment: bool, single_order: SingleOrder = "original") -> list[Order]:
    if swap_augment:
        return ["AB", "BA"]
    return ["AB"] if single_order == "original" else [content_order(example)]


# --------------------------------------------------------------------------- policies
# Each policy combines the un-swapped verdicts of one pair (first order first) into one
# verdict in the example's frame; a pair is correct when that verdict equals the gold label.


def _vote(verdicts: Sequence[Winner]) -> Winner:
    """JudgeBench's rule: decisive votes for A minus votes for B; ties and invalid abstain.

    For a gold label A, "A wins the vote" is exactly "verdicts that agree with the label
    outnumber those that contradict it": correct + tie is correct, correct + wrong is not.
    """
    score = sum(1 if v == "A" else -1 if v == "B" else 0 for v in verdicts)
    return "A" if score > 0 else "B" if score < 0 else "tie"


def _both(verdicts: Sequence[Winner]) -> Winner:
    """Correct only when every order gives the same valid verdict."""
    first = verdicts[0]
    return first if first != "invalid" and all(v == first for v in verdicts) else "invalid"


def _tie(verdicts: Sequence[Winner]) -> Winner:
    """An order-inconsistent pair becomes a tie."""
    first = verdicts[0]
    if all(v == first for v in verdicts):
        return first
    return "tie"


def _first(verdicts: Sequence[Winner]) -> Winner:
    return verdicts[0]


POLICIES: dict[str, Callable[[Sequence[Winner]], Winner]] = {
    "judgebench": _vote,
    "both": _both,
    "tie": _tie,
    "first": _first,
}


def combine(policy: str, verdicts: Sequence[Winner]) -> Winner:
    return POLICIES[policy](verdicts)


def is_correct(combined: Winner, label: GoldLabel | None) -> bool:
    return label is not None and combined == label


def win_credit(winner: Winner, p_a: float | None = None) -> float | None:
    """The credit of response B (the evaluated model, shown second in the example's own frame)
    for one verdict: 1 for a win, 0.5 for a tie, 0 for a loss, and for a continuous preference
    its probability 1 - p(A); None for an invalid verdict. The one verdict -> credit rule
    (win rates, AlpacaEval preferences = 1 + credit, system rankings)."""
    if winner == "invalid":
        return None
    if p_a is not None:
        return 1.0 - p_a
    return 1.0 if winner == "B" else 0.5 if winner == "tie" else 0.0


def by_example(rows: Iterable[Judgment]) -> dict[str, list[Judgment]]:
    """Rows grouped by example, each group in order AB, BA (then by sample), examples by id."""
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        groups[j.example_id].append(j)
    # the stable sort of all rows by (example, order, sample), one small group at a time
    out: dict[str, list[Judgment]] = {}
    for key in sorted(groups):
        js = groups[key]
        if len(js) > 1:
            js.sort(key=lambda j: (j.order != "AB", j.sample))
        out[key] = js
    return out


T = TypeVar("T")
R = TypeVar("R")


def category_of(item: Any) -> str | None:
    """The category of a judgment, or of an example's judgments (its first one's)."""
    if isinstance(item, (list, tuple)):
        return item[0].category if item else None
    return getattr(item, "category", None)


def by_category(fn: Callable[[list[T]], R], *, key: Callable[[T], str | None] = category_of,
                order: Sequence[str] | None = None, overall: str | None = "overall", overall_first: bool = True,
                blank: str | None = None) -> Callable[[Iterable[T]], dict[str, R]]:
    """``fn`` per category: the combinator every per-category figure goes through.

    The returned function groups its items (judgments, or examples' judgment lists) by ``key``
    and maps each category's name to ``fn`` of its items, and ``overall`` (unless None) to ``fn`` of
    all of them, first or last. Categories come in ``order`` first (those present), then the rest
    sorted. Items with no category (None or "") are left out of the categories, unless ``blank``
    names their group (it sorts as "", first among the rest); they are always in ``overall``.
    """
    def per_category(items: Iterable[T]) -> dict[str, R]:
        every = list(items)
        groups: dict[str, list[T]] = {}
        for it in every:
            name = key(it) or ""
            if name or blank is not None:
                groups.setdefault(name, []).append(it)
        first = [c for c in (order or []) if c in groups]
        names = first + sorted(set(groups) - set(first))
        out: dict[str, R] = {}
        if overall is not None and overall_first:
            out[overall] = fn(every)
        for name in names:
            out[(blank or "") if name == "" else name] = fn(groups[name])
        if overall is not None and not overall_first:
            out[overall] = fn(every)
        return out

    return per_category
