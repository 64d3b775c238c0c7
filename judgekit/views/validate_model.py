"""The typed configuration and results of `judgekit validate` (:mod:`judgekit.views.validate`), shared
by the headline comparison (:mod:`judgekit.views.validate_headline`) and the probe gate
(:mod:`judgekit.views.validate_probes`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..types import Frozen, JudgeConfig

Status = Literal["pass", "fail", "n/a"]


class ValidateConfig(Frozen):
    candidate: JudgeConfig
    baseline_runs: tuple[str, ...] = ()  # stored run folders, matched to the suites by their manifests
    baseline_judge: JudgeConfig | None = None  # or a judge to run as the baseline
    targets: tuple[tuple[str, str | None], ...]  # (suite, split or None for the default)
    data: str | None = None
    suite_args: dict[str, Any] = Field(default_factory=dict)  # the generic suite's --field / --label / --kind
    max_drop: float = 1.0  # allowed drop of the headline, in percentage points (hundredths of a ratio)
    alpha: float = 0.05
    results_dir: str = "results"
    cache: str | None = None
    use_cache: bool = True
    concurrency: int = 32
    limit: int | None = None
    n_resamples: int = 1000
    seed: int = 0
    # the probe gate: the candidate's audit, and the baseline's audit and/or absolute limits on effects
    audit: str | None = None
    baseline_audit: str | None = None
    max_effects: tuple[tuple[str, float], ...] = ()  # ("PROBE" or "PROBE/VARIANT", largest distance from no effect)
    max_increase: float = 0.0  # allowed increase of an effect over the baseline audit's


class Check(Frozen):
    metric: str  # the suite's headline name, "invalid verdicts", "position bias", "probe <name>"
    scope: str  # "overall", a category, or a probe's variant
    baseline: float | None  # percent (position bias: points away from 50; a ratio headline: the ratio)
    candidate: float | None
    difference: float | None  # candidate - baseline, on the same scale
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    p_value: float | None = None  # the test's p-value (Holm-adjusted for categories)
    test: str
    n: int
    higher_is_better: bool
    status: Status
    reason: str
    headline: bool = False  # the suite's headline (overall or a category of it)
    digits: int = 2  # decimals to print (a ratio headline 4, a probe's effect 3)


class SuiteComparison(Frozen):
    suite: str
    split: str
    baseline_run: str
    candidate_run: str
    n_compared: int
    n_only_baseline: int
    n_only_candidate: int
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()
    headline: str | None = None  # the name of the headline compared (scoring.headline)

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


class AuditComparison(Frozen):
    """The probe gate: the candidate's audit against absolute limits and/or the baseline's audit."""

    suite: str
    split: str
    candidate_audit: str
    baseline_audit: str | None = None
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


class ValidationResult(Frozen):
    passed: bool
    candidate: str
    baseline: str
    max_drop: float
    alpha: float
    suites: tuple[SuiteComparison, ...]
    audit: AuditComparison | None = None
