"""Issue 10 items 3, 4 and 8 on the leaderboard: incomplete and failed runs are refused or flagged
like mismatched ones; a corrupt run does not stop a leaderboard under --skip-mismatched; a torn
multi-byte last line is handled; judge names are escaped in the Markdown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.manifest import ManifestMismatchError
from judgekit.runner import run
from judgekit.types import JudgeConfig, RunConfig
from tests.conftest import output_files


@pytest.fixture(scope="module")
def three_runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three JudgeBench gpt-split judges replayed from their recorded outputs."""
    results = tmp_path_factory.mktemp("lb3")
    files = [p for p in output_files(shared_data) if "claude-3-5-sonnet" not in p.name][:3]
    for path in files:
        run(RunConfig(suite="judgebench", split="gpt", data=str(shared_data), results_dir=str(results),
                      judge=JudgeConfig(backend="replay", model=str(path)), use_cache=False))
    return results


def _copy(src: Path, tmp_path: Path) -> tuple[Path, list[Path]]:
    dst = tmp_path / "results"
    shutil.copytree(src, dst)
    return dst, sorted((dst / "runs").iterdir())


def _board(results: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, ["leaderboard", str(results), "--suite", "judgebench", "--format", "md,json",
                                    "--out", str(out), *extra])


def _truncate(run_dir: Path, keep: int) -> None:
    path = run_dir / "judgments.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:keep]))


def test_incomplete_and_failed_runs_are_refused_skipped_or_flagged(three_runs: Path, tmp_path: Path) -> None:
    results, (killed, flaky, whole) = _copy(three_runs, tmp_path)
    _truncate(killed, 200)  # killed at 200 of 700 rows
    path = flaky / "judgments.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for r in rows[::5]:  # 20% of the requests failed
        r.update(status="error", winner="invalid", shown_winner="invalid", error="HTTP 500")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    res = _board(results, tmp_path / "refuse")
    assert isinstance(res.exception, ManifestMismatchError), res.output
    message = str(res.exception)
    assert f"{killed.name}: incomplete: 200 of 700 requests judged" in message
    assert f"{flaky.name}: 140 of 700 requests failed" in message
    assert whole.name not in message

    res = _board(results, tmp_path / "skip", "--skip-mismatched")
    assert res.exit_code == 0, res.output
    board = json.loads((tmp_path / "skip" / "judgebench.json").read_text())
    assert [r["run_id"] for r in board["judges"]] == [whole.name]
    assert {e["run_id"] for e in board["excluded"]} == {killed.name, flaky.name}

    res = _board(results, tmp_path / "include", "--include-mismatched")
    assert res.exit_code == 0, res.output
    board = json.loads((tmp_path / "include" / "judgebench.json").read_text())
    flagged = {r["run_id"]: r["mismatch"] for r in board["judges"] if r["mismatch"]}
    assert set(flagged) == {killed.name, flaky.name}
    assert "(!)" in (tmp_path / "include" / "judgebench.md").read_text()


def test_a_corrupt_run_does_not_stop_the_leaderboard_under_skip(three_runs: Path, tmp_path: Path) -> None:
    results, (corrupt, torn, whole) = _copy(three_runs, tmp_path)
    path = corrupt / "judgments.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:10]) + b'{"request_id": "\xff broken\n' + b"".join(lines[10:]))
    tpath = torn / "judgments.jsonl"
    blob = tpath.read_bytes()
    tpath.write_bytes(blob + '{"request_id": "x", "raw": "判'.encode()[:-1])  # torn inside a character

    res = _board(results, tmp_path / "skip", "--skip-mismatched")
    assert res.exit_code == 0, (res.output, res.exception)
    board = json.loads((tmp_path / "skip" / "judgebench.json").read_text())
    assert {r["run_id"] for r in board["judges"]} == {torn.name, whole.name}  # the torn line is dropped
    (excluded,) = board["excluded"]
    assert excluded["run_id"] == corrupt.name
    assert "judgments.jsonl:11" in excluded["reasons"][0] and "--repair" in excluded["reasons"][0]

    res = _board(results, tmp_path / "include", "--include-mismatched")  # unreadable: left out even here
    assert res.exit_code == 0, (res.output, res.exception)
    board = json.loads((tmp_path / "include" / "judgebench.json").read_text())
    assert corrupt.name in {e["run_id"] for e in board["excluded"]}

    res = _board(results, tmp_path / "refuse")
    assert isinstance(res.exception, ManifestMismatchError) and corrupt.name in str(res.exception)


def test_judge_names_are_escaped_in_markdown(three_runs: Path, tmp_path: Path) -> None:
    results, runs = _copy(three_runs, tmp_path)
    for run_dir in runs:
        path = run_dir / "manifest.json"
        manifest = json.loads(path.read_text())
        if run_dir == runs[0]:
            manifest["judge"]["display_name"] = "<script>alert(1)</script> & [x](javascript:y) | z"
        path.write_text(json.dumps(manifest))
    res = _board(results, tmp_path / "lb")
    assert res.exit_code == 0, (res.output, res.exception)
    md = (tmp_path / "lb" / "judgebench.md").read_text()
    assert "<script>" not in md and "</script>" not in md and "[x](javascript:" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [x]\\(javascript:y) \\| z" in md
