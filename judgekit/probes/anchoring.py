"""Scale anchoring (pointwise): a reference grade mentioned in the prompt, at the low and at the
high end of the scale; the effect is the mean shift of the judge's grade towards the anchor."""

from __future__ import annotations

import re

from ..registry import probes
from ..types import Example, Order, PointExample
from .base import Probe, Variant, variant_id

CUE = "For reference, another grader gave this response a score of {grade}."
CUE_RE = re.compile(r"another grader gave this response a score of (\d+(?:\.\d+)?)")


@probes.register("anchoring")
class Anchoring(Probe):
    name = "anchoring"
    kinds = ("pointwise",)
    description = ("A reference grade (the scale's lowest or highest) mentioned in the instruction; mean "
                   "shift of the judge's grade towards it (grade points).")
    paper = "Tversky & Kahneman 1974 (anchoring); Stureborg et al. 2024 (LLMs as inconsistent and biased evaluators, anchoring)"
    statistic = "grade_shift"

    def __init__(self, low: float = 1, high: float = 5) -> None:
        self.low, self.high = low, high

    def variants(self) -> list[Variant]:
        return [Variant(name="anchor-low", params={"grade": self.low, "direction": -1, "cue": CUE}),
                Variant(name="anchor-high", params={"grade": self.high, "direction": 1, "cue": CUE})]

    def transform(self, ex: Example, variant: Variant, order: Order, seed: int) -> Example | None:
        if not isinstance(ex, PointExample):
            return None
        cue = CUE.format(grade=f"{float(variant.params['grade']):g}")
        return ex.model_copy(update={"prompt": ex.prompt.rstrip() + "\n\n" + cue, "id": variant_id(ex, variant)})
