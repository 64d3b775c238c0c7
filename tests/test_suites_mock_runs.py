"""Whole suites run through a scripted judge (the mock backend): the values each suite's published
aggregation gives for a judge whose verdicts are known (always the first response, always the
gold label, a constant grade)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit import JudgeConfig, RunConfig, run
from judgekit.adapters import load_examples
from judgekit.cli import cli
from judgekit.prompts import load_template
from judgekit.registry import backends
from judgekit.suites import load_suite
from judgekit.types import PointExample
from tests._suite_data import FB_ROWS, MT_VOTES, RB_ROWS, fake_hub, write_jsonl


@pytest.fixture
def temporary_backends(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Backends registered inside a test are gone after it (a copy of the registry's table)."""
    monkeypatch.setattr(backends, "_entries", dict(backends._entries))
    yield


def test_evalbiasbench_mock_first_response(shared_data: Path, tmp_path: Path) -> None:
    """A judge that always answers the first response: right in the original order (the better
    response is always response1), wrong when swapped: 0 pair accuracy, 0 agreement, 50 accuracy."""
    res = run(RunConfig(suite="evalbiasbench", data=str(shared_data), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="mock", model="Output (a)")))
    assert res.report is not None
    t = res.report.table("bias types").rows
    for name, row in t.items():
        assert row["pair accuracy"].value == 0.0, name
        assert row["agreement"].value == 0.0, name
        assert row["accuracy"].value == 50.0, name
    assert res.report.headline.value == 0.0 and res.report.headline.n == 80
    assert res.metrics.position_preference.value == 100.0  # type: ignore[union-attr]
    doc = json.loads((res.run_dir / "metrics.json").read_text())
    assert doc["suite_report"]["headline"]["value"] == 0.0


def test_llmbar_mock_first_response(shared_data: Path, tmp_path: Path) -> None:
    """Always "first": for every pair exactly one order is right, whatever the label, so every
    subset's two-order accuracy is 50, positional agreement 0 and both-correct 0."""
    res = run(RunConfig(suite="llmbar", data=str(shared_data), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="mock", model="Output (a)")))
    assert res.report is not None
    t = res.report.table("subsets").rows
    assert list(t) == ["Natural", "Neighbor", "GPTInst", "GPTOut", "Manual", "Adversarial", "overall"]
    for name, row in t.items():
        assert row["accuracy"].value == 50.0, name
        assert row["agreement"].value == 0.0, name
        assert row["both correct"].value == 0.0, name
    assert t["Neighbor"]["accuracy"].n == 268


def test_llmbar_real_verdicts_by_label(shared_data: Path, tmp_path: Path, temporary_backends: None) -> None:
    """A judge that answers by the gold label of the shown order is right everywhere; one that
    answers the opposite is wrong everywhere and still perfectly order-consistent."""
    loaded = load_examples(load_suite("llmbar"), "natural", shared_data)
    gold = {e.id: e.label for e in loaded.examples}

    def oracle(req):  # the shown frame flips the label for BA
        g = gold[req.example_id]
        first_is_better = (g == "A") == (req.order == "AB")
        return "Output (a)" if first_is_better else "Output (b)"

    from judgekit.backends.mock import MockBackend

    backends.register("oracle")(lambda model, **kw: MockBackend(model, responder=oracle))
    res = run(RunConfig(suite="llmbar", split="natural", data=str(shared_data), results_dir=str(tmp_path),
                        judge=JudgeConfig(backend="oracle", model="x")))
    row = res.report.table("subsets").rows["Natural"]  # type: ignore[union-attr]
    assert (row["accuracy"].value, row["agreement"].value, row["both correct"].value) == (100.0, 100.0, 100.0)


def test_rewardbench_run_reports_sections(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "rewardbench" / "filtered.jsonl", RB_ROWS)
    res = run(RunConfig(suite="rewardbench", data=str(tmp_path), results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="mock", model="[[A>B]]")))
    assert path.is_file() and res.report is not None
    sections = res.report.table("sections").rows
    # always "first": each pair is right in one order and wrong in the other -> 0.5 everywhere
    assert {k: v["score"].value for k, v in sections.items()} == {"Chat": 50.0, "Safety": 50.0,
                                                                 "Reasoning": 50.0, "overall": 50.0}


def test_mtbench_human_run_agreement(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "mt_bench" / "human_judgments.jsonl", MT_VOTES)
    res = run(RunConfig(suite="mt_bench_human", data=str(tmp_path), results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="mock", model="[[B]]")))
    t = res.report.table("agreement").rows  # type: ignore[union-attr]
    # always the second shown: inconsistent across orders -> tie for both pairs.
    # with ties: turn 2: tie vs B, B -> 0/2; turn 1: tie vs tie -> 1/1. Without ties: nothing left.
    assert (t["turn 2"]["with ties"].count, t["turn 2"]["with ties"].n) == (0, 2)
    assert (t["turn 1"]["with ties"].count, t["turn 1"]["with ties"].n) == (1, 1)
    assert t["overall"]["without ties"].n == 0 and t["overall"]["without ties"].value is None


def test_feedback_bench_pointwise_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "fb.jsonl", FB_ROWS)
    fake_hub(monkeypatch, tmp_path, {("prometheus-eval/Feedback-Bench", None, "train"): path})
    loaded = load_examples(load_suite("feedback_bench"))
    ex = loaded.examples[0]
    assert isinstance(ex, PointExample) and ex.score == 4.0
    assert ex.rubric == "[Is it helpful?]\nScore 1: level 1\nScore 2: level 2\nScore 3: level 3\nScore 4: level 4\nScore 5: level 5"
    (sys_msg, user), _ = load_template("prometheus2_absolute").render(ex)
    assert "###Reference Answer (Score 5):\nRef\n\n###Score Rubrics:\n[Is it helpful?]" in user.content
    assert user.content.endswith("###Feedback: ") and "absolute standards" in sys_msg.content
    res = run(RunConfig(suite="feedback_bench", results_dir=str(tmp_path / "r"),
                        judge=JudgeConfig(backend="mock", model="Good. [RESULT] 4")))
    m = res.metrics
    assert m.exact.value == pytest.approx(40.0)  # type: ignore[union-attr]
    assert m.within_one.value == pytest.approx(80.0)  # type: ignore[union-attr]
    assert m.n_invalid == 0 and res.n_requests == 5
    assert res.report is not None and res.report.headline.value is None  # constant grades: no correlation
    out = CliRunner().invoke(cli, ["score", str(res.run_dir)])
    assert out.exit_code == 0 and "exact agreement" in out.output
    # replaying the run's own judgments reads the grades again
    again = run(RunConfig(suite="feedback_bench", results_dir=str(tmp_path / "r2"),
                          judge=JudgeConfig(backend="replay", model=str(res.run_dir))))
    assert again.metrics == m


def test_generic_csv_with_field_mapping(tmp_path: Path) -> None:
    csv = tmp_path / "prefs.csv"
    csv.write_text("instruction,output_1,output_2,preference\nq1,a,b,1\nq2,c,d,2\nq3,e,f,0\n")
    out = CliRunner().invoke(cli, ["run", "--suite", "generic", "--data", str(csv), "--judge", "mock:[[A>B]]",
                                   "--field", "prompt=instruction", "--field", "a=output_1", "--field",
                                   "b=output_2", "--field", "label=preference", "--label", "1=A", "--label", "2=B",
                                   "--label", "0=tie", "--results-dir", str(tmp_path / "r"), "-q"])
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "r" / "runs").iterdir()
    doc = json.loads((run_dir / "metrics.json").read_text())
    assert doc["n_examples"] == 3
    first = doc["suite_report"]["tables"][0]["rows"]["first order"]
    assert first["accuracy"]["value"] == pytest.approx(100 / 3)
    # without --label, 1 / 2 / 0 are understood as A / B / tie: the same run
    again = CliRunner().invoke(cli, ["run", "--suite", "generic", "--data", str(csv), "--judge", "mock:[[A>B]]",
                                     "--field", "prompt=instruction", "--field", "a=output_1", "--field",
                                     "b=output_2", "--field", "label=preference", "--results-dir",
                                     str(tmp_path / "r2"), "-q"])
    assert again.exit_code == 0, again.output
    (run_dir2,) = (tmp_path / "r2" / "runs").iterdir()
    assert json.loads((run_dir2 / "metrics.json").read_text())["suite_report"] == doc["suite_report"]


def test_generic_pointwise_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"q": ["x", "y", "z"], "answer": ["r1", "r2", "r3"], "grade": [5, 3, 1]})
    pq.write_table(table, tmp_path / "grades.parquet")
    res = run(RunConfig(suite="generic", data=str(tmp_path / "grades.parquet"), results_dir=str(tmp_path / "r"),
                        suite_args={"kind": "pointwise", "fields": {"prompt": "q", "response": "answer",
                                                                    "score": "grade"}},
                        judge=JudgeConfig(backend="mock", model="[RESULT] 3")))
    assert res.metrics.exact.value == pytest.approx(100 / 3)  # type: ignore[union-attr]
    assert json.loads((res.run_dir / "manifest.json").read_text())["template"]["name"] == "prometheus2_absolute"
