"""validate's probe gate: the candidate's audit (`judgekit audit`'s audit.json) against absolute limits
on its effects (``--max-effect PROBE[/VARIANT]=X``) and/or against the baseline judge's audit of the
same suite (``--baseline-audit``: each effect's difference candidate - baseline, paired over the
examples both audits scored, with its bootstrap interval and sign test; fails when the candidate is
significantly further from no effect by more than ``--max-increase``). The statistics are
:mod:`judgekit.audit_gate`'s, the ones `judgekit audit` gates with."""

from __future__ import annotations

from ..audit_gate import EffectGate, baseline_gates, limit_gates
from ..errors import ConfigError
from .validate_model import AuditComparison, Check, ValidateConfig

#: effects are shares and shifts in [-1, 1] (a correlation for calibration): three decimals, as the audit
DIGITS = 3


def audit_comparison(config: ValidateConfig) -> AuditComparison | None:
    """The probe gate's checks, or None when validate was given no audit."""
    if config.audit is None:
        if config.baseline_audit is not None or config.max_effects:
            raise ConfigError("--baseline-audit and --max-effect gate the candidate's audit: pass it with --audit DIR")
        return None
    if config.baseline_audit is None and not config.max_effects:
        raise ConfigError("--audit: say what to gate on, --baseline-audit DIR (the baseline judge's audit) "
                          "and/or --max-effect PROBE=X")
    from ..audit import load_audit  # only with --audit: judgekit.audit loads the backends' base

    candidate = load_audit(config.audit)
    gates = limit_gates(candidate, dict(config.max_effects))
    notes = [f"candidate audit {candidate.audit_id} of judge {candidate.judge}"]
    baseline_id = None
    if config.baseline_audit is not None:
        baseline = load_audit(config.baseline_audit)
        baseline_id = baseline.audit_id
        compared = baseline_gates(candidate, baseline, max_increase=config.max_increase, level=1.0 - config.alpha,
                                  n_resamples=config.n_resamples, seed=config.seed)
        if not compared:
            raise ConfigError(f"--baseline-audit {config.baseline_audit}: no effect of it is also in the candidate's "
                              "audit with per-example values (audit both judges with the same probes)")
        gates += compared
        notes.append(f"baseline audit {baseline.audit_id} of judge {baseline.judge}; differences paired over the "
                     f"examples both audits scored, intervals Bonferroni-simultaneous over {len(compared)} effects")
    return AuditComparison(suite=candidate.suite, split=candidate.split, candidate_audit=candidate.audit_id,
                           baseline_audit=baseline_id, checks=tuple(_check(g) for g in gates),
                           notes=tuple(notes))


def _check(g: EffectGate) -> Check:
    est = g.candidate
    if g.gate == "limit":
        def off(x: float | None) -> float | None:
            return None if x is None else x - g.null_value

        return Check(metric=f"probe {g.probe} (limit)", scope=g.variant or "overall", baseline=None, candidate=est.value,
                     difference=off(est.value), ci_low=off(est.ci_low), ci_high=off(est.ci_high),
                     ci_level=est.ci_level, p_value=est.p_value,
                     test=f"the effect's distance from no effect ({g.null_value:g}) at most {g.limit:g} "
                     "(--max-effect); the audit's interval and paired test", n=est.n, higher_is_better=False,
                     status="fail" if g.failed else "pass", reason=g.reason, digits=DIGITS)
    d = g.difference
    assert d is not None
    return Check(metric=f"probe {g.probe}", scope=g.variant or "overall", baseline=g.baseline, candidate=est.value,
                 difference=d.value, ci_low=d.ci_low, ci_high=d.ci_high, ci_level=d.ci_level, p_value=d.p_value,
                 test="candidate - baseline audit, paired bootstrap over examples and sign test (compare_audits)",
                 n=d.n, higher_is_better=False, status="fail" if g.failed else "pass", reason=g.reason,
                 digits=DIGITS)
