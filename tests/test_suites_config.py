"""Suite definitions and the suite options of the CLI: every suite listed with its sizes and
metrics, several suites in one command, a pointwise suite refusing a pairwise template."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit import JudgeConfig, RunConfig, run
from judgekit.cli import cli
from judgekit.errors import ConfigError
from judgekit.suites import suite_names
from tests._suite_data import FB_ROWS, write_jsonl


def test_several_suites_in_one_command(shared_data: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["run", "--suite", "llmbar:natural,evalbiasbench", "--data", str(shared_data),
                                   "--judge", "mock:Output (a)", "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    assert {p.name.split("-")[0] for p in (tmp_path / "runs").iterdir()} == {"llmbar", "evalbiasbench"}
    assert "summary" in out.output and "llmbar/natural" in out.output
    bad = CliRunner().invoke(cli, ["run", "--suite", "llmbar,evalbiasbench", "--split", "natural",
                                   "--judge", "mock:x"])
    assert bad.exit_code != 0


def test_pointwise_suite_refuses_pairwise_template(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "fb.jsonl", FB_ROWS)
    with pytest.raises(ConfigError, match="pick a pointwise template"):
        run(RunConfig(suite="feedback_bench", data=str(path), results_dir=str(tmp_path),
                      judge=JudgeConfig(backend="mock", model="x", template="arena_hard")))


def test_list_shows_every_suite_with_size_and_metrics() -> None:
    out = CliRunner().invoke(cli, ["list"], env={"COLUMNS": "300"})
    assert out.exit_code == 0
    for name in suite_names():
        assert name in out.output
    for text in ("filtered (2985)", "all (419)", "test (999)", "test (80)", "allenai/reward-bench",
                 "section scores", "alpaca_eval", "arena_hard", "prometheus2_absolute", "mt_bench_pair"):
        assert text in out.output, text
    assert len(suite_names()) >= 10
