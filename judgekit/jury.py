"""Juries: several judges on the same suite, their verdicts combined into one.

Each member is an ordinary run (its own run folder, cache entries and resume), so adding a
member later judges only with the new one. The jury itself is a derived run: its
judgments.jsonl holds one combined verdict per request (example and order), scored by the
same code as any run, so the leaderboard and the report show a jury as a row like any
judge. Beside them, ``jury.json`` holds every member's headline, the agreement across
members (Fleiss' kappa, Krippendorff's alpha) and the paired comparison of the jury with
its best single member (McNemar's exact test and a paired bootstrap interval).

Combination, per request (example and order), in the example's own frame:

- a member that judged only one order (a reward model: order-independent) gives that
  verdict for both orders;
- a member with several samples of a request contributes their majority;
- ``majority``: plurality of A / B / tie; an even split is a tie; invalid verdicts abstain;
- ``weighted``: the same with each member's ``weight``;
- ``mean_prob``: the mean of the members' p(A) (a member without probabilities counts its
  verdict as 1, 0 or 0.5), A above 0.5, B below, tie at exactly 0.5.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError

from .errors import ConfigError
from .manifest import JudgeRef, RunManifest, TemplateRef, jsonable, now, sha, slug
from .metrics.panel import PanelAgreement, panel_agreement, vote, vote_grades
from .metrics.stats import PairedComparison, compare_judges, rng_for
from .progress import NullProgress, Progress
from .protocols import combine, unswap_winner
from .scoring import metrics_document, score_rows, suite_report
from .store import RunStore, read_judgments, write_json_atomic
from .types import Frozen, JudgeConfig, Judgment, RunConfig, Winner

log = logging.getLogger(__name__)

JURY_FILE = "jury.json"
Aggregation = Literal["majority", "weighted", "mean_prob"]


class JuryMember(Frozen):
    judge: JudgeConfig
    name: str | None = None  # shown in the jury's report (default: the backend's display name)
    weight: float = Field(default=1.0, gt=0)


class JuryConfig(Frozen):
    name: str | None = None
    aggregation: Aggregation = "majority"
    members: tuple[JuryMember, ...]


def load_jury(path: str | Path) -> JuryConfig:
    """A jury YAML: ``name``, ``aggregation`` and ``members``, each member a judge config
    (``backend``, ``model``, ``template``, ``verdict``, ``sampling``, ``options``) with an
    optional ``name`` and ``weight``; ``judge: BACKEND:MODEL`` is short for backend and model."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the jury file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("members"), list):
        raise ConfigError(f"{p}: expected a mapping with a list `members` (and optional name, aggregation)")
    members = []
    for i, m in enumerate(raw["members"]):
        if not isinstance(m, dict):
            raise ConfigError(f"{p}: members[{i}]: expected a mapping (backend, model, template, ...)")
        m = dict(m)
        name, weight = m.pop("name", None), m.pop("weight", 1.0)
        spec = m.pop("judge", None)
        if spec is not None:
            from .backends.base import parse_judge_spec

            m["backend"], m["model"] = parse_judge_spec(str(spec))
        try:
            members.append(JuryMember(judge=JudgeConfig.model_validate(m), name=name, weight=weight))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"{p}: members[{i}].{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    try:
        return JuryConfig(name=raw.get("name"), aggregation=raw.get("aggregation", "majority"),
                          members=tuple(members))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{p}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


# --------------------------------------------------------------------------- combination (pure)


def _member_verdict(rows: Sequence[Judgment]) -> tuple[Winner, float | None]:
    """One member's verdict on one request from its rows (several samples: their majority)."""
    winners: list[Winner] = [j.winner if j.status == "ok" else "invalid" for j in rows]
    probs = [j.p_a for j in rows if j.status == "ok" and j.p_a is not None]
    w = winners[0] if len(winners) == 1 else vote(winners)[0]
    return w, (float(np.mean(probs)) if probs else None)


def _by_example(rows: dict[str, Judgment]) -> dict[str, dict[str, list[Judgment]]]:
    out: dict[str, dict[str, list[Judgment]]] = {}
    for j in rows.values():
        out.setdefault(j.example_id, {}).setdefault(j.order, []).append(j)
    for orders in out.values():
        for lst in orders.values():
            lst.sort(key=lambda j: j.sample)
    return out


@dataclass
class Combined:
    rows: list[Judgment]
    member_verdicts: list[list[Any]]  # members x units (units = the jury's requests, in row order)


def combine_grades(members: Sequence[dict[str, Judgment]], aggregation: Aggregation = "majority",
                   weights: Sequence[float] | None = None, template_hash: str = "jury") -> Combined:
    """A pointwise jury: per example, each member's grade (the mean of its samples' grades; an
    unread grade abstains), combined by :func:`judgekit.metrics.panel.vote_grades`."""
    grouped = [_by_example(m) for m in members]
    examples = sorted(set().union(*(g.keys() for g in grouped)))
    rows: list[Judgment] = []
    grades: list[list[Any]] = [[] for _ in members]
    for ex in examples:
        gs: list[float | None] = []
        ref: Judgment | None = None
        for i, g in enumerate(grouped):
            got = [j for lst in g.get(ex, {}).values() for j in lst]
            vals = [float(j.score) for j in got if j.status == "ok" and j.score is not None]
            grade = float(np.mean(vals)) if vals else None
            ref = ref or (got[0] if got else None)
            gs.append(grade)
            grades[i].append(grade)
        assert ref is not None
        score = vote_grades(gs, method=aggregation, weights=weights)
        n_valid = sum(x is not None for x in gs)
        rows.append(Judgment(
            request_id=f"{ex}#AB", example_id=ex, order="AB", category=ref.category, status="ok",
            shown_winner="A" if score is not None else "invalid", winner="A" if score is not None else "invalid",
            score=score, gold_score=ref.gold_score, verdict_label=f"jury {n_valid}/{len(gs)}", raw=json.dumps(gs),
            reason="no member gave a grade" if score is None else None, len_a=ref.len_a, meta=ref.meta,
            template_hash=template_hash))
    return Combined(rows=rows, member_verdicts=grades)


def combine_members(members: Sequence[dict[str, Judgment]], aggregation: Aggregation = "majority",
                    weights: Sequence[float] | None = None, template_hash: str = "jury") -> Combined:
    """The jury's judgments from each member's stored judgments (see the module docstring)."""
    grouped = [_by_example(m) for m in members]
    examples = sorted(set().union(*(g.keys() for g in grouped)))
    rows: list[Judgment] = []
    verdicts: list[list[Winner]] = [[] for _ in members]
    for ex in examples:
        orders = sorted(set().union(*(g.get(ex, {}).keys() for g in grouped)))
        for order in orders:
            ws: list[Winner] = []
            ps: list[float | None] = []
            ref: Judgment | None = None
            for i, g in enumerate(grouped):
                mine = g.get(ex, {})
                got = mine.get(order) or next((mine[o] for o in sorted(mine)), None)
                w: Winner
                p: float | None
                if got is None:
                    w, p = "invalid", None
                else:
                    w, p = _member_verdict(got)
                    ref = ref or got[0]
                ws.append(w)
                ps.append(p)
                verdicts[i].append(w)
            assert ref is not None
            winner, p_a = vote(ws, method=aggregation, weights=weights, p_a=ps)
            n_valid = sum(w != "invalid" for w in ws)
            rows.append(Judgment(
                request_id=f"{ex}#{order}", example_id=ex, order=order,  # type: ignore[arg-type]
                category=ref.category, label=ref.label, status="ok",
                shown_winner=unswap_winner(winner, order),  # type: ignore[arg-type]
                winner=winner, p_a=p_a, verdict_label=f"jury {n_valid}/{len(ws)}",
                raw=json.dumps(ws), reason="no member gave a valid verdict" if winner == "invalid" else None,
                len_a=ref.len_a, len_b=ref.len_b, meta=ref.meta, template_hash=template_hash))
    return Combined(rows=rows, member_verdicts=verdicts)


def example_correct(rows: Sequence[Judgment] | dict[str, Judgment], policy: str = "judgebench",
                    examples: Sequence[str] | None = None, kind: str = "pairwise") -> tuple[list[str], np.ndarray]:
    """Per-example right/wrong under a pairwise policy (failed rows count as invalid), for the
    labelled examples (or the given ones, in that order). Pointwise: the (mean) grade equals the
    gold grade."""
    grouped = _by_example(rows if isinstance(rows, dict) else {j.request_id: j for j in rows})
    if kind == "pointwise":
        def first(e: str) -> list[Judgment]:
            return [j for lst in grouped.get(e, {}).values() for j in lst]

        ids = list(examples) if examples is not None else sorted(
            e for e in grouped if first(e)[0].gold_score is not None)
        flags = []
        for e in ids:
            js = [j for j in first(e) if j.status == "ok" and j.score is not None]
            gold = first(e)[0].gold_score if first(e) else None
            flags.append(bool(js) and gold is not None and float(np.mean([j.score for j in js])) == gold)
        return ids, np.array(flags, dtype=bool)
    ids = list(examples) if examples is not None else sorted(
        e for e, o in grouped.items() if next(iter(o.values()))[0].label is not None)
    flags = []
    for e in ids:
        by_order = grouped.get(e, {})
        vs: list[Winner] = [j.winner if j.status == "ok" else "invalid"
                            for o in sorted(by_order) for j in by_order[o]]
        label = next(iter(by_order.values()))[0].label if by_order else None
        flags.append(bool(vs) and label is not None and combine(policy, vs) == label)
    return ids, np.array(flags, dtype=bool)


# --------------------------------------------------------------------------- the report


class MemberSummary(Frozen):
    name: str
    run_id: str
    weight: float
    accuracy: float | None  # headline accuracy, percent
    ci_low: float | None = None
    ci_high: float | None = None
    n_examples: int
    n_invalid: int
    complete: bool


class JuryReport(Frozen):
    name: str
    run_id: str
    aggregation: Aggregation
    kind: str = "pairwise"
    headline: str  # what the members' and the jury's figure is
    headline_policy: str
    members: tuple[MemberSummary, ...]
    jury: MemberSummary
    agreement: PanelAgreement
    best_member: str
    versus_best: PairedComparison  # jury minus its best member, per example (fractions, not percent)


def jury_report(name: str, run_id: str, aggregation: Aggregation, member_names: Sequence[str],
                member_runs: Sequence[str], weights: Sequence[float], member_rows: Sequence[dict[str, Judgment]],
                member_metrics: Sequence[dict[str, Any]], jury_rows: list[Judgment], jury_metrics: dict[str, Any],
                member_verdicts: list[list[Any]], policy: str, *, kind: str = "pairwise", n_resamples: int = 1000,
                seed: int = 0) -> JuryReport:
    """Every member's headline and the jury's; agreement across members; the jury against its best
    member per example. Pairwise: the headline is accuracy under the suite's policy; pointwise: the
    suite report's headline (e.g. Cohen's kappa for QA), and the paired comparison counts an
    example right when the grade equals the gold grade."""
    headline_name = f"{policy} accuracy %"
    if kind == "pointwise":
        headline_name = str((jury_metrics.get("suite_report") or {}).get("headline_name") or "exact agreement %")

    def summary(nm: str, rid: str, w: float, m: dict[str, Any]) -> MemberSummary:
        if kind == "pointwise":
            head = (m.get("suite_report") or {}).get("headline") or m.get("exact") or {}
        else:
            head = (m.get("accuracy") or {}).get(policy, {}).get("overall", {})
        return MemberSummary(name=nm, run_id=rid, weight=w, accuracy=head.get("value"), ci_low=head.get("ci_low"),
                             ci_high=head.get("ci_high"), n_examples=int(m.get("n_examples", 0)),
                             n_invalid=int(m.get("n_invalid", 0)), complete=bool(m.get("complete", False)))

    members = tuple(summary(*args) for args in zip(member_names, member_runs, weights, member_metrics, strict=True))
    jury = summary(name, run_id, 1.0, jury_metrics)
    best = max(range(len(members)), key=lambda i: (members[i].accuracy or -1.0, -i))
    ids, jury_ok = example_correct(jury_rows, policy, kind=kind)
    _, best_ok = example_correct(member_rows[best], policy, ids, kind=kind)
    comparison = compare_judges(jury_ok, best_ok, n_resamples=n_resamples, seed=rng_for(seed, "jury", "best"))
    if kind == "pointwise":
        categories = sorted({g for mv in member_verdicts for g in mv if g is not None})
        agreement = panel_agreement(member_verdicts, categories=categories)
    else:
        agreement = panel_agreement(member_verdicts)
    return JuryReport(name=name, run_id=run_id, aggregation=aggregation, kind=kind, headline=headline_name,
                      headline_policy=policy, members=members, jury=jury, agreement=agreement,
                      best_member=members[best].name, versus_best=comparison)


# --------------------------------------------------------------------------- running a jury


@dataclass
class JuryResult:
    run_id: str
    run_dir: Path
    report: JuryReport
    metrics: Any  # the jury's PairwiseMetrics
    suite_report: Any
    member_results: list[Any]


def run_jury(base: RunConfig, jury: JuryConfig, runner: Any,
             progress: Callable[[], Progress] = NullProgress,
             on_member: Callable[[Any, Any], None] | None = None) -> JuryResult:
    """Run (or resume) every member as its own run, then combine and store the jury run.
    ``runner`` is :mod:`judgekit.runner` (its ``prepare`` and ``execute``), which only the CLI
    imports: the caller passes it in."""
    if len(jury.members) < 2:
        raise ConfigError("a jury needs at least two members")
    if base.run_id is not None:
        raise ConfigError("--run-id names one run; a jury makes one run per member and one for the jury")
    preps = [runner.prepare(base.model_copy(update={"judge": m.judge})) for m in jury.members]
    kinds = {p.suite.kind for p in preps}
    if len(kinds) != 1:
        raise ConfigError("jury members judged the suite in different kinds (pairwise and pointwise)")
    ids = [p.run_id for p in preps]
    if len(set(ids)) != len(ids):
        raise ConfigError("two jury members are the same judge (same run): give each member a different "
                          "backend, model, template or sampling")
    results = []
    for prep in preps:
        res = asyncio.run(runner.execute(prep, progress()))
        results.append(res)
        if on_member is not None:
            on_member(prep, res)
    names = [m.name or p.backend.display_name for m, p in zip(jury.members, preps, strict=True)]
    weights = [m.weight for m in jury.members]
    member_rows = [read_judgments(p.run_dir / "judgments.jsonl") for p in preps]
    member_metrics = [json.loads((p.run_dir / "metrics.json").read_text(encoding="utf-8")) for p in preps]
    return write_jury(jury, names, weights, [p.manifest for p in preps], member_rows, member_metrics,
                      base.results_dir, results)


def write_jury(jury: JuryConfig, names: Sequence[str], weights: Sequence[float],
               manifests: Sequence[RunManifest], member_rows: Sequence[dict[str, Judgment]],
               member_metrics: Sequence[dict[str, Any]], results_dir: str | Path,
               member_results: list[Any] | None = None) -> JuryResult:
    """Combine stored member runs into the jury run folder (rewritten each time: it is derived)."""
    first = manifests[0]
    for m in manifests[1:]:
        if (m.suite.name, m.suite.split) != (first.suite.name, first.suite.split):
            raise ConfigError("jury members judged different suites or splits")
    identity = {"aggregation": jury.aggregation, "weights": list(weights) if jury.aggregation == "weighted" else None,
                "members": sorted(m.fingerprint for m in manifests)}
    fingerprint = sha(identity)
    name = jury.name or f"jury-{jury.aggregation}({'+'.join(n.rstrip('/').split('/')[-1] for n in names)})"
    suite, split = first.suite.name, first.suite.split
    run_id = f"{suite}-{split}-jury-{slug(jury.name or jury.aggregation)}-{fingerprint[:8]}"
    run_dir = Path(results_dir) / "runs" / run_id
    tpl_hash = sha(sorted(str(m.template.hash) for m in manifests))[:16]
    combiner = combine_grades if first.kind == "pointwise" else combine_members
    combined = combiner(member_rows, jury.aggregation, weights, template_hash=f"jury:{tpl_hash}")
    stamp = now()
    manifest = first.model_copy(update={
        "run_id": run_id, "fingerprint": fingerprint,
        "judge": JudgeRef(display_name=name, identity={"backend": "jury", **identity}, config={
            "backend": "jury", "model": name, "aggregation": jury.aggregation,
            "members": [{"name": n, "run_id": m.run_id, "weight": w, "judge": m.judge.config}
                        for n, m, w in zip(names, manifests, weights, strict=True)]}),
        # no template of its own (the members have theirs): nothing for the leaderboard to re-hash
        "template": TemplateRef(name=None, hash=f"jury:{tpl_hash}", verdict="jury"),
        "sampling": None, "n_requests": len(combined.rows),
        "config": {**{k: v for k, v in (first.config or {}).items() if k != "judge"},
                   "judge": None, "jury": jsonable(jury.model_dump())},
        "argv": list(sys.argv), "created_at": stamp, "updated_at": stamp, "timing": None})
    store = RunStore(run_dir)
    store.open_run(manifest.to_json())
    store.compact({j.request_id: j for j in combined.rows})
    metrics = score_rows(combined.rows, manifest)
    report = suite_report(combined.rows, manifest)
    doc = metrics_document(manifest, metrics, len(combined.rows), report)
    doc["complete"] = bool(doc["complete"]) and all(bool(m.get("complete")) for m in member_metrics)
    store.write_metrics(doc)
    policy = manifest.protocol.headline_policy
    jr = jury_report(name, run_id, jury.aggregation, names, [m.run_id for m in manifests], weights, member_rows,
                     member_metrics, combined.rows, doc, combined.member_verdicts, policy, kind=first.kind)
    write_json_atomic(run_dir / JURY_FILE, jr.model_dump(mode="json"))
    return JuryResult(run_id=run_id, run_dir=run_dir, report=jr, metrics=metrics, suite_report=report,
                      member_results=member_results or [])
