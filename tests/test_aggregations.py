"""Each suite's published aggregation against hand-computed cases and independent references
(scikit-learn, scipy, and re-implementations of the benchmarks' own scoring code written here
from their published descriptions)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from judgekit.aggregations import (
    aggregate,
    hard_normal_easy,
    macro_prf,
    pointwise_metrics,
)
from judgekit.protocols import flip
from judgekit.suites import load_suite
from judgekit.types import Judgment


def J(ex: str, order: str, winner: str, label: str | None = "A", category: str | None = None,
      meta: dict | None = None, status: str = "ok") -> Judgment:
    """A judgment row; `winner` is in the example's own frame."""
    shown = winner if order == "AB" else flip(winner)  # type: ignore[arg-type]
    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, category=category, label=label,  # type: ignore[arg-type]
                    status=status, shown_winner=shown, winner=winner, meta=meta,  # type: ignore[arg-type]
                    template_hash="t")


# ----------------------------------------------------------------------------- RewardBench


def rb_args() -> dict:
    return load_suite("rewardbench").aggregation.args  # type: ignore[union-attr]


def test_rewardbench_published_table() -> None:
    """The section table and counts as RewardBench publishes them (rewardbench/constants.py)."""
    args = rb_args()
    assert list(args["sections"]) == ["Chat", "Chat Hard", "Safety", "Reasoning"]
    assert sum(len(v) for v in args["sections"].values()) == 23
    counts = args["example_counts"]
    assert counts["math-prm"] == 984 == 6 * 164  # up-weighted to equal the six code subsets
    assert sum(counts[s] for s in args["sections"]["Chat"]) == 358
    assert sum(counts[s] for s in args["sections"]["Chat Hard"]) == 456
    assert sum(counts[s] for s in args["sections"]["Safety"]) == 740
    assert (counts["xstest-should-refuse"], counts["xstest-should-respond"]) == (250, 154)


def test_rewardbench_section_weighting_hand_computed() -> None:
    rows = []
    # alpacaeval-easy: 2 pairs, both right in both orders -> 1.0
    rows += [J("e1", o, "A", category="alpacaeval-easy") for o in ("AB", "BA")]
    rows += [J("e2", o, "A", category="alpacaeval-easy") for o in ("AB", "BA")]
    # mt-bench-easy: one pair right, one wrong -> 0.5
    rows += [J("m1", o, "A", category="mt-bench-easy") for o in ("AB", "BA")]
    rows += [J("m2", o, "B", category="mt-bench-easy") for o in ("AB", "BA")]
    # math-prm: a tie in one order and right in the other -> (0.5 + 1) / 2 = 0.75; an invalid
    # verdict and a wrong one -> (0.5 + 0) / 2 = 0.25: subset 0.5
    rows += [J("p1", "AB", "tie", category="math-prm"), J("p1", "BA", "A", category="math-prm")]
    rows += [J("p2", "AB", "invalid", category="math-prm"), J("p2", "BA", "B", category="math-prm")]
    # hep-python: 1.0
    rows += [J("h1", o, "A", category="hep-python") for o in ("AB", "BA")]
    report = aggregate("rewardbench", rows, rb_args())
    subsets = report.table("subsets").rows
    assert subsets["math-prm"]["accuracy"].value == pytest.approx(50.0)
    assert subsets["mt-bench-easy"]["accuracy"].value == pytest.approx(50.0)
    sections = report.table("sections").rows
    chat = (100 * 1.0 + 28 * 0.5) / (100 + 28)  # 0.890625
    reasoning = (984 * 0.5 + 164 * 1.0) / (984 + 164)  # 0.571428...
    assert sections["Chat"]["score"].value == pytest.approx(100 * chat)
    assert sections["Reasoning"]["score"].value == pytest.approx(100 * reasoning)
    assert set(sections) == {"Chat", "Reasoning", "overall"}
    assert report.headline.value == pytest.approx(100 * (chat + reasoning) / 2)
    assert report.counts["invalid"] == 1


# ----------------------------------------------------------------------------- LLMBar / EvalBiasBench


def test_llmbar_agreement_hand_computed() -> None:
    rows = [
        # Natural: p1 right both orders; p2 right then wrong; p3 wrong both (agreeing)
        J("n1", "AB", "A", category="Natural"), J("n1", "BA", "A", category="Natural"),
        J("n2", "AB", "B", "B", category="Natural"), J("n2", "BA", "A", "B", category="Natural"),
        J("n3", "AB", "B", category="Natural"), J("n3", "BA", "B", category="Natural"),
        # Neighbor: one pair, invalid then right
        J("g1", "AB", "invalid", category="Neighbor"), J("g1", "BA", "A", category="Neighbor"),
        # Manual: one pair right in both
        J("m1", "AB", "A", category="Manual"), J("m1", "BA", "A", category="Manual"),
    ]
    args = load_suite("llmbar").aggregation.args  # type: ignore[union-attr]
    report = aggregate("llmbar", rows, args)
    t = report.table("subsets").rows
    assert t["Natural"]["accuracy"].value == pytest.approx(100 * 3 / 6)
    assert t["Natural"]["agreement"].value == pytest.approx(100 * 2 / 3)
    assert t["Natural"]["both correct"].value == pytest.approx(100 * 1 / 3)
    assert t["Neighbor"]["accuracy"].value == pytest.approx(50.0)
    assert t["Neighbor"]["agreement"].value == 0.0
    # Adversarial: unweighted mean of the subsets present (Neighbor 50, Manual 100)
    assert t["Adversarial"]["accuracy"].value == pytest.approx(75.0)
    assert t["overall"]["accuracy"].value == pytest.approx((50 + 50 + 100) / 3)
    assert list(t)[:3] == ["Natural", "Neighbor", "Manual"]


def test_evalbiasbench_pair_accuracy_hand_computed() -> None:
    rows = [J("a/0", "AB", "A", category="a"), J("a/0", "BA", "A", category="a"),
            J("a/1", "AB", "A", category="a"), J("a/1", "BA", "B", category="a"),
            J("b/0", "AB", "B", category="b"), J("b/0", "BA", "B", category="b")]
    report = aggregate("evalbiasbench", rows, {})
    t = report.table("bias types").rows
    assert t["a"]["pair accuracy"].value == 50.0 and t["a"]["agreement"].value == 50.0
    assert t["a"]["accuracy"].value == 75.0
    assert t["b"]["pair accuracy"].value == 0.0 and t["b"]["agreement"].value == 100.0
    assert report.headline.value == pytest.approx(100 / 3)


# ----------------------------------------------------------------------------- MT-Bench


def fastchat_agreement(judge_votes: dict, human_votes: dict, ban: list[str]) -> tuple[int, int]:
    """FastChat's get_mt_bench_agreement for a GPT-4 pair judge vs humans, written from its code's
    description: per key, skip when the judge's vote is banned; each human vote not banned is one
    comparison; ties equal ties."""
    agree = total = 0
    for key, j in judge_votes.items():
        if ("tie" if "tie" in j else j) in ban:
            continue
        for h in human_votes[key]:
            if ("tie" if "tie" in h else h) in ban:
                continue
            total += 1
            agree += ("tie" in j and "tie" in h) or j == h
    return agree, total


def test_mtbench_agreement_matches_fastchat_rule() -> None:
    rng = np.random.default_rng(3)
    rows, judge_votes, human_votes = [], {}, {}
    names = {"A": "model_a", "B": "model_b", "tie": "tie"}
    for k in range(60):
        turn = 1 + k % 2
        votes = list(rng.choice(["A", "B", "tie"], size=int(rng.integers(1, 4)), p=[0.4, 0.4, 0.2]))
        v1, v2 = rng.choice(["A", "B", "tie", "invalid"], size=2, p=[0.4, 0.4, 0.15, 0.05])
        meta = {"turn": turn, "human_votes": votes}
        rows += [J(f"q{k}", "AB", v1, None, meta=meta), J(f"q{k}", "BA", v2, None, meta=meta)]
        combined = "error" if "invalid" in (v1, v2) else names[v1] if v1 == v2 else "tie (inconsistent)"
        judge_votes[(turn, k)] = combined
        human_votes[(turn, k)] = [names[v] for v in votes]
    report = aggregate("mtbench_agreement", rows, {})
    t = report.table("agreement").rows
    for turn in (1, 2):
        jv = {k: v for k, v in judge_votes.items() if k[0] == turn}
        for col, ban in (("with ties", []), ("without ties", ["tie"])):
            agree, total = fastchat_agreement(jv, human_votes, ban)
            assert (t[f"turn {turn}"][col].count, t[f"turn {turn}"][col].n) == (agree, total)
            assert t[f"turn {turn}"][col].value == pytest.approx(100 * agree / total)
    agree, total = fastchat_agreement(judge_votes, human_votes, ["tie"])
    assert report.headline.n == total and report.headline.count == agree


def test_mtbench_agreement_hand_computed() -> None:
    meta1 = {"turn": 1, "human_votes": ["A", "A", "tie"]}
    meta2 = {"turn": 1, "human_votes": ["B"]}
    rows = [J("x", "AB", "A", meta=meta1), J("x", "BA", "A", meta=meta1),  # judge A
            J("y", "AB", "A", meta=meta2), J("y", "BA", "B", meta=meta2)]  # inconsistent -> tie
    t = aggregate("mtbench_agreement", rows, {}).table("agreement").rows["turn 1"]
    # with ties: x: A vs A, A, tie -> 2 of 3; y: tie vs B -> 0 of 1 => 2 / 4
    assert (t["with ties"].count, t["with ties"].n) == (2, 4)
    # without ties: y is dropped (judge tie), x's tie vote is dropped => 2 / 2
    assert (t["without ties"].count, t["without ties"].n) == (2, 2)


# ----------------------------------------------------------------------------- three-way


def test_macro_prf_and_kappa_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(5, 120))
        gold = rng.choice(["A", "B", "tie"], n).tolist()
        pred = rng.choice(["A", "B", "tie", "invalid"], n).tolist()
        p, r, f, _ = precision_recall_fscore_support(gold, pred, labels=["A", "B", "tie"], average="macro",
                                                     zero_division=0)
        assert macro_prf(gold, pred) == pytest.approx((p, r, f), abs=1e-12)


def test_three_way_report() -> None:
    gold = ["A", "B", "tie", "A", "B", "tie", "A"]
    first = ["A", "B", "A", "invalid", "A", "tie", "A"]
    second = ["A", "A", "A", "B", "A", "tie", "tie"]
    rows = []
    for i, (g, a, b) in enumerate(zip(gold, first, second, strict=True)):
        rows += [J(str(i), "AB", a, g), J(str(i), "BA", b, g)]
    report = aggregate("three_way", rows, {})
    t = report.table("agreement with gold").rows["first order"]
    p, r, f, _ = precision_recall_fscore_support(gold, first, labels=["A", "B", "tie"], average="macro",
                                                 zero_division=0)
    assert t["accuracy"].value == pytest.approx(100 * 4 / 7)
    assert (t["precision"].value, t["recall"].value, t["F1"].value) == pytest.approx((100 * p, 100 * r, 100 * f))
    assert t["kappa"].value == pytest.approx(cohen_kappa_score(gold, first))
    consistency = report.table("order").rows["both orders"]["consistency"]
    assert consistency.value == pytest.approx(100 * 4 / 7)  # examples 0, 2, 4, 5 agree across orders
    assert report.counts["invalid"] == 1


# ----------------------------------------------------------------------------- RM-Bench


def rmbench_reference(chosen: np.ndarray, rejected: np.ndarray) -> dict[str, float]:
    """RM-Bench's compute_accuracy as its repository describes it: acc[i][j] counts prompts whose
    chosen response in style i outscores the rejected one in style j; hard is the mean of the upper
    triangle, normal of the diagonal, easy of the lower triangle."""
    acc = np.zeros((3, 3))
    for c, r in zip(chosen, rejected, strict=True):
        for i, j in itertools.product(range(3), range(3)):
            acc[i][j] += c[i] > r[j]
    acc /= len(chosen)
    return {"hard": float(np.sum(np.triu(acc, 1)) / 3), "normal": float(np.mean(np.diag(acc))),
            "easy": float(np.sum(np.tril(acc, -1)) / 3), "matrix": acc}  # type: ignore[dict-item]


def test_rmbench_matrix_means_against_reference() -> None:
    rng = np.random.default_rng(7)
    rows, refs = [], {}
    for domain in ("chat", "math"):
        chosen = rng.integers(0, 5, size=(40, 3)).astype(float)
        rejected = rng.integers(0, 5, size=(40, 3)).astype(float)
        refs[domain] = rmbench_reference(chosen, rejected)
        for p in range(40):
            for i, j in itertools.product(range(3), range(3)):
                c, r = chosen[p, i], rejected[p, j]
                w = "A" if c > r else "B" if r > c else "tie"  # equal scores are not correct
                meta = {"domain": domain, "chosen_style": i, "rejected_style": j}
                rows.append(J(f"{domain}{p}:c{i}r{j}", "AB", w, "A", domain, meta))
    args = load_suite("rmbench").aggregation.args  # type: ignore[union-attr]
    report = aggregate("rmbench", rows, args)
    t = report.table("domains").rows
    for d, ref in refs.items():
        for k in ("hard", "normal", "easy"):
            assert t[d][k].value == pytest.approx(100 * ref[k]), (d, k)
        assert t[d]["average"].value == pytest.approx(100 * float(np.mean(ref["matrix"])))
    for k in ("hard", "normal", "easy"):
        assert t["overall"][k].value == pytest.approx(100 * np.mean([refs[d][k] for d in refs]))


def test_rmbench_means_hand_computed() -> None:
    m = np.array([[0.9, 0.3, 0.1], [0.8, 0.6, 0.2], [1.0, 0.7, 0.5]])
    hard, normal, easy = hard_normal_easy(m)
    assert hard == pytest.approx((0.3 + 0.1 + 0.2) / 3)
    assert normal == pytest.approx((0.9 + 0.6 + 0.5) / 3)
    assert easy == pytest.approx((0.8 + 1.0 + 0.7) / 3)


def test_rmbench_both_orders_credit() -> None:
    meta = {"domain": "code", "chosen_style": 0, "rejected_style": 2}
    rows = [J("p:c0r2", "AB", "A", meta=meta), J("p:c0r2", "BA", "B", meta=meta)]
    t = aggregate("rmbench", rows, {}).table("code: chosen style (rows) vs rejected style (columns)").rows
    assert t["concise"]["detailed markdown"].value == 50.0
    assert t["concise"]["concise"].value is None


# ----------------------------------------------------------------------------- pointwise

def P(ex: str, score: float | None, gold: float, category: str | None = None) -> Judgment:
    return Judgment(request_id=f"{ex}#AB", example_id=ex, order="AB", status="ok", category=category,
                    shown_winner="A" if score is not None else "invalid",
                    winner="A" if score is not None else "invalid", score=score, gold_score=gold, template_hash="t")


def test_pointwise_agreement_hand_computed() -> None:
    rows = [P("1", 5, 5), P("2", 3, 4), P("3", 1, 3), P("4", None, 2), P("5", 2, 2)]
    m = pointwise_metrics(rows)
    assert m.exact.value == pytest.approx(100 * 2 / 5)  # the unread grade is a miss
    assert m.within_one.value == pytest.approx(100 * 3 / 5)
    assert m.mean_abs_error.value == pytest.approx((0 + 1 + 2 + 0) / 4)
    assert m.pearson.n == 4 and m.pearson.value == pytest.approx(stats.pearsonr([5, 3, 1, 2], [5, 4, 3, 2])[0])
    assert m.n_invalid == 1
    report = aggregate("pointwise", rows, {})
    assert report.headline == m.pearson


# ----------------------------------------------------------------------------- win rates


def test_winrate_hand_computed() -> None:
    rows = [J("1", "AB", "B", None, "m1"), J("1", "BA", "tie", None, "m1"),
            J("2", "AB", "A", None, "m1"), J("2", "BA", "invalid", None, "m1"),
            J("3", "AB", "B", None, "m2")]
    rows.append(Judgment(request_id="4#AB", example_id="4", order="AB", status="ok", category="m2",
                         shown_winner="B", winner="B", p_a=0.25, template_hash="t"))
    t = aggregate("winrate", rows, {}).table("win rates").rows
    assert t["m1"]["win rate"].value == pytest.approx(100 * (1 + 0.5 + 0) / 3)
    assert t["m1"]["invalid"].value == pytest.approx(25.0)
    assert t["m2"]["win rate"].value == pytest.approx(100 * (1 + 0.75) / 2)
    assert t["overall"]["win rate"].n == 5


def test_unknown_aggregation() -> None:
    from judgekit.errors import ConfigError

    with pytest.raises(ConfigError, match="known: "):
        aggregate("nope", [], {})
