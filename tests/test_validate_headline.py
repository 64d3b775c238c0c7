"""`judgekit validate` compares the suite's own headline (scoring.headline), not the pairwise
headline policy: the paired interval equals a numpy loop over the same draws on a hand case, and
LLMBar and PandaLM candidates that differ from their baseline only where the suite's rule differs
from the policy fail on the suite's headline (the policy's accuracy would not have moved)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from judgekit.adapters import load_examples
from judgekit.cli import cli
from judgekit.manifest import RunManifest
from judgekit.metrics.stats import rng_for
from judgekit.suites import load_suite
from judgekit.types import Judgment
from judgekit.views.validate_headline import BOOTSTRAP, MCNEMAR, headline_checks
from judgekit.views.validate_model import ValidateConfig

ARENA = {("A", "AB"): "[[A>B]]", ("B", "AB"): "[[B>A]]", ("A", "BA"): "[[B>A]]", ("B", "BA"): "[[A>B]]",
         ("tie", "AB"): "[[A=B]]", ("tie", "BA"): "[[A=B]]"}
PANDA = {("A", "AB"): "1", ("B", "AB"): "2", ("A", "BA"): "2", ("B", "BA"): "1", ("tie", "AB"): "Tie",
         ("tie", "BA"): "Tie"}


def _u(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 16**12


def _other(label: str) -> str:
    return "B" if label == "A" else "A"


# ----------------------------------------------------------------------------- the hand case


def _rows(outcomes: dict[str, tuple[str, tuple[bool, bool]]]) -> list[Judgment]:
    """Judgments of a two-order run: example id -> (subset, (right in AB, right in BA)); gold A."""
    rows = []
    for ex, (subset, right) in outcomes.items():
        for order, ok in zip(("AB", "BA"), right, strict=True):
            winner = "A" if ok else "B"
            shown = winner if order == "AB" else _other(winner)
            rows.append(Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, label="A",
                                 category=subset, winner=winner, shown_winner=shown, status="ok", template_hash="t"))
    return rows


def _manifest(aggregation: str, args: dict) -> RunManifest:  # type: ignore[type-arg]
    """What the headline comparison reads of a run's manifest."""
    return SimpleNamespace(kind="pairwise", aggregation=SimpleNamespace(name=aggregation, args=args),  # type: ignore[return-value]
                           protocol=SimpleNamespace(headline_policy="both", category_order=()))


def _llmbar_loop(right: np.ndarray, subset: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """LLMBar's headline on each resample, by hand: per subset, the share of right judgments (both
    orders) over the drawn examples; the unweighted mean over the subsets drawn."""
    out = []
    for draw in draws:
        shares = [right[draw][subset[draw] == s].mean() for s in np.unique(subset[draw])]
        out.append(100.0 * float(np.mean(shares)))
    return np.asarray(out)


def test_paired_interval_equals_a_loop_over_the_same_draws() -> None:
    subsets = ["Natural"] * 6 + ["Neighbor"] * 5 + ["GPTInst"] * 4
    base_right = [(True, True), (True, False), (False, False), (True, True), (False, True), (True, True),
                  (True, True), (False, False), (True, False), (True, True), (False, True),
                  (True, True), (True, True), (False, False), (True, False)]
    cand_right = [(True, False), (True, False), (False, False), (False, False), (False, True), (True, True),
                  (True, False), (False, False), (False, False), (True, True), (False, False),
                  (True, True), (False, True), (False, False), (False, False)]
    ids = [f"e{i:02d}" for i in range(len(subsets))]
    base = _rows({i: (s, r) for i, s, r in zip(ids, subsets, base_right, strict=True)})
    cand = _rows({i: (s, r) for i, s, r in zip(ids, subsets, cand_right, strict=True)})
    group = lambda rows: {e: [j for j in rows if j.example_id == e] for e in ids}  # noqa: E731
    m = _manifest("llmbar", {"subsets": ["Natural", "Neighbor", "GPTInst"]})
    cfg = ValidateConfig(candidate={"backend": "mock", "model": "m"}, targets=(("hand", None),),
                         n_resamples=400, seed=7, alpha=0.1, max_drop=1.0)
    name, checks, _ = headline_checks(group(base), group(cand), ids, m, m, cfg)
    assert name == "accuracy (mean of subsets, both orders)"
    overall = checks[0]
    assert overall.headline and overall.scope == "overall" and overall.test == BOOTSTRAP

    # the independent reference: the same draws (the leaderboard's headline stream), a numpy loop
    n = len(ids)
    draws = rng_for(7, "leaderboard", "headline").integers(0, n, size=(400, n))
    sub = np.asarray(subsets)
    rb = np.asarray([sum(r) / 2 for r in base_right])
    rc = np.asarray([sum(r) / 2 for r in cand_right])
    # per-judgment share within a subset = mean over examples of (right orders / 2), both orders each
    diff = _llmbar_loop(rc, sub, draws) - _llmbar_loop(rb, sub, draws)
    lo, hi = np.quantile(diff, [0.05, 0.95])
    assert overall.ci_low == pytest.approx(lo, abs=1e-9) and overall.ci_high == pytest.approx(hi, abs=1e-9)
    assert overall.p_value == pytest.approx(min(1.0, 2 * min(np.mean(diff <= 0), np.mean(diff >= 0))))
    # the headline itself: LLMBar's mean of subsets, by hand
    def head(r: np.ndarray) -> float:
        return 100.0 * np.mean([r[sub == s].mean() for s in ("Natural", "Neighbor", "GPTInst")])
    assert overall.baseline == pytest.approx(head(rb)) and overall.candidate == pytest.approx(head(rc))
    assert overall.difference == pytest.approx(head(rc) - head(rb))
    assert overall.status == ("fail" if hi < 0 and head(rb) - head(rc) > 1.0 else "pass")
    # per subset: the headline on the subset's examples, intervals Bonferroni-widened over 3 subsets
    per = {c.scope: c for c in checks[1:]}
    assert list(per) == ["Natural", "Neighbor", "GPTInst"]  # in the aggregation's order of subsets
    assert overall.n == 15 and per["Natural"].n == 6  # examples, not judgments
    keep = sub == "Natural"
    nat = np.flatnonzero(keep)
    d_nat = rng_for(7, "leaderboard", "headline").integers(0, len(nat), size=(400, len(nat)))
    d = 100 * (rc[nat][d_nat].mean(axis=1) - rb[nat][d_nat].mean(axis=1))
    lo, hi = np.quantile(d, [0.1 / 3 / 2, 1 - 0.1 / 3 / 2])
    assert per["Natural"].ci_low == pytest.approx(lo) and per["Natural"].ci_high == pytest.approx(hi)
    assert per["Natural"].test == BOOTSTRAP + " (Holm)"


def test_a_share_of_examples_keeps_mcnemar() -> None:
    """PandaLM's three_way headline (first order; unparseable = tie) is a share of examples: McNemar's
    exact test on the paired per-example outcomes, here counted by hand."""
    gold = ["A", "B", "tie", "tie", "A", "B", "tie", "A", "B", "A", "tie", "B"]
    base_first = ["A", "B", "invalid", "tie", "A", "A", "invalid", "A", "B", "B", "tie", "B"]
    cand_first = ["A", "B", "A", "tie", "B", "A", "B", "A", "A", "B", "tie", "B"]
    ids = [f"p{i:02d}" for i in range(len(gold))]

    def rows(first: list[str]) -> dict[str, list[Judgment]]:
        out = {}
        for e, g, w in zip(ids, gold, first, strict=True):
            out[e] = [Judgment(request_id=f"{e}#AB", example_id=e, order="AB", label=g, winner=w,
                               shown_winner=w, status="ok", template_hash="t"),
                      Judgment(request_id=f"{e}#BA", example_id=e, order="BA", label=g, winner=g,
                               shown_winner=g if g == "tie" else _other(g), status="ok", template_hash="t")]
        return out

    m = _manifest("three_way", {"unparseable": "tie"})
    cfg = ValidateConfig(candidate={"backend": "mock", "model": "m"}, targets=(("hand", None),), n_resamples=200)
    name, (check,), _ = headline_checks(rows(base_first), rows(cand_first), ids, m, m, cfg)
    assert name == "accuracy (first order, unparseable = tie)"
    right_b = [w == g or (w == "invalid" and g == "tie") for w, g in zip(base_first, gold, strict=True)]
    right_c = [w == g for w, g in zip(cand_first, gold, strict=True)]
    assert check.baseline == pytest.approx(100 * np.mean(right_b)) and check.candidate == pytest.approx(100 * np.mean(right_c))
    b = sum(c and not r for c, r in zip(right_c, right_b, strict=True))
    c = sum(r and not k for k, r in zip(right_c, right_b, strict=True))
    assert (b, c) == (0, 4)
    assert check.test == MCNEMAR and check.p_value == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue)


# ----------------------------------------------------------------------------- LLMBar and PandaLM end to end


def _run(root: Path, shared: Path, suite: str, split: str, answers: dict[str, str], template: str, run_id: str) -> Path:
    script = root / f"{run_id}.json"
    script.write_text(json.dumps(answers))
    res = CliRunner().invoke(cli, ["run", "--suite", suite, "--split", split, "--data", str(shared), "--judge",
                                   "mock:none", "--option", f"script={script}", "--template", template,
                                   "--results-dir", str(root / "results"), "--run-id", run_id, "-q"])
    assert res.exit_code == 0, res.output
    return root / "results" / "runs" / run_id


def _validate(root: Path, shared: Path, suite: str, baseline: Path, answers: dict[str, str], name: str):  # type: ignore[no-untyped-def]
    script = root / f"{name}.json"
    script.write_text(json.dumps(answers))
    out = root / f"out-{name}"
    res = CliRunner().invoke(cli, ["validate", "--judge", "mock:none", "--option", f"script={script}", "--baseline",
                                   str(baseline), "--suite", suite, "--data", str(shared), "--results-dir",
                                   str(root / "results"), "--out", str(out), "--resamples", "500", "-q"])
    doc = json.loads((out / "validate.json").read_text()) if (out / "validate.json").exists() else None
    return res, doc, out


def _headline(doc: dict) -> dict:  # type: ignore[type-arg]
    (suite,) = doc["suites"]
    return next(c for c in suite["checks"] if c["headline"] and c["scope"] == "overall")


def _policy_accuracy(run_dir: Path, policy: str) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["accuracy"][policy]["overall"]["value"]


def test_llmbar_is_gated_on_its_mean_of_subsets(shared_data: Path, tmp_path: Path) -> None:
    """The baseline is right in both orders on ~60 % of the pairs and in one order only on ~30 %. The
    candidate is wrong in both orders on those one-order pairs: under the "both" policy (what validate
    compared before) they were wrong already, so its accuracy does not move; LLMBar's headline (each
    order counts) drops, and the gate fails on it."""
    exs = load_examples(load_suite("llmbar"), "natural", shared_data).examples
    base, cand = {}, {}
    for ex in exs:
        u = _u("llmbar:" + ex.id)
        right = {"AB": u < 0.75, "BA": u < 0.6 or u >= 0.9}  # both 60 %, AB only 15 %, BA only 15 %
        for order in ("AB", "BA"):
            rid = f"{ex.id}#{order}"
            base[rid] = f"My final verdict: {ARENA[(ex.label if right[order] else _other(ex.label), order)]}"
            split = right["AB"] != right["BA"]
            cand[rid] = (f"My final verdict: {ARENA[(_other(ex.label), order)]}" if split else base[rid])
    base_dir = _run(tmp_path, shared_data, "llmbar", "natural", base, "arena_hard", "llmbar-base")
    same, doc_same, _ = _validate(tmp_path, shared_data, "llmbar:natural", base_dir, base, "llmbar-same")
    assert same.exit_code == 0, same.output
    assert doc_same["suites"][0]["headline"] == "accuracy (mean of subsets, both orders)"
    assert _headline(doc_same)["difference"] == 0.0
    res, doc, out = _validate(tmp_path, shared_data, "llmbar:natural", base_dir, cand, "llmbar-split")
    assert res.exit_code == 1, res.output
    head = _headline(doc)
    assert head["metric"] == "accuracy (mean of subsets, both orders)" and head["test"] == BOOTSTRAP
    assert head["status"] == "fail" and head["ci_high"] < 0
    # the headline compared is the one each run's metrics.json names, on the same examples
    cand_dir = tmp_path / "results" / "runs" / doc["suites"][0]["candidate_run"]
    metrics = {d: json.loads((d / "metrics.json").read_text())["headline"] for d in (base_dir, cand_dir)}
    assert head["baseline"] == pytest.approx(metrics[base_dir]["value"])
    assert head["candidate"] == pytest.approx(metrics[cand_dir]["value"])
    n_split = sum(1 for ex in exs if (_u("llmbar:" + ex.id) < 0.75) != (_u("llmbar:" + ex.id) < 0.6 or
                                                                          _u("llmbar:" + ex.id) >= 0.9))
    assert head["difference"] == pytest.approx(-100 * n_split / 2 / len(exs))  # one subset: each lost order
    assert _policy_accuracy(base_dir, "both") == _policy_accuracy(cand_dir, "both")  # the old gate saw nothing
    assert head["n"] == len(exs) == 100
    assert "| judgebench" not in (out / "validate.md").read_text()
    assert "headline: accuracy (mean of subsets, both orders) | overall |" in (out / "validate.md").read_text()
    assert "llmbar/natural  headline: accuracy (mean of subsets, both orders)" in res.output


def test_pandalm_is_gated_on_its_rule(shared_data: Path, tmp_path: Path) -> None:
    """PandaLM counts an unparseable first-order output as a tie. The baseline answers garbage in the
    first order on the gold-tie pairs (a tie for PandaLM, so right) and "Tie" in the second; the
    candidate answers a decisive (wrong) verdict there instead. Under the "tie" policy both runs are
    right on those pairs (inconsistent orders make a tie), so that accuracy does not move; PandaLM's
    headline drops, McNemar rejects, and the gate fails."""
    exs = load_examples(load_suite("pandalm"), "test", shared_data).examples
    base, cand = {}, {}
    ties = [ex for ex in exs if ex.label == "tie"]
    assert len(ties) > 40
    for ex in exs:
        for order in ("AB", "BA"):
            rid = f"{ex.id}#{order}"
            ok = _u("panda:" + rid) < 0.7 or ex.label == "tie"
            wrong = "A" if ex.label == "tie" else _other(ex.label)
            base[rid] = PANDA[(ex.label if ok else wrong, order)]
            cand[rid] = base[rid]
    for i, ex in enumerate(ties):
        base[f"{ex.id}#AB"] = "garbage, no verdict"
        cand[f"{ex.id}#AB"] = PANDA[("A" if i % 2 else "B", "AB")]  # both sides, so position bias stays put
    base_dir = _run(tmp_path, shared_data, "pandalm", "test", base, "pandalm", "pandalm-base")
    res, doc, _ = _validate(tmp_path, shared_data, "pandalm", base_dir, cand, "pandalm-decisive")
    assert res.exit_code == 1, res.output
    head = _headline(doc)
    assert head["metric"] == "accuracy (first order, unparseable = tie)" and head["test"] == MCNEMAR
    assert head["status"] == "fail" and head["p_value"] < 1e-6
    assert head["difference"] == pytest.approx(-100 * len(ties) / len(exs))
    assert head["n"] == len(exs)
    cand_dir = tmp_path / "results" / "runs" / doc["suites"][0]["candidate_run"]
    assert _policy_accuracy(base_dir, "tie") == _policy_accuracy(cand_dir, "tie")
    checks = {c["metric"]: c for c in doc["suites"][0]["checks"]}
    assert checks["invalid verdicts"]["status"] == "pass"  # the candidate has fewer invalid verdicts
    assert checks["position bias"]["status"] == "pass"


def test_exit_codes(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0: every check passes; 1: a check failed (above); 2: a usage or setup error, with no traceback."""
    from judgekit.cli import main

    def code(*args: str) -> int:
        monkeypatch.setattr("sys.argv", ["judgekit", "validate", *args])
        try:
            main()
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    common = ["--suite", "judgebench:gpt", "--data", str(shared_data), "--results-dir", str(tmp_path / "r"),
              "--limit", "4", "-q", "--out", str(tmp_path / "o")]
    assert code("--judge", "mock:[[A=B]]", "--baseline", "mock:[[A=B]]", *common) == 0
    assert code("--judge", "mock:[[A=B]]", "--baseline", "mock:[[A=B]]", "--alpha", "2", *common) == 2
    assert code("--judge", "mock:[[A=B]]", "--baseline", "nosuch:thing", *common) == 2
    assert code("--judge", "mock:[[A=B]]", "--baseline", "mock:[[A=B]]", "--max-effect", "position=0.1",
                *common) == 2  # --max-effect without --audit


def test_a_ratio_headline_is_compared_in_its_units() -> None:
    """A pointwise suite's headline is Pearson's r: the difference and its paired interval are in r's
    units (against np.corrcoef over the same draws) and --max-drop 1 point means 0.01 of r."""
    rng = np.random.default_rng(3)
    gold = rng.integers(1, 6, size=40).astype(float)
    base_score = np.clip(gold + rng.integers(-1, 2, size=40), 1, 5)
    cand_score = np.where(np.arange(40) % 3 == 0, 6 - gold, base_score)  # a third graded upside down
    ids = [f"g{i:02d}" for i in range(40)]

    def rows(scores: np.ndarray) -> dict[str, list[Judgment]]:
        return {e: [Judgment(request_id=f"{e}#AB", example_id=e, order="AB", status="ok", shown_winner="A",
                             winner="A", score=float(s), gold_score=float(g), template_hash="t")]
                for e, s, g in zip(ids, scores, gold, strict=True)}

    m = SimpleNamespace(kind="pointwise", aggregation=SimpleNamespace(name="pointwise", args={}),
                        protocol=SimpleNamespace(headline_policy="first", category_order=()))
    cfg = ValidateConfig(candidate={"backend": "mock", "model": "m"}, targets=(("hand", None),), n_resamples=300,
                         seed=2)
    name, (check,), notes = headline_checks(rows(base_score), rows(cand_score), ids, m, m, cfg)  # type: ignore[arg-type]
    assert name == "Pearson correlation with gold" and check.digits == 4 and check.test == BOOTSTRAP
    r = lambda x, i=slice(None): float(np.corrcoef(x[i], gold[i])[0, 1])  # noqa: E731
    assert check.baseline == pytest.approx(r(base_score)) and check.candidate == pytest.approx(r(cand_score))
    draws = rng_for(2, "leaderboard", "headline").integers(0, 40, size=(300, 40))
    diff = np.array([r(cand_score, d) - r(base_score, d) for d in draws])
    lo, hi = np.quantile(diff, [0.025, 0.975])
    assert check.ci_low == pytest.approx(lo, abs=1e-9) and check.ci_high == pytest.approx(hi, abs=1e-9)
    assert hi < 0 and check.status == "fail" and "(allowed 0.01)" in check.reason
    assert any("--max-drop 1 points means 0.01" in n for n in notes)


def test_readme_lists_each_suites_headline_test() -> None:
    """The README's table of what validate compares per suite names every suite, and the test it states
    is the one the code picks (McNemar for a share of examples, the paired bootstrap otherwise)."""
    from judgekit.rankings import SYSTEM_AGGREGATIONS
    from judgekit.suites import suite_names
    from judgekit.views.validate_headline import PER_EXAMPLE_SHARES

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("| suites | headline | test |", 1)[1].split("\n\n", 1)[0]
    listed: dict[str, str] = {}
    for line in table.strip().splitlines()[1:]:
        suites, _, test = (c.strip() for c in line.strip("|").split("|"))
        for name in suites.split(","):
            listed[name.split("(")[0].strip()] = test
    assert set(listed) == set(suite_names())
    for name, test in listed.items():
        suite = load_suite(name)
        spec = suite.aggregation
        if spec is not None and spec.name in SYSTEM_AGGREGATIONS and suite.kind == "pointwise":
            assert test == "none", name  # a pointwise systems suite: only invalid verdicts
            continue
        share = spec is None or spec.name in SYSTEM_AGGREGATIONS or spec.name in PER_EXAMPLE_SHARES
        assert test == ("McNemar" if share else "paired bootstrap"), name


def test_generic_pointwise_data_is_gated_on_pearson(tmp_path: Path) -> None:
    """Your own grading data through the generic suite (--field / --kind as `judgekit run` takes them):
    the headline is Pearson's r with the gold grades, compared in r's units. A candidate that grades a
    third of the answers upside down fails; the figures are np.corrcoef's."""
    rng = np.random.default_rng(11)
    gold = rng.integers(1, 6, size=60)
    data = tmp_path / "grades.jsonl"
    data.write_text("".join(json.dumps({"qid": f"g{i:02d}", "question": f"q {i}", "answer": f"a {i}",
                                        "grade": int(g)}) + "\n" for i, g in enumerate(gold)))
    base_grades = np.clip(gold + rng.integers(-1, 2, size=60), 1, 5)
    cand_grades = np.where(np.arange(60) % 3 == 0, 6 - gold, base_grades)
    scripts = {}
    for name, grades in (("base", base_grades), ("cand", cand_grades)):
        scripts[name] = tmp_path / f"{name}.json"
        scripts[name].write_text(json.dumps({f"g{i:02d}#AB": f"Feedback: fine. [RESULT] {int(k)}"
                                             for i, k in enumerate(grades)}))
    fields = ["--field", "id=qid", "--field", "prompt=question", "--field", "response=answer", "--field",
              "score=grade", "--kind", "pointwise"]
    res = CliRunner().invoke(cli, ["run", "--suite", "generic", "--data", str(data), "--judge", "mock:base", "--option",
                                   f"script={scripts['base']}", "--results-dir", str(tmp_path / "r"), "--run-id",
                                   "base", "-q", *fields])
    assert res.exit_code == 0, res.output
    out = tmp_path / "v"
    res = CliRunner().invoke(cli, ["validate", "--judge", "mock:cand", "--option", f"script={scripts['cand']}",
                                   "--baseline", str(tmp_path / "r" / "runs" / "base"), "--suite", "generic", "--data",
                                   str(data), "--results-dir", str(tmp_path / "r"), "--out", str(out), "-q", *fields])
    assert res.exit_code == 1, res.output
    doc = json.loads((out / "validate.json").read_text())
    assert doc["suites"][0]["headline"] == "Pearson correlation with gold"
    head = _headline(doc)
    r_b, r_c = (float(np.corrcoef(g, gold)[0, 1]) for g in (base_grades, cand_grades))
    assert head["baseline"] == pytest.approx(r_b) and head["candidate"] == pytest.approx(r_c)
    assert head["status"] == "fail" and head["ci_high"] < 0 and head["n"] == 60 and head["digits"] == 4
    assert f"{r_b:.4f}" in (out / "validate.md").read_text()
