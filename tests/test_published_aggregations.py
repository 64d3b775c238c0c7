"""Published aggregations as their authors' own code computes them (issue 11): LLMBar's positional
agreement (evaluate.py), AlpacaEval's average length (an empty output has length 0), and
reward-model runs that record no template. PandaLM's rule (compute_metrics.py: unparseable = tie)
is checked against its published figures in test_importers.py."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.aggregations import LLMBAR_STRICT, aggregate
from judgekit.cli import cli
from judgekit.importers import ImportOptions, import_run
from judgekit.suites import load_suite
from judgekit.types import Judgment


def _llmbar_statistics(dataset: list[dict]) -> dict[str, float]:
    """LLMBar's evaluate.py statistics, written out again from its source: per item the last
    result's ``swap = False`` / ``swap = True`` winners ("1", "2" or None) against str(label)."""
    correct_false = correct_true = correct_both = equal = 0
    for instance in dataset:
        label = str(instance["label"])
        out_false = instance["results"][-1]["swap = False"]["winner"]
        out_true = instance["results"][-1]["swap = True"]["winner"]
        correct_false += out_false == label
        correct_true += out_true == label
        correct_both += out_false == label and out_true == label
        equal += out_true == out_false
    n = len(dataset)
    return {"correct_average": (correct_false + correct_true) / 2 / n * 100, "correct_both": correct_both / n * 100,
            "equal": equal / n * 100}


@pytest.mark.parametrize("subset", ["Natural", "Adversarial/Neighbor"])
def test_llmbar_agreement_follows_evaluate_py(shared_data: Path, tmp_path: Path, subset: str) -> None:
    """A result.json with every kind of item (right, wrong, one or both orders unparseable), imported
    and scored: the published columns equal LLMBar's own statistics; the strict agreement leaves out
    the items where neither order parsed."""
    items = json.loads((shared_data / "llmbar" / "Dataset" / "LLMBar" / subset / "dataset.json").read_text())
    rng = random.Random(11)
    choices = ["1", "2", None]
    dataset = []
    for item in items:
        w1, w2 = rng.choices(choices, weights=[4, 4, 2], k=2)
        dataset.append({**item, "results": [{"swap = False": {"completion": ["x", "stop"], "winner": w1},
                                             "swap = True": {"completion": ["y", "stop"], "winner": w2}}]})
    both_none = sum(d["results"][0]["swap = False"]["winner"] is None and d["results"][0]["swap = True"]["winner"]
                    is None for d in dataset)
    assert both_none > 0  # the case where the two rules differ is present
    folder = tmp_path / "Dataset" / "LLMBar" / subset / "evaluators" / "ChatGPT" / "Vanilla"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(dataset))
    run_dir = import_run("llmbar", [str(folder / "result.json")], ImportOptions(results_dir=str(tmp_path / "r")))
    report = json.loads((run_dir / "metrics.json").read_text())["suite_report"]
    row = report["tables"][0]["rows"][subset.split("/")[-1]]
    ref = _llmbar_statistics(dataset)
    assert row["accuracy"]["value"] == pytest.approx(ref["correct_average"], abs=1e-9)
    assert row["both correct"]["value"] == pytest.approx(ref["correct_both"], abs=1e-9)
    assert row["agreement"]["value"] == pytest.approx(ref["equal"], abs=1e-9)
    strict = sum(d["results"][0]["swap = False"]["winner"] == d["results"][0]["swap = True"]["winner"] is not None
                 for d in dataset)
    assert row[LLMBAR_STRICT]["value"] == pytest.approx(100 * strict / len(dataset), abs=1e-9)
    assert row["agreement"]["value"] - row[LLMBAR_STRICT]["value"] == pytest.approx(100 * both_none / len(dataset))


def _j(ex: str, order: str, winner: str, status: str = "ok", category: str = "Natural") -> Judgment:
    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, category=category, label="A",  # type: ignore[arg-type]
                    status=status, shown_winner=winner, winner=winner, template_hash="t")  # type: ignore[arg-type]


def test_llmbar_agreement_hand_computed_with_unparseable() -> None:
    rows = [_j("a", "AB", "A"), _j("a", "BA", "A"),              # agree, right
            _j("b", "AB", "invalid"), _j("b", "BA", "invalid"),  # agree under LLMBar's rule only
            _j("c", "AB", "invalid"), _j("c", "BA", "B"),        # disagree
            _j("d", "AB", "B"), _j("d", "BA", "B")]              # agree, wrong
    t = aggregate("llmbar", rows, load_suite("llmbar").aggregation.args).table("subsets").rows  # type: ignore[union-attr]
    assert t["Natural"]["agreement"].value == 75.0
    assert t["Natural"][LLMBAR_STRICT].value == 50.0
    assert t["Natural"]["both correct"].value == 25.0
    assert t["Natural"]["accuracy"].value == 25.0
    assert t["overall"]["agreement"].value == 75.0  # the mean of the (one) subset


def test_evalbiasbench_keeps_the_strict_agreement() -> None:
    rows = [_j("a", "AB", "invalid", category="x"), _j("a", "BA", "invalid", category="x")]
    assert aggregate("evalbiasbench", rows, {}).table("bias types").rows["x"]["agreement"].value == 0.0


# ----------------------------------------------------------------------------- AlpacaEval lengths


def _annotations(rows: list[tuple[float, str, str]]) -> list[dict]:
    return [{"instruction": f"instruction {i}", "output_1": base, "output_2": out, "generator_1": "baseline",
             "generator_2": "model-e", "annotator": "weighted", "preference": pref}
            for i, (pref, base, out) in enumerate(rows)]


def test_alpaca_eval_empty_output_has_length_zero(tmp_path: Path) -> None:
    """AlpacaEval's avg_length is the mean character length of all outputs, an empty one counting
    0. Imported annotations get no length-controlled win rate (issue 12: only AlpacaEval's
    length_controlled_v1 is called that, and it needs each instruction across the systems)."""
    rng = random.Random(5)
    rows = []
    for i in range(40):
        out = "" if i % 5 == 0 else "m" * rng.randint(20, 400)
        pref = 1.0 if out == "" else round(rng.uniform(1, 2), 2)
        rows.append((pref, "b" * rng.randint(50, 300), out))
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(_annotations(rows)))
    assert CliRunner().invoke(cli, ["import", "alpaca_eval", str(path), "--results-dir", str(tmp_path / "r")]).exit_code == 0
    res = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "r"), "--suite", "alpaca_eval", "--format", "json",
                                   "--out", str(tmp_path / "lb")])
    assert res.exit_code == 0, res.output
    (row,) = json.loads((tmp_path / "lb" / "alpaca_eval.json").read_text())["models"]
    lengths = [len(out) for _, _, out in rows]
    assert lengths.count(0) == 8
    assert row["avg_length"] == pytest.approx(sum(lengths) / len(lengths), abs=5e-5)
    assert row["lc_win_rate"] is None
    assert row["n_total"] == 40


def test_alpaca_eval_official_row_from_recorded_annotations(shared_data: Path, tmp_path: Path) -> None:
    """gemma-7b-it's recorded GPT-4-Turbo annotations give its row of AlpacaEval 2's official
    leaderboard (avg_length is an integer there: the mean, truncated)."""
    model = "gemma-7b-it"
    official = {r[""]: r for r in csv.DictReader((shared_data / "alpaca_eval" / "leaderboard_subset.csv").open())}[model]
    path = shared_data / "alpaca_eval" / "results" / model / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json"
    assert CliRunner().invoke(cli, ["import", "alpaca_eval", str(path), "--results-dir", str(tmp_path / "r")]).exit_code == 0
    res = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "r"), "--suite", "alpaca_eval", "--format", "json",
                                   "--out", str(tmp_path / "lb")])
    assert res.exit_code == 0, res.output
    (row,) = json.loads((tmp_path / "lb" / "alpaca_eval.json").read_text())["models"]
    for key in ("win_rate", "standard_error", "discrete_win_rate"):
        assert row[key] == pytest.approx(float(official[key]), abs=1e-4), key
    for key in ("n_wins", "n_wins_base", "n_draws", "n_total"):
        assert row[key] == int(official[key]), key
    assert int(row["avg_length"]) == int(official["avg_length"]) == 1115


# ----------------------------------------------------------------------------- reward models


def test_reward_model_runs_record_no_template(shared_data: Path, tmp_path: Path) -> None:
    """A reward model scores (question, response) conversations: no judge prompt is rendered, so
    its run records no template (replayed JudgeBench reward-model scores here)."""
    path = next(p for p in (shared_data / "judgebench" / "outputs").glob("*.jsonl") if "reward_model" in p.name)
    res = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--split", "gpt", "--data", str(shared_data),
                                   "--judge", f"replay:{path}", "--results-dir", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["template"]["name"] is None and manifest["template"]["hash"] is None
    assert "arena_hard" not in res.output
