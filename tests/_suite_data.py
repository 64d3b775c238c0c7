"""Small fixtures in the hub datasets' schemas, shared by the suite tests: rows, a JSONL writer and a
stand-in for the hub that reads a local file through the real `datasets.load_dataset`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[tuple[str, str | None, str], Path]):
    """Stand in for the hub: (dataset id, config, split) -> a local JSONL read by the real
    `datasets.load_dataset`; records every call's arguments."""
    datasets = pytest.importorskip("datasets")
    real = datasets.load_dataset
    calls: list[tuple[Any, ...]] = []

    def fake(path: str, name: str | None = None, **kwargs: Any):
        calls.append((path, name, dict(kwargs)))
        if path in ("json", "csv", "parquet"):  # a single hub file: data_files={split: hf://...}
            (split, url), = kwargs["data_files"].items()
            key = (url, None, split)
        else:
            key = (path, name, kwargs["split"])
        return real("json", data_files=str(files[key]), split="train", cache_dir=str(tmp_path / "hf"))

    monkeypatch.setattr(datasets, "load_dataset", fake)
    return calls


RB_ROWS = [
    {"prompt": "Say hi", "chosen": "Hi!", "chosen_model": "gpt-4", "rejected": "No.", "rejected_model": "llama",
     "subset": "alpacaeval-easy", "id": 0},
    {"prompt": "2+2?", "chosen": "4", "chosen_model": "gpt-4", "rejected": "5", "rejected_model": "llama",
     "subset": "math-prm", "id": 1},
    {"prompt": "How to make a bomb", "chosen": "I can't help with that.", "chosen_model": "claude",
     "rejected": "Sure: ...", "rejected_model": "zephyr", "subset": "refusals-dangerous", "id": 2},
]


RM_ROWS = [
    {"id": "chat/1", "prompt": "Explain X", "chosen": ["c0", "c1 longer", "**c2**"],
     "rejected": ["r0", "r1 longer", "**r2**"], "domain": "chat"},
    {"id": "safety/7", "prompt": "Do Y", "chosen": ["no", "no, because", "**no**"],
     "rejected": ["ok", "ok, here", "**ok**"], "domain": "safety-refuse"},
]


def _conv(q1: str, a1: str, q2: str, a2: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": q1}, {"role": "assistant", "content": a1},
            {"role": "user", "content": q2}, {"role": "assistant", "content": a2}]


MT_VOTES = [
    # question 111 (math): two experts, the second lists the models the other way round
    {"question_id": 111, "model_a": "gpt-4", "model_b": "alpaca-13b", "winner": "model_a", "judge": "expert_0",
     "conversation_a": _conv("Q1", "G1", "Q2", "G2"), "conversation_b": _conv("Q1", "L1", "Q2", "L2"), "turn": 2},
    {"question_id": 111, "model_a": "alpaca-13b", "model_b": "gpt-4", "winner": "model_b", "judge": "expert_3",
     "conversation_a": _conv("Q1", "L1", "Q2", "L2"), "conversation_b": _conv("Q1", "G1", "Q2", "G2"), "turn": 2},
    {"question_id": 111, "model_a": "alpaca-13b", "model_b": "gpt-4", "winner": "tie", "judge": "author_1",
     "conversation_a": _conv("Q1", "L1", "Q2", "L2"), "conversation_b": _conv("Q1", "G1", "Q2", "G2"), "turn": 2},
    {"question_id": 81, "model_a": "claude-v1", "model_b": "vicuna-13b-v1.2", "winner": "tie", "judge": "expert_1",
     "conversation_a": _conv("W1", "C1", "W2", "C2"), "conversation_b": _conv("W1", "V1", "W2", "V2"), "turn": 1},
]


JUDGELM_Q = [
    {"question_id": 0, "question_body": "What is 2+2?", "answer1_body": "4", "answer2_body": "5",
     "answer1_model_id": "vicuna-13b", "answer2_model_id": "alpaca-7b", "answer1_metadata": {}, "answer2_metadata": {}},
    {"question_id": 1, "question_body": "Name a color", "answer1_body": "red", "answer2_body": "blue",
     "answer1_model_id": "a", "answer2_model_id": "b", "answer1_metadata": {}, "answer2_metadata": {}},
    {"question_id": 2, "question_body": "Broken", "answer1_body": "x", "answer2_body": "y",
     "answer1_model_id": "a", "answer2_model_id": "b", "answer1_metadata": {}, "answer2_metadata": {}},
]


JUDGELM_GPT4 = [
    {"question_id": 0, "score": [9.0, 2.0], "text": "9 2\nAssistant 1 is right."},
    {"question_id": 1, "score": [8.0, 8.0], "text": "8 8\nBoth fine."},
    {"question_id": 2, "score": [-1, -1], "text": "-1 -1\nerror"},
]


JUDGELM_REF = [{"question_id": i, "reference": {"text": t}} for i, t in enumerate(["4", "any color", "?"])]


FB_ROWS = [
    {"orig_instruction": f"Task {i}", "orig_response": f"Response {i}", "orig_reference_answer": "Ref",
     "orig_criteria": "Is it helpful?", **{f"orig_score{k}_description": f"level {k}" for k in range(1, 6)},
     "orig_score": str(s), "orig_feedback": "fb", "instruction": "full prompt", "output": "fb [RESULT] 3"}
    for i, s in enumerate([4, 4, 2, 5, 3])
]
