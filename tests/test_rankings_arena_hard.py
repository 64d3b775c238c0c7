"""The arena_hard systems suite with a scripted judge whose verdicts are known: the scores and
intervals equal a reimplementation of Arena-Hard-Auto's show_result.py (lmarena/arena-hard-auto
196f6b8: load_judgments, print_leaderboard, print_leaderboard_with_style_features) written here with
pandas and torch, fed the same bootstrap draws."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.errors import DataError

pd = pytest.importorskip("pandas")

LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]
SYSTEMS = ["gpt-3.5-turbo-0125", "gpt-4-0613"]
BASE = "gpt-4-0314"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def scripted(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run arena_hard with a mock judge answering a known label per request (5 % unparseable)."""
    root = shared_data / "arena_hard" / "arena-hard-v0.1"
    tmp = tmp_path_factory.mktemp("arena")
    questions = _jsonl(root / "question.jsonl")
    rng = np.random.default_rng(2024)
    script: dict[str, str] = {}
    labels: dict[tuple[str, str, str], str | None] = {}
    for k, system in enumerate(SYSTEMS):
        # the stronger system wins more often: shift the label distribution
        probs = np.array([0.1, 0.25, 0.2, 0.3, 0.15]) if k == 0 else np.array([0.05, 0.15, 0.3, 0.3, 0.2])
        for q in questions:
            for order in ("AB", "BA"):
                if rng.random() < 0.05:
                    script[f"{system}/{q['uid']}#{order}"] = "I cannot decide."
                    labels[(system, q["uid"], order)] = None
                    continue
                lab = LABELS[rng.choice(5, p=probs)]
                script[f"{system}/{q['uid']}#{order}"] = f"Reasoning... My final verdict is: [[{lab}]]"
                labels[(system, q["uid"], order)] = lab
    (tmp / "script.json").write_text(json.dumps(script))
    out = CliRunner().invoke(cli, ["run", "--suite", "arena_hard", "--systems", str(root / "model_answer"),
                                   "--judge", "mock:unused", "--option", f"script={tmp / 'script.json'}",
                                   "--results-dir", str(tmp / "results"), "--no-cache", "-q"],
                             env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    [metrics] = list((tmp / "results" / "runs").glob("*/metrics.json"))
    answers = {m: {a["uid"]: a["messages"][-1]["content"]["answer"] for a in _jsonl(root / "model_answer" / f"{m}.jsonl")}
               for m in [*SYSTEMS, BASE]}
    return {"doc": json.loads(metrics.read_text()), "labels": labels, "questions": questions, "answers": answers,
            "output": out.output, "results": tmp / "results"}


def _battles(scripted: dict, weight: int = 3) -> pd.DataFrame:
    """show_result.py's load_judgments: game 1 = baseline as A, game 2 = the model as A."""
    rows = []
    for m in SYSTEMS:
        for q in scripted["questions"]:
            g1, g2 = scripted["labels"][(m, q["uid"], "AB")], scripted["labels"][(m, q["uid"], "BA")]
            rows.append({"uid": q["uid"], "model": m, "category": "arena-hard-v0.1",
                         "games": [{"score": g1}, {"score": g2}]})
    data = pd.DataFrame(rows)
    null = data.games.map(lambda x: x[0] is None or x[1] is None or x[0]["score"] is None or x[1]["score"] is None)
    data = data[~null].reset_index(drop=True)
    label_to_score = {"A>B": [1], "A>>B": [1] * weight, "A=B": [0.5], "A<<B": [0] * weight, "A<B": [0],
                      "B>A": [0], "B>>A": [0] * weight, "B=A": [0.5], "B<<A": [1] * weight, "B<A": [1]}
    data["scores"] = data.games.map(
        lambda x: label_to_score[x[1]["score"]] + [1 - s for s in label_to_score[x[0]["score"]]])
    return data[["uid", "model", "category", "scores"]].explode("scores").reset_index(drop=True)


def test_scores_equal_show_result(scripted: dict) -> None:
    battles = _battles(scripted)
    rng = np.random.default_rng(0)  # judgekit's draws: per model (sorted), integers(0, n, (rounds, n))
    per_model = {m: battles[battles.model == m]["scores"].astype(float).reset_index(drop=True) for m in SYSTEMS}
    draws = {m: rng.integers(0, len(per_model[m]), size=(100, len(per_model[m]))) for m in sorted(SYSTEMS)}
    boots = []
    for r in range(100):
        sample = {m: per_model[m].iloc[draws[m][r]].mean() for m in sorted(SYSTEMS)}
        boots.append(pd.DataFrame({"model": list(sample), "scores": list(sample.values())}))
    bootstraps = pd.concat(boots).set_index("model")
    mean = bootstraps.groupby("model")["scores"].mean()
    lower = bootstraps.groupby("model")["scores"].quantile(0.05)
    upper = bootstraps.groupby("model")["scores"].quantile(0.95)
    rows = scripted["doc"]["suite_report"]["tables"][0]["rows"]
    for m in SYSTEMS:
        s = rows[m]["score"]
        assert s["value"] == pytest.approx(100 * mean[m], abs=1e-9)
        assert s["ci_low"] == pytest.approx(100 * lower[m], abs=1e-9)
        assert s["ci_high"] == pytest.approx(100 * upper[m], abs=1e-9)
        assert rows[m]["n_battles"]["value"] == len(per_model[m])
        dropped = sum(scripted["labels"][(m, q["uid"], "AB")] is None or scripted["labels"][(m, q["uid"], "BA")] is None
                      for q in scripted["questions"])
        assert rows[m]["dropped_questions"]["value"] == dropped > 0
    # printed, best first, with the baseline at 50
    values = [r["score"]["value"] for r in rows.values()]
    assert values == sorted(values, reverse=True)
    assert rows[BASE]["score"]["value"] == 50.0
    line = next(ln for ln in scripted["output"].splitlines() if "gpt-4-0613" in ln)
    assert f"{rows['gpt-4-0613']['score']['value']:.2f}" in line


def _markdown_counts(text: str) -> list[int]:
    """utils/add_markdown_info.py: code blocks removed, then header / list / bold counts summed."""
    for block in re.compile("```([^`]*)```").findall(text):
        text = text.replace(block, "")
    h = sum(len(re.findall(rf"^#{{{k}}}\s", text, re.MULTILINE)) for k in range(1, 7))
    li = len(re.findall(r"^\s*\d+\.\s", text, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", text, re.MULTILINE))
    b = len(re.findall(r"\*\*[^*\n]+\*\*", text)) + len(re.findall(r"__[^_\n]+__", text))
    return [h, li, b]


def test_style_controlled_scores_equal_show_result(scripted: dict) -> None:
    torch = pytest.importorskip("torch")
    battles = _battles(scripted)
    answers = scripted["answers"]

    def meta(model: str, uid: str) -> list[float]:
        text = answers[model][uid]
        return [float(len(text)), *map(float, _markdown_counts(text))]  # no token_len in these files: characters

    m_t = torch.tensor([meta(r.model, r.uid) for r in battles.itertuples()], dtype=torch.float64)
    b_t = torch.tensor([meta(BASE, r.uid) for r in battles.itertuples()], dtype=torch.float64)
    final = torch.zeros_like(m_t)
    final[:, 0] = (m_t[:, 0] - b_t[:, 0]) / (m_t[:, 0] + b_t[:, 0])
    md = m_t[:, 1:] / (m_t[:, :1] + 1)
    bd = b_t[:, 1:] / (b_t[:, :1] + 1)
    final[:, 1:] = (md - bd) / (md + bd + 1)
    norm = (final - torch.mean(final, axis=0)) / torch.std(final, axis=0)
    outcomes = torch.tensor(battles.scores.astype(float).tolist(), dtype=torch.float64)
    models = sorted(set(battles.model.tolist() + [BASE]))
    onehot = torch.zeros((len(battles), len(models)), dtype=torch.float64)
    for i, m in enumerate(battles.model.tolist()):
        onehot[i, models.index(m)] = 1
        onehot[i, models.index(BASE)] = -1
    features = torch.cat([onehot, norm], dim=1)
    # judgekit's draws, rng.integers(0, N, (rounds, N)), over its battles in the same order
    idx = np.random.default_rng(0).integers(0, len(battles), size=(100, len(battles)))
    probs = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny problems: threads only contend
    for r in range(100):
        X, y = features[idx[r]], outcomes[idx[r]]
        logits = torch.nn.Parameter(torch.full((X.shape[1],), 0.5, dtype=torch.float64))
        # Arena-Hard's fit_pairwise_model uses LBFGS (lr 0.1, 50 iterations); a strong-Wolfe line search
        # reaches the same maximum-likelihood optimum in a few steps
        opt = torch.optim.LBFGS([logits], lr=1, max_iter=200, tolerance_grad=1e-11, tolerance_change=1e-14,
                                line_search_fn="strong_wolfe")

        def closure(X: torch.Tensor = X, y: torch.Tensor = y, logits: torch.nn.Parameter = logits,
                    opt: torch.optim.LBFGS = opt) -> torch.Tensor:
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ logits, y, reduction="sum")
            loss.backward()
            return loss

        opt.step(closure)
        c = logits.detach()
        ex = torch.exp(c[: len(models)])
        b = models.index(BASE)
        probs.append([float(ex[k] / (ex[k] + ex[b])) for k in range(len(models))])
    torch.set_num_threads(threads)
    table = pd.DataFrame(probs, columns=models)
    rows = scripted["doc"]["suite_report"]["tables"][0]["rows"]
    for m in SYSTEMS:
        s = rows[m]["style_controlled"]
        assert s["value"] == pytest.approx(100 * table[m].quantile(0.5), abs=1e-4)
        assert s["ci_low"] == pytest.approx(100 * table[m].quantile(0.05), abs=1e-4)
        assert s["ci_high"] == pytest.approx(100 * table[m].quantile(0.95), abs=1e-4)


def test_leaderboard_regenerates_arena_hard(scripted: dict, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["leaderboard", str(scripted["results"]), "--suite", "arena_hard", "--format",
                                   "json", "--out", str(tmp_path)])
    assert out.exit_code == 0, (out.output, out.exception)
    board = json.loads((tmp_path / "arena_hard.json").read_text())
    rows = scripted["doc"]["suite_report"]["tables"][0]["rows"]
    got = {r["model"]: r for r in board["models"]}
    for m in SYSTEMS:
        assert got[m]["win_rate"] == pytest.approx(rows[m]["score"]["value"], abs=5e-5)


def test_answer_file_errors_name_file_line_field(shared_data: Path, tmp_path: Path) -> None:
    from judgekit.adapters.arena_hard import read_answers

    f = tmp_path / "m.jsonl"
    f.write_text(json.dumps({"uid": "q1", "model": "m", "messages": [{"role": "user", "content": "x"},
                                                                      {"role": "assistant", "content": {"answer": "a"}}]})
                 + "\n" + json.dumps({"uid": "q1", "model": "m", "messages": [{"content": {"answer": "b"}}]}) + "\n")
    with pytest.raises(DataError, match=r"m.jsonl:2: field 'uid': a second answer to question q1 \(the first is on line 1\)"):
        read_answers(f, {"q1": 0})
    with pytest.raises(DataError, match=r"m.jsonl:1: field 'uid': uid 'q1' is not one of the 1 questions"):
        read_answers(f, {"other": 0})
    f.write_text(json.dumps({"uid": "q1", "messages": [{"content": {"text": "?"}}]}) + "\n")
    with pytest.raises(DataError, match=r"m.jsonl:1: field 'messages': no answer text"):
        read_answers(f, {"q1": 0})


def test_leaderboard_shows_the_style_controlled_score(scripted: dict, tmp_path: Path) -> None:
    """Markdown, CSV and HTML have Arena-Hard's score and style-controlled score with their 90 % intervals,
    the numbers of the run's metrics.json (the rankings module's, checked against show_result.py above)."""
    import csv
    import io

    out = CliRunner().invoke(cli, ["leaderboard", str(scripted["results"]), "--suite", "arena_hard", "--format",
                                   "md,csv,html", "--out", str(tmp_path)], env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    rows = scripted["doc"]["suite_report"]["tables"][0]["rows"]
    md = (tmp_path / "arena_hard.md").read_text()
    html = (tmp_path / "arena_hard.html").read_text()
    table = {r["model"]: r for r in csv.DictReader(io.StringIO((tmp_path / "arena_hard.csv").read_text()))}
    assert "Arena-Hard score [90% CI]" in md and "style-controlled [90% CI]" in md
    assert "style-controlled" in out.output  # the terminal table too
    for m in SYSTEMS:
        sc = rows[m]["style_controlled"]
        plain = rows[m]["score"]
        text = f"{sc['value']:.2f} [{sc['ci_low']:.2f}, {sc['ci_high']:.2f}]"
        line = next(line for line in md.splitlines() if line.startswith("| ") and f"| {m} |" in line)
        assert text in line and f"{plain['value']:.2f} [{plain['ci_low']:.2f}, {plain['ci_high']:.2f}]" in line
        assert f'{sc["value"]:.2f}<span class="ci">[{sc["ci_low"]:.2f}, {sc["ci_high"]:.2f}]</span>' in html
        for key, col in (("style_controlled", "style_controlled"), ("score", "arena_hard_score")):
            assert float(table[m][col]) == pytest.approx(rows[m][key]["value"], abs=5e-5)
            assert float(table[m][f"{col}_ci_low"]) == pytest.approx(rows[m][key]["ci_low"], abs=5e-5)
            assert float(table[m][f"{col}_ci_high"]) == pytest.approx(rows[m][key]["ci_high"], abs=5e-5)
        assert float(table[m]["style_controlled"]) != pytest.approx(float(table[m]["arena_hard_score"]), abs=1e-3)
