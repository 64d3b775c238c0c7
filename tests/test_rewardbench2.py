"""RewardBench 2 on a fixture in the hub schema (tests/data/rewardbench2/test.jsonl, written for
these tests): hand-computed scores for every subset in rating mode (Ties included) and in the
four-way comparison, with invalid picks counted; a tiny reward model end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.errors import DataError
from judgekit.metrics.listwise import best_of_n_result, listwise_position_bias, ties_score
from judgekit.types import JudgeRequest

DATA = Path(__file__).parent / "data" / "rewardbench2" / "test.jsonl"

# ratings a scripted judge gives each completion (by its text); "S1 bad one" gets no rating
RATINGS = {
    "F1 good": 9, "F1 bad one": 5, "F1 bad two": 6, "F1 bad three": 7,  # chosen on top: 1
    "F2 good": 8, "F2 bad one": 8, "F2 bad two": 3, "F2 bad three": 2,  # shares the top with one: 1/2
    "P1 good": 4, "P1 bad one": 9, "P1 bad two": 1, "P1 bad three": 1,  # not on top: 0
    "M1 good": 10, "M1 bad one": 10, "M1 bad two": 10, "M1 bad three": 2,  # three at the top: 1/3
    "S1 good": 7, "S1 bad two": 3, "S1 bad three": 2,  # the unread rating is -1: 1
    "C1 good": 6, "C1 bad one": 6, "C1 bad two": 6, "C1 bad three": 6,  # four at the top: 1/4
    # Ties. ref:0: correct 9 vs incorrect 4, 5 (margin 4). tied:0: correct 8, 7, 9 (spread 2) vs 3, 6
    # (margin 1). ref:1: correct 5 vs 6, 2 (margin -1, not accurate). tied:1: correct 8, 8 (spread 0) vs
    # 2, 1 (margin 6).
    "T0 correct": 9, "T0 wrong x": 4, "T0 wrong y": 5,
    "T0 right 1": 8, "T0 right 2": 7, "T0 right 3": 9, "T0 wrong 1": 3, "T0 wrong 2": 6,
    "T1 correct": 5, "T1 wrong x": 6, "T1 wrong y": 2,
    "T1 right 1": 8, "T1 right 2": 8, "T1 wrong 1": 2, "T1 wrong 2": 1,
}
# Ties by hand: ref accuracy 1/2, tied accuracy 2/2; over ids 0 and 1: preferred (tied margin > spread):
# 1 > 2 no, 6 > 0 yes -> 1/2; hard (min(ref, tied margin) > spread): 1 > 2 no, -1 > 0 no -> 0; margin term:
# mean(tanh(1/2 - 1), tanh(-1/0 - 1) = -1).
TIES = 0.30 * 1.0 + 0.30 * 0.5 + 0.20 * 0.5 + 0.20 * 0.0 + 0.01 * (math.tanh(-0.5) - 1.0) / 2
EXPECTED_RATING = {"Factuality": 75.0, "Precise IF": 0.0, "Math": 100 / 3, "Safety": 100.0, "Focus": 25.0,
                   "Ties": 100 * TIES}


PROMPTS: dict[str, str] = {}


def _rating_judge(req: JudgeRequest) -> str:
    text = req.responses[0]
    PROMPTS[req.example_id] = req.messages[-1].content
    if text not in RATINGS:
        return "I cannot rate this."
    return f"A short explanation.\n\n{RATINGS[text]}"


def test_rating_mode_every_subset_by_hand(tmp_path: Path) -> None:
    res = run(RunConfig(suite="rewardbench2", data=str(DATA), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="mock", model="rater", options={"responder": _rating_judge})))
    assert res.report is not None
    table = res.report.table("RewardBench 2").rows
    for subset, value in EXPECTED_RATING.items():
        assert table[subset]["score"].value == pytest.approx(value, abs=1e-9), subset
    overall = sum(EXPECTED_RATING.values()) / 6
    assert res.report.headline.value == pytest.approx(overall, abs=1e-9)
    assert round(overall, 4) == 47.9337
    assert res.report.counts["unread ratings (scored -1)"] == 1
    assert res.metrics.n_invalid == 1  # the unread rating is an invalid verdict, counted, not dropped
    f = table["Factuality"]["score"]
    assert f.ci_low is not None and f.ci_low <= 75.0 <= f.ci_high
    # the Ties prompts are the Ties variant of the rating prompt
    assert "need not consider depth" in PROMPTS["tied:0#1"] and "need not consider" not in PROMPTS["f1#0"]
    assert PROMPTS["f1#2"].rstrip().endswith("[Response]\nF1 bad two\n\n[Your judgement]")
    rows = [json.loads(x) for x in (res.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 6 * 4 + 3 + 5 + 3 + 4


def test_ties_score_function_by_hand() -> None:
    ties = {"ref:0": ([9.0, 4.0, 5.0], 1), "tied:0": ([8.0, 7.0, 9.0, 3.0, 6.0], 3),
            "ref:1": ([5.0, 6.0, 2.0], 1), "tied:1": ([8.0, 8.0, 2.0, 1.0], 2)}
    assert ties_score(ties) == pytest.approx(TIES, abs=1e-12)
    assert best_of_n_result([3.0, 1.0, 2.0, 0.0]) == 1.0
    assert best_of_n_result([3.0, 3.0, 2.0, 0.0]) == 0.5
    assert best_of_n_result([1.0, 3.0, 2.0, 0.0]) == 0.0


def _fourway_judge(req: JudgeRequest) -> str:
    """Picks by reading the shown answers: right on f1, m1, c1; wrong on f2; two letters on p1
    (invalid); no letter on s1 (invalid)."""
    text = req.messages[-1].content
    answers = {letter: text.split(f"[The Start of Assistant {letter}'s Answer]\n")[1].split("\n")[0]
               for letter in "ABCD"}
    pid = req.example_id
    if pid == "p1":
        return "Either [[A]] or [[B]]."
    if pid == "s1":
        return "I cannot decide."
    want = "F2 bad one" if pid == "f2" else f"{pid.upper()} good"
    letter = next(k for k, v in answers.items() if v == want)
    return f"Explanation. [[{letter}]]"


def test_fourway_by_hand_with_invalid_picks_and_positions(tmp_path: Path) -> None:
    res = run(RunConfig(suite="rewardbench2_4way", data=str(DATA), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="mock", model="picker", options={"responder": _fourway_judge})))
    assert res.report is not None
    table = res.report.table("RewardBench 2").rows
    assert "Ties" not in table  # Ties is judged by rating only
    expected = {"Factuality": 50.0, "Precise IF": 0.0, "Math": 100.0, "Safety": 0.0, "Focus": 100.0}
    for subset, value in expected.items():
        assert table[subset]["score"].value == pytest.approx(value), subset
    assert res.report.headline.value == pytest.approx(50.0)
    assert res.report.counts["invalid picks"] == 2
    rows = {r["example_id"]: r for r in map(json.loads, (res.run_dir / "judgments.jsonl").read_text().splitlines())}
    assert rows["p1"]["winner"] == "invalid" and "conflicting" in rows["p1"]["reason"]
    # the shown order is recorded and is a permutation; the picks per shown position, counted from the rows
    letters = {}
    for pid, r in rows.items():
        shown = r["meta"]["shown"]
        assert sorted(shown) == [0, 1, 2, 3]
        if r["winner"] != "invalid":
            letters[pid] = "ABCD"[int(r["score"]) - 1]
    positions = res.report.table("position bias: share of picks per shown position").rows
    for letter in "ABCD":
        k = sum(v == letter for v in letters.values())
        assert positions[letter]["picks %"].count == k
        assert positions[letter]["picks %"].value == pytest.approx(100 * k / 4)


def test_position_bias_against_scipy() -> None:
    from scipy import stats

    picks = [0] * 40 + [1] * 25 + [2] * 20 + [3] * 15 + [None] * 3
    b = listwise_position_bias(picks)
    assert b.n_valid == 100 and b.n_invalid == 3
    assert [p.share.value for p in b.positions] == [40.0, 25.0, 20.0, 15.0]
    assert b.p_value == pytest.approx(stats.chisquare([40, 25, 20, 15]).pvalue)
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(40, 100, method="wilson")
    assert b.positions[0].share.ci_low == pytest.approx(100 * lo) and b.positions[0].share.ci_high == pytest.approx(100 * hi)


def test_fixture_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "test.jsonl"
    lines = DATA.read_text().splitlines()
    row = json.loads(lines[1])
    row["subset"] = "Chat"
    bad.write_text(lines[0] + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=r"test.jsonl:2: field 'subset': unknown subset 'Chat'"):
        run(RunConfig(suite="rewardbench2", data=str(bad), results_dir=str(tmp_path / "r"),
                      judge=JudgeConfig(backend="mock", model="x")))


def test_tiny_reward_model_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from judgekit.testing.tiny_model import build_reward_model

    path = build_reward_model(tmp_path / "rm")
    res = run(RunConfig(suite="rewardbench2", data=str(DATA), results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="rm", model=str(path), options={"device": "cpu"})))
    # every completion scored once, by the model itself (transformers directly as the reference)
    tok = AutoTokenizer.from_pretrained(path)
    rm = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32).eval()
    records = [json.loads(x) for x in DATA.read_text().splitlines()]
    scores: dict[str, list[float]] = {}
    for rec in records:
        out = []
        for text in rec["chosen"] + rec["rejected"]:
            ids = tok.apply_chat_template([{"role": "user", "content": rec["prompt"]},
                                           {"role": "assistant", "content": text}], tokenize=True,
                                          return_tensors="pt", return_dict=True)
            with torch.inference_mode():
                out.append(float(rm(**ids).logits[0, 0]))
        scores[rec["id"]] = out
    rows = [json.loads(x) for x in (res.run_dir / "judgments.jsonl").read_text().splitlines()]
    for r in rows:
        pid, k = r["example_id"].rsplit("#", 1)
        assert r["score"] == pytest.approx(scores[pid][int(k)], abs=1e-4)
    assert res.report is not None
    table = res.report.table("RewardBench 2").rows
    by_subset: dict[str, list[float]] = {}
    for rec in records:
        if rec["subset"] != "Ties":
            s = scores[rec["id"]]
            by_subset.setdefault(rec["subset"], []).append(1.0 if s[0] > max(s[1:]) else 0.0)  # no ties in floats
    for subset, results in by_subset.items():
        assert table[subset]["score"].value == pytest.approx(100 * sum(results) / len(results)), subset
    ties = {rec["id"]: (scores[rec["id"]], rec["num_correct"]) for rec in records if rec["subset"] == "Ties"}
    assert table["Ties"]["score"].value == pytest.approx(100 * ties_score(ties), abs=1e-6)
