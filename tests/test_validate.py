"""`judgekit validate` end to end with the mock judge against a stored baseline run on JudgeBench:
an identical candidate passes (exit 0); one whose correct verdicts were flipped on purpose, or
one that answers garbage more often, fails (exit 1) on the metric that got worse."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.adapters import load_examples
from judgekit.cli import cli
from judgekit.suites import load_suite

SHOWN = {("A", "AB"): "[[A>B]]", ("B", "AB"): "[[B>A]]", ("A", "BA"): "[[B>A]]", ("B", "BA"): "[[A>B]]"}


def _u(key: str) -> float:
    """A reproducible uniform number in [0, 1) from a string."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 16**12


def baseline_answers(shared: Path) -> tuple[dict[str, str], dict[str, bool]]:
    """A mock judge right on about 75 % of the requests (chosen by hash), in the shown frame."""
    examples = load_examples(load_suite("judgebench"), "gpt", shared).examples
    answers, correct = {}, {}
    for ex in examples:
        for order in ("AB", "BA"):
            rid = f"{ex.id}#{order}"
            ok = _u("baseline:" + rid) < 0.75
            gold = ex.label if ok else ("B" if ex.label == "A" else "A")
            answers[rid] = f"My final verdict: {SHOWN[(gold, order)]}"
            correct[rid] = ok
    return answers, correct


@pytest.fixture(scope="module")
def baseline(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str],
                                                                                    dict[str, bool]]:
    root = tmp_path_factory.mktemp("validate")
    answers, correct = baseline_answers(shared_data)
    script = root / "baseline.json"
    script.write_text(json.dumps(answers))
    res = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--split", "gpt", "--data", str(shared_data),
                                   "--judge", "mock:[[A=B]]", "--option", f"script={script}", "--template",
                                   "arena_hard", "--results-dir", str(root / "results"), "--run-id", "baseline",
                                   "-q"])
    assert res.exit_code == 0, res.output
    return root, root / "results" / "runs" / "baseline", answers, correct


def _validate(root: Path, shared: Path, run_dir: Path, answers: dict[str, str], name: str):  # type: ignore[no-untyped-def]
    script = root / f"{name}.json"
    script.write_text(json.dumps(answers))
    out = root / f"out-{name}"
    res = CliRunner().invoke(cli, ["validate", "--judge", "mock:[[A=B]]", "--option", f"script={script}",
                                   "--baseline", str(run_dir), "--suite", "judgebench:gpt", "--data", str(shared),
                                   "--max-drop", "1.0", "--alpha", "0.05", "--results-dir", str(root / "results"),
                                   "--out", str(out), "--resamples", "500", "-q"])
    summary = json.loads((out / "validate.json").read_text()) if (out / "validate.json").exists() else None
    return res, summary, out


def _check(summary: dict, metric: str, scope: str = "overall") -> dict:  # type: ignore[type-arg]
    """A check by metric ("headline": the suite's headline, JudgeBench's accuracy under its vote)."""
    (suite,) = summary["suites"]
    if metric == "headline":
        assert suite["headline"] == "accuracy (judgebench policy)"
        return next(c for c in suite["checks"] if c["headline"] and c["scope"] == scope
                    and c["metric"] == suite["headline"])
    return next(c for c in suite["checks"] if c["metric"] == metric and c["scope"] == scope)


def test_candidate_equal_to_baseline_passes(baseline, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    root, run_dir, answers, _ = baseline
    res, summary, out = _validate(root, shared_data, run_dir, dict(answers), "equal")
    assert res.exit_code == 0, (res.output, res.exception)
    assert summary["passed"] is True
    acc = _check(summary, "headline")
    assert acc["difference"] == 0.0 and acc["status"] == "pass" and acc["p_value"] == 1.0
    assert acc["n"] == 350
    scopes = {c["scope"] for c in summary["suites"][0]["checks"] if c["headline"]}
    assert scopes == {"overall", "knowledge", "reasoning", "math", "coding"}
    assert all(c["status"] == "pass" for c in summary["suites"][0]["checks"])
    md = (out / "validate.md").read_text()
    assert md.startswith("## judgekit validate: PASS")
    assert "| judgebench/gpt | headline: accuracy (judgebench policy) | overall |" in md


def test_candidate_with_flipped_verdicts_fails(baseline, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    root, run_dir, answers, correct = baseline
    flip = {"[[A>B]]": "[[B>A]]", "[[B>A]]": "[[A>B]]"}
    right = sorted((rid for rid, ok in correct.items() if ok), key=lambda r: _u("flip:" + r))
    flipped = right[:round(0.15 * len(right))]  # 15 % of the baseline's correct verdicts, flipped
    degraded = dict(answers)
    for rid in flipped:
        verdict = degraded[rid][-7:]
        degraded[rid] = degraded[rid][:-7] + flip[verdict]
    res, summary, out = _validate(root, shared_data, run_dir, degraded, "flipped")
    assert res.exit_code == 1, (res.output, res.exception)
    assert summary["passed"] is False
    acc = _check(summary, "headline")
    assert acc["status"] == "fail"
    assert acc["difference"] < -1.0 and acc["ci_high"] < 0 and acc["p_value"] < 0.05
    # the verdicts' own arithmetic: flipping one order of a pair both orders got right makes it wrong
    base_pairs = {rid.split("#")[0] for rid in correct}
    both = {p for p in base_pairs if correct[f"{p}#AB"] and correct[f"{p}#BA"]}
    hit = {rid.split("#")[0] for rid in flipped}
    assert acc["baseline"] == pytest.approx(100 * len(both) / 350)
    assert acc["candidate"] == pytest.approx(100 * len(both - hit) / 350)
    assert "**FAIL**" in (out / "validate.md").read_text()
    assert "FAIL" in res.output
    # the figures the README quotes for this test
    quoted = (f"accuracy {acc['baseline']:.2f} -> {acc['candidate']:.2f} %, difference {acc['difference']:.2f} points "
              f"[{acc['ci_low']:.2f}, {acc['ci_high']:.2f}], McNemar p = {acc['p_value']:.1e}")
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert quoted in " ".join(readme.split()), quoted


def test_candidate_with_more_invalid_verdicts_fails(baseline, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    """Garbage instead of half the verdicts on pairs the baseline got wrong in both orders: the accuracy
    is unchanged (such a pair stays wrong under JudgeBench's vote) but the invalid-verdict check fails."""
    root, run_dir, answers, correct = baseline
    other = {"AB": "BA", "BA": "AB"}
    wrong = sorted((rid for rid, ok in correct.items()
                    if not ok and not correct[rid[:-2] + other[rid[-2:]]]), key=lambda r: _u("garbage:" + r))
    garbled = dict(answers)
    for rid in wrong[:round(0.5 * len(wrong))]:
        garbled[rid] = "I cannot decide."
    res, summary, _ = _validate(root, shared_data, run_dir, garbled, "garbage")
    assert res.exit_code == 1, (res.output, res.exception)
    assert _check(summary, "headline")["difference"] == 0.0
    assert _check(summary, "headline")["status"] == "pass"
    inv = _check(summary, "invalid verdicts")
    assert inv["status"] == "fail" and inv["baseline"] == 0.0 and inv["candidate"] > 3


def test_baseline_must_cover_the_suite(baseline, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    root, run_dir, _, _ = baseline
    res = CliRunner().invoke(cli, ["validate", "--judge", "mock:[[A=B]]", "--baseline", str(run_dir), "--suite",
                                   "judgebench:claude", "--data", str(shared_data), "--results-dir",
                                   str(root / "results"), "-q"])
    assert res.exit_code != 0
    assert "no baseline for judgebench/claude" in str(res.exception)
