"""`judgekit import`: other tools' stored judgments become judgekit runs and are scored."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_recall_fscore_support

from judgekit import JudgeConfig, RunConfig, run
from judgekit.cli import cli
from judgekit.errors import ConfigError
from judgekit.importers import ImportOptions, import_run
from judgekit.importers.alpaca_eval import verdict_of
from judgekit.store import read_judgments
from tests.conftest import output_files


def _metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


def _pandalm_reference(shared: Path, name: str, key: str) -> tuple[list[str], list[str]]:
    """Gold (annotator majority) and verdicts read straight from the files, independently."""
    test = json.loads((shared / "pandalm" / "testset-v1.json").read_text())
    recorded = {r["idx"]: r[key] for r in json.loads((shared / "pandalm" / name).read_text())}
    names = {0: "tie", 1: "A", 2: "B", "0": "tie", "1": "A", "2": "B", "Tie": "tie"}
    gold, pred = [], []
    for item in test:
        votes = Counter(item[f"annotator{k}"] for k in (1, 2, 3)).most_common(1)[0][0]
        gold.append(names[votes])
        pred.append(names.get(recorded[item["idx"]], "invalid"))
    return gold, pred


@pytest.mark.parametrize("name,key,judge", [("gpt-3.5-turbo-testset-v1.json", "gpt_result", "gpt-3.5-turbo"),
                                             ("pandalm-7b-testset-v1.json", "pandalm_result", "pandalm-7b")])
def test_pandalm_recorded_judges(shared_data: Path, tmp_path: Path, name: str, key: str, judge: str) -> None:
    out = CliRunner().invoke(cli, ["import", "pandalm", str(shared_data / "pandalm" / name), "--data",
                                   str(shared_data), "--results-dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert judge in run_dir.name
    doc = _metrics(run_dir)
    gold, pred = _pandalm_reference(shared_data, name, key)
    rows = read_judgments(run_dir / "judgments.jsonl")
    assert len(rows) == 999
    n_invalid = pred.count("invalid")
    assert doc["n_invalid"] == n_invalid == (25 if key == "gpt_result" else 0)
    assert doc["suite_report"]["counts"]["invalid"] == n_invalid
    tables = {t["title"]: t for t in doc["suite_report"]["tables"]}
    # the published aggregation counts an unparseable output as a tie (PandaLM's compute_metrics.py);
    # the strict figures (unparseable = invalid) are beside it
    as_tie = ["tie" if v == "invalid" else v for v in pred]
    for title, verdicts in (("agreement with gold", as_tie), ("strict: unparseable = invalid", pred)):
        t = tables[title]["rows"]["first order"]
        p, r, f, _ = precision_recall_fscore_support(gold, verdicts, labels=["A", "B", "tie"], average="macro",
                                                     zero_division=0)
        assert t["accuracy"]["value"] == pytest.approx(
            100 * sum(g == v for g, v in zip(gold, verdicts, strict=True)) / 999)
        assert (t["precision"]["value"], t["recall"]["value"], t["F1"]["value"]) == pytest.approx(
            (100 * p, 100 * r, 100 * f))
        assert t["kappa"]["value"] == pytest.approx(cohen_kappa_score(gold, verdicts))
    t = tables["agreement with gold"]["rows"]["first order"]
    strict = tables["strict: unparseable = invalid"]["rows"]["first order"]
    assert doc["suite_report"]["headline"] == t["accuracy"]
    ties = sum(j.winner == "tie" for j in rows.values())
    assert ties == pred.count("tie") > 0  # ties are verdicts, not errors
    if key == "gpt_result":
        bad = [j for j in rows.values() if j.winner == "invalid"]
        assert {j.raw for j in bad} == {"garbage"} and all(j.reason for j in bad)
        # PandaLM's published figures for GPT-3.5 (data/compute_metrics.py: Accuracy 0.7107, Macro-Averaged
        # Precision 0.5879, Recall 0.5736, F1 0.5755); strict: 69.77 and F1 52.74
        assert [f"{t[k]['value'] / 100:.4f}" for k in ("accuracy", "precision", "recall", "F1")] == [
            "0.7107", "0.5879", "0.5736", "0.5755"]
        assert (f"{strict['accuracy']['value']:.2f}", f"{strict['F1']['value']:.2f}") == ("69.77", "52.74")
        assert doc["suite_report"]["headline_name"] == "accuracy (first order, unparseable = tie)"
    else:
        # PandaLM-7B (no unparseable output): 0.6677 / 0.5738 / 0.5750 / 0.5743, strict the same
        assert [f"{t[k]['value'] / 100:.4f}" for k in ("accuracy", "precision", "recall", "F1")] == [
            "0.6677", "0.5738", "0.5750", "0.5743"]
        assert strict == t
    # the strict figure the README quotes beside it (69.77 for gpt-3.5-turbo) is sklearn's accuracy on the files
    assert f"{strict['accuracy']['value']:.2f}" == f"{100 * accuracy_score(gold, pred):.2f}"
    # rescoring the run reproduces metrics.json
    again = CliRunner().invoke(cli, ["score", str(run_dir)])
    assert again.exit_code == 0 and _metrics(run_dir) == doc


def test_pandalm_import_needs_gold(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pass --data"):
        import_run("pandalm", [str(shared_data / "pandalm" / "pandalm-7b-testset-v1.json")],
                   ImportOptions(results_dir=str(tmp_path)))


def test_judgebench_import_equals_replay(shared_data: Path, tmp_path: Path) -> None:
    path = next(p for p in output_files(shared_data) if "o1-mini" in p.name)
    run_dir = import_run("judgebench", [str(path)], ImportOptions(results_dir=str(tmp_path / "i")))
    imported = _metrics(run_dir)
    replay = run(RunConfig(suite="judgebench", split="gpt", data=str(shared_data), results_dir=str(tmp_path / "r"),
                           judge=JudgeConfig(backend="replay", model=str(path))))
    assert imported["accuracy"] == replay.metrics.model_dump(mode="json")["accuracy"]
    assert round(imported["accuracy"]["judgebench"]["overall"]["value"], 2) == 65.71
    assert imported["swap_consistency"] == replay.metrics.model_dump(mode="json")["swap_consistency"]
    # joined with the suite's own examples the result is the same
    joined = import_run("judgebench", [str(path)], ImportOptions(data=str(shared_data), split="gpt",
                                                                results_dir=str(tmp_path / "j")))
    assert _metrics(joined)["accuracy"] == imported["accuracy"]


def _llmbar_result(shared: Path, subset_dir: str, winners: list[tuple[str | None, str | None]]) -> list[dict]:
    items = json.loads((shared / "llmbar" / "Dataset" / "LLMBar" / subset_dir / "dataset.json").read_text())
    out = []
    for item, (w1, w2) in zip(items, winners, strict=False):
        res = {"swap = False": {"completion": ["Output (a)", "stop"], "winner": w1},
               "swap = True": {"completion": ["Output (b)", "stop"], "winner": w2}}
        out.append({**item, "results": [res]})
    return out


def test_llmbar_result_files(shared_data: Path, tmp_path: Path) -> None:
    """LLMBar's result.json (both winners in the item's own frame) for Natural: a judge that is
    right on every pair in the original order and says "1" in the swapped one."""
    items = json.loads((shared_data / "llmbar" / "Dataset" / "LLMBar" / "Natural" / "dataset.json").read_text())
    winners = [(str(it["label"]), "1") for it in items]
    winners[0] = (None, "1")  # a failed parse is recorded as None
    folder = tmp_path / "Dataset" / "LLMBar" / "Natural" / "evaluators" / "GPT-4" / "Vanilla"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(_llmbar_result(shared_data, "Natural", winners)))
    run_dir = import_run("llmbar", [str(folder / "result.json")], ImportOptions(results_dir=str(tmp_path / "r")))
    doc = _metrics(run_dir)
    row = doc["suite_report"]["tables"][0]["rows"]["Natural"]
    labels = [it["label"] for it in items]
    first_right = [str(lab) == w[0] for lab, w in zip(labels, winners, strict=True)]
    second_right = [lab == 1 for lab in labels]
    assert row["accuracy"]["value"] == pytest.approx(100 * (sum(first_right) + sum(second_right)) / 200)
    agree = [w[0] == w[1] for w in winners]
    assert row["agreement"]["value"] == pytest.approx(100 * sum(agree) / 100)
    both = [a and b for a, b in zip(first_right, second_right, strict=True)]
    assert row["both correct"]["value"] == pytest.approx(100 * sum(both) / 100)
    assert doc["n_invalid"] == 1 and "GPT-4" in run_dir.name
    # joined with the suite's data: the same examples by position, checked by their prompts
    joined = import_run("llmbar", [str(folder / "result.json")],
                        ImportOptions(data=str(shared_data), split="natural", results_dir=str(tmp_path / "j")))
    assert _metrics(joined)["suite_report"]["tables"][0]["rows"]["Natural"] == row


@pytest.mark.parametrize("pref,winner,p_a", [(1, "A", 1.0), (2, "B", 0.0), (1.5, "tie", 0.5), (0, "tie", 0.5),
                                             (1.25, "A", 0.75), (1.9, "B", pytest.approx(0.1)), (None, "invalid", None),
                                             (3, "invalid", None), ("x", "invalid", None)])
def test_alpaca_eval_preferences(pref, winner, p_a) -> None:
    assert verdict_of(pref) == (winner, p_a)


def test_alpaca_eval_annotations(tmp_path: Path) -> None:
    annotations = [
        {"instruction": "i1", "output_1": "ref", "output_2": "m", "generator_1": "gpt4_turbo", "generator_2": "m1",
         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.8},
        {"instruction": "i2", "output_1": "ref", "output_2": "m", "generator_1": "gpt4_turbo", "generator_2": "m1",
         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.0},
        {"instruction": "i3", "output_1": "ref", "output_2": "m", "generator_1": "gpt4_turbo", "generator_2": "m1",
         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.5},
        {"instruction": "i1", "output_1": "ref", "output_2": "n", "generator_1": "gpt4_turbo", "generator_2": "m2",
         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": None},
        {"instruction": "i2", "output_1": "ref", "output_2": "n", "generator_1": "gpt4_turbo", "generator_2": "m2",
         "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 2},
    ]
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(annotations))
    out = CliRunner().invoke(cli, ["import", "alpaca_eval", str(path), "--results-dir", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "r" / "runs").iterdir()
    doc = _metrics(run_dir)
    rows = doc["suite_report"]["tables"][0]["rows"]
    assert rows["m1"]["win rate"]["value"] == pytest.approx(100 * (0.8 + 0.0 + 0.5) / 3)
    assert rows["m2"]["win rate"]["value"] == pytest.approx(100.0) and rows["m2"]["win rate"]["n"] == 1
    assert doc["n_invalid"] == 1


def test_arena_hard_judgments(tmp_path: Path) -> None:
    lines = [
        {"question_id": "q1", "model": "m", "judge": "gpt-4-1106-preview",
         "games": [{"user_prompt": "...", "judgment": "... [[B>A]]", "score": "B>A"},
                   {"user_prompt": "...", "judgment": "... [[A>>B]]", "score": "A>>B"}]},
        {"question_id": "q2", "model": "m", "judge": "gpt-4-1106-preview",
         "games": [{"score": "A=B", "judgment": "[[A=B]]"}, {"score": None, "judgment": "no verdict"}]},
        {"question_id": "q3", "model": "m", "judge": "gpt-4-1106-preview",
         "games": [{"score": "A>B"}, {"score": "B>A"}]},
    ]
    path = tmp_path / "model_judgment" / "gpt-4-1106-preview" / "m.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    run_dir = import_run("arena_hard", [str(path)], ImportOptions(results_dir=str(tmp_path / "r")))
    doc = _metrics(run_dir)
    # frame: A = baseline, B = the model. q1: game 1 B>A (model wins), game 2 swapped A>>B (model wins);
    # q2: tie and invalid; q3: game 1 baseline wins, game 2 (swapped) B>A: baseline wins
    win = doc["suite_report"]["tables"][0]["rows"]["m"]
    assert win["win rate"]["value"] == pytest.approx(100 * (1 + 1 + 0.5 + 0 + 0) / 5)
    assert win["invalid"]["count"] == 1
    rows = read_judgments(run_dir / "judgments.jsonl")
    assert rows["q1/m#BA"].winner == "B" and rows["q1/m#BA"].strength == 2
    assert doc["swap_consistency"]["value"] == pytest.approx(200 / 3)  # q1 and q3 consistent
    # no gold labels: accuracy is not scored (rather than 0)
    overall = doc["accuracy"]["judgebench"]["overall"]
    assert (overall["value"], overall["n"], overall["count"]) == (None, 0, 0)


def test_unknown_import_format(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["import", "nope", str(tmp_path)])
    assert out.exit_code != 0
