"""Gates on an audit's effects, shared by `judgekit audit` (its --max-effect and --baseline-audit) and
`judgekit validate` (its --audit, --baseline-audit and --max-effect):

- a limit: an effect's estimate more than X from its no-effect value fails
  (``PROBE=X`` limits every variant of the probe, ``PROBE/VARIANT=X`` one);
- a baseline: each effect both audits report per example, compared by
  :func:`judgekit.audit.compare_audits` (the difference candidate - baseline, paired over the
  examples both audits scored, with its bootstrap interval and sign test, Bonferroni-simultaneous
  over the effects compared) fails when the candidate is significantly further from no effect by
  more than the allowed increase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

from .errors import ConfigError
from .metrics.interval import Score
from .types import Frozen

if TYPE_CHECKING:  # judgekit.audit loads the backends' base: the CLI and validate import this module at start
    from .audit import AuditResult


class EffectGate(Frozen):
    """One gated effect: what it was compared with, and whether it failed."""

    probe: str
    variant: str | None = None
    gate: Literal["limit", "baseline"]
    candidate: Score  # the candidate audit's estimate (its interval, n and paired test)
    null_value: float
    baseline: float | None = None  # the baseline audit's estimate (gate "baseline")
    difference: Score | None = None  # candidate - baseline, paired over examples (gate "baseline")
    limit: float | None = None  # the allowed distance from no effect (gate "limit") or increase ("baseline")
    failed: bool
    reason: str

    @property
    def name(self) -> str:
        return f"{self.probe}/{self.variant}" if self.variant else self.probe


def parse_limits(items: Iterable[str], option: str = "--max-effect") -> dict[str, float]:
    """``PROBE[/VARIANT]=X`` items -> {"PROBE[/VARIANT]": X}."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ConfigError(f"{option} {item!r}: expected PROBE=NUMBER or PROBE/VARIANT=NUMBER")
    return out


def limit_gates(result: AuditResult, limits: Mapping[str, float], option: str = "--max-effect") -> list[EffectGate]:
    """Each effect a limit names, against it; a limit that names no effect of the audit is an error."""
    effects = {(e.probe, e.variant): e for p in result.probes for e in p.effects}
    out = []
    for key, limit in limits.items():
        name, _, variant = key.partition("/")
        chosen = [e for (pn, vn), e in effects.items() if pn == name and (not variant or vn == variant)]
        if not chosen:
            known = sorted({f"{pn}/{vn}" if vn else pn for pn, vn in effects})
            raise ConfigError(f"{option} {key}: the audit reported no such effect (it has: {', '.join(known)})")
        for e in chosen:
            v = e.estimate.value
            failed = v is not None and abs(v - e.null_value) > limit
            reason = ("no estimate" if v is None else
                      f"{v:.3f} is more than {limit:g} from {e.null_value:g}" if failed else
                      f"{v:.3f} is within {limit:g} of {e.null_value:g}")
            out.append(EffectGate(probe=e.probe, variant=e.variant, gate="limit", candidate=e.estimate,
                                  null_value=e.null_value, limit=limit, failed=failed, reason=reason))
    return out


def baseline_gates(result: AuditResult, baseline: AuditResult, *, max_increase: float = 0.0, level: float = 0.95,
                   n_resamples: int = 1000, seed: int = 0) -> list[EffectGate]:
    """Each effect both audits report per example, the candidate's against the baseline's
    (:func:`judgekit.audit.compare_audits`)."""
    from .audit import compare_audits

    mine = {(e.probe, e.variant): e for p in result.probes for e in p.effects}
    out = []
    for c in compare_audits(result, baseline, max_increase=max_increase, level=level, n_resamples=n_resamples,
                            seed=seed):
        e = mine[(c.probe, c.variant)]
        d = c.difference
        ci = "" if d.ci_low is None else f" [{d.ci_low:+.3f}, {d.ci_high:+.3f}]"
        what = "-" if d.value is None else f"{d.value:+.3f}{ci}"
        reason = (f"more biased than the baseline: {what} (allowed {max_increase:g})" if c.worse
                  else f"not significantly more biased: {what}")
        out.append(EffectGate(probe=c.probe, variant=c.variant, gate="baseline", candidate=e.estimate,
                              null_value=e.null_value, baseline=c.baseline, difference=d, limit=max_increase,
                              failed=c.worse, reason=reason))
    return out
