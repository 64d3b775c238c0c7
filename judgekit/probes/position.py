"""Position: does the judge prefer whichever response it sees first? Both orders of every pair
(the unperturbed run already has them); the effect is P(first shown) - P(second shown)."""

from __future__ import annotations

from ..registry import probes
from .base import Probe


@probes.register("position")
class Position(Probe):
    name = "position"
    description = ("Both orders of each pair: P(picks the first shown) - P(picks the second shown); "
                   "0 is unbiased, +1 always first.")
    paper = "Zheng et al. 2023 (MT-Bench, position bias); Wang et al. 2023 (Large Language Models are not Fair Evaluators)"
    statistic = "first_shift"
    data_only = True
