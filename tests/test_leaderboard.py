"""`judgekit leaderboard`: rebuilt from stored runs, equal to the runs' own numbers, sorted,
deterministic, and refusing runs made under another definition of the suite."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, cohen_kappa_score

from judgekit.cli import cli
from judgekit.runner import run
from judgekit.types import JudgeConfig, RunConfig
from judgekit.views.leaderboard import LeaderboardConfig, ManifestMismatchError, build_leaderboard
from tests.conftest import output_files
from tests.test_importers import _pandalm_reference


@pytest.fixture(scope="module")
def judgebench_runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 7 JudgeBench output files replayed into one results folder."""
    results = tmp_path_factory.mktemp("lb-results")
    for path in output_files(shared_data):
        split = "claude" if "claude-3-5-sonnet" in path.name else "gpt"
        run(RunConfig(suite="judgebench", split=split, data=str(shared_data), results_dir=str(results),
                      judge=JudgeConfig(backend="replay", model=str(path)), use_cache=False))
    return results


def _copy(results: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "results"
    shutil.copytree(results, dst)
    return dst


def _leaderboard(results: Path, out: Path, *extra: str) -> tuple[int, str, BaseException | None]:
    res = CliRunner().invoke(cli, ["leaderboard", str(results), "--suite", "judgebench", "--format",
                                   "md,csv,html,json", "--out", str(out), *extra])
    return res.exit_code, res.output, res.exception


def test_judgebench_leaderboard_equals_the_runs(judgebench_runs: Path, tmp_path: Path) -> None:
    code, output, exc = _leaderboard(judgebench_runs, tmp_path / "lb")
    assert code == 0, (output, exc)
    board = json.loads((tmp_path / "lb" / "judgebench.json").read_text())
    rows = board["judges"]
    assert len(rows) == 7
    assert [r["split"] for r in rows] == ["gpt"] * 6 + ["claude"]
    assert board["category_names"] == ["knowledge", "reasoning", "math", "coding"]
    for r in rows:
        metrics = json.loads((judgebench_runs / "runs" / r["run_id"] / "metrics.json").read_text())
        acc = metrics["accuracy"]["judgebench"]
        assert r["headline"]["value"] == pytest.approx(acc["overall"]["value"], abs=5e-5)
        assert r["headline"]["n"] == acc["overall"]["n"]
        # the run's own bootstrap interval, and it holds the value
        assert r["headline"]["ci_low"] == pytest.approx(acc["overall"]["ci_low"], abs=5e-5)
        assert r["headline"]["ci_high"] == pytest.approx(acc["overall"]["ci_high"], abs=5e-5)
        assert r["headline"]["ci_low"] < r["headline"]["value"] < r["headline"]["ci_high"]
        for cat, score in acc["categories"].items():
            assert r["categories"][cat]["value"] == pytest.approx(score["value"], abs=5e-5), cat
        assert r["swap_consistency"]["value"] == pytest.approx(metrics["swap_consistency"]["value"], abs=5e-5)
        assert r["position_preference"]["value"] == pytest.approx(metrics["position_preference"]["value"],
                                                                  abs=5e-5)
        assert r["invalid_rate"]["value"] == pytest.approx(metrics["invalid_rate"]["value"], abs=5e-5)
        assert r["judge"] == metrics["judge"]
        assert r["n_examples"] == metrics["n_examples"]
        assert r["mismatch"] == []
    for split in ("gpt", "claude"):
        mine = [r for r in rows if r["split"] == split]
        values = [r["headline"]["value"] for r in mine]
        assert values == sorted(values, reverse=True)
        # competition ranks: equal headlines share a rank (GRM-Gemma-2B and internlm2-7b both 59.43)
        assert [r["rank"] for r in mine] == ([1, 2, 3, 4, 5, 5] if split == "gpt" else [1])
    # o1-mini leads the GPT-4o split at JudgeBench's published 65.71
    assert rows[0]["judge"] == "o1-mini-2024-09-12"
    assert rows[0]["headline"]["value"] == pytest.approx(65.7143, abs=1e-4)
    md = (tmp_path / "lb" / "judgebench.md").read_text()
    assert "| 1 | o1-mini-2024-09-12 | arena_hard | 65.71" in md
    table = list(csv.DictReader(io.StringIO((tmp_path / "lb" / "judgebench.csv").read_text())))
    assert [t["judge"] for t in table] == [r["judge"] for r in rows]
    assert float(table[0]["headline"]) == pytest.approx(rows[0]["headline"]["value"])


def test_leaderboard_is_deterministic(judgebench_runs: Path, tmp_path: Path) -> None:
    """Byte-identical files from the same runs, wherever they are stored and in whatever order
    the folders are listed."""
    moved = _copy(judgebench_runs, tmp_path)
    for out, results in ((tmp_path / "a", judgebench_runs), (tmp_path / "b", judgebench_runs),
                         (tmp_path / "c", moved)):
        code, output, exc = _leaderboard(results, out)
        assert code == 0, (output, exc)
    for fmt in ("md", "csv", "html", "json"):
        a = (tmp_path / "a" / f"judgebench.{fmt}").read_bytes()
        assert a == (tmp_path / "b" / f"judgebench.{fmt}").read_bytes(), fmt
        assert a == (tmp_path / "c" / f"judgebench.{fmt}").read_bytes(), fmt
        assert str(judgebench_runs).encode() not in a  # no local paths in a published file


def _edit_manifest(results: Path, judge_part: str, edit) -> str:  # type: ignore[no-untyped-def]
    (run_dir,) = [d for d in (results / "runs").iterdir() if judge_part in d.name]
    path = run_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    return run_dir.name


def test_mismatching_template_is_refused(judgebench_runs: Path, tmp_path: Path) -> None:
    results = _copy(judgebench_runs, tmp_path)
    run_id = _edit_manifest(results, "o1-mini", lambda m: m["template"].update(hash="0000000000000000"))
    code, output, exc = _leaderboard(results, tmp_path / "lb")
    assert code != 0
    assert isinstance(exc, ManifestMismatchError)
    message = str(exc)
    assert run_id in message
    assert "template arena_hard hash 0000000000000000 (current " in message
    assert "--skip-mismatched" in message
    assert not (tmp_path / "lb").exists()  # nothing written

    code, output, exc = _leaderboard(results, tmp_path / "skip", "--skip-mismatched")
    assert code == 0, (output, exc)
    board = json.loads((tmp_path / "skip" / "judgebench.json").read_text())
    assert len(board["judges"]) == 6 and run_id not in {r["run_id"] for r in board["judges"]}
    assert board["excluded"][0]["run_id"] == run_id
    assert f"left out {run_id}" in (tmp_path / "skip" / "judgebench.md").read_text()

    code, output, exc = _leaderboard(results, tmp_path / "include", "--include-mismatched")
    assert code == 0, (output, exc)
    board = json.loads((tmp_path / "include" / "judgebench.json").read_text())
    flagged = [r for r in board["judges"] if r["mismatch"]]
    assert [r["run_id"] for r in flagged] == [run_id]
    assert "o1-mini-2024-09-12 (!)" in (tmp_path / "include" / "judgebench.md").read_text()


def test_mismatching_data_and_parser_are_refused(judgebench_runs: Path, shared_data: Path, tmp_path: Path) -> None:
    results = _copy(judgebench_runs, tmp_path)
    data_run = _edit_manifest(results, "internlm2-7b", lambda m: m["data"].update(sha256="ab" * 32))
    parser_run = _edit_manifest(results, "GRM-Gemma", lambda m: m["template"].update(parser_version=0))
    limited = _edit_manifest(results, "Llama-3.1-8B", lambda m: m["config"].update(limit=20))
    # without --data the gpt runs must agree with each other; with it, with the current file
    for extra in ((), ("--data", str(shared_data))):
        with pytest.raises(ManifestMismatchError) as err:
            build_leaderboard(LeaderboardConfig(suite="judgebench", results_dir=str(results),
                                                data=extra[1] if extra else None))
        message = str(err.value)
        assert "3 of 7 stored judgebench runs" in message
        assert f"{data_run}: data sha256 abababababab" in message
        assert f"{parser_run}: parser version 0 (current 1)" in message
        assert f"{limited}: partial run (--limit 20)" in message


def test_no_runs_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    res = CliRunner().invoke(cli, ["leaderboard", str(tmp_path), "--suite", "judgebench"])
    assert res.exit_code != 0
    assert "no stored runs of suite 'judgebench'" in str(res.exception)


# --------------------------------------------------------------------------- AlpacaEval win rates

ANNOTATIONS = [
    # (generator_2, preference, len(output_1), len(output_2))
    ("model-x", 2, 100, 180), ("model-x", 1, 120, 90), ("model-x", 1.5, 80, 80), ("model-x", 2, 60, 240),
    ("model-x", 1.25, 100, 130), ("model-x", 1.8, 90, 300), ("model-x", 0, 70, 75), ("model-x", None, 50, 50),
    ("model-x", 2, 110, 150), ("model-x", 1, 200, 100),
    ("model-y", 1, 100, 60), ("model-y", 1, 150, 140), ("model-y", 2, 90, 200), ("model-y", 1.7, 80, 100),
    ("model-y", 1.5, 100, 100), ("model-y", 1, 120, 110), ("model-y", 1.3, 130, 90), ("model-y", 2, 40, 90),
    ("model-y", 1, 100, 20),
]


def _alpaca_reference(prefs: list[float | None]) -> dict[str, float]:
    """AlpacaEval's figures recomputed here from its documented rules."""
    kept = [1.5 if p == 0 else p for p in prefs if p is not None]
    kept = [p for p in kept if 1 <= p <= 2]
    x = [p - 1 for p in kept]
    n = len(x)

    def rounded(p: float) -> float:
        return 1.5 if p == 1.5 else (2.0 if p > 1.5 else 1.0)  # no .5 ties other than 1.5 in the data

    d = [rounded(p) - 1 for p in kept]
    return {"win_rate": 100 * sum(x) / n, "standard_error": 100 * statistics.stdev(x) / math.sqrt(n),
            "discrete_win_rate": 100 * sum(d) / n, "n_wins": sum(v > 0.5 for v in x),
            "n_wins_base": sum(v < 0.5 for v in x), "n_draws": sum(p == 1.5 for p in kept), "n_total": n}


def test_alpaca_eval_leaderboard_columns(tmp_path: Path) -> None:
    items = [{"instruction": f"instruction {i}", "output_1": "b" * l1, "output_2": "m" * l2,
              "generator_1": "baseline", "generator_2": gen, "annotator": "weighted_gpt4",
              "preference": pref} for i, (gen, pref, l1, l2) in enumerate(ANNOTATIONS)]
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(items))
    res = CliRunner().invoke(cli, ["import", "alpaca_eval", str(path), "--results-dir", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "r"), "--suite", "alpaca_eval", "--format",
                                   "json,csv,md", "--out", str(tmp_path / "lb")])
    assert res.exit_code == 0, (res.output, res.exception)
    board = json.loads((tmp_path / "lb" / "alpaca_eval.json").read_text())
    assert board["kind"] == "winrate"
    rows = {r["model"]: r for r in board["models"]}
    assert set(rows) == {"model-x", "model-y"}
    table = {t["model"]: t for t in csv.DictReader(io.StringIO((tmp_path / "lb" / "alpaca_eval.csv").read_text()))}
    for model, row in rows.items():
        mine = [a for a in ANNOTATIONS if a[0] == model]
        ref = _alpaca_reference([a[1] for a in mine])
        for key in ("win_rate", "standard_error", "discrete_win_rate"):
            assert row[key] == pytest.approx(ref[key], abs=5e-5), (model, key)
            assert float(table[model][key]) == pytest.approx(ref[key], abs=5e-5), (model, key)
        for key in ("n_wins", "n_wins_base", "n_draws", "n_total"):
            assert row[key] == ref[key], (model, key)
            assert int(table[model][key]) == ref[key], (model, key)
        assert row["n_dropped"] == sum(a[1] is None for a in mine)
        assert row["avg_length"] == pytest.approx(statistics.mean(a[3] for a in mine), abs=5e-5)
        assert row["annotator"] == "weighted_gpt4"
        # no length-controlled win rate for imported annotations (AlpacaEval's length_controlled_v1 needs each
        # instruction across systems; the plain GLM that stood here was not AlpacaEval's LC)
        assert row["lc_win_rate"] is None and table[model]["lc_win_rate"] == ""
    assert any("imported annotations have no length-controlled win rate" in n for n in board["notes"])
    assert [r["model"] for r in board["models"]] == ["model-x", "model-y"]  # sorted by win rate
    assert [r["rank"] for r in board["models"]] == [1, 2]


def test_pandalm_leaderboard_from_recorded_judges(shared_data: Path, tmp_path: Path) -> None:
    """The two recorded PandaLM judges, imported: the published aggregation's headline gets a bootstrap
    interval, and the other figures of its row (macro P/R/F1, kappa) come along."""
    for name in ("gpt-3.5-turbo", "pandalm-7b"):
        res = CliRunner().invoke(cli, ["import", "pandalm", str(shared_data / "pandalm" / f"{name}-testset-v1.json"),
                                       "--data", str(shared_data), "--results-dir", str(tmp_path / "r")])
        assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "r"), "--suite", "pandalm", "--data", str(shared_data),
                                   "--format", "json", "--out", str(tmp_path / "lb")])
    assert res.exit_code == 0, (res.output, res.exception)
    board = json.loads((tmp_path / "lb" / "pandalm.json").read_text())
    assert [r["judge"] for r in board["judges"]] == ["gpt-3.5-turbo", "pandalm-7b"]
    for r in board["judges"]:
        metrics = json.loads((tmp_path / "r" / "runs" / r["run_id"] / "metrics.json").read_text())
        first = metrics["suite_report"]["tables"][0]["rows"]["first order"]
        assert r["headline"]["value"] == pytest.approx(first["accuracy"]["value"], abs=5e-5)
        assert r["headline"]["ci_low"] < r["headline"]["value"] < r["headline"]["ci_high"]
        for col in ("precision", "recall", "F1", "kappa"):
            assert r["also"][col]["value"] == pytest.approx(first[col]["value"], abs=5e-5), col
    gpt = board["judges"][0]
    # PandaLM's published aggregation (unparseable = tie, its compute_metrics.py): 0.7107, macro F1 0.5755,
    # and against sklearn on the gold majority and verdicts read straight from the files (unparseable = tie)
    gold, pred = _pandalm_reference(shared_data, "gpt-3.5-turbo-testset-v1.json", "gpt_result")
    as_tie = ["tie" if v == "invalid" else v for v in pred]
    assert gpt["headline"]["value"] == pytest.approx(71.0711, abs=1e-4)
    assert gpt["headline"]["value"] == pytest.approx(100 * accuracy_score(gold, as_tie), abs=5e-5)
    assert gpt["also"]["F1"]["value"] == pytest.approx(57.55, abs=5e-3)
    assert gpt["also"]["kappa"]["value"] == pytest.approx(cohen_kappa_score(gold, as_tie), abs=5e-5)
