"""`judgekit audit`: counterfactual bias probes.

The unperturbed run is an ordinary run (the same folder `judgekit run` writes, resumed when it
exists). Each probe that perturbs examples is judged as a run of its own, stored next to it
(``results/runs/<base run>~<probe>-<hash>``): cached, resumable, its manifest recording the probe,
its version, its variants with their parameters and the seed, so that an audit reruns identically
and two judges can be compared on the same perturbed examples. The effects are computed from the
stored judgments (judgekit.probes.effects) and written, with the examples that flipped, to
``results/audits/<audit id>/audit.json`` and ``report.html``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from .backends.base import Backend
from .errors import ConfigError
from .manifest import ProbeRef
from .metrics.interval import Score
from .metrics.stats import DEFAULT_LEVEL, DEFAULT_RESAMPLES, rng_for, simultaneous_level
from .probes import get_probe, probes_for
from .probes.base import Probe, Variant, base_id
from .probes.effects import (
    EffectComparison,
    ProbeEffect,
    compare_effects,
    first_shift,
    first_values,
    flagged,
    flip_indicator,
    instability,
    mean_effect,
    per_example,
    shift_values,
    spread_ratio,
    target_shift,
)
from .progress import NullProgress, Progress
from .protocols import orders_for
from .store import RunStore, write_json_atomic
from .types import (
    Completion,
    Example,
    Frozen,
    JudgeRequest,
    Judgment,
    Order,
    PairExample,
    PointExample,
    RunConfig,
    SamplingParams,
)

log = logging.getLogger(__name__)

#: a judgekit.runner.PreparedRun (only the CLI imports the runner: it passes the module in)
Prepared = Any

#: backends that can only answer the prompts they recorded: perturbed probes need a live judge
REPLAY_BACKENDS = ("replay",)


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


# --------------------------------------------------------------------------- running


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


def run_audit(cfg: AuditConfig, runner: Any, progress: Callable[[], Progress] | None = None,
              audits_dir: str | Path | None = None) -> tuple[AuditResult, Path]:
    """Judge the base run and every probe run (resuming what is stored) with ``runner`` (the
    judgekit.runner module, which the CLI passes in), compute the effects and write audit.json and
    report.html; returns the result and the audit folder."""
    base, plans = plan(cfg, runner)
    make_progress = progress or NullProgress

    async def judge_all() -> None:
        assert isinstance(base.backend, SharedBackend)
        try:
            await runner.execute(base, make_progress())
            for p in plans:
                if p.prep is not None:
                    await runner.execute(p.prep, make_progress())
        finally:
            await base.backend.close()

    if cfg.judge:
        asyncio.run(judge_all())
    else:
        asyncio.run(base.backend.inner.aclose() if isinstance(base.backend, SharedBackend) else base.backend.aclose())
    result = evaluate(base, plans, cfg)
    out = Path(audits_dir or Path(cfg.run.results_dir) / "audits") / result.audit_id
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "audit.json", result.model_dump(mode="json"))
    from .probes.report import render_html

    (out / "report.html").write_text(render_html(result), encoding="utf-8")
    return result, out


# --------------------------------------------------------------------------- effects


def _rows(prep: Prepared) -> dict[str, Judgment]:
    if not prep.run_dir.is_dir():  # --stored-only before the run was started
        return {}
    return RunStore(prep.run_dir).load(keep={r.request_id for r in prep.requests})


def _show(ex: Example) -> dict[str, Any]:
    if isinstance(ex, PointExample):
        return {"prompt": ex.prompt, "response": ex.response}
    return {"prompt": ex.prompt, "response_a": ex.response_a, "response_b": ex.response_b}


@dataclass
class _Job:
    probe: Probe
    variant: str | None
    meaning: str
    compute: Callable[[float, np.random.Generator], tuple[Score, dict[str, Any]]]
    flaggable: bool
    test: str | None


def evaluate(base: Prepared, plans: Sequence[ProbePlan], cfg: AuditConfig) -> AuditResult:
    base_rows = _rows(base)
    by_key = {(j.example_id, j.order): j for j in base_rows.values() if j.status == "ok"}
    codes = {eid: i for i, eid in enumerate(base.examples)}
    results: list[tuple[ProbePlan, list[_Job], list[FlipExample], str | None]] = []
    for p in plans:
        if p.reason is not None:
            results.append((p, [], [], p.reason))
            continue
        jobs, flips, reason = _jobs(p, base, base_rows, by_key, codes, cfg)
        results.append((p, jobs, flips, reason))
    n_flag = sum(j.flaggable for _, jobs, _, _ in results for j in jobs)
    flag_level = simultaneous_level(cfg.level, n_flag)
    probes_out: list[ProbeResult] = []
    for p, jobs, flips, reason in results:
        effects = []
        for job in jobs:
            level = flag_level if job.flaggable else cfg.level
            est, extra = job.compute(level, rng_for(cfg.seed, "audit", job.probe.name, job.variant or ""))
            effects.append(ProbeEffect(
                probe=job.probe.name, variant=job.variant, statistic=job.probe.statistic, meaning=job.meaning,
                estimate=est, null_value=job.probe.null_value, test=job.test,
                flagged=flagged(est, job.probe.null_value, 1.0 - level) if job.flaggable else None, **extra))
        status = "ok" if effects else "skipped"
        probes_out.append(ProbeResult(
            name=p.probe.name, description=p.probe.description, paper=p.probe.paper, statistic=p.probe.statistic,
            status=status, reason=reason if not effects else None,
            run_id=p.prep.run_id if p.prep is not None else (base.run_id if p.probe.data_only else None),
            record=p.probe.record(cfg.seed), effects=effects, flips=flips))
    ident = {"base": base.manifest.fingerprint, "probes": [p.probe.record(cfg.seed) for p in plans],
             "temperature": cfg.temperature, "level": cfg.level, "n_resamples": cfg.n_resamples}
    return AuditResult(
        audit_id=f"{base.run_id}~audit-{_sha(ident)[:8]}", suite=base.suite.name, split=base.split,
        judge=base.backend.display_name, base_run=base.run_id, kind=base.suite.kind, seed=cfg.seed,
        level=cfg.level, flag_level=flag_level, n_flaggable=n_flag, probes=probes_out)


def _jobs(p: ProbePlan, base: Prepared, base_rows: dict[str, Judgment],
          by_key: dict[tuple[str, Order], Judgment], codes: dict[str, int],
          cfg: AuditConfig) -> tuple[list[_Job], list[FlipExample], str | None]:
    probe = p.probe
    B = cfg.n_resamples
    ids = list(codes)  # example code -> id
    ok_rows = [j for j in base_rows.values() if j.status == "ok"]
    if probe.statistic == "first_shift":
        if not base.swap:
            return [], [], "needs both orders of every pair (the base run is single-order)"
        shown = np.array([j.shown_winner for j in ok_rows], dtype=object)
        ex = np.array([codes[j.example_id] for j in ok_rows])
        return [_Job(probe, None, "P(first shown) - P(second shown)",
                     lambda lv, g: (first_shift(shown, ex, level=lv, n_resamples=B, seed=g),
                                    {"per_example": _per_example(first_values(shown), ex, ids)}),
                     True, "sign test over examples")], [], None
    if probe.statistic == "spread_ratio":
        x = np.array([np.nan if j.score is None else j.score for j in ok_rows], dtype=float)
        y = np.array([np.nan if j.gold_score is None else j.gold_score for j in ok_rows], dtype=float)
        return [_Job(probe, None, "sd(judge grade) / sd(gold grade)",
                     lambda lv, g: (spread_ratio(x, y, level=lv, n_resamples=B, seed=g), {}),
                     True, "Pitman-Morgan test of equal variances (paired)")], [], None
    if probe.statistic == "calibration":
        return _calibration_job(probe, ok_rows, codes, B)
    if probe.statistic == "self_preference":
        return _self_preference_job(probe, base, ok_rows, cfg)
    assert p.prep is not None and p.variants is not None
    rows = [j for j in _rows(p.prep).values() if j.status == "ok"]
    per_variant: dict[str, list[tuple[Judgment, Judgment]]] = {}
    for j in rows:
        bid, vname = base_id(j.example_id)
        b = by_key.get((bid, j.order))
        if b is None or vname is None:
            continue
        per_variant.setdefault(vname, []).append((b, j))
    if probe.statistic == "instability":
        return _instability_job(probe, per_variant, codes, B, base, p, cfg)
    jobs: list[_Job] = []
    flips: list[FlipExample] = []
    for vname, v in p.variants.items():
        pairs = per_variant.get(vname, [])
        if not pairs:
            continue
        if probe.statistic == "grade_shift":
            direction = float(v.params.get("direction", 1))
            d = np.array([direction * (j.score - b.score) if j.score is not None and b.score is not None else np.nan
                          for b, j in pairs])
            ex = np.array([codes[b.example_id] for b, _ in pairs])
            jobs.append(_Job(probe, vname, f"mean grade shift towards the anchor ({v.params.get('grade')})",
                             _grade_job(d, ex, B, ids), True, "sign test over examples"))
            order_ix = np.argsort(-np.nan_to_num(d))[: cfg.max_flips_shown]
            flips += [_flip(vname, pairs[i], base, p, None, cfg.seed) for i in order_ix if np.isfinite(d[i]) and d[i] > 0]
            continue
        targets = np.array([probe.target(base.examples[b.example_id], v) or "none" for b, _ in pairs], dtype=object)
        bw = np.array([b.winner for b, _ in pairs], dtype=object)
        pw = np.array([j.winner for _, j in pairs], dtype=object)
        ex = np.array([codes[b.example_id] for b, _ in pairs])
        jobs.append(_Job(probe, vname, f"shift towards the {v.target} response (share of picks)",
                         _shift_job(bw, pw, targets, ex, B, ids), True, "sign test over examples"))
        moved = [i for i in range(len(pairs)) if pw[i] == targets[i] and bw[i] != targets[i]]
        flips += [_flip(vname, pairs[i], base, p, str(targets[i]), cfg.seed) for i in moved[: cfg.max_flips_shown]]
    return jobs, flips, None if jobs else "no judged example"


def _per_example(values: np.ndarray, ex: np.ndarray, ids: list[str]) -> dict[str, float]:
    d, keep = per_example(values, ex)
    return {ids[int(k)]: float(v) for k, v in zip(keep, d, strict=True)}


def _shift_job(bw: np.ndarray, pw: np.ndarray, targets: np.ndarray, ex: np.ndarray, B: int,
               ids: list[str]) -> Callable[[float, np.random.Generator], tuple[Score, dict[str, Any]]]:
    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        est, n_flips, n_back, n_units = target_shift(bw, pw, targets, ex, level=level, n_resamples=B, seed=g)
        return est, {"n_flips": n_flips, "n_reverse": n_back, "n_units": n_units,
                     "per_example": _per_example(shift_values(bw, pw, targets), ex, ids)}

    return compute


def _grade_job(d: np.ndarray, ex: np.ndarray, B: int,
               ids: list[str]) -> Callable[[float, np.random.Generator], tuple[Score, dict[str, Any]]]:
    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        per, _ = per_example(d, ex)
        return mean_effect(per, level=level, n_resamples=B, seed=g), {"n_units": int(np.isfinite(d).sum()),
                                                                       "per_example": _per_example(d, ex, ids)}

    return compute


def _instability_job(probe: Probe, per_variant: dict[str, list[tuple[Judgment, Judgment]]], codes: dict[str, int],
                     B: int, base: Prepared, p: ProbePlan,
                     cfg: AuditConfig) -> tuple[list[_Job], list[FlipExample], str | None]:
    res = {(b.example_id, b.order): j for b, j in per_variant.get("resample", [])}
    para = per_variant.get("paraphrase", [])
    trip = [(b, res[(b.example_id, b.order)], j) for b, j in para if (b.example_id, b.order) in res]
    if not trip:
        return [], [], "no example judged in both stability variants"
    bw = np.array([t[0].winner for t in trip], dtype=object)
    rw = np.array([t[1].winner for t in trip], dtype=object)
    pw = np.array([t[2].winner for t in trip], dtype=object)
    ex = np.array([codes[t[0].example_id] for t in trip])

    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        est, agree_r, agree_p = instability(bw, rw, pw, ex, level=level, n_resamples=B, seed=g)
        fr, fp = flip_indicator(bw, rw), flip_indicator(bw, pw)
        return est, {"n_units": len(trip), "per_example": _per_example(fp - fr, ex, list(codes)),
                     "details": {"agreement_resample": agree_r, "agreement_paraphrase": agree_p,
                                                       "temperature": cfg.temperature}}

    flips = [_flip("paraphrase", (t[0], t[2]), base, p, None, cfg.seed) for t in trip
             if t[0].winner != t[2].winner and t[0].winner == t[1].winner][: cfg.max_flips_shown]
    return [_Job(probe, None, "flip rate (paraphrase) - flip rate (resample)", compute, True,
                 "sign test over examples")], flips, None


def _calibration_job(probe: Probe, rows: list[Judgment], codes: dict[str, int],
                     B: int) -> tuple[list[_Job], list[FlipExample], str | None]:
    from .metrics.calibration import soft_calibration

    use = [j for j in rows if j.p_a is not None and j.label in ("A", "B")]
    if not use:
        return [], [], "needs p(A) on the judgments (run with --verdict logprob) and gold A/B labels"
    prob = np.array([j.p_a for j in use], dtype=float)
    y = np.array([1.0 if j.label == "A" else 0.0 for j in use])
    cl = np.array([codes[j.example_id] for j in use])

    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        cal = soft_calibration(prob, y, cluster=cl, n_resamples=B, seed=g, level=level)
        return cal.ece, {"n_units": cal.n, "details": {"brier": cal.brier.value}}

    return [_Job(probe, None, "expected calibration error of p(A)", compute, False, None)], [], None


def _self_preference_job(probe: Probe, base: Prepared, rows: list[Judgment],
                         cfg: AuditConfig) -> tuple[list[_Job], list[FlipExample], str | None]:
    from .metrics.bias import self_preference
    from .probes.self_preference import family

    gens: dict[str, tuple[str, str]] = {}
    for ex in base.examples.values():
        ga, gb = ex.metadata.get("generator_a"), ex.metadata.get("generator_b")
        if isinstance(ga, str) and isinstance(gb, str):
            gens[ex.id] = (family(ga), family(gb))
    if not gens:
        return [], [], "the data does not record which model generated each response (generator_a / generator_b)"
    own = cfg.judge_family or family(base.backend.model)
    use = [j for j in rows if j.example_id in gens]
    w = [j.winner for j in use]
    sa = [gens[j.example_id][0] for j in use]
    sb = [gens[j.example_id][1] for j in use]
    gold = [j.label or "tie" for j in use]
    if not any((a == own) != (b == own) for a, b in zip(sa, sb, strict=True)):
        return [], [], f"no pair has exactly one response from the judge's family {own!r}"

    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        seed = int(g.integers(2**31))
        sp = self_preference(w, sa, sb, own, gold=gold, level=level, seed=seed, n_resamples=cfg.n_resamples)
        est = sp.excess or Score(value=None, n=0)
        return est, {"details": {"judge_family": own, "own_win_rate": sp.own_win_rate.value,
                                 "gold_own_win_rate": sp.gold_own_win_rate.value if sp.gold_own_win_rate else None}}

    return [_Job(probe, None, "own-family pick share minus gold's", compute, True, None)], [], None


def _flip(vname: str, pair: tuple[Judgment, Judgment], base: Prepared, plan: ProbePlan,
          target: str | None, seed: int) -> FlipExample:
    b, j = pair
    original = base.examples[b.example_id]
    # the perturbed example as this order showed it (a bandwagon cue names a position)
    variant = (plan.variants or {}).get(vname)
    shown = plan.probe.transform(original, variant, b.order, seed) if variant is not None else None
    if shown is None and plan.prep is not None:
        shown = plan.prep.examples[j.example_id]
    return FlipExample(
        variant=vname, example_id=b.example_id, order=b.order, target=target,
        original=_show(original), perturbed=_show(shown) if shown is not None else {},
        verdict_original=b.winner if b.score is None else f"{b.score:g}",
        verdict_perturbed=j.winner if j.score is None else f"{j.score:g}", raw_original=b.raw, raw_perturbed=j.raw)


# --------------------------------------------------------------------------- two judges


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
