"""Sentiment (CALM): the worse response made warmer and more polite, without adding substance."""

from __future__ import annotations

from ..registry import probes
from ._edits import ResponseEdit
from .base import Variant, seeded_choice

OPENERS = (
    "What a great question! I'm really happy to help you with this.",
    "Thank you so much for asking, I'd be delighted to help!",
)
CLOSERS = (
    "I hope this helps, and please don't hesitate to ask if you have any other questions!",
    "Wishing you all the best, and thank you again for such a thoughtful question!",
)


@probes.register("sentiment")
class Sentiment(ResponseEdit):
    name = "sentiment"
    description = "The worse response wrapped in cheerful, polite sentences; shift towards it."
    paper = "Ye et al. 2024 (CALM: Justice or Prejudice?, sentiment bias)"

    def variants(self) -> list[Variant]:
        return [Variant(name="polite", params={"edit": "worse"}, target="worse")]

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        return (seeded_choice(OPENERS, seed, key, "open") + "\n\n" + text.strip() + "\n\n"
                + seeded_choice(CLOSERS, seed, key, "close"))
