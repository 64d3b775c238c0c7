"""From stored judgments to effects: each probe's statistic (judgekit.probes.effects) with its
bootstrap interval, paired test and flag (Bonferroni over the audit's flaggable effects), and the
examples whose verdict moved."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import RunStateError
from ..metrics.interval import Score
from ..metrics.stats import rng_for, simultaneous_level
from ..probes.base import Probe, base_id
from ..probes.effects import (
    ProbeEffect,
    first_shift,
    first_values,
    flagged,
    flip_indicator,
    instability,
    mean_effect,
    overconfidence,
    overconfidence_values,
    per_example,
    shift_values,
    spread_ratio,
    target_shift,
)
from ..store import RunStore, read_judgments
from ..types import Example, Judgment, Order, PointExample
from .models import AuditConfig, AuditResult, FlipExample, ProbeResult
from .planning import Prepared, ProbePlan, _sha


def _rows(prep: Prepared) -> dict[str, Judgment]:
    """The stored judgments of a run, read only: never rewritten here, since with ``--stored-only`` a
    live audit may be appending to the same file (rewriting it would orphan that process's open file,
    and the judgments it writes next would be lost)."""
    path = RunStore(prep.run_dir).judgments_path
    if not path.is_file():  # --stored-only before the run was started
        return {}
    rows = read_judgments(path)
    foreign = set(rows) - {r.request_id for r in prep.requests}
    if foreign:
        raise RunStateError(f"{path} holds {len(foreign)} judgments for requests this run does not make; "
                            "pick another --run-id")
    return rows


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
    from ..metrics.calibration import soft_calibration

    use = [j for j in rows if j.p_a is not None and j.label in ("A", "B")]
    if not use:
        return [], [], "needs p(A) on the judgments (run with --verdict logprob) and gold A/B labels"
    prob = np.array([j.p_a for j in use], dtype=float)
    y = np.array([1.0 if j.label == "A" else 0.0 for j in use])
    cl = np.array([codes[j.example_id] for j in use])

    def compute(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        cal = soft_calibration(prob, y, cluster=cl, n_resamples=B, seed=g, level=level)
        return cal.ece, {"n_units": cal.n, "details": {"brier": cal.brier.value}}

    def compute_over(level: float, g: np.random.Generator) -> tuple[Score, dict[str, Any]]:
        est = overconfidence(prob, y == 1.0, cl, level=level, n_resamples=B, seed=g)
        conf = float(np.mean(np.maximum(prob, 1.0 - prob)))
        return est, {"n_units": len(use), "per_example": _per_example(overconfidence_values(prob, y == 1.0), cl,
                                                                      list(codes)),
                     "details": {"mean_confidence": conf, "accuracy": conf - float(np.mean(
                         overconfidence_values(prob, y == 1.0)))}}

    return [_Job(probe, None, "expected calibration error of p(A)", compute, False, None),
            _Job(probe, "overconfidence", "mean stated confidence of the pick minus its accuracy", compute_over,
                 True, "one-sample t test over examples")], [], None


def _self_preference_job(probe: Probe, base: Prepared, rows: list[Judgment],
                         cfg: AuditConfig) -> tuple[list[_Job], list[FlipExample], str | None]:
    from ..metrics.bias import self_preference
    from ..probes.self_preference import family

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
    if not any((a == own) != (b == own) and g in ("A", "B") for a, b, g in zip(sa, sb, gold, strict=True)):
        return [], [], (f"no gold label on the pairs with one response from the judge's family {own!r}: its "
                        "preference for its own family's responses cannot be told apart from their quality")

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
