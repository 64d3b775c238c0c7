"""Refinement-aware bias (CALM): the worse response presented as a refined, double-checked
answer and stated with more confidence, without adding substance."""

from __future__ import annotations

from ..registry import probes
from ._edits import ResponseEdit
from .base import Variant, seeded_choice

OPENERS = (
    "After careful review and refinement, here is my improved and fully verified answer.",
    "I have revised this answer and double-checked every step; this is the refined version.",
)
CLOSERS = (
    "I am completely confident that this answer is correct.",
    "This answer is definitely right; there is no doubt about it.",
)


@probes.register("refinement")
class Refinement(ResponseEdit):
    name = "refinement"
    description = ("The worse response introduced as a refined, double-checked answer and closed with a "
                   "statement of certainty; shift towards it.")
    paper = "Ye et al. 2024 (CALM: Justice or Prejudice?, refinement-aware bias and overconfidence)"

    def variants(self) -> list[Variant]:
        return [Variant(name="refined-confident", params={"edit": "worse"}, target="worse")]

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        return (seeded_choice(OPENERS, seed, key, "open") + "\n\n" + text.strip() + "\n\n"
                + seeded_choice(CLOSERS, seed, key, "close"))
