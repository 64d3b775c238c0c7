"""Typed facts between adapters and aggregations (judgekit/facts.py).

tests/data/runs_facts_v0 holds four runs stored by judgekit 04632f9, before the facts were typed
(mock judges on the synthetic RM-Bench and MT-Bench rows of tests/test_suites.py and on the
RewardBench 2 fixture): their judgments carry the untyped ``meta`` dicts of that version. They must
still load and rescore to byte-identical metrics.json.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from judgekit.errors import DataError
from judgekit.facts import (
    MTBenchFacts,
    RewardBench2Facts,
    RMBenchFacts,
    SystemFacts,
    facts_of,
    optional_facts,
)
from judgekit.scoring import score_run
from judgekit.store import read_judgments

RUNS = Path(__file__).parent / "data" / "runs_facts_v0"


@pytest.mark.parametrize("run", sorted(p.name for p in RUNS.iterdir()))
def test_runs_stored_before_the_typed_facts_rescore_identically(run: str, tmp_path: Path) -> None:
    shutil.copytree(RUNS / run, tmp_path / run)
    before = (RUNS / run / "metrics.json").read_bytes()
    score_run(tmp_path / run)  # rewrites metrics.json
    assert (tmp_path / run / "metrics.json").read_bytes() == before


def test_stored_meta_reads_as_facts_and_writes_back_the_same_dict() -> None:
    rows = list(read_judgments(RUNS / "rmbench-test-A-552c62ae" / "judgments.jsonl").values())
    for j in rows:
        f = facts_of(j, RMBenchFacts)
        assert f.stored() == j.meta  # same keys, same order, same values
        assert list(f.stored()) == ["domain", "chosen_style", "rejected_style"]
    four = list(read_judgments(RUNS / "rewardbench2_4way-test-B-bddfabc9" / "judgments.jsonl").values())
    f4 = facts_of(four[0], RewardBench2Facts)
    assert f4.mode == "fourway" and f4.shown is not None and sorted(f4.shown) == [0, 1, 2, 3] and f4.index is None
    assert f4.stored() == four[0].meta
    mt = list(read_judgments(RUNS / "mt_bench_human-human-B-f4e64190" / "judgments.jsonl").values())
    votes = {j.example_id: facts_of(j, MTBenchFacts) for j in mt}
    assert all(v.turn in (1, 2) and v.human_votes for v in votes.values())
    # what an adapter writes: only the fields it set
    assert MTBenchFacts(human_votes=["A"]).stored() == {"human_votes": ["A"]}
    assert SystemFacts(system="m", instruction=3, uid="u").stored() == {"system": "m", "instruction": 3, "uid": "u"}


def test_facts_that_do_not_fit_name_the_judgment_and_field() -> None:
    row = next(iter(read_judgments(RUNS / "rmbench-test-A-552c62ae" / "judgments.jsonl").values()))
    bad = row.model_copy(update={"meta": {"domain": "chat", "chosen_style": "two", "rejected_style": 1}})
    with pytest.raises(DataError, match=rf"judgment {row.request_id} .*meta\.chosen_style"):
        facts_of(bad, RMBenchFacts)
    with pytest.raises(DataError, match=r"meta\.system: Field required"):
        facts_of(row, SystemFacts)
    assert optional_facts(row.model_copy(update={"meta": None}), MTBenchFacts) is None
