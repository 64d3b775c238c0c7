"""`judgekit audit`: scripted judges with implanted biases on real JudgeBench and LLMBar pairs, the
false-positive rate of an unbiased judge over 200 seeded audits, resume, the report, the CLI gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit import runner
from judgekit.adapters import load_examples
from judgekit.audit import AuditConfig, AuditResult, plan, run_audit
from judgekit.cli import cli
from judgekit.metrics.stats import simultaneous_level
from judgekit.probes.base import base_id
from judgekit.probes.effects import first_shift, flagged, instability, target_shift
from judgekit.suites import load_suite
from judgekit.testing.biased_judges import BiasedGrader, BiasedJudge
from judgekit.types import JudgeConfig, PairExample, RunConfig

SUITES = [("judgebench", "gpt"), ("llmbar", "all")]


def examples(shared: Path, suite: str, split: str) -> dict[str, PairExample]:
    spec = load_suite(suite)
    name, _ = spec.split(split)
    return {e.id: e for e in load_examples(spec, name, str(shared), None).examples
            if isinstance(e, PairExample)}


def audit(shared: Path, tmp: Path, suite: str, split: str, judge: BiasedJudge, name: str,
          probes: tuple[str, ...], seed: int = 0) -> AuditResult:
    cfg = AuditConfig(run=RunConfig(suite=suite, split=split, data=str(shared), results_dir=str(tmp),
                                    judge=JudgeConfig(backend="mock", model=name, template="vanilla",
                                                      options={"responder": judge})),
                      probes=probes, seed=seed)
    return run_audit(cfg, runner)[0]


def effect(result: AuditResult, probe: str, variant: str | None = None):  # type: ignore[no-untyped-def]
    (e,) = [e for p in result.probes for e in p.effects if e.probe == probe and e.variant == variant]
    return e


def inside(e, expected: float) -> bool:  # type: ignore[no-untyped-def]
    return e.estimate.ci_low <= expected <= e.estimate.ci_high


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_length_bias_flagged_at_its_strength(shared_data: Path, tmp_path: Path, suite: str, split: str) -> None:
    exs = examples(shared_data, suite, split)
    p = 0.5
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=0.75, length=p)
    res = audit(shared_data, tmp_path, suite, split, judge, "length-judge", ("verbosity",))
    from judgekit.probes import get_probe

    probe = get_probe("verbosity")
    for v in probe.variants():
        if v.name == "shorten-better":
            continue  # applies to few pairs of these suites (a closing paragraph to drop)
        # the implanted strength, pair by pair: p x (worse longer after padding - worse longer before)
        delta = []
        for ex in exs.values():
            pex = probe.transform(ex, v, "AB", 0)
            assert isinstance(pex, PairExample)
            worse = "B" if ex.label == "A" else "A"

            def longer(e: PairExample, w: str = worse) -> float:
                lw, lb = (len(e.response_a), len(e.response_b)) if w == "A" else (len(e.response_b), len(e.response_a))
                return 1.0 if lw > lb else 0.0

            delta.append(longer(pex) - longer(ex))
        expected = p * float(np.mean(delta))
        e = effect(res, "verbosity", v.name)
        print(suite, v.name, f"implanted {expected:.3f}", e.estimate)
        assert inside(e, expected), (v.name, expected, e.estimate)
        assert e.estimate.n == len(exs)
        if expected >= 0.15:  # a shift this large is found (the smallest padding moves few pairs past the better's length)
            assert e.flagged, (v.name, e.estimate)
    # the largest padding is flagged; more padding, more flips (the flip rate as a function of added length)
    assert effect(res, "verbosity", "pad-2x").flagged
    shifts = [effect(res, "verbosity", f"pad-{x}").estimate.value for x in ("0.5x", "1x", "2x")]
    assert shifts[0] < shifts[2]


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_position_bias_flagged_at_its_strength(shared_data: Path, tmp_path: Path, suite: str, split: str) -> None:
    exs = examples(shared_data, suite, split)
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=0.75, position=0.4)
    res = audit(shared_data, tmp_path, suite, split, judge, "first-judge", ("position", "bandwagon"))
    e = effect(res, "position")
    assert e.flagged and inside(e, 0.4), e.estimate
    # the other probes see no bias: this judge's position preference is the same on perturbed prompts
    for v in ("cue-worse", "cue-better"):
        assert not effect(res, "bandwagon", v).flagged


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_bandwagon_flagged_at_its_strength(shared_data: Path, tmp_path: Path, suite: str, split: str) -> None:
    exs = examples(shared_data, suite, split)
    p, q = 0.6, 0.75
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=q, bandwagon=p)
    res = audit(shared_data, tmp_path, suite, split, judge, "bandwagon-judge", ("bandwagon", "position"))
    # following the cue with probability p moves P(named) from P0 to p + (1 - p) P0: a shift of p (1 - P0)
    worse, better = effect(res, "bandwagon", "cue-worse"), effect(res, "bandwagon", "cue-better")
    assert worse.flagged and inside(worse, p * q), worse.estimate
    assert better.flagged and inside(better, p * (1 - q)), better.estimate
    assert not effect(res, "position").flagged


def test_unbiased_judge_one_full_audit(shared_data: Path, tmp_path: Path) -> None:
    exs = examples(shared_data, "judgebench", "gpt")
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=0.75)
    res = audit(shared_data, tmp_path, "judgebench", "gpt", judge, "unbiased", ())
    assert res.n_flaggable >= 11
    assert not res.flagged, [(e.probe, e.variant, e.estimate) for e in res.flagged]
    stab = effect(res, "stability")
    # every request is an independent draw: agreement of two draws = q^2 + (1 - q)^2
    assert stab.details["agreement_resample"] == pytest.approx(0.75**2 + 0.25**2, abs=0.05)
    assert {p.name: p.status for p in res.probes}["calibration"] == "skipped"


def test_unbiased_false_positive_rate_200_audits(shared_data: Path, tmp_path: Path) -> None:
    """200 seeded audits of an unbiased judge (accuracy 0.75, every request an independent draw),
    on the unit structure of a real JudgeBench audit: verdicts drawn vectorised for all audits at
    once, each audit's effects computed by the product's statistics and flagged at the audit's
    Bonferroni level. The share of audits that raise any flag must be at most 5 %."""
    exs = examples(shared_data, "judgebench", "gpt")
    cfg = AuditConfig(run=RunConfig(suite="judgebench", split="gpt", data=str(shared_data),
                                    results_dir=str(tmp_path),
                                    judge=JudgeConfig(backend="mock", model="x", template="vanilla")),
                      n_resamples=1000)
    base, plans = plan(cfg, runner)
    ids = list(base.examples)
    code = {k: i for i, k in enumerate(ids)}
    labels = np.array([exs[k].label for k in ids], dtype=object)
    # the units (example, order, target) of every target-shift effect, as the audit judges them
    shift_units: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (example code, order index, target)
    stab_units = None
    for p in plans:
        if p.prep is None:
            continue
        by_variant: dict[str, list[tuple[int, int]]] = {}
        for r in p.prep.requests:
            bid, vname = base_id(r.example_id)
            by_variant.setdefault(vname or "", []).append((code[bid], 0 if r.order == "AB" else 1))
        if p.probe.statistic == "instability":
            stab_units = np.array(by_variant["paraphrase"])
            continue
        for vname, units in by_variant.items():
            u = np.array(units)
            v = p.variants[vname]  # type: ignore[index]
            t = np.array([p.probe.target(base.examples[ids[c]], v) for c, _ in units], dtype=object)
            shift_units.append((u[:, 0], u[:, 1], t))
    assert stab_units is not None
    n_effects = len(shift_units) + 2  # + position + stability
    level = simultaneous_level(0.95, n_effects)
    alpha = 1 - level
    S, q, n = 200, 0.75, len(ids)
    rng = np.random.default_rng(20261202)
    worse = np.where(labels == "A", "B", "A")

    def verdicts(shape: tuple[int, ...], ex: np.ndarray) -> np.ndarray:
        good = rng.random(shape) < q
        return np.where(good, labels[ex], worse[ex])

    all_ex = np.repeat(np.arange(n), 2)
    orders = np.tile([0, 1], n)
    base_v = verdicts((S, 2 * n), all_ex)  # un-swapped verdicts of the base run, both orders
    pert_v = [verdicts((S, ex.size), ex) for ex, _, _ in shift_units]
    res_v = verdicts((S, stab_units.shape[0]), stab_units[:, 0])
    para_v = verdicts((S, stab_units.shape[0]), stab_units[:, 0])
    slot = {(int(e), int(o)): i for i, (e, o) in enumerate(zip(all_ex, orders, strict=True))}
    shift_ix = [np.array([slot[(int(e), int(o))] for e, o in zip(ex, od, strict=True)]) for ex, od, _ in shift_units]
    stab_ix = np.array([slot[(int(e), int(o))] for e, o in stab_units])
    any_flag = np.zeros(S, dtype=bool)
    per_effect = np.zeros(n_effects, dtype=int)
    for s in range(S):
        g = np.random.default_rng([s, 1])
        flags = []
        shown = np.where(orders == 0, base_v[s], np.where(base_v[s] == "A", "B", "A"))
        flags.append(flagged(first_shift(shown, all_ex, level=level, seed=g), 0.0, alpha))
        for (ex, _, t), pv, ix in zip(shift_units, pert_v, shift_ix, strict=True):
            est, *_ = target_shift(base_v[s, ix], pv[s], t, ex, level=level, seed=g)
            flags.append(flagged(est, 0.0, alpha))
        est, _, _ = instability(base_v[s, stab_ix], res_v[s], para_v[s], stab_units[:, 0], level=level, seed=g)
        flags.append(flagged(est, 0.0, alpha))
        f = np.array([bool(x) for x in flags])
        per_effect += f
        any_flag[s] = f.any()
    rate = float(any_flag.mean())
    print(f"unbiased judge: {any_flag.sum()} of {S} audits flagged ({rate:.1%}); per effect {per_effect.tolist()}")
    assert rate <= 0.05


def test_resume_and_rerun_identical(shared_data: Path, tmp_path: Path) -> None:
    exs = examples(shared_data, "judgebench", "gpt")
    calls: list[str] = []
    inner = BiasedJudge({k: e.label for k, e in exs.items()}, length=0.3)

    def judge(req):  # type: ignore[no-untyped-def]
        calls.append(req.request_id)
        return inner(req)

    cfg = AuditConfig(run=RunConfig(suite="judgebench", split="gpt", data=str(shared_data), limit=30,
                                    results_dir=str(tmp_path),
                                    judge=JudgeConfig(backend="mock", model="j", template="vanilla",
                                                      options={"responder": judge})),
                      probes=("verbosity", "bandwagon"))
    first, out = run_audit(cfg, runner)
    n_first = len(calls)
    shorten = sum(e.n_units or 0 for p in first.probes for e in p.effects if e.variant == "shorten-better")
    assert n_first == 30 * 2 * (1 + 3 + 2) + shorten  # base, three paddings, two cues (both orders)
    # the probe runs sit next to the base run, their manifests record the transform
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(runs) == 3 and all(r.startswith(first.base_run) for r in runs)
    verb = next(p for p in first.probes if p.name == "verbosity")
    manifest = json.loads((tmp_path / "runs" / verb.run_id / "manifest.json").read_text())  # type: ignore[operator]
    assert manifest["probe"]["name"] == "verbosity" and manifest["probe"]["seed"] == 0
    assert [v["name"] for v in manifest["probe"]["variants"]] == ["pad-0.5x", "pad-1x", "pad-2x", "shorten-better"]
    assert manifest["probe"]["baseline_run"] == first.base_run
    # leaderboards and validate see the base run only: perturbed examples are not a run of the suite
    from judgekit.manifest import discover_runs

    assert [r.run_id for r in discover_runs(tmp_path, "judgebench")] == [first.base_run]
    # a crash mid-probe: drop half of a probe run's judgments; the rerun sends only those
    path = tmp_path / "runs" / verb.run_id / "judgments.jsonl"  # type: ignore[operator]
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    calls.clear()
    # --stored-only reports from what is stored and sends nothing
    partial, _ = run_audit(cfg.model_copy(update={"judge": False}), runner)
    assert calls == []
    n_part = sum(e.n_units or 0 for p in partial.probes if p.name == "verbosity" for e in p.effects)
    assert n_part == len(lines) // 2
    second, out2 = run_audit(cfg, runner)
    assert len(calls) == len(lines) - len(lines) // 2
    assert out2 == out
    assert second.model_dump() == first.model_dump()


def test_report_escapes_everything(tmp_path: Path) -> None:
    data = tmp_path / "pairs.jsonl"
    rows = [{"prompt": f"<script>alert({i})</script> question {i}", "a": f"a good <b>answer</b> in detail {i}",
             "b": f"bad </td></table> answer {i}", "label": "A"} for i in range(12)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    judge = BiasedJudge({str(i): "A" for i in range(12)}, accuracy=1.0, length=0.9)
    cfg = AuditConfig(run=RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "r"),
                                    judge=JudgeConfig(backend="mock", model="j", template="vanilla",
                                                      options={"responder": judge})),
                      probes=("verbosity",))
    res, out = run_audit(cfg, runner)
    html = (out / "report.html").read_text()
    assert any(p.flips for p in res.probes)
    assert "<script" not in html and "&lt;script&gt;alert(" in html
    assert "</table> answer" not in html and "&lt;/td&gt;&lt;/table&gt; answer" in html
    assert "<b>answer" not in html


def test_pointwise_central_tendency_and_anchoring(tmp_path: Path) -> None:
    data = tmp_path / "grades.jsonl"
    rng = np.random.default_rng(3)
    gold = rng.integers(1, 6, size=120)
    data.write_text("".join(json.dumps({"q": f"question {i}", "answer": f"answer {i}", "grade": int(g)}) + "\n"
                            for i, g in enumerate(gold)))
    cfg_run = {"suite": "generic", "data": str(data), "results_dir": str(tmp_path / "r"),
               "suite_args": {"kind": "pointwise", "fields": {"prompt": "q", "response": "answer", "score": "grade"}}}
    from judgekit.adapters import load_examples as le

    spec = load_suite("generic")
    from judgekit.runner import with_args

    spec = with_args(spec, cfg_run["suite_args"])  # type: ignore[arg-type]
    exs = le(spec, spec.split(None)[0], str(data), None).examples
    gmap = {e.id: e.score for e in exs}  # type: ignore[union-attr]
    grader = BiasedGrader(gmap, compress=0.5, anchor=0.5)
    res, _ = run_audit(AuditConfig(run=RunConfig(**cfg_run, judge=JudgeConfig(  # type: ignore[arg-type]
        backend="mock", model="g", options={"responder": grader}))), runner)
    assert res.kind == "pointwise"
    spread = effect(res, "central_tendency")
    judge_grades = np.array([round(3 + 0.5 * (g - 3)) for g in gold], dtype=float)
    assert spread.estimate.value == pytest.approx(np.std(judge_grades, ddof=1) / np.std(gold, ddof=1))
    assert spread.flagged and spread.estimate.ci_high < 1
    # anchoring: the grade moves one point towards the anchor with probability 0.5 unless already there
    for v, anchor in (("anchor-low", 1), ("anchor-high", 5)):
        e = effect(res, "anchoring", v)
        expected = 0.5 * float(np.mean(judge_grades != anchor))
        assert e.flagged and inside(e, expected), (v, expected, e.estimate)


def test_replay_judge_answers_only_data_only_probes(shared_data: Path, tmp_path: Path) -> None:
    out = shared_data / "judgebench" / "outputs"
    f = next(out.glob("*judge_name=arena_hard,judge_model=o1-mini*"))
    cfg = AuditConfig(run=RunConfig(suite="judgebench", split="gpt", data=str(shared_data),
                                    results_dir=str(tmp_path), judge=JudgeConfig(backend="replay", model=str(f))))
    res, _ = run_audit(cfg, runner)
    status = {p.name: (p.status, p.reason) for p in res.probes}
    assert status["position"][0] == "ok"
    for name in ("verbosity", "authority", "bandwagon", "refinement", "sentiment", "stability"):
        assert status[name][0] == "skipped" and "live judge" in (status[name][1] or "")
    # the position effect equals the shares in the recorded verdicts, counted by hand
    rows = [json.loads(line) for line in (tmp_path / "runs" / res.base_run / "judgments.jsonl").read_text().splitlines()]
    ok = [r for r in rows if r["status"] == "ok"]
    per: dict[str, list[float]] = {}
    for r in ok:
        w = r["shown_winner"]
        if w != "invalid":
            per.setdefault(r["example_id"], []).append(1.0 if w == "A" else -1.0 if w == "B" else 0.0)
    assert effect(res, "position").estimate.value == pytest.approx(np.mean([np.mean(v) for v in per.values()]))


def test_cli_audit_gate(shared_data: Path, tmp_path: Path) -> None:
    args = ["audit", "--suite", "evalbiasbench", "--data", str(shared_data), "--judge", "mock:Output (a)",
            "--template", "vanilla", "--results-dir", str(tmp_path), "-q", "--probe", "position", "--probe", "verbosity"]
    ok = CliRunner().invoke(cli, args + ["--max-effect", "verbosity=0.1"])
    assert ok.exit_code == 0, ok.output
    assert "| position |" in ok.output and "FLAG" in ok.output
    gate = CliRunner().invoke(cli, args + ["--fail-on-flag"])
    assert gate.exit_code == 1 and "position/: flagged" in gate.output
    limit = CliRunner().invoke(cli, args + ["--max-effect", "position=0.5"])
    assert limit.exit_code == 1 and "1.000 is more than 0.5" in limit.output
    bad = CliRunner().invoke(cli, args + ["--probe", "nosuch"])
    assert bad.exit_code != 0 and "known probes" in str(bad.exception)


def test_self_preference_from_recorded_generators(tmp_path: Path) -> None:
    """A judge that picks its own family's response with probability p (else the better one with 0.75)
    on pairs where gold prefers its family half the time: its own-pick share exceeds gold's by p / 2."""
    rng = np.random.default_rng(5)
    rows, own_text = [], {}
    for i in range(300):
        own_first = bool(rng.integers(2))
        gold_own = i % 2 == 0
        a, b = f"answer one {i}", f"answer two {i}"
        own = a if own_first else b
        own_text[i] = own
        label = "A" if (own == a) == gold_own else "B"
        rows.append({"id": str(i), "prompt": f"q{i}", "a": a, "b": b, "label": label,
                     "generator_a": "gpt4_1106_preview" if own_first else "Meta-Llama-3-70B-Instruct",
                     "generator_b": "Meta-Llama-3-70B-Instruct" if own_first else "gpt-4o-2024-05-13"})
    data = tmp_path / "gen.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = {r["id"]: r["label"] for r in rows}
    p = 0.4
    fair = BiasedJudge(labels, accuracy=0.75)

    def judge(req):  # type: ignore[no-untyped-def]
        from judgekit.testing.biased_judges import LABEL, uniforms

        u, _ = uniforms(7, req)
        if u < p:
            mine = own_text[int(req.example_id)]
            return LABEL["A" if req.responses[0] == mine else "B"]
        return fair(req)

    cfg = AuditConfig(run=RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "r"),
                                    judge=JudgeConfig(backend="mock", model="gpt-4-turbo", template="vanilla",
                                                      options={"responder": judge})),
                      probes=("self_preference",))
    res, _ = run_audit(cfg, runner)
    e = effect(res, "self_preference")
    assert e.details["judge_family"] == "gpt-4"
    assert e.details["gold_own_win_rate"] == pytest.approx(0.5)
    assert e.flagged and inside(e, p / 2), e.estimate
    cfg_fair = cfg.model_copy(update={"run": cfg.run.model_copy(update={"judge": JudgeConfig(
        backend="mock", model="gpt-4-fair", template="vanilla", options={"responder": fair})})})
    assert not effect(run_audit(cfg_fair, runner)[0], "self_preference").flagged


def test_compare_two_judges_audits(shared_data: Path, tmp_path: Path) -> None:
    exs = examples(shared_data, "judgebench", "gpt")
    gold = {k: e.label for k, e in exs.items()}
    probes = ("position", "bandwagon")
    fair = audit(shared_data, tmp_path, "judgebench", "gpt", BiasedJudge(gold), "fair", probes)
    fair2 = audit(shared_data, tmp_path, "judgebench", "gpt", BiasedJudge(gold, seed=1), "fair2", probes)
    follower = audit(shared_data, tmp_path, "judgebench", "gpt", BiasedJudge(gold, bandwagon=0.6), "follower", probes)
    from judgekit.audit import compare_audits

    worse = {(c.probe, c.variant): c for c in compare_audits(follower, fair)}
    assert worse[("bandwagon", "cue-worse")].worse and worse[("bandwagon", "cue-better")].worse
    assert not worse[("position", None)].worse
    c = worse[("bandwagon", "cue-worse")]
    assert c.difference.value == pytest.approx(
        np.mean([effect(follower, "bandwagon", "cue-worse").per_example[k] - effect(fair, "bandwagon", "cue-worse").per_example[k]
                 for k in effect(fair, "bandwagon", "cue-worse").per_example]))
    assert not any(c.worse for c in compare_audits(fair2, fair))
    assert not any(c.worse for c in compare_audits(fair, follower))  # less biased is never worse


def test_cli_baseline_audit_gate(shared_data: Path, tmp_path: Path) -> None:
    exs = examples(shared_data, "evalbiasbench", "test")
    script = tmp_path / "right.json"
    script.write_text(json.dumps({f"{k}#{o}": "Output (a)" if (e.label == "A") == (o == "AB") else "Output (b)"
                                  for k, e in exs.items() for o in ("AB", "BA")}))
    common = ["audit", "--suite", "evalbiasbench", "--data", str(shared_data), "--template", "vanilla",
              "--results-dir", str(tmp_path), "-q", "--probe", "position"]
    base = CliRunner().invoke(cli, common + ["--judge", "mock:right", "--option", f"script={script}"])
    assert base.exit_code == 0, base.output
    (audit_dir,) = (tmp_path / "audits").iterdir()
    same = CliRunner().invoke(cli, common + ["--judge", "mock:right", "--option", f"script={script}",
                                             "--baseline-audit", str(audit_dir)])
    assert same.exit_code == 0 and "| position |  | +0.000 | +0.000 |" in same.output, same.output
    first = CliRunner().invoke(cli, common + ["--judge", "mock:Output (a)", "--baseline-audit", str(audit_dir)])
    assert first.exit_code == 1 and "WORSE" in first.output and "more biased than the baseline" in first.output
