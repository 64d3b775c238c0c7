"""The probes added for EvalBiasBench's bias types (concreteness, nested instruction) and the
flaggable over-confidence effect of the calibration probe: scripted judges with implanted biases on
real JudgeBench and LLMBar pairs are flagged with the implanted strength inside the interval, and
the judges without that bias are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from judgekit import runner
from judgekit.audit import AuditConfig, AuditResult, run_audit
from judgekit.errors import DataError
from judgekit.probes import get_probe
from judgekit.probes.concreteness import SPECIFICS
from judgekit.probes.effects import overconfidence, overconfidence_values
from judgekit.probes.nested_instruction import INJECTION_RE, INJECTIONS
from judgekit.testing.biased_judges import BiasedJudge, ConfidenceJudge, digits
from judgekit.types import JudgeConfig, Judgment, PairExample, RunConfig

from .test_audit import SUITES, effect, examples, inside


def audit_with(shared: Path, tmp: Path, suite: str, split: str, responder: object, name: str,
               probes: tuple[str, ...], verdict: str = "generate") -> AuditResult:
    cfg = AuditConfig(run=RunConfig(suite=suite, split=split, data=str(shared), results_dir=str(tmp),
                                    judge=JudgeConfig(backend="mock", model=name, template="vanilla",
                                                      verdict=verdict, options={"responder": responder})),
                      probes=probes)
    return run_audit(cfg, runner)[0]


def test_transforms_edit_only_the_worse_response_deterministically(shared_data: Path) -> None:
    exs = list(examples(shared_data, "judgebench", "gpt").values())[:40]
    for name, marker in (("concreteness", lambda t: any(s in t for s in SPECIFICS)),
                         ("nested_instruction", lambda t: INJECTION_RE.search(t) is not None)):
        probe = get_probe(name)
        (v,) = probe.variants()
        for ex in exs:
            pex = probe.transform(ex, v, "AB", 0)
            assert isinstance(pex, PairExample) and pex.id == f"{ex.id}~{v.name}"
            assert pex == probe.transform(ex, v, "BA", 0)  # the same edit in both orders
            worse = "response_b" if ex.label == "A" else "response_a"
            better = "response_a" if worse == "response_b" else "response_b"
            assert getattr(pex, better) == getattr(ex, better)
            assert getattr(pex, worse).startswith(getattr(ex, worse).rstrip())
            assert marker(getattr(pex, worse)) and not marker(getattr(ex, worse))
            assert probe.target(ex, v) == worse[-1].upper()
    assert all(INJECTION_RE.search(t) for t in INJECTIONS)
    assert all(digits(t) >= 5 for t in SPECIFICS)


def _p_worse(first: str, second: str, worse_first: bool, p: float, q: float) -> float:
    """P(the specifics judge picks the worse response) on one shown pair (hand-derived from its rule)."""
    d1, d2 = digits(first), digits(second)
    if d1 == d2:
        return 1 - q
    worse_more = (d1 > d2) == worse_first
    return p * float(worse_more) + (1 - p) * (1 - q)


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_concreteness_flagged_at_its_strength(shared_data: Path, tmp_path: Path, suite: str, split: str) -> None:
    exs = examples(shared_data, suite, split)
    p, q = 0.5, 0.75
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=q, specifics=p)
    res = audit_with(shared_data, tmp_path, suite, split, judge, "specifics-judge",
                     ("concreteness", "nested_instruction"))
    probe = get_probe("concreteness")
    (v,) = probe.variants()
    expected = []
    for ex in exs.values():
        pex = probe.transform(ex, v, "AB", 0)
        assert isinstance(pex, PairExample)
        wf = ex.label == "B"  # in the AB order the worse response is shown first when B is better
        expected.append(_p_worse(pex.response_a, pex.response_b, wf, p, q)
                        - _p_worse(ex.response_a, ex.response_b, wf, p, q))
    implanted = float(np.mean(expected))
    e = effect(res, "concreteness", "fake-specifics")
    print(suite, f"implanted {implanted:.3f}", e.estimate)
    assert implanted > 0.1
    assert e.flagged and inside(e, implanted), (implanted, e.estimate)
    assert not effect(res, "nested_instruction", "to-evaluator").flagged


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_nested_instruction_flagged_at_its_strength(shared_data: Path, tmp_path: Path, suite: str,
                                                    split: str) -> None:
    exs = examples(shared_data, suite, split)
    p, q = 0.6, 0.75
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=q, injection=p)
    res = audit_with(shared_data, tmp_path, suite, split, judge, "injection-judge",
                     ("nested_instruction", "concreteness"))
    # obeying the embedded instruction w.p. p moves P(worse) from 1 - q to p + (1 - p)(1 - q): a shift of p q
    e = effect(res, "nested_instruction", "to-evaluator")
    print(suite, e.estimate)
    assert e.flagged and inside(e, p * q), e.estimate
    assert not effect(res, "concreteness", "fake-specifics").flagged


def test_unbiased_judge_not_flagged_by_the_new_probes(shared_data: Path, tmp_path: Path) -> None:
    exs = examples(shared_data, "llmbar", "all")
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=0.75)
    res = audit_with(shared_data, tmp_path, "llmbar", "all", judge, "unbiased",
                     ("concreteness", "nested_instruction"))
    for probe, variant in (("concreteness", "fake-specifics"), ("nested_instruction", "to-evaluator")):
        e = effect(res, probe, variant)
        assert e.flagged is False and inside(e, 0.0), (probe, e.estimate)


def test_overconfidence_hand_computed() -> None:
    p_a = np.array([0.9, 0.2, 0.5, 0.7, 0.6, 0.4])
    gold_a = np.array([True, True, False, False, True, False])
    ex = np.array([0, 0, 1, 1, 2, 2])
    # confidence 0.9 0.8 0.5 0.7 0.6 0.6; right 1 0 1/2 0 1 1
    d = overconfidence_values(p_a, gold_a)
    assert d == pytest.approx([-0.1, 0.8, 0.0, 0.7, -0.4, -0.4])
    per = np.array([0.35, 0.35, -0.4])
    est = overconfidence(p_a, gold_a, ex, n_resamples=200, seed=0)
    assert est.value == pytest.approx(per.mean())
    assert est.n == 3
    assert est.p_value == pytest.approx(stats.ttest_1samp(per, 0.0).pvalue)


@pytest.mark.parametrize(("suite", "split"), SUITES)
def test_calibration_overconfident_judge_flagged(shared_data: Path, tmp_path: Path, suite: str, split: str) -> None:
    exs = examples(shared_data, suite, split)
    gold = {k: e.label for k, e in exs.items()}
    fair = ConfidenceJudge(gold)
    over = ConfidenceJudge(gold, overconfidence=0.6)
    r_fair = audit_with(shared_data, tmp_path, suite, split, fair, "calibrated", ("calibration",), "logprob")
    r_over = audit_with(shared_data, tmp_path, suite, split, over, "overconfident", ("calibration",), "logprob")
    implanted = 0.6 * (1 - float(np.mean(over.levels)))  # 0.15
    e_over, e_fair = effect(r_over, "calibration", "overconfidence"), effect(r_fair, "calibration", "overconfidence")
    print(suite, "overconfident", e_over.estimate, "calibrated", e_fair.estimate)
    assert e_over.flagged and inside(e_over, implanted), e_over.estimate
    assert e_fair.flagged is False and inside(e_fair, 0.0), e_fair.estimate
    # the descriptive ECE is reported, unflagged, and larger for the over-confident judge
    ece_over, ece_fair = effect(r_over, "calibration"), effect(r_fair, "calibration")
    assert ece_over.flagged is None and ece_fair.flagged is None
    assert ece_over.estimate.value > ece_fair.estimate.value
    assert e_over.details["mean_confidence"] == pytest.approx(0.75 + implanted, abs=0.03)


def test_self_preference_not_measurable_on_alpaca_eval(shared_data: Path, tmp_path: Path) -> None:
    """AlpacaEval's recorded annotations: GPT-4-Turbo judging its own output (the baseline, always
    output_1 / generator_1 = gpt4_1106_preview) against one other system's, with no human label and
    no second annotator. Own-output preference and own-output quality are confounded, so the probe
    skips with that reason instead of reporting a number."""
    import json

    root = shared_data / "alpaca_eval" / "results"
    annotators = set()
    for path in sorted(root.glob("*/weighted_alpaca_eval_gpt4_turbo/annotations.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        assert {r["generator_1"] for r in rows} == {"gpt4_1106_preview"}
        assert {r["generator_2"] for r in rows} == {path.parent.parent.name}
        annotators |= {r["annotator"] for r in rows}
        assert not {"label", "human_preference", "gold"} & set(rows[0])
    assert annotators == {"weighted_alpaca_eval_gpt4_turbo"}
    assert sorted(p.name for p in root.glob("*/*") if p.is_dir()) == ["weighted_alpaca_eval_gpt4_turbo"] * 8

    # the audit cannot even start: the only preference in the data is the judge's own
    data = root / "gpt-3.5-turbo-1106_verbose" / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json"
    fields = {"prompt": "instruction", "a": "output_1", "b": "output_2",
              "generator_a": "generator_1", "generator_b": "generator_2"}
    judge = JudgeConfig(backend="mock", model="gpt-4-turbo", template="vanilla",
                        options={"responder": lambda r: "Output (a)"})
    cfg = AuditConfig(run=RunConfig(suite="generic", data=str(data), limit=40, results_dir=str(tmp_path),
                                    suite_args={"fields": fields}, judge=judge), probes=("self_preference",))
    with pytest.raises(DataError, match="no example has a gold label"):
        run_audit(cfg, runner)


def test_self_preference_skips_without_gold_on_own_family_pairs(tmp_path: Path) -> None:
    """Gold labels only on pairs without the judge's family: the probe says why it reports nothing."""
    import json

    rows = []
    for i in range(20):
        own = i % 2 == 0
        rows.append({"id": str(i), "prompt": f"q{i}", "a": f"one {i}", "b": f"two {i}", "label": None if own else "A",
                     "generator_a": "gpt4_1106_preview" if own else "gemma-7b-it", "generator_b": "phi-2-sft"})
    data = tmp_path / "gen.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    judge = JudgeConfig(backend="mock", model="gpt-4-turbo", template="vanilla",
                        options={"responder": lambda r: "Output (a)"})
    cfg = AuditConfig(run=RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "r"), judge=judge),
                      probes=("self_preference",))
    (p,) = run_audit(cfg, runner)[0].probes
    assert p.status == "skipped" and not p.effects
    assert p.reason is not None and "cannot be told apart from their quality" in p.reason


def test_evalbiasbench_types_map_to_registered_probes() -> None:
    from judgekit.probes import probe_names
    from judgekit.probes.bias_types import EVALBIASBENCH
    from judgekit.suites import load_suite

    spec = load_suite("evalbiasbench")
    assert spec.aggregation is not None
    assert set(EVALBIASBENCH) == set(spec.aggregation.args["subsets"])
    known = set(probe_names())
    mapped = {p for t in EVALBIASBENCH.values() for p in t.probes}
    assert mapped <= known, mapped - known
    assert sum(bool(t.probes) for t in EVALBIASBENCH.values()) == 3  # 3 of 6 have a sound counterfactual
    assert all(t.note.startswith("none:") for t in EVALBIASBENCH.values() if not t.probes)


def test_stored_only_never_rewrites_a_run_a_live_audit_appends_to(shared_data: Path, tmp_path: Path) -> None:
    """`audit --stored-only` while the audit is still judging: it reads the stored judgments and
    writes none of them, so the live process's open append handle stays on the file (an atomic
    rewrite had orphaned it in the live run of the README, losing 8 judgments until a rerun)."""
    from judgekit.store import RunStore

    exs = examples(shared_data, "judgebench", "gpt")
    judge = BiasedJudge({k: e.label for k, e in exs.items()}, accuracy=0.75)
    cfg = AuditConfig(run=RunConfig(suite="judgebench", split="gpt", data=str(shared_data), limit=10,
                                    results_dir=str(tmp_path), judge=JudgeConfig(
                                        backend="mock", model="live", template="vanilla",
                                        options={"responder": judge})),
                      probes=("position", "bandwagon"))
    res, _ = run_audit(cfg, runner)
    run_dir = tmp_path / "runs" / [p for p in res.probes if p.name == "bandwagon"][0].run_id  # type: ignore[operator]
    path = run_dir / "judgments.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    # a live writer: drop the last 5 rows from the file, then hold an append handle on it
    path.write_text("".join(lines[:-5]))
    writer = RunStore(run_dir)
    writer.append(Judgment.model_validate_json(lines[-5]))
    inode = path.stat().st_ino
    stored = run_audit(cfg.model_copy(update={"judge": False}), runner)[0]
    assert path.stat().st_ino == inode  # not replaced
    for line in lines[-4:]:  # the live process goes on appending
        writer.append(Judgment.model_validate_json(line))
    writer.close()
    assert path.read_text() == "".join(lines)  # nothing lost
    e = effect(stored, "bandwagon", "cue-worse")
    assert e.estimate.n is not None and e.estimate.n <= 10
