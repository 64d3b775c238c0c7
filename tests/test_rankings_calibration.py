"""Calibration of system values to an oracle slice (--oracle): simulated systems whose true values are
known, and the wiring through a replayed AlpacaEval run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from judgekit import runner
from judgekit.errors import DataError
from judgekit.metrics.calibration import calibrated_system_scores
from judgekit.rankings import calibration_tables, read_oracle
from judgekit.types import JudgeConfig, RunConfig

QUALITY = np.array([0.25, 0.45, 0.6])
SD = 0.15


def _truth() -> np.ndarray:
    """Each system's true mean outcome E[clip(q + N(0, sd))] (by a large sample, fixed seed)."""
    z = np.random.default_rng(99).normal(0, SD, 400_000)
    return np.array([np.clip(q + z, 0.01, 0.99).mean() for q in QUALITY])


def _simulate(rng: np.random.Generator, n: int = 150, frac: float = 0.3) -> tuple[np.ndarray, ...]:
    system = np.repeat(np.arange(QUALITY.size), n)
    p = np.clip(QUALITY[system] + rng.normal(0, SD, system.size), 0.01, 0.99)
    y = rng.binomial(1, p).astype(float)
    score = p**2 + rng.normal(0, 0.05, system.size)  # a biased (convex) judge score, monotone in p
    labels = np.where(rng.random(system.size) < frac, y, np.nan)
    return system, score, labels


def test_calibrated_intervals_cover_the_truth_and_raw_scores_are_biased() -> None:
    truth = _truth()
    rng = np.random.default_rng(2026)
    sims = 500
    covered = np.zeros(QUALITY.size)
    err_cal = np.zeros(QUALITY.size)
    err_raw = np.zeros(QUALITY.size)
    for _ in range(sims):
        system, score, labels = _simulate(rng)
        est = calibrated_system_scores(score, labels, [str(k) for k in system])
        for k in range(QUALITY.size):
            e = est[str(k)]
            covered[k] += e.ci_low <= truth[k] <= e.ci_high
            err_cal[k] += e.value - truth[k]
            err_raw[k] += e.raw_mean - truth[k]
    coverage = covered.sum() / (sims * QUALITY.size)
    assert 0.93 <= coverage <= 0.97, covered / sims
    # calibrated: within 2 points of the truth on average (one calibration map pooled over systems cannot
    # remove all bias when the score's noise differs by system); the raw judge score: biased far more
    bias_cal, bias_raw = np.abs(err_cal / sims), np.abs(err_raw / sims)
    assert np.all(bias_cal < 0.02), bias_cal
    assert np.all(bias_raw > 0.05), bias_raw
    assert bias_raw.mean() > 5 * bias_cal.mean()


def test_calibration_table_ranks_before_and_after() -> None:
    rng = np.random.default_rng(5)
    n = 400
    # a concave judge score (sqrt p): system "split" (p 0.9 or 0.1, mean 0.5) scores below "flat" (p 0.45)
    # before calibration; calibrated to the oracle labels, "split" ranks first, as its true mean is higher
    probs = {"split": np.where(rng.random(n) < 0.5, 0.9, 0.1), "flat": np.full(n, 0.45),
             "low": np.full(n, 0.2)}
    M = np.full((n, 3), np.nan)
    oracle: dict[tuple[str, int], float] = {}
    for k, (s, pi) in enumerate(probs.items()):
        M[:, k] = np.sqrt(pi) + rng.normal(0, 0.01, n)
        y = rng.binomial(1, pi)
        for i in rng.choice(n, 150, replace=False).tolist():
            oracle[(s, i)] = float(y[i])
    tables, notes = calibration_tables(M, list(probs), oracle, "oracle.csv")
    rows = tables[0].rows
    assert rows["flat"]["rank_before"].value == 1 and rows["split"]["rank_before"].value == 2
    assert rows["split"]["rank_after"].value == 1 and rows["flat"]["rank_after"].value == 2
    assert rows["split"]["oracle_labels"].value == 150
    assert "calibrated to 450 oracle labels" in notes[0]
    c = rows["split"]["calibrated"]
    assert c.ci_low < 50.0 < c.ci_high and rows["split"]["se_calibration"].value > 0
    assert rows["split"]["uncalibrated"].value == pytest.approx(100 * np.nanmean(M[:, 0]))


def test_oracle_file_errors(tmp_path: Path) -> None:
    f = tmp_path / "oracle.csv"
    f.write_text("system,instruction,label\nx,0,1\nx,7,0\n")
    with pytest.raises(DataError, match=r"oracle.csv:3: field 'instruction': '7' is not a judged item"):
        read_oracle(str(f), {"0": 0, "1": 1})
    f.write_text("system,instruction,label\nx,0,2\n")
    with pytest.raises(DataError, match=r"oracle.csv:2: field 'label': 2.0 is outside \[0, 1\]"):
        read_oracle(str(f), {"0": 0})
    f.write_text("system,instruction,label\nx,0,1\nx,0,0\n")
    with pytest.raises(DataError, match=r"oracle.csv:3: field 'instruction': a second label"):
        read_oracle(str(f), {"0": 0})


def test_oracle_through_a_replayed_run(shared_data: Path, tmp_path: Path) -> None:
    res = shared_data / "alpaca_eval" / "results"
    names = ["alpaca-7b", "gemma-7b-it", "phi-2-sft"]
    lines = []
    for n in names:
        ann = json.loads((res / n / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json").read_text())
        lines += [json.dumps({"system": n, "instruction": i, "label": float(round(a["preference"]) - 1)})
                  for i, a in enumerate(ann) if i % 5 == 0]
    oracle = tmp_path / "oracle.jsonl"
    oracle.write_text("\n".join(lines) + "\n")
    cfg = RunConfig(suite="alpaca_eval", judge=JudgeConfig(backend="replay", model=str(res)),
                    suite_args={"systems": [str(res / n) for n in names],
                                "aggregation_args": {"glm": None, "oracle": str(oracle)}},
                    results_dir=str(tmp_path / "results"), use_cache=False)
    result = runner.run(cfg)
    assert result.report is not None
    table = next(t for t in result.report.tables if t.title.startswith("calibrated"))
    assert sum(r["oracle_labels"].value for r in table.rows.values()) == 3 * 161
    assert any("calibrated to 483 oracle labels" in n for n in result.report.notes)
