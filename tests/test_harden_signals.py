"""Issue 10 item 5: run timing survives SIGKILL; SIGTERM stops a run like Ctrl-C (message, clean
stop, resumable)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from judgekit.testing.fake_openai import FakeOpenAIServer
from tests.conftest import judgebench_file
from tests.test_openai_e2e import Script


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _start(data: Path, base_url: str, results: Path, run_id: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--split", "gpt", "--data", str(data),
           "--judge", "openai:scripted", "--base-url", base_url, "--results-dir", str(results),
           "--run-id", run_id, "--no-cache", "--concurrency", "4", "-q"]
    return subprocess.Popen(cmd, env={**os.environ, "OPENAI_API_KEY": "x"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.time() + 60
    while len(_lines(path)) < n and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)


def test_timing_is_recorded_while_running_and_survives_sigkill(shared_data: Path, tmp_path: Path) -> None:
    data = judgebench_file(shared_data, "gpt")
    script = Script([json.loads(line) for line in data.read_text().splitlines()])
    results = tmp_path / "results"
    with FakeOpenAIServer(responder=script.respond, delay=0.01) as server:
        proc = _start(data, server.base_url, results, "timed")
        jpath = results / "runs" / "timed" / "judgments.jsonl"
        _wait_for(jpath, 150, proc)
        first_rows = time.monotonic()
        start_rows = len(_lines(jpath))
        time.sleep(1.0)  # timing is written at least every 0.5 s while judging
        proc.send_signal(signal.SIGKILL)
        rate = (len(_lines(jpath)) - start_rows) / (time.monotonic() - first_rows)  # rows per second
        proc.wait()
        sent = server.requests
    done = len(_lines(jpath))
    assert 150 <= done < 700
    timing = json.loads((results / "runs" / "timed" / "manifest.json").read_text())["timing"]
    # what was recorded: at most what the server saw, and no more than about 0.5 s of work behind
    # the rows (bounded by the measured rate, with one more interval of slack for the write itself)
    behind = max(100.0, rate * 1.0)
    assert done - 4 * 1 - behind <= timing["requests_sent"] <= sent, (timing, done, sent, rate)
    assert timing["judge_wall_s"] > 0.5


def test_sigterm_stops_like_ctrl_c_and_the_run_resumes(shared_data: Path, tmp_path: Path) -> None:
    data = judgebench_file(shared_data, "gpt")
    script = Script([json.loads(line) for line in data.read_text().splitlines()])
    results = tmp_path / "results"
    with FakeOpenAIServer(responder=script.respond, delay=0.01) as server:
        proc = _start(data, server.base_url, results, "termed")
        jpath = results / "runs" / "termed" / "judgments.jsonl"
        _wait_for(jpath, 100, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        assert "Terminated" in err and "rerun the same command to resume" in err
        assert "Traceback" not in err and "Unclosed" not in err
        rows = [json.loads(line) for line in _lines(jpath)]  # every line whole
        assert 100 <= len(rows) < 700 and len({r["request_id"] for r in rows}) == len(rows)
        timing = json.loads((results / "runs" / "termed" / "manifest.json").read_text())["timing"]
        assert timing["requests_sent"] >= len(rows) - 4  # written on the clean stop
        resumed = _start(data, server.base_url, results, "termed")
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err
        assert f"resumed {len(rows)}" in out.replace("\n", " ")
    assert len(_lines(jpath)) == 700
    final = json.loads((results / "runs" / "termed" / "manifest.json").read_text())["timing"]
    assert final["requests_sent"] >= 700 - 4
