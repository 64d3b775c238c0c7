"""Bandwagon: "most people preferred the first/second response" added to the instruction, naming
the worse response in one variant and the better one in the other. The sentence names a
position, so it is written per order: it always names the same response (by content)."""

from __future__ import annotations

import re

from ..registry import probes
from ..types import Example, Order, PairExample
from .base import Probe, Variant, variant_id

CUE = "Note: most people preferred the {slot} response."
CUE_RE = re.compile(r"most people preferred the (first|second) response", re.IGNORECASE)


def slot_of(which: str, order: Order) -> str:
    """Where response ``which`` (example frame) is shown in ``order``."""
    first = which == "A" if order == "AB" else which == "B"
    return "first" if first else "second"


@probes.register("bandwagon")
class Bandwagon(Probe):
    name = "bandwagon"
    description = ('"Note: most people preferred the first/second response." appended to the instruction, '
                   "naming the worse response (cue-worse) or the better one (cue-better); shift towards the "
                   "named response.")
    paper = "Ye et al. 2024 (CALM: Justice or Prejudice?, bandwagon-effect bias); Koo et al. 2023 (CoBBLEr, bandwagon)"
    statistic = "target_shift"

    def variants(self) -> list[Variant]:
        return [Variant(name="cue-worse", params={"cue": CUE}, target="worse"),
                Variant(name="cue-better", params={"cue": CUE}, target="better")]

    def transform(self, ex: Example, variant: Variant, order: Order, seed: int) -> Example | None:
        if not isinstance(ex, PairExample):
            return None
        which = self.target(ex, variant)
        if which is None:
            return None
        cue = CUE.format(slot=slot_of(which, order))
        return ex.model_copy(update={"prompt": ex.prompt.rstrip() + "\n\n" + cue, "id": variant_id(ex, variant)})
