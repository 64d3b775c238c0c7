"""The adapters on the real data in ../shared/data: sizes, labels, categories and provenance."""

from __future__ import annotations

import json
from pathlib import Path

from judgekit.adapters import load_examples
from judgekit.suites import load_suite
from judgekit.types import PairExample


def test_llmbar_real_subsets(shared_data: Path) -> None:
    loaded = load_examples(load_suite("llmbar"), None, shared_data)
    counts = {c: sum(e.category == c for e in loaded.examples) for c in
              ("Natural", "Neighbor", "GPTInst", "GPTOut", "Manual")}
    assert counts == {"Natural": 100, "Neighbor": 134, "GPTInst": 92, "GPTOut": 47, "Manual": 46}
    assert {e.label for e in loaded.examples} == {"A", "B"}
    assert set(loaded.provenance["parts"]) == set(counts)
    assert len(load_examples(load_suite("llmbar"), "adversarial", shared_data / "llmbar").examples) == 319


def test_evalbiasbench_real(shared_data: Path) -> None:
    loaded = load_examples(load_suite("evalbiasbench"), None, shared_data)
    assert len(loaded.examples) == 80
    assert {e.label for e in loaded.examples} == {"A"}  # the better response is always response1
    assert sum(e.category == "length bias" for e in loaded.examples) == 17
    assert len({e.category for e in loaded.examples}) == 6


def test_pandalm_real_majority(shared_data: Path) -> None:
    loaded = load_examples(load_suite("pandalm"), None, shared_data)
    assert len(loaded.examples) == 999
    labels = [e.label for e in loaded.examples if isinstance(e, PairExample)]
    assert (labels.count("B"), labels.count("A"), labels.count("tie")) == (472, 422, 105)
    assert loaded.provenance["no_majority"] == 0
    raw = json.loads((shared_data / "pandalm" / "testset-v1.json").read_text())
    for ex, item in zip(loaded.examples, raw, strict=True):
        votes = [item[f"annotator{k}"] for k in (1, 2, 3)]
        top = max(set(votes), key=votes.count)
        assert ex.label == {0: "tie", 1: "A", 2: "B"}[top]
        assert ex.metadata["aggregate"]["annotators"] == [{0: "tie", 1: "A", 2: "B"}[v] for v in votes]
    # six responses are JSON booleans in the published file; they become text
    assert loaded.examples[157].response_a == "True"  # type: ignore[union-attr]


def test_mtbench_processed_200(shared_data: Path) -> None:
    loaded = load_examples(load_suite("mt_bench_human"), "llmbar_processed", shared_data)
    assert len(loaded.examples) == 200
    assert all(e.label in ("A", "B") for e in loaded.examples)  # ties removed
