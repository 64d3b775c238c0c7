"""MT-Bench's judge templates render exactly FastChat's judge_prompts.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from judgekit.adapters import load_examples
from judgekit.prompts import load_template
from judgekit.suites import load_suite
from judgekit.types import PointExample
from tests._suite_data import MT_VOTES, write_jsonl


def test_mtbench_templates_match_fastchat(shared_data: Path, tmp_path: Path) -> None:
    """The rendered prompts equal FastChat's judge_prompts.jsonl formatted with Python, for every
    variant, in both orders."""
    prompts = {p["name"]: p for p in map(json.loads, (shared_data / "mt_bench" / "judge_prompts.jsonl").open())}
    refs = {r["question_id"]: r["choices"][0]["turns"] for r in
            map(json.loads, (shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl").open())}
    (tmp_path / "mt_bench").mkdir()
    write_jsonl(tmp_path / "mt_bench" / "human_judgments.jsonl", MT_VOTES)
    (tmp_path / "mt_bench" / "reference_answer_gpt-4.jsonl").write_text(
        (shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl").read_text())
    loaded = load_examples(load_suite("mt_bench_human"), None, tmp_path)
    t = load_template("mt_bench_pair")
    math_ex = next(e for e in loaded.examples if e.id.startswith("111/"))
    writing_ex = next(e for e in loaded.examples if e.id.startswith("81/"))
    assert math_ex.metadata["ref_answer_1"] == refs[111][0] and "ref_answer_1" not in writing_ex.metadata
    for swapped in (False, True):
        (sys_msg, user), _ = t.render(math_ex, swapped)
        a, b = ("G", "L") if swapped else ("L", "G")
        expected = prompts["pair-math-v1-multi-turn"]["prompt_template"].format(
            question_1="Q1", question_2="Q2", ref_answer_1=refs[111][0], ref_answer_2=refs[111][1],
            answer_a_1=f"{a}1", answer_a_2=f"{a}2", answer_b_1=f"{b}1", answer_b_2=f"{b}2")
        assert user.content == expected
        assert sys_msg.content == prompts["pair-math-v1-multi-turn"]["system_prompt"]
    (sys_msg, user), _ = t.render(writing_ex, False)
    assert user.content == prompts["pair-v2"]["prompt_template"].format(question="W1", answer_a="C1", answer_b="V1")
    assert sys_msg.content == prompts["pair-v2"]["system_prompt"]
    single_turn_math = math_ex.model_copy(update={"metadata": {**math_ex.metadata, "turn": 1}, "prompt": "Q1",
                                                  "response_a": "L1", "response_b": "G1"})
    (sys_msg, user), _ = t.render(single_turn_math, False)
    assert user.content == prompts["pair-math-v1"]["prompt_template"].format(
        question="Q1", ref_answer_1=refs[111][0], answer_a="L1", answer_b="G1")
    assert t.parse("so [[C]]").winner == "tie" and t.parse("[[A]] ... [[B]]").winner == "invalid"
    # MT-Bench single grading (pointwise)
    single = load_template("mt_bench_single")
    point = PointExample(id="p", prompt="Q1", response="ans", metadata={"ref_answer_1": "R"})
    (sys_msg, user), _ = single.render(point)
    assert user.content == prompts["single-math-v1"]["prompt_template"].format(question="Q1", answer="ans",
                                                                                ref_answer_1="R")
    assert single.parse("Rating: [[7.5]]").score == 7.5 and single.parse("[[11]]").winner == "invalid"
