"""Repeated sampling: the majority-of-k curve against the binomial, test-retest agreement, and the
cache holding each sample once (one call with `n`, or one call per sample)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.errors import ConfigError
from judgekit.metrics.panel import binomial_majority
from judgekit.sampling import sampling_report
from judgekit.testing.fake_openai import FakeOpenAIServer
from judgekit.types import JudgeRequest, Judgment
from tests.test_jury import _pairs


def _respond(right: Any) -> Any:
    def respond(req: JudgeRequest) -> str:
        good = 0 if req.responses[0].startswith("good") else 1
        pick = good if right(req.example_id, req.sample) else 1 - good
        return "Output (a)" if pick == 0 else "Output (b)"
    return respond


def _config(tmp_path: Path, data: Path, right: Any, samples: int, **kw: Any) -> RunConfig:
    return RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "results"), swap=False,
                     samples=samples, judge=JudgeConfig(backend="mock", model="sampler", template="vanilla",
                                                        sampling={"temperature": 1.0},
                                                        options={"responder": _respond(right)}), **kw)


def test_curve_is_the_binomial_for_every_k(tmp_path: Path) -> None:
    """1024 items whose right/wrong patterns over 5 samples occur in exactly the binomial shares
    for p = 3/4 (a pattern with j right samples on 3^j items): the majority of the first k samples is
    right on exactly 1024 * P(Binom(k, 3/4) > k/2) items, for every k (an even split is a tie, wrong)."""
    patterns: list[tuple[bool, ...]] = []
    for bits in range(32):
        pat = tuple(bool(bits >> s & 1) for s in range(5))
        patterns += [pat] * 3 ** sum(pat)
    assert len(patterns) == 1024

    res = run(_config(tmp_path, _pairs(tmp_path, 1024), lambda ex, s: patterns[int(ex[1:])][s], 5))
    report = res.extra["sampling"]
    assert [c.k for c in report.curve] == [1, 2, 3, 4, 5]
    for c in report.curve:
        assert c.accuracy.value == pytest.approx(100 * binomial_majority(0.75, c.k), abs=1e-9), c.k
        assert c.accuracy.n == 1024
    assert [round(c.accuracy.value, 4) for c in report.curve] == [75.0, 56.25, 84.375, 73.8281, 89.6484]
    stored = json.loads((res.run_dir / "sampling.json").read_text())
    assert stored["curve"][2]["accuracy"]["value"] == pytest.approx(84.375)
    # the run's own headline: JudgeBench's vote over all five samples = the k = 5 point
    assert res.metrics.headline.value == pytest.approx(100 * binomial_majority(0.75, 5))
    # test-retest: samples as raters; statsmodels' Fleiss' kappa on the same table
    from statsmodels.stats.inter_rater import fleiss_kappa

    table = []
    for i, pat in enumerate(patterns):
        good_first = i % 2 == 0
        picks_a = sum((r == good_first) for r in pat)  # a right pick is A when the good response is first
        table.append([picks_a, 5 - picks_a, 0])
    assert report.stability.fleiss_kappa == pytest.approx(fleiss_kappa(np.array(table)), abs=1e-12)
    assert report.stability.n_raters == 5


def _draw(*key: object) -> float:
    return int.from_bytes(hashlib.sha256("|".join(map(str, key)).encode()).digest()[:8], "little") / 2 ** 64


def test_independent_draws_follow_the_binomial(tmp_path: Path) -> None:
    """Each sample right with probability 0.7, independently: every point's interval covers the
    binomial prediction, and single samples agree only by chance (kappa near 0 given the items'
    labels are balanced)."""
    res = run(_config(tmp_path, _pairs(tmp_path, 1500), lambda ex, s: _draw(ex, s) < 0.7, 5))
    report = res.extra["sampling"]
    for c in report.curve:
        expected = 100 * binomial_majority(0.7, c.k)
        assert c.accuracy.ci_low <= expected <= c.accuracy.ci_high, (c.k, c.accuracy, expected)
    # Verdicts are A/B depending on the label too; with balanced labels the samples agree
    # with one another at rate 0.7^2 + 0.3^2 = 0.58, which is what kappa is measured against:
    # a per-item "truth" makes them agree far more than chance: kappa = (0.58 - 0.5) / 0.5 = 0.16
    assert report.stability.fleiss_kappa == pytest.approx(0.16, abs=0.03)


def test_samples_need_a_temperature(tmp_path: Path) -> None:
    cfg = _config(tmp_path, _pairs(tmp_path, 3), lambda ex, s: True, 3)
    cold = cfg.model_copy(update={"judge": cfg.judge.model_copy(update={"sampling": {"temperature": 0.0}})})
    with pytest.raises(ConfigError, match="--temperature above 0"):
        run(cold)


def _row(ex: str, sample: int, winner: str, label: str = "A", p_a: float | None = None,
         score: float | None = None, gold: float | None = None) -> Judgment:
    return Judgment(request_id=f"{ex}#AB~{sample}", example_id=ex, order="AB", sample=sample, label=label,
                    status="ok", shown_winner=winner, winner=winner, p_a=p_a, score=score,  # type: ignore[arg-type]
                    gold_score=gold, template_hash="t")


def test_mean_probability_and_hand_curve() -> None:
    rows = [_row("e1", 0, "A", p_a=0.9), _row("e1", 1, "B", p_a=0.4), _row("e1", 2, "B", p_a=0.3),  # mean .533: A
            _row("e2", 0, "B", p_a=0.45), _row("e2", 1, "A", p_a=0.52), _row("e2", 2, "B", p_a=0.2)]  # mean .39: B
    r = sampling_report(rows, n_resamples=0)
    # k=1: e1 right, e2 wrong; k=2: e1 split (tie, wrong), e2 split (wrong); k=3: e1 B (wrong), e2 B (wrong)
    assert [c.accuracy.value for c in r.curve] == [50.0, 0.0, 0.0]
    assert r.mean_probability is not None and r.mean_probability.value == 50.0
    assert r.all_agree == 0.0


def test_pointwise_mean_score_curve() -> None:
    from scipy import stats

    grades = {"e1": ([1, 2, 2], 1), "e2": ([3, 3, 4], 3), "e3": ([5, 4, 5], 5), "e4": ([2, 4, 3], 2)}
    rows = [_row(e, s, "A", score=float(g), gold=float(gold)) for e, (gs, gold) in grades.items()
            for s, g in enumerate(gs)]
    r = sampling_report(rows, kind="pointwise")
    gold = [v[1] for v in grades.values()]
    for p in r.pointwise_curve:
        means = [np.mean(v[0][:p.k]) for v in grades.values()]
        assert p.pearson == pytest.approx(stats.pearsonr(means, gold)[0], abs=1e-12)
        assert p.spearman == pytest.approx(stats.spearmanr(means, gold)[0], abs=1e-12)


# --------------------------------------------------------------------------- the cache, over HTTP


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.bodies.append(body)
            self.count += 1
            return "Output (a)" if self.count % 3 else "Output (b)"


def _http_config(tmp_path: Path, data: Path, server: FakeOpenAIServer, samples: int, results: str,
                 **options: Any) -> RunConfig:
    return RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / results), samples=samples,
                     cache=str(tmp_path / "cache.sqlite"),
                     judge=JudgeConfig(backend="openai", model="fake", template="vanilla",
                                       sampling={"temperature": 0.7, "seed": 11},
                                       options={"base_url": server.base_url, **options}))


def _cache_rows(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])


def test_one_call_with_n_and_each_sample_cached_once(tmp_path: Path) -> None:
    data = _pairs(tmp_path, 10)  # 10 pairs, both orders: 20 requests
    rec = Recorder()
    with FakeOpenAIServer(responder=rec) as server:
        first = run(_http_config(tmp_path, data, server, 3, "a"))
        assert server.requests == 20 and first.n_sent == 60
        assert {b["n"] for b in rec.bodies} == {3} and {b["seed"] for b in rec.bodies} == {11}
        assert _cache_rows(tmp_path) == 60
        rows = [json.loads(x) for x in (first.run_dir / "judgments.jsonl").read_text().splitlines()]
        assert sorted({r["sample"] for r in rows}) == [0, 1, 2] and len({r["request_id"] for r in rows}) == 60
        # a rerun elsewhere sends nothing: every sample comes from the cache
        again = run(_http_config(tmp_path, data, server, 3, "b"))
        assert server.requests == 20 and again.n_sent == 0 and again.n_cached == 60
        assert again.extra["sampling"] == first.extra["sampling"]
        # resuming the same run folder sends nothing either
        resumed = run(_http_config(tmp_path, data, server, 3, "a"))
        assert server.requests == 20 and resumed.n_resumed == 60
        # five samples: only samples 3 and 4 are drawn, two per call
        more = run(_http_config(tmp_path, data, server, 5, "c"))
        assert server.requests == 40 and more.n_cached == 60 and more.n_sent == 40
        # (the fake server asks the responder once per choice: 60 texts so far)
        assert {b.get("n") for b in rec.bodies[60:]} == {2} and {b["seed"] for b in rec.bodies[60:]} == {14}
        assert len(rec.bodies) == 100
        assert _cache_rows(tmp_path) == 100


def test_one_call_per_sample_without_n(tmp_path: Path) -> None:
    data = _pairs(tmp_path, 4)
    rec = Recorder()
    with FakeOpenAIServer(responder=rec) as server:
        res = run(_http_config(tmp_path, data, server, 3, "a", sample_n=False))
        assert server.requests == 24 and res.n_sent == 24
        assert all("n" not in b for b in rec.bodies)
        assert sorted(b["seed"] for b in rec.bodies) == [11] * 8 + [12] * 8 + [13] * 8  # seed + sample index
        assert _cache_rows(tmp_path) == 24
        again = run(_http_config(tmp_path, data, server, 3, "b", sample_n=False))
        assert server.requests == 24 and again.n_cached == 24
