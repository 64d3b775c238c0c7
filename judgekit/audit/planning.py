"""Planning an audit: the unperturbed run and, next to it, one run per probe holding that probe's
perturbed examples (``results/runs/<base run>~<probe>-<hash>``), with the probe recorded in its manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..backends.base import Backend
from ..errors import ConfigError
from ..manifest import ProbeRef
from ..probes import get_probe, probes_for
from ..probes.base import Probe, Variant
from ..protocols import orders_for
from ..types import Completion, Example, JudgeRequest, Order, PairExample, PointExample, SamplingParams
from .models import AuditConfig

#: a judgekit.runner.PreparedRun (only the CLI imports the runner: it passes the module in)
Prepared = Any

#: backends that can only answer the prompts they recorded: perturbed probes need a live judge
REPLAY_BACKENDS = ("replay",)


class SharedBackend(Backend):
    """One backend for the base run and every probe run of an audit: started once, closed at the end."""

    name = "shared"

    def __init__(self, inner: Backend) -> None:
        super().__init__(inner.model)
        self.inner = inner
        self.batch_size = inner.batch_size
        self.order_independent = inner.order_independent
        self.cacheable = inner.cacheable
        self.verdict_modes = inner.verdict_modes
        self.timed = inner.timed
        self._started = False

    @property
    def display_name(self) -> str:
        return self.inner.display_name

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        return await self.inner.complete(requests)

    async def start(self, run_dir: Path) -> None:
        if not self._started:
            self._started = True
            await self.inner.start(run_dir)

    async def aclose(self) -> None:
        return None

    async def close(self) -> None:
        await self.inner.aclose()


@dataclass
class ProbePlan:
    probe: Probe
    prep: Prepared | None  # None: data-only probe, or skipped
    reason: str | None = None
    variants: dict[str, Variant] | None = None


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=repr).encode()).hexdigest()


def select_probes(names: Sequence[str], kind: str) -> list[Probe]:
    if not names:
        return probes_for(kind)
    out = []
    for name in names:
        p = get_probe(name)
        if kind not in p.kinds:
            raise ConfigError(f"probe {name!r} applies to {'/'.join(p.kinds)} suites; this suite is {kind}")
        out.append(p)
    return out


def probe_run(base: Prepared, probe: Probe, cfg: AuditConfig, runner: Any) -> ProbePlan:
    """The perturbed examples of one probe as a run of their own, next to the base run."""
    variants = {v.name: v for v in probe.variants()}
    if probe.data_only:
        return ProbePlan(probe, None, variants=variants)
    if base.backend.inner.name in REPLAY_BACKENDS if isinstance(base.backend, SharedBackend) else False:
        return ProbePlan(probe, None, "needs a live judge: a replayed judge can only answer the prompts it "
                         "recorded", variants)
    template = base.template
    sampling = SamplingParams(**{**template.spec.sampling, **base.config.judge.sampling})
    examples: dict[str, Example] = {}
    requests: list[JudgeRequest] = []
    for ex in base.examples.values():
        orders: list[Order] = (["AB"] if isinstance(ex, PointExample)
                               else orders_for(ex, base.swap, base.config.single_order))
        for v in variants.values():
            samp = sampling.model_copy(update={"temperature": cfg.temperature}) if v.resample else sampling
            for order in orders:
                pex = probe.transform(ex, v, order, cfg.seed)
                if pex is None:
                    continue
                examples.setdefault(pex.id, pex)
                swap = isinstance(pex, PairExample)
                built = runner.build_requests([pex], template, samp, swap, base.config.single_order,
                                              base.config.judge.verdict)
                for r in built:
                    if r.order == order:
                        requests.append(r.model_copy(update={"sample": 1}) if v.resample else r)
    if not requests:
        return ProbePlan(probe, None, "applies to none of the examples", variants)
    record = probe.record(cfg.seed)
    record["temperature"] = cfg.temperature if any(v.resample for v in variants.values()) else None
    fingerprint = _sha({"base": base.manifest.fingerprint, "probe": record})
    run_id = f"{base.run_id}~{probe.name}-{fingerprint[:8]}"
    manifest = base.manifest.model_copy(update={
        "run_id": run_id, "fingerprint": fingerprint, "n_requests": len(requests),
        "aggregation": None,  # a suite's published aggregation is not computed on perturbed data
        "probe": ProbeRef(**record, baseline_run=base.run_id)})
    prep = replace(base, requests=requests, examples=examples, run_id=run_id,
                   run_dir=base.run_dir.parent / run_id, manifest=manifest)
    return ProbePlan(probe, prep, None, variants)


def plan(cfg: AuditConfig, runner: Any) -> tuple[Prepared, list[ProbePlan]]:
    """The base run and each probe's run, prepared with ``runner`` (the judgekit.runner module)."""
    base = runner.prepare(cfg.run)
    base.backend = SharedBackend(base.backend)
    probes = select_probes(cfg.probes, base.suite.kind)
    return base, [probe_run(base, p, cfg, runner) for p in probes]
