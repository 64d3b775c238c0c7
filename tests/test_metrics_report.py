"""The run report: the vectorised pairwise report equals a plain per-example loop over
judgekit.protocols (the original implementation), and every number carries its n, its
invalid count and a seeded, clustered bootstrap interval; metrics.json keeps its keys."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from judgekit.cli import cli
from judgekit.metrics.pairwise import PairwiseArrays, pairwise_metrics, pairwise_metrics_from_arrays
from judgekit.protocols import POLICIES, combine, is_correct, unswap_winner
from judgekit.types import Judgment
from tests.conftest import output_files

WINNERS = ["A", "B", "tie", "invalid"]


def _random_judgments(seed: int, n_examples: int = 120) -> list[Judgment]:
    """Examples with one or two orders, some with extra samples, failed requests, missing
    labels and categories, lengths and soft verdicts."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(n_examples):
        label = rng.choice(["A", "B", "tie", None], p=[0.45, 0.45, 0.05, 0.05])
        cat = rng.choice(["math", "code", "prose", None], p=[0.3, 0.3, 0.3, 0.1])
        orders = ["AB", "BA"] if rng.random() < 0.8 else [rng.choice(["AB", "BA"])]
        la, lb = int(rng.integers(10, 500)), int(rng.integers(10, 500))
        for order in orders:
            for sample in range(1 if rng.random() < 0.9 else 2):
                status = "ok" if rng.random() < 0.95 else "error"
                shown = rng.choice(WINNERS, p=[0.45, 0.35, 0.1, 0.1]) if status == "ok" else "invalid"
                winner = unswap_winner(shown, order) if status == "ok" else "invalid"  # type: ignore[arg-type]
                p_a = float(rng.random()) if rng.random() < 0.5 else None
                rows.append(Judgment(request_id=f"e{e}#{order}#{sample}", example_id=f"e{e:03d}", order=order,
                                     sample=sample, category=cat, label=label, status=status, shown_winner=shown,
                                     winner=winner, len_a=la, len_b=lb, p_a=p_a, template_hash="h"))
    perm = rng.permutation(len(rows))
    return [rows[i] for i in perm]


def reference_report(judgments: list[Judgment], policies: list[str]) -> dict:
    """The report as the original loop computed it (judgekit 4f4fef6), with one later change:
    examples without a gold label are not scored for accuracy (they used to count as wrong)."""
    rows = sorted(judgments, key=lambda j: (j.example_id, j.order != "AB", j.sample))
    by_example: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        by_example[j.example_id].append(j)

    def verdict(j: Judgment) -> str:
        return j.winner if j.status == "ok" else "invalid"

    out: dict = {"accuracy": {}}
    cats = sorted({(js[0].category or "") for js in by_example.values()} - {""})
    for policy in policies:
        flags, per_cat = [], defaultdict(list)
        for js in by_example.values():
            if js[0].label is None:
                continue
            ok = is_correct(combine(policy, [verdict(j) for j in js]), js[0].label)  # type: ignore[misc]
            flags.append(ok)
            if js[0].category:
                per_cat[js[0].category].append(ok)
        out["accuracy"][policy] = (100.0 * float(np.mean(flags)), {c: 100.0 * float(np.mean(per_cat[c])) for c in cats})
    two = [js for js in by_example.values() if {j.order for j in js} == {"AB", "BA"}]
    first = np.array([verdict(next(j for j in js if j.order == "AB")) for js in two], dtype=object)
    second = np.array([verdict(next(j for j in js if j.order == "BA")) for js in two], dtype=object)
    out["consistency"] = 100.0 * float(np.mean((first == second) & (first != "invalid")))
    ok_rows = [j for j in rows if j.status == "ok"]
    decisive = [j for j in ok_rows if j.shown_winner in ("A", "B")]
    out["position"] = (100.0 * float(np.mean([j.shown_winner == "A" for j in decisive])), len(decisive))
    out["n_invalid"] = sum(j.winner == "invalid" for j in ok_rows)
    out["invalid_rate"] = 100.0 * out["n_invalid"] / len(ok_rows)
    labelled = [j for j in rows if j.label is not None]
    out["kappa"] = cohen_kappa_score([str(j.label) for j in labelled], [verdict(j) for j in labelled])
    out["orders"] = max(len(js) for js in by_example.values())
    return out


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_report_equals_the_per_example_loop(seed: int) -> None:
    rows = _random_judgments(seed)
    policies = list(POLICIES)
    m = pairwise_metrics(rows, n_resamples=200, seed=seed)
    ref = reference_report(rows, policies)
    for policy in policies:
        overall, cats = ref["accuracy"][policy]
        assert m.accuracy[policy].overall.value == pytest.approx(overall, abs=1e-12), policy
        assert {c: s.value for c, s in m.accuracy[policy].categories.items()} == pytest.approx(cats, abs=1e-12)
    assert m.swap_consistency is not None and m.swap_consistency.value == pytest.approx(ref["consistency"], abs=1e-12)
    assert (m.position_preference.value, m.position_preference.n) == (pytest.approx(ref["position"][0], abs=1e-12),
                                                                      ref["position"][1])
    assert m.n_invalid == ref["n_invalid"] and m.invalid_rate.value == pytest.approx(ref["invalid_rate"], abs=1e-12)
    assert m.cohen_kappa.value == pytest.approx(ref["kappa"], abs=1e-12)
    assert m.orders == ref["orders"] and m.n_judgments == len(rows)


def _all_scores(m) -> list:  # noqa: ANN001
    scores = [m.position_preference, m.invalid_rate, m.cohen_kappa]
    if m.swap_consistency is not None:
        scores.append(m.swap_consistency)
    for acc in m.accuracy.values():
        scores += [acc.overall, *acc.categories.values()]
    return scores


def test_every_number_has_its_interval_n_and_invalid_count() -> None:
    m = pairwise_metrics(_random_judgments(11, 300), n_resamples=500, seed=3)
    assert m.bootstrap is not None
    assert (m.bootstrap.n_resamples, m.bootstrap.seed, m.bootstrap.level, m.bootstrap.cluster) == (
        500, 3, 0.95, "example_id")
    for s in _all_scores(m):
        assert s.ci_low is not None and s.ci_high is not None and s.ci_level == 0.95
        assert s.ci_low <= s.value <= s.ci_high
        assert s.n > 0 and s.n_invalid is not None
    assert m.position_preference.p_value is not None
    assert m.length_bias is not None and m.length_bias.ci_low is not None
    assert m.soft_calibration is not None and m.soft_calibration.brier.ci_low is not None
    # per-category position preference, with Holm-adjusted p-values
    assert set(m.position_preference_by_category) == {"code", "math", "prose"}
    ps = [s.p_value for s in m.position_preference_by_category.values()]
    adj = [s.p_adjusted for s in m.position_preference_by_category.values()]
    assert all(a >= p for a, p in zip(adj, ps, strict=True))  # type: ignore[operator]


def test_report_is_seeded_and_order_independent() -> None:
    rows = _random_judgments(12)
    a = pairwise_metrics(rows, seed=5)
    b = pairwise_metrics(list(reversed(rows)), seed=5)
    assert a == b
    c = pairwise_metrics(rows, seed=6)
    assert c.headline.value == a.headline.value
    assert (c.headline.ci_low, c.headline.ci_high) != (a.headline.ci_low, a.headline.ci_high) or \
        (c.cohen_kappa.ci_low, c.cohen_kappa.ci_high) != (a.cohen_kappa.ci_low, a.cohen_kappa.ci_high)
    none = pairwise_metrics(rows, n_resamples=0)
    assert none.headline.value == a.headline.value and none.headline.ci_low is None


def test_accuracy_bounds_from_invalid_verdicts() -> None:
    m = pairwise_metrics(_random_judgments(13, 300), n_resamples=100)
    b = m.accuracy_bounds
    assert b is not None and b.policy == "judgebench"
    head = m.headline.value
    assert b.invalid_as_wrong.value <= head <= b.invalid_as_correct.value  # type: ignore[operator]
    # JudgeBench's rule already lets an invalid verdict abstain like a tie
    assert b.invalid_as_tie.value == pytest.approx(head)
    # dropping leaves out exactly the (labelled) examples with an invalid verdict
    assert b.invalid_as_wrong.n == m.headline.n
    assert b.invalid_dropped.n == m.headline.n - b.invalid_as_wrong.n_invalid  # type: ignore[operator]
    assert b.invalid_dropped.n_invalid == 0


def _cluster_sim(rng: np.random.Generator, n_pairs: int, p_true: float) -> PairwiseArrays:
    q = rng.beta(p_true * 1.0, (1 - p_true) * 1.0, n_pairs)
    right = rng.random((n_pairs, 2)) < q[:, None]
    example = np.repeat(np.arange(n_pairs), 2)
    order = np.tile([0, 1], n_pairs)
    label = np.zeros(2 * n_pairs, dtype=np.int64)
    winner = np.where(right.ravel(), 0, 1)
    shown = np.where(order == 0, winner, 1 - winner)
    return PairwiseArrays.build(example=example, order=order, category=np.full(2 * n_pairs, -1),
                                category_names=[], label=label, ok=np.ones(2 * n_pairs, dtype=bool),
                                winner=winner, shown=shown)


def test_report_interval_coverage_on_simulated_judges() -> None:
    """The report's headline ("first" policy: one verdict per pair) and kappa intervals on
    400 simulated runs of 200 pairs with a known accuracy: coverage within 93-97 %."""
    rng = np.random.default_rng(31)
    covered, sims, true = 0, 400, 0.7
    for s in range(sims):
        m = pairwise_metrics_from_arrays(_cluster_sim(rng, 200, true), headline_policy="first", policies=["first"],
                                         n_resamples=1000, seed=s)
        covered += m.headline.ci_low <= 100 * true <= m.headline.ci_high  # type: ignore[operator]
    assert 0.93 <= covered / sims <= 0.97, covered / sims


def test_empty_and_single_order_reports() -> None:
    empty = pairwise_metrics([])
    assert empty.n_examples == 0 and empty.headline.value is None and empty.cohen_kappa.value is None
    rows = [j for j in _random_judgments(14) if j.order == "AB"]
    m = pairwise_metrics(rows, n_resamples=100)
    assert m.swap_consistency is None and m.headline.ci_low is not None


def test_metrics_json_keeps_its_keys_and_adds_intervals(shared_data: Path, tmp_path: Path) -> None:
    path = next(p for p in output_files(shared_data) if "o1-mini" in p.name)
    result = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--split", "gpt", "--judge", f"replay:{path}",
                                      "--data", str(shared_data), "--results-dir", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    doc = json.loads((run_dir / "metrics.json").read_text())
    for key in ("run_id", "suite", "split", "judge", "template", "n_requests", "complete", "n_examples",
                "n_judgments", "n_invalid", "n_failed", "orders", "headline_policy", "accuracy", "swap_consistency",
                "position_preference", "invalid_rate", "cohen_kappa"):
        assert key in doc, key
    head = doc["accuracy"]["judgebench"]["overall"]
    assert {"value", "n", "count", "higher_is_better", "ci_low", "ci_high", "ci_level", "n_invalid"} <= set(head)
    assert head["value"] == pytest.approx(65.71, abs=0.005)
    assert head["ci_low"] < head["value"] < head["ci_high"] and head["ci_level"] == 0.95
    assert doc["bootstrap"] == {"method": "percentile", "n_resamples": 1000, "seed": 0, "level": 0.95,
                                "cluster": "example_id", "category_intervals": "marginal",
                                "category_p_adjust": "holm"}
    for cat in ("knowledge", "reasoning", "math", "coding"):
        assert doc["accuracy"]["judgebench"]["categories"][cat]["ci_low"] is not None
    # the terminal table shows the interval next to the headline (rich may wrap it)
    assert f"{head['ci_low']:.1f}-{head['ci_high']:.1f}" in result.output
    # rescoring reproduces the same document (same seed)
    again = CliRunner().invoke(cli, ["score", str(run_dir)])
    assert again.exit_code == 0, again.output
    assert json.loads((run_dir / "metrics.json").read_text()) == doc
    assert math.isfinite(doc["cohen_kappa"]["ci_low"])


def test_terminal_report_shows_intervals_and_optional_sections() -> None:
    from rich.console import Console

    from judgekit.cli._output import print_metrics

    m = pairwise_metrics(_random_judgments(15, 200), n_resamples=200)
    console = Console(record=True, width=140)
    print_metrics(m, "synthetic", console)
    text = console.export_text()
    head = m.headline
    assert f"{head.ci_low:.1f}-{head.ci_high:.1f}" in text
    for needle in ("swap consistency", "position preference", "prefers the longer response", "invalid as wrong",
                   "Brier / ECE", "failed requests", "200 resamples of example_id, seed 0"):
        assert needle in text, needle


def _hand_row(ex: str, order: str, shown: str, label: str = "A", category: str = "math", status: str = "ok") -> Judgment:
    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, category=category, label=label,
                    status=status, shown_winner=shown if status == "ok" else "invalid",
                    winner=unswap_winner(shown, order) if status == "ok" else "invalid", template_hash="h")


def test_pairwise_report_hand_computed() -> None:
    # four pairs, gold A; shown-frame verdicts per order
    rows = [
        _hand_row("p1", "AB", "A"), _hand_row("p1", "BA", "B"),          # A, A: consistent, correct
        _hand_row("p2", "AB", "A"), _hand_row("p2", "BA", "A"),          # A, B: always first shown -> inconsistent
        _hand_row("p3", "AB", "tie"), _hand_row("p3", "BA", "B"),        # tie, A: judgebench correct
        _hand_row("p4", "AB", "invalid", category="code"), _hand_row("p4", "BA", "x", category="code", status="error"),
    ]
    m = pairwise_metrics(rows, category_order=["code", "math"])
    assert m.n_examples == 4 and m.n_judgments == 8 and m.n_invalid == 1 and m.n_failed == 1
    assert m.accuracy["judgebench"].overall.value == pytest.approx(50.0)
    assert m.accuracy["both"].overall.value == pytest.approx(25.0)
    assert m.accuracy["first"].overall.value == pytest.approx(50.0)
    assert m.accuracy["judgebench"].categories["math"].value == pytest.approx(200 / 3)
    assert m.accuracy["judgebench"].categories["code"].value == pytest.approx(0.0)
    assert list(m.accuracy["judgebench"].categories) == ["code", "math"]
    assert m.swap_consistency is not None and m.swap_consistency.value == pytest.approx(25.0)
    # decisive shown verdicts: A, B, A, A, B -> 3 of 5 pick the first shown
    assert m.position_preference.value == pytest.approx(60.0) and m.position_preference.n == 5
    assert m.invalid_rate.value == pytest.approx(100 / 7)
    gold = ["A"] * 8
    verdicts = ["A", "A", "A", "B", "tie", "A", "invalid", "invalid"]
    assert m.cohen_kappa.value == pytest.approx(cohen_kappa_score(gold, verdicts), abs=1e-12)
    assert m.cohen_kappa.n == 8
