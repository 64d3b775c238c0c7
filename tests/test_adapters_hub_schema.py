"""The adapters on small fixtures written in the hub datasets' schemas, read through the real
`datasets.load_dataset` (tests/_suite_data.fake_hub), and their input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.adapters import load_examples
from judgekit.errors import ConfigError, DataError
from judgekit.prompts import load_template
from judgekit.suites import load_suite
from judgekit.types import PairExample
from tests._suite_data import (
    JUDGELM_GPT4,
    JUDGELM_Q,
    JUDGELM_REF,
    MT_VOTES,
    RB_ROWS,
    RM_ROWS,
    fake_hub,
    write_jsonl,
)


def test_rewardbench_hub_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "rb.jsonl", RB_ROWS)
    calls = fake_hub(monkeypatch, tmp_path, {("allenai/reward-bench", None, "filtered"): path})
    loaded = load_examples(load_suite("rewardbench"))
    assert calls == [("allenai/reward-bench", None, {"split": "filtered", "revision": "main"})]
    assert [e.category for e in loaded.examples] == ["alpacaeval-easy", "math-prm", "refusals-dangerous"]
    ex = loaded.examples[0]
    assert isinstance(ex, PairExample) and (ex.response_a, ex.response_b, ex.label) == ("Hi!", "No.", "A")
    assert loaded.provenance["source"] == "hub"


def test_rmbench_hub_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "rm.jsonl", RM_ROWS)
    fake_hub(monkeypatch, tmp_path, {("THU-KEG/RM-Bench", None, "train"): path})
    loaded = load_examples(load_suite("rmbench"))
    assert len(loaded.examples) == 18
    ex = next(e for e in loaded.examples if e.id == "chat/1:c0r2")
    assert isinstance(ex, PairExample) and (ex.response_a, ex.response_b) == ("c0", "**r2**")
    assert ex.metadata["aggregate"] == {"domain": "chat", "chosen_style": 0, "rejected_style": 2}
    assert {e.category for e in loaded.examples} == {"chat", "safety"}
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**RM_ROWS[0], "chosen": ["only one"]}])
    with pytest.raises(DataError, match="three chosen"):
        load_examples(load_suite("rmbench"), None, bad)


def test_mtbench_human_hub_schema(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "votes.jsonl", MT_VOTES)
    calls = fake_hub(monkeypatch, tmp_path, {("lmsys/mt_bench_human_judgments", None, "human"): path})
    loaded = load_examples(load_suite("mt_bench_human"))
    assert calls[0][:2] == ("lmsys/mt_bench_human_judgments", None)
    assert loaded.provenance["parts"]["references"] == {"source": "missing (optional)"}
    by_id = {e.id: e for e in loaded.examples}
    ex = by_id["111/alpaca-13b/gpt-4/turn2"]
    assert isinstance(ex, PairExample)
    assert (ex.response_a, ex.response_b, ex.prompt) == ("L2", "G2", "Q2")
    # both expert votes favour gpt-4 (response B); the author's vote is not an expert's
    assert ex.metadata["aggregate"] == {"turn": 2, "human_votes": ["B", "B"]} and ex.label == "B"
    assert ex.category == "math" and by_id["81/claude-v1/vicuna-13b-v1.2/turn1"].category == "writing"
    assert loaded.provenance["votes_other_judges"] == 1


def test_judgelm_files_and_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = "hf://datasets/BAAI/JudgeLM-data-collection-v1.0@main/"
    files = {(hub + "judgelm_val_5k.jsonl", None, "train"): write_jsonl(tmp_path / "q.jsonl", JUDGELM_Q),
             (hub + "judgelm_val_5k_gpt4.jsonl", None, "train"): write_jsonl(tmp_path / "g.jsonl", JUDGELM_GPT4)}
    fake_hub(monkeypatch, tmp_path, files)
    loaded = load_examples(load_suite("judgelm"))
    assert [(e.id, e.label) for e in loaded.examples] == [("0", "A"), ("1", "tie")]
    assert loaded.provenance["dropped_gpt4_failed"] == 1
    local = tmp_path / "local" / "judgelm"
    write_jsonl(local / "judgelm_val_5k.jsonl", JUDGELM_Q)
    write_jsonl(local / "judgelm_val_5k_gpt4_with_reference.jsonl", JUDGELM_GPT4)
    write_jsonl(local / "judgelm_val_5k_references.jsonl", JUDGELM_REF)
    res = run(RunConfig(suite="judgelm", split="val_ref", data=str(tmp_path / "local"),
                        results_dir=str(tmp_path / "r"), judge=JudgeConfig(backend="mock", model="7 3\nok")))
    assert res.run_dir.is_dir()
    manifest = json.loads((res.run_dir / "manifest.json").read_text())
    assert manifest["template"]["name"] == "judgelm_ref"
    rows = [json.loads(x) for x in (res.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    t = res.report.table("agreement with gold").rows["first order"]  # type: ignore[union-attr]
    assert t["accuracy"].value == 50.0  # "7 3" says A: right for pair 0, wrong for the tie
    consistency = res.report.table("order").rows["both orders"]["consistency"]  # type: ignore[union-attr]
    assert consistency.value == 0.0  # always the first shown
    t_ref = load_template("judgelm_ref")
    assert "[Reference Answer]\n4\n" in t_ref.render(load_examples(load_suite("judgelm"), "val_ref",
                                                                    tmp_path / "local").examples[0], False)[1]  # type: ignore[operator]


def test_generic_unknown_field_and_label(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "p", "a": "x", "b": "y", "label": "left"}])
    with pytest.raises(DataError, match="map it with --label"):
        run(RunConfig(suite="generic", data=str(path), results_dir=str(tmp_path / "r"),
                      judge=JudgeConfig(backend="mock", model="x")))
    with pytest.raises(ConfigError, match="unknown for a pairwise"):
        run(RunConfig(suite="generic", data=str(path), results_dir=str(tmp_path / "r"),
                      suite_args={"fields": {"question": "prompt"}}, judge=JudgeConfig(backend="mock", model="x")))
