"""Calibration: from logprob verdicts (p(A) on every judgment), two effects against the gold labels.

- The expected calibration error of p(A) with a bootstrap interval: descriptive, never flagged
  (there is no zero-effect value to flag against: the ECE of a finite sample is positive even for
  a calibrated judge).
- ``overconfidence``: the mean stated confidence of the pick, max(p, 1 - p), minus the share of
  picks that are right. A calibrated judge has 0 (its picks stated at confidence c are right a
  share c of the time); it is flagged like the other effects, with a one-sample t test over
  examples."""

from __future__ import annotations

from ..registry import probes
from .base import Probe


@probes.register("calibration")
class Calibration(Probe):
    name = "calibration"
    kinds = ("pairwise",)
    description = ("ECE (10 equal-width bins) of p(A) from logprob verdicts against the gold labels (descriptive), "
                   "and over-confidence: mean stated confidence of the pick minus its accuracy (flagged).")
    paper = "Guo et al. 2017 (ECE); Ye et al. 2024 (CALM); judge-calibration checks in the `judgekit`/`judge-bench` audit packages"
    statistic = "calibration"
    data_only = True
