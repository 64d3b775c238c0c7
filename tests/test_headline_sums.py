"""The vectorised headline bootstrap (judgekit.headline_sums) against the Python loop that reruns
each published aggregation on every resample: same seed, same draws, same replicates and so the
same interval; and the full-sample statistic equals the aggregation's own headline."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from judgekit.aggregations import aggregate
from judgekit.headline_sums import HEADLINE_SUMS, resample_groups, resampled_sums
from judgekit.metrics.stats import percentile_interval, resample_indices, rng_for
from judgekit.protocols import flip
from judgekit.scoring import by_example, headline_replicates, headline_replicates_loop
from judgekit.suites import load_suite
from judgekit.types import Judgment


def row(ex: str, order: str, winner: str, *, label: str | None, category: str | None = None,
        meta: dict[str, Any] | None = None, status: str = "ok", p_a: float | None = None,
        score: float | None = None, gold: float | None = None) -> Judgment:
    shown = winner if order == "AB" or winner == "invalid" else flip(winner)  # type: ignore[arg-type]
    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, category=category,  # type: ignore[arg-type]
                    label=label, status=status, shown_winner=shown, winner=winner, meta=meta,  # type: ignore[arg-type]
                    p_a=p_a, score=score, gold_score=gold, template_hash="t")


def pair_rows(rng: random.Random, n: int, categories: list[str], *, meta: Any = None,
              p_a: bool = False, one_order_share: float = 0.15) -> list[Judgment]:
    """Random pairs in both orders (some in one), with invalid verdicts, failed requests,
    unlabelled examples and ties; rows shuffled."""
    out = []
    for i in range(n):
        ex = f"e{i:03d}"
        label = rng.choice(["A", "B", "B", "A", "tie", None])
        cat = rng.choice(categories)
        m = meta(rng, cat) if meta else None
        orders = ["AB"] if rng.random() < one_order_share else ["AB", "BA"]
        for order in orders:
            winner = rng.choice(["A", "B", "A", "B", "tie", "invalid"])
            status = "error" if rng.random() < 0.05 else "ok"
            pa = (None if winner == "invalid" or not p_a or rng.random() < 0.3
                  else round(rng.random(), 3))
            out.append(row(ex, order, "invalid" if status == "error" else winner, label=label, category=cat,
                           meta=m, status=status, p_a=pa))
    rng.shuffle(out)
    return out


def args_of(suite: str) -> dict[str, Any]:
    spec = load_suite(suite).aggregation
    assert spec is not None
    return dict(spec.args)


def cases() -> list[tuple[str, str, list[Judgment], dict[str, Any]]]:
    rng = random.Random(7)
    out: list[tuple[str, str, list[Judgment], dict[str, Any]]] = []
    out.append(("three_way", "three_way", pair_rows(rng, 60, ["x", "y", ""]), args_of("pandalm")))
    out.append(("evalbiasbench", "evalbiasbench", pair_rows(rng, 60, ["length", "concreteness", "empty reference"]),
                args_of("evalbiasbench")))
    llmbar_args = args_of("llmbar")
    subsets = list(llmbar_args.get("subsets", []))[:4] + ["unlisted"]
    out.append(("llmbar", "llmbar", pair_rows(rng, 70, subsets), llmbar_args))
    rb_args = args_of("rewardbench")
    rb_subsets = [m for ms in rb_args["sections"].values() for m in ms]
    # a few subsets (one whole section left out) and one outside every section
    chosen = [s for s in rb_subsets if s not in rb_args["sections"]["Safety"]][:7] + ["not-a-subset"]
    out.append(("rewardbench", "rewardbench", pair_rows(rng, 80, chosen), rb_args))

    def rm_meta(r: random.Random, cat: str) -> dict[str, Any]:
        return {"domain": cat, "chosen_style": r.randrange(3), "rejected_style": r.randrange(3)}

    out.append(("rmbench", "rmbench", pair_rows(rng, 90, ["chat", "math", "code"], meta=rm_meta), args_of("rmbench")))

    def mt_meta(r: random.Random, cat: str) -> dict[str, Any]:
        votes = [r.choice(["A", "B", "tie"]) for _ in range(r.randrange(0, 4))]
        return {"turn": r.choice([1, 2]), "human_votes": votes}

    out.append(("mtbench_agreement", "mtbench_agreement", pair_rows(rng, 70, ["c"], meta=mt_meta), {}))
    out.append(("winrate", "winrate", pair_rows(rng, 60, ["m1", "m2"], p_a=True), {}))
    point = []
    for i in range(70):
        gold = None if rng.random() < 0.1 else float(rng.randint(1, 5))
        graded = rng.random() > 0.15
        status = "error" if rng.random() < 0.05 else "ok"
        score = float(rng.randint(1, 5)) if graded and status == "ok" else None
        point.append(row(f"p{i:03d}", "AB", "A" if score is not None else "invalid", label=None,
                         category=rng.choice(["a", "b"]), status=status, score=score, gold=gold))
    out.append(("pointwise", "pointwise", point, {}))
    qa = []
    for i in range(80):
        gold = None if rng.random() < 0.1 else float(rng.random() < 0.6)
        status = "error" if rng.random() < 0.05 else "ok"
        score = None if status == "error" or rng.random() < 0.1 else rng.choice([0.0, 0.3, 0.5, 1.0])
        qa.append(row(f"q{i:03d}", "AB", "A" if score is not None else "invalid", label=None,
                      category=rng.choice(["nq", "tqa", None]), status=status, score=score, gold=gold))
    out.append(("qa", "qa", qa, {}))
    out.append(("rewardbench2 rating", "rewardbench2", rb2_rating_rows(rng), {"n_resamples": 20}))
    out.append(("rewardbench2 four-way", "rewardbench2", rb2_fourway_rows(rng), {"n_resamples": 20}))
    return out


def rb2_rating_rows(rng: random.Random) -> list[Judgment]:
    """RewardBench 2 rating rows (one per completion): four subsets and Ties (ref and tied prompts),
    unread ratings, failed requests, and prompts with a completion never judged."""
    out = []
    prompts = [(f"{s[:2]}{i}", s, 1) for s in ("Factuality", "Math", "Focus", "Precise IF") for i in range(9)]
    prompts += [(f"{kind}:{i}", "Ties", nc) for i in range(8) for kind, nc in (("ref", 1), ("tied", 2))]
    for pid, subset, nc in prompts:
        total = 4 if subset != "Ties" else (3 if pid.startswith("ref") else 4)
        missing = rng.randrange(total) if rng.random() < 0.1 else None
        for k in range(total):
            if k == missing:
                continue
            status = "error" if rng.random() < 0.03 else "ok"
            score = None if status == "error" or rng.random() < 0.05 else float(rng.randint(1, 6))
            meta = {"prompt_id": pid, "subset": subset, "num_correct": nc, "total": total, "mode": "rating",
                    "index": k}
            out.append(row(f"{pid}#{k}", "AB", "A" if score is not None else "invalid", label=None, category=subset,
                           meta=meta, status=status, score=score, gold=1.0 if k < nc else 0.0))
    rng.shuffle(out)
    return out


def rb2_fourway_rows(rng: random.Random) -> list[Judgment]:
    out = []
    for i in range(60):
        subset = rng.choice(["Factuality", "Math", "Safety", "Focus", "Precise IF"])
        order = rng.sample(range(4), 4)
        status = "error" if rng.random() < 0.04 else "ok"
        score = None if status == "error" or rng.random() < 0.1 else float(rng.randint(1, 4))
        meta = {"prompt_id": f"p{i}", "subset": subset, "num_correct": 1, "total": 4, "mode": "fourway", "shown": order}
        out.append(row(f"p{i:02d}", "AB", "A" if score is not None else "invalid", label=None, category=subset,
                       meta=meta, status=status, score=score, gold=float(order.index(0) + 1)))
    return out


CASES = cases()


def test_which_aggregations_have_a_vectorised_headline() -> None:
    from judgekit.aggregations import aggregations

    # the systems leaderboards (issue 12) compute their own intervals (judgekit.rankings)
    assert set(HEADLINE_SUMS) == set(aggregations.names()) - {"alpaca_eval", "arena_hard", "mt_bench",
                                                              "system_scores", "system_winrate"}
    assert {c[1] for c in CASES} == set(HEADLINE_SUMS)


def test_a_headline_form_registered_twice_is_an_error() -> None:
    from judgekit.errors import ConfigError
    from judgekit.headline_sums import headline_sums

    with pytest.raises(ConfigError, match="three_way"):
        headline_sums("three_way")(lambda examples, args: None)
    assert HEADLINE_SUMS["three_way"].__name__ == "_three_way"


@pytest.mark.parametrize(("case", "name", "rows", "args"), CASES, ids=[c[0] for c in CASES])
def test_full_sample_statistic_is_the_headline(case: str, name: str, rows: list[Judgment],
                                               args: dict[str, Any]) -> None:
    sums = HEADLINE_SUMS[name](resample_groups(rows, name), args)
    assert sums is not None
    if sums.by_counts:  # every example drawn once
        value = float(sums.statistic(np.ones((1, len(sums.units)), dtype=np.int64))[0])
    else:
        value = float(sums.statistic(sums.units.sum(axis=0)[None, :])[0])
    expected = aggregate(name, rows, args).headline.value
    assert expected is not None
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("case", "name", "rows", "args"), CASES, ids=[c[0] for c in CASES])
def test_replicates_equal_the_python_loop(case: str, name: str, rows: list[Judgment], args: dict[str, Any]) -> None:
    fast = headline_replicates(rows, name, args, n_resamples=40, seed=3)
    slow = headline_replicates_loop(rows, name, args, n_resamples=40, seed=3)
    assert fast.shape == slow.shape == (40,)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    np.testing.assert_allclose(fast[~np.isnan(fast)], slow[~np.isnan(slow)], rtol=1e-10, atol=1e-10)
    # the replicates vary (a constant would pass the comparison above for the wrong reason)
    assert np.nanstd(slow) > 0
    # same seed, same interval; another seed, other draws
    assert percentile_interval(fast) == pytest.approx(percentile_interval(slow), rel=1e-10)
    again = headline_replicates(rows, name, args, n_resamples=40, seed=3)
    np.testing.assert_array_equal(fast, again)
    other = headline_replicates(rows, name, args, n_resamples=40, seed=4)
    assert not np.allclose(np.nan_to_num(other), np.nan_to_num(fast))


def test_resampled_sums_are_the_sums_of_the_drawn_rows() -> None:
    """Chunked draws (bounded memory) are the draws of resample_indices with the same generator."""
    units = np.random.default_rng(0).integers(0, 3, size=(501, 4)).astype(float)
    draws = resample_indices(len(units), 37, np.random.default_rng(11))
    expected = np.stack([units[d].sum(axis=0) for d in draws])
    for max_cells in (1 << 24, 501 * 5, 1):  # all at once, 5 resamples at a time, one at a time
        got = resampled_sums(units, 37, np.random.default_rng(11), max_cells=max_cells)
        np.testing.assert_array_equal(got, expected)


def test_pointwise_constant_grades_give_no_correlation() -> None:
    """Every judge grade equal: Pearson is undefined on every resample, in both implementations
    (the one-pass sums must not turn a zero spread into a huge r)."""
    rows = [row(f"p{i}", "AB", "A", label=None, score=3.0, gold=float(1 + i % 5)) for i in range(30)]
    assert aggregate("pointwise", rows, {}).headline.value is None
    fast = headline_replicates(rows, "pointwise", {}, n_resamples=10)
    assert np.isnan(fast).all()
    assert np.isnan(headline_replicates_loop(rows, "pointwise", {}, n_resamples=10)).all()


def test_unknown_form_falls_back_to_the_loop() -> None:
    """An RM-Bench style index outside the matrix: the vectorised form declines, the loop decides."""
    rows = [row("e1", "AB", "A", label="A", meta={"domain": "d", "chosen_style": 0, "rejected_style": 1}),
            row("e2", "AB", "B", label="A", meta={"domain": "d", "chosen_style": 5, "rejected_style": 1})]
    assert HEADLINE_SUMS["rmbench"](list(by_example(rows).values()), {}) is None
    with pytest.raises(IndexError):  # the Python rule's own failure, not a silent number
        headline_replicates(rows, "rmbench", {}, n_resamples=3)


def test_rewardbench2_rating_resamples_prompts_not_completions() -> None:
    """A rating run judges each completion as an example of its own, but RewardBench 2 scores prompts:
    the headline interval resamples prompts (each drawn prompt with all its completions, counted as
    often as drawn). Reference: each prompt's best-of-4 result by hand, the prompts' draws from the
    same generator, and the mean over subsets of the drawn prompts' mean, in numpy. (Resampling the
    completions, as before, kept a prompt only when all four of its completions were drawn, about 16 %
    of the prompts per resample, and made the interval about 2.5 times too wide.)"""
    rng = random.Random(5)
    rows, result = [], {}
    subsets = ("Factuality", "Math", "Focus", "Precise IF")
    for s in subsets:
        for i in range(40):
            pid = f"{s[:3]}-{i:02d}"
            scores = [float(rng.randint(1, 6)) for _ in range(4)]  # index 0: the chosen completion
            top = max(scores)
            result[pid] = (s, (1.0 / scores.count(top)) if scores[0] == top else 0.0)
            for k, sc in enumerate(scores):
                meta = {"prompt_id": pid, "subset": s, "num_correct": 1, "total": 4, "mode": "rating", "index": k}
                rows.append(row(f"{pid}#{k}", "AB", "A", label=None, category=s, meta=meta, score=sc,
                                gold=1.0 if k == 0 else 0.0))
    rng.shuffle(rows)
    full = aggregate("rewardbench2", rows, {"n_resamples": 10}).headline.value
    assert full == pytest.approx(100 * np.mean([np.mean([v for s2, v in result.values() if s2 == s]) for s in subsets]))
    B = 300
    got = headline_replicates(rows, "rewardbench2", {"n_resamples": 10}, n_resamples=B, seed=2)
    pids = sorted(result, key=lambda p: f"prompt:{p}")
    draws = resample_indices(len(pids), B, rng_for(2, "leaderboard", "headline"))
    want = []
    for d in draws:
        drawn = [result[pids[i]] for i in d.tolist()]
        want.append(100 * np.mean([np.mean([v for s2, v in drawn if s2 == s]) for s in subsets]))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the loop agrees, and the interval is about as wide as the aggregation's own prompt bootstrap
    np.testing.assert_allclose(headline_replicates_loop(rows, "rewardbench2", {"n_resamples": 10}, n_resamples=20, seed=2),
                               got[:20], rtol=1e-12)
    own = aggregate("rewardbench2", rows, {"n_resamples": 2000}).headline
    assert own.ci_low is not None and own.ci_high is not None
    lo, hi = percentile_interval(got)
    assert lo is not None and hi is not None
    assert 0.7 < (hi - lo) / (own.ci_high - own.ci_low) < 1.4, ((lo, hi), (own.ci_low, own.ci_high))
