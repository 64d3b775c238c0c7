"""The audit's typed results: its configuration, each probe's result and the examples that flipped."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..metrics.stats import DEFAULT_LEVEL, DEFAULT_RESAMPLES
from ..probes.effects import ProbeEffect
from ..types import Frozen, RunConfig


class AuditConfig(Frozen):
    run: RunConfig
    probes: tuple[str, ...] = ()  # empty: every probe that applies to the suite's kind
    seed: int = 0  # the transforms' seed (and the bootstrap's)
    temperature: float = 0.7  # stability: the resample's and the paraphrase's sampling temperature
    level: float = DEFAULT_LEVEL  # joint level of the flags over all flaggable effects (Bonferroni)
    n_resamples: int = DEFAULT_RESAMPLES
    max_flips_shown: int = 10  # per variant, in the report
    judge_family: str | None = None  # self_preference: the judge's model family (default: from its name)
    judge: bool = True  # False: report from the judgments already stored, send nothing


class FlipExample(Frozen):
    """One (example, order) whose verdict moved under a perturbation: both versions, both outputs."""

    variant: str
    example_id: str
    order: str
    target: str | None = None
    original: dict[str, Any]
    perturbed: dict[str, Any]
    verdict_original: str
    verdict_perturbed: str
    raw_original: str | None = None
    raw_perturbed: str | None = None


class ProbeResult(Frozen):
    name: str
    description: str
    paper: str
    statistic: str
    status: str  # ok | skipped
    reason: str | None = None
    run_id: str | None = None
    record: dict[str, Any] = Field(default_factory=dict)  # the probe, version, seed and variants
    effects: list[ProbeEffect] = Field(default_factory=list)
    flips: list[FlipExample] = Field(default_factory=list)


class AuditResult(Frozen):
    audit_id: str
    suite: str
    split: str
    judge: str
    base_run: str
    kind: str
    seed: int
    level: float
    flag_level: float  # the per-interval level (Bonferroni over n_flaggable)
    n_flaggable: int
    probes: list[ProbeResult]

    @property
    def flagged(self) -> list[ProbeEffect]:
        return [e for p in self.probes for e in p.effects if e.flagged]
