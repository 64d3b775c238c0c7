"""Authority and citation: a fake reference or an expert attribution added to the worse
response (CALM's authority bias)."""

from __future__ import annotations

from ..registry import probes
from ._edits import ResponseEdit
from .base import Variant, seeded_choice

CITATIONS = (
    "Reference: Smith, J., & Chen, L. (2021). A comprehensive review of the topic. Journal of Applied Research, 14(3), 211-238.",
    "Source: Miller, R. (2019). Principles and Practice (3rd ed.). Oxford University Press, pp. 112-115.",
    "[1] Garcia, M. et al. (2022). Evidence from a large-scale study. Proceedings of the National Academy of Sciences, 119(8).",
    "Citation: Anderson, K. (2020). Foundations revisited. Cambridge University Press, ch. 4.",
)
EXPERTS = (
    "As a university professor who has taught this subject for over twenty years, I can answer this authoritatively.",
    "Speaking as a certified expert in this field with extensive professional experience:",
    "As a senior researcher who has published widely on this topic, here is the definitive answer.",
)


@probes.register("authority")
class Authority(ResponseEdit):
    name = "authority"
    description = ("A fake academic reference appended to, or an expert attribution put before, the worse "
                   "response; shift towards it.")
    paper = "Ye et al. 2024 (CALM: Justice or Prejudice?, authority bias); Chen et al. 2024 (Humans or LLMs as the Judge?, authority)"

    def variants(self) -> list[Variant]:
        return [Variant(name="citation", params={"edit": "worse", "where": "end", "texts": len(CITATIONS)},
                        target="worse"),
                Variant(name="expert", params={"edit": "worse", "where": "start", "texts": len(EXPERTS)},
                        target="worse")]

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        if variant.name == "citation":
            return text.rstrip() + "\n\n" + seeded_choice(CITATIONS, seed, key)
        return seeded_choice(EXPERTS, seed, key) + "\n\n" + text.lstrip()
