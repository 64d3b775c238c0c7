"""Two judges' audits of the same suite, effect by effect, paired over the examples both scored."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..metrics.stats import DEFAULT_LEVEL, DEFAULT_RESAMPLES, rng_for, simultaneous_level
from ..probes.effects import EffectComparison, compare_effects
from .models import AuditResult


def load_audit(path: str | Path) -> AuditResult:
    """An audit.json (or the audit folder holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / "audit.json"
    if not p.is_file():
        raise ConfigError(f"{path}: no audit.json (pass an audit folder or its audit.json)")
    try:
        return AuditResult.model_validate_json(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{p}: not a judgekit audit ({str(exc).splitlines()[0]})") from None


def compare_audits(candidate: AuditResult, baseline: AuditResult, *, max_increase: float = 0.0,
                   level: float = DEFAULT_LEVEL, n_resamples: int = DEFAULT_RESAMPLES,
                   seed: int = 0) -> list[EffectComparison]:
    """Each effect both audits report per example, candidate against baseline, paired over the examples
    both scored (the transforms are seeded, so two judges' audits perturb the same way). Intervals and
    the tests are Bonferroni-simultaneous over the effects compared."""
    if (candidate.suite, candidate.split) != (baseline.suite, baseline.split):
        raise ConfigError(f"the baseline audit is of {baseline.suite}/{baseline.split}, this one of "
                          f"{candidate.suite}/{candidate.split}")
    base = {(e.probe, e.variant): e for p in baseline.probes for e in p.effects if e.per_example}
    pairs = [(e, base[(e.probe, e.variant)]) for p in candidate.probes for e in p.effects
             if e.per_example and (e.probe, e.variant) in base]
    lvl = simultaneous_level(level, len(pairs))
    return [compare_effects(c, b, max_increase=max_increase, level=lvl, n_resamples=n_resamples,
                            seed=rng_for(seed, "compare", c.probe, c.variant or "")) for c, b in pairs]
