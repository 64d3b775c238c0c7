"""Calibration: from logprob verdicts (p(A) on every judgment), the expected calibration error of
p(gold response) with a bootstrap interval, and the reliability diagram. Descriptive: there is no
zero-effect value to flag against (the ECE of a finite sample is positive even for a calibrated
judge)."""

from __future__ import annotations

from ..registry import probes
from .base import Probe


@probes.register("calibration")
class Calibration(Probe):
    name = "calibration"
    kinds = ("pairwise",)
    description = "ECE (10 equal-width bins) of p(A) from logprob verdicts against the gold labels."
    paper = "Guo et al. 2017 (ECE); Ye et al. 2024 (CALM); judge-calibration checks in the `judgekit`/`judge-bench` audit packages"
    statistic = "calibration"
    data_only = True
    flaggable = False
