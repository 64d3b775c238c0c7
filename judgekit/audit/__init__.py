"""`judgekit audit`: counterfactual bias probes.

The package: ``models`` (the typed config and results), ``planning`` (the base run and one run per
probe), ``running`` (judge them, write the audit), ``evaluation`` (stored judgments -> effects,
flags, flipped examples) and ``compare`` (two audits, effect by effect); the HTML report is
judgekit.probes.report.

The unperturbed run is an ordinary run (the same folder `judgekit run` writes, resumed when it
exists). Each probe that perturbs examples is judged as a run of its own, stored next to it
(``results/runs/<base run>~<probe>-<hash>``): cached, resumable, its manifest recording the probe,
its version, its variants with their parameters and the seed, so that an audit reruns identically
and two judges can be compared on the same perturbed examples. The effects are computed from the
stored judgments (judgekit.probes.effects) and written, with the examples that flipped, to
``results/audits/<audit id>/audit.json`` and ``report.html``.
"""

from __future__ import annotations

from .compare import compare_audits, load_audit
from .evaluation import evaluate
from .models import AuditConfig, AuditResult, FlipExample, ProbeResult
from .planning import REPLAY_BACKENDS, ProbePlan, SharedBackend, plan, probe_run, select_probes
from .running import run_audit

__all__ = ["REPLAY_BACKENDS", "AuditConfig", "AuditResult", "FlipExample", "ProbePlan", "ProbeResult",
           "SharedBackend", "compare_audits", "evaluate", "load_audit", "plan", "probe_run", "run_audit",
           "select_probes"]
