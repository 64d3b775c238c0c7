"""Central tendency (pointwise): the spread of the judge's grades against the spread of the gold
grades on the same items (sd ratio; below 1 the judge crowds its grades towards the middle)."""

from __future__ import annotations

from ..registry import probes
from .base import Probe


@probes.register("central_tendency")
class CentralTendency(Probe):
    name = "central_tendency"
    kinds = ("pointwise",)
    description = "sd(judge grades) / sd(gold grades) on the same items; 1 is the gold spread."
    paper = "Stureborg et al. 2024 (LLMs as inconsistent and biased evaluators); Saal et al. 1980 (rating errors: central tendency)"
    statistic = "spread_ratio"
    null_value = 1.0
    data_only = True
