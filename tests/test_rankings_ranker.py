"""The judge as a ranker against a gold ranking (--gold-ranking): Kendall tau, Spearman, pairwise
order accuracy, JuStRank decisiveness and per-system bias."""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from judgekit import runner
from judgekit.errors import DataError
from judgekit.rankings import ranker_tables, read_gold_ranking
from judgekit.types import JudgeConfig, RunConfig


def _tables(M: np.ndarray, systems: list[str], gold: dict[str, float]) -> tuple[dict, dict]:
    tables, _ = ranker_tables(M, systems, gold, "gold.csv", n_resamples=500)
    return tables[0].rows["judge ranking"], tables[1].rows


def test_agreement_figures_against_scipy_and_by_hand() -> None:
    rng = np.random.default_rng(3)
    systems = [f"s{k}" for k in range(6)]
    quality = np.array([0.2, 0.35, 0.3, 0.6, 0.5, 0.8])
    M = (rng.random((400, 6)) < quality).astype(float)
    M[rng.random(M.shape) < 0.05] = np.nan  # some items without a score
    gold = {s: float(v) for s, v in zip(systems, [1000, 1040, 1060, 1100, 1150, 1200], strict=True)}
    overall, per_system = _tables(M, systems, gold)
    point = np.nanmean(M, axis=0)
    g = np.array([gold[s] for s in systems])
    assert overall["kendall_tau"].value == pytest.approx(stats.kendalltau(point, g).statistic, abs=1e-12)
    assert overall["spearman"].value == pytest.approx(stats.spearmanr(point, g).statistic, abs=1e-12)
    assert overall["kendall_tau"].ci_low <= overall["kendall_tau"].value <= overall["kendall_tau"].ci_high
    agree = sum(np.sign(point[i] - point[j]) == np.sign(g[i] - g[j]) for i, j in combinations(range(6), 2))
    assert overall["pairwise_accuracy"].value == pytest.approx(100 * agree / 15)
    assert overall["pairwise_accuracy"].count == agree
    assert per_system["s3"]["judge_score"].value == pytest.approx(point[3])


def test_bias_shows_the_favoured_system() -> None:
    rng = np.random.default_rng(4)
    systems = ["a", "b", "c", "d"]
    gold = {"a": 1000.0, "b": 1100.0, "c": 1200.0, "d": 1300.0}
    base = np.array([0.3, 0.45, 0.6, 0.75])
    base[0] = 0.7  # the judge favours "a", the weakest by gold
    M = (rng.random((600, 4)) < base).astype(float)
    overall, per_system = _tables(M, systems, gold)
    assert per_system["a"]["bias"].value > 0.2
    assert max(per_system, key=lambda s: per_system[s]["bias"].value) == "a"
    assert overall["decisiveness_alpha"].value > 0


def test_gold_ranking_file_errors(tmp_path: Path) -> None:
    f = tmp_path / "gold.csv"
    f.write_text("model,elo\nx,1200\ny,high\n")
    with pytest.raises(DataError, match=r"gold.csv:3: field 'elo': not a number"):
        read_gold_ranking(str(f))
    f.write_text("who,what\nx,1\n")
    with pytest.raises(DataError, match="expected a system column"):
        read_gold_ranking(str(f))
    f.write_text("system,rank\nx,1\ny,2\n")
    assert read_gold_ranking(str(f)) == {"x": -1.0, "y": -2.0}  # rank 1 is best


def test_replayed_judge_against_the_official_ranking(shared_data: Path, tmp_path: Path) -> None:
    """The recorded GPT-4-Turbo judge, replayed, ranks four systems exactly as AlpacaEval's official win
    rates do (they come from the same judgments): tau 1, every pair in order."""
    res = shared_data / "alpaca_eval" / "results"
    names = ["alpaca-7b", "falcon-7b-instruct", "gemma-7b-it", "phi-2-sft"]
    with open(shared_data / "alpaca_eval" / "leaderboard_subset.csv", newline="") as f:
        official = {r[""]: r["win_rate"] for r in csv.DictReader(f)}
    gold = tmp_path / "gold.csv"
    gold.write_text("system,score\n" + "".join(f"{n},{official[n]}\n" for n in names))
    cfg = RunConfig(suite="alpaca_eval", judge=JudgeConfig(backend="replay", model=str(res)),
                    suite_args={"systems": [str(res / n) for n in names],
                                "aggregation_args": {"glm": None, "gold_ranking": str(gold)}},
                    results_dir=str(tmp_path / "results"), use_cache=False)
    result = runner.run(cfg)
    assert result.report is not None
    ranking = result.report.tables[1].rows["judge ranking"]
    assert ranking["kendall_tau"].value == pytest.approx(1.0)
    assert ranking["spearman"].value == pytest.approx(1.0)
    assert ranking["pairwise_accuracy"].value == 100.0
    assert ranking["kendall_tau"].ci_low is not None
