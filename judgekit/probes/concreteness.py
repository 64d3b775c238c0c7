"""Concreteness: invented specifics (numbers, dates, counts, percentages) added to the worse
response, without a source and without substance (EvalBiasBench's concreteness type: the worse
response looks more concrete; this probe makes that the one thing that changes)."""

from __future__ import annotations

from ..registry import probes
from ._edits import ResponseEdit
from .base import Variant, seeded_choice

#: specific-looking but empty: they name no source (the `authority` probe adds sources) and say
#: nothing about any particular question
SPECIFICS = (
    "In concrete terms: this comes down to 3 key points, checked against 12 separate cases, with a "
    "consistency of 94.7% across all of them.",
    "For precision: the figures above were last verified on 14 March 2023, across 8,312 examples in "
    "27 categories, with a margin of error of 2.1%.",
    "Specifically: 5 steps, 2 main factors and 1 exception, which together account for about 87% of "
    "what is observed in practice (measured over 4 years, 2019 to 2022).",
    "Exact details: 4 components, 16 sub-steps and 3 checkpoints; in 9 out of 10 cases (90.2%) this "
    "is what applies, as recorded in 1,450 observations.",
)


@probes.register("concreteness")
class Concreteness(ResponseEdit):
    name = "concreteness"
    description = ("Invented specifics (counts, dates, percentages; no source, no substance) appended to the "
                   "worse response; shift towards it.")
    paper = ("Park et al. 2024 (OffsetBias / EvalBiasBench, concreteness bias); Ye et al. 2024 (CALM, "
             "authority and fabricated detail)")

    def variants(self) -> list[Variant]:
        return [Variant(name="fake-specifics", params={"edit": "worse", "where": "end", "texts": len(SPECIFICS)},
                        target="worse")]

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        return text.rstrip() + "\n\n" + seeded_choice(SPECIFICS, seed, key)
