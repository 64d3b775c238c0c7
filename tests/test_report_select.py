"""The report reads only the examples it quotes (issue 10: a million-pair run's report no longer
loads its whole data file): the generic adapter's ``select`` gives the examples ``load_examples``
gives for those ids, in one pass that converts only their rows and stops once it has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.adapters import load_examples
from judgekit.adapters.stream import select_examples
from judgekit.runner import run
from judgekit.suites import load_suite, with_args
from judgekit.types import JudgeConfig, PairExample, RunConfig
from judgekit.views.report import disagreements
from judgekit.views.report_plots import load_run


def _pairs(path: Path, n: int, *, ids: bool = True, bad_tail: bool = False) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            row = {"prompt": f"prompt {i}", "a": f"answer a{i}", "b": f"answer b {i}" * (i % 3 + 1),
                   "label": ["A", "B", "tie"][i % 3], "category": f"c{i % 2}"}
            if ids:
                row["id"] = f"q{i}"
            f.write(json.dumps(row) + "\n")
        if bad_tail:
            f.write('{"id": "late", "prompt": "p", "a": "x", "b": "y", "label": "WHAT"}\n')
    return path


@pytest.mark.parametrize("ids", [True, False])
def test_select_gives_load_examples_examples(tmp_path: Path, ids: bool) -> None:
    data = _pairs(tmp_path / "d.jsonl", 50, ids=ids)
    spec = with_args(load_suite("generic"), {})
    every = {ex.id: ex for ex in load_examples(spec, None, str(data)).examples}
    wanted = list(every)[3:50:7] + ["not-there"]
    got = select_examples(spec, None, str(data), wanted)
    assert got is not None
    assert sorted(got) == sorted(w for w in wanted if w in every)
    assert all(got[k] == every[k] for k in got)


def test_select_stops_once_it_has_them(tmp_path: Path) -> None:
    """A bad row after the wanted ones is never read (load_examples stops on it)."""
    data = _pairs(tmp_path / "d.jsonl", 20, bad_tail=True)
    spec = with_args(load_suite("generic"), {})
    got = select_examples(spec, None, str(data), ["q2", "q5"])
    assert got is not None and sorted(got) == ["q2", "q5"]
    assert isinstance(got["q5"], PairExample) and got["q5"].prompt == "prompt 5"
    with pytest.raises(Exception, match="WHAT"):
        load_examples(spec, None, str(data))


def test_report_quotes_the_sampled_examples_from_selected_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's sampled disagreements on a generic run quote the same examples as the data
    file loaded whole (the reference), through the selecting read."""
    data = _pairs(tmp_path / "d.jsonl", 60)
    run(RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "r"), run_id="g",
                  use_cache=False, judge=JudgeConfig(backend="mock", model="[[A>B]]")))
    loaded = load_run(tmp_path / "r" / "runs" / "g")
    sample = disagreements(loaded, 5, seed=0)
    assert len(sample) == 5
    ids = [ex_id for ex_id, _, _ in sample]
    every = {ex.id: ex for ex in load_examples(with_args(load_suite("generic"), {}), None, str(data)).examples}

    def no_whole_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report loaded the whole data file")

    monkeypatch.setattr("judgekit.adapters.load_examples", no_whole_load)
    quoted = loaded.examples(ids)
    assert quoted == {i: every[i] for i in ids}
