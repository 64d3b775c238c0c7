"""The columns a run takes as it writes its rows (columns.ColumnCollector, issue 10: the end-of-run
scoring of a run judged in one go does not read judgments.jsonl back) are what read_columns reads
from the file it wrote, row for row, for every kind of row; a resumed run reads the file."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit import runner
from judgekit.columns import ColumnCollector, JudgmentColumns, read_columns
from judgekit.judging import judgment_line, make_judgment
from judgekit.prompts import load_template
from judgekit.scoring import score_run
from judgekit.store import RunStore
from judgekit.types import Example, JudgeConfig, PointExample, RetryPolicy, RunConfig

from .test_judging_fast_row import PAIR_TEMPLATES, PAIRS, POINT_TEMPLATES, POINTS, _completions, _req


def assert_same_columns(got: JudgmentColumns, want: JudgmentColumns) -> None:
    assert len(got) == len(want)
    for name in ("request_hash", "example_code", "example_names", "category_code", "order", "sample", "label",
                 "ok", "shown", "winner", "offsets", "lengths"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert got.category_table == want.category_table
    for name in ("p_a", "len_a", "len_b", "score", "gold_score"):
        a, b = got._floats[name], want._floats[name]
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
    assert got.prompt_tokens == want.prompt_tokens and got.completion_tokens == want.completion_tokens
    assert got.request_id == want.request_id and got.example_id == want.example_id
    assert [j.model_dump() for j in got.rows_at(range(len(got)))] == [
        j.model_dump() for j in want.rows_at(range(len(want)))]


@pytest.mark.parametrize("template_name", PAIR_TEMPLATES + POINT_TEMPLATES)
def test_collected_columns_are_the_files_columns(template_name: str, tmp_path: Path) -> None:
    """Every kind of row (fast rows and record rows: failed, facts, large floats), written as the
    runner writes them; a request written twice keeps its latest row in both."""
    template = load_template(template_name)
    rng = random.Random(template_name)
    store = RunStore(tmp_path)
    collector = ColumnCollector()
    store.sink = collector.add
    examples: list[Example] = [*PAIRS, *POINTS,
                               PAIRS[0].model_copy(update={"id": "facts", "metadata": {"aggregate": {"w": 1}}})]
    n = 0
    for ex, order, sample in itertools.product(examples, ("AB", "BA"), (0, 2)):
        if isinstance(ex, PointExample) and order == "BA":
            continue
        req = _req(ex, order, sample)
        for k, c in enumerate(_completions(req.request_id, rng)):
            if k % 4 == 3:  # some rows of each request under an id of their own, most superseding
                c = c.model_copy(update={"request_id": f"{req.request_id}@{k}"})
                req = req.model_copy(update={"request_id": c.request_id})
            try:
                fast = judgment_line(req, ex, c, template)
                record = make_judgment(req, ex, c, template) if fast is None else None
            except Exception:  # a row no path can make (one score for a pair, swapped)
                continue
            if fast is not None:
                store.append_line(fast[0], fast[2])
            else:
                store.append(record)  # type: ignore[arg-type]
            n += 1
    store.close()
    assert n > 100 and store.sink_complete
    want = read_columns(store.judgments_path)
    assert len(want) < n  # superseded rows were written: the latest one of each request is kept
    assert_same_columns(collector.columns(store.judgments_path), want)


def test_a_row_written_without_its_columns_marks_the_collection_incomplete(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.sink = ColumnCollector().add
    store.append_line(b'{"request_id": "x"}')
    assert not store.sink_complete


def _data(path: Path, n: int) -> Path:
    rng = random.Random(n)
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"p{i}", "prompt": f"q{i}", "a": "x" * rng.randint(0, 30),
                                "b": "y" * rng.randint(0, 30), "label": rng.choice(["A", "B", "tie"]),
                                "category": rng.choice(["c1", "c2", None])}) + "\n")
    return path


def _run(tmp_path: Path, data: Path, captured: list[Any], monkeypatch: pytest.MonkeyPatch,
         failures: dict[str, int]) -> runner.RunResult:
    real = runner.score_run

    def capture(run_dir: Path, write: bool = True, rows: JudgmentColumns | None = None) -> Any:
        captured.append(rows)
        return real(run_dir, write, rows)

    monkeypatch.setattr(runner, "score_run", capture)
    script = tmp_path / "script.json"
    texts = ["[[A>B]]", "[[B>>A]]", "[[A=B]]", "no verdict", "[[B>A]]"]
    script.write_text(json.dumps({f"p{i}#{o}": texts[(i + len(o) * (o == "BA")) % 5]
                                  for i in range(40) for o in ("AB", "BA")}))
    cfg = RunConfig(suite="generic", data=str(data), results_dir=str(tmp_path / "r"), run_id="cols",
                    use_cache=False, retry=RetryPolicy(max_retries=0),
                    judge=JudgeConfig(backend="mock", model="[[A>B]]",
                                      options={"script": str(script), "failures": failures}))
    return runner.run(cfg)


def test_a_run_scores_the_columns_it_took_and_a_resumed_run_reads_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data(tmp_path / "pairs.jsonl", 40)
    captured: list[Any] = []
    first = _run(tmp_path, data, captured, monkeypatch, {"p3#BA": 5, "p7#AB": 5})  # two requests fail
    assert first.n_failed == 2 and first.n_missing == 0
    rows = captured[-1]
    assert isinstance(rows, JudgmentColumns)  # taken as written, not read back
    assert_same_columns(rows, read_columns(first.run_dir / "judgments.jsonl"))
    from_file = score_run(first.run_dir, write=False)
    assert from_file[0] == first.metrics and from_file[1] == first.report  # what `judgekit score` gives
    # the rerun retries the two failed requests: it reads the file (rows before it), and scores alike
    second = _run(tmp_path, data, captured, monkeypatch, {})
    assert captured[-1] is None and second.n_failed == 0 and second.n_resumed == 78
    assert score_run(first.run_dir, write=False)[0] == second.metrics
