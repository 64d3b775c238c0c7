"""A killed run loses no finished judgment, and rerunning it sends only what is missing or failed."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from judgekit import JudgeConfig, RunConfig, run
from judgekit.testing.fake_openai import FakeOpenAIServer
from tests.conftest import judgebench_file
from tests.test_openai_e2e import Script


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigkill_then_resume(shared_data: Path, tmp_path: Path) -> None:
    data = judgebench_file(shared_data, "gpt")
    pairs = [json.loads(line) for line in data.read_text().splitlines()]
    script = Script(pairs)
    results = tmp_path / "results"
    with FakeOpenAIServer(responder=script.respond, delay=0.01) as server:
        cmd = [sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--split", "gpt",
               "--data", str(data), "--judge", "openai:scripted", "--base-url", server.base_url,
               "--results-dir", str(results), "--run-id", "killed", "--no-cache", "--concurrency", "4",
               "-q"]
        env = {**os.environ, "OPENAI_API_KEY": "x"}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        jpath = results / "runs" / "killed" / "judgments.jsonl"
        deadline = time.time() + 60
        while len(_lines(jpath)) < 150 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        done_before = len(_lines(jpath))
        assert 150 <= done_before < 700, done_before
        # simulate a write torn by the kill: half a JSON line at the end
        with open(jpath, "a") as f:
            f.write('{"request_id": "torn-li')
        sent_before = server.requests

        resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert f"resumed {done_before}" in resumed.stdout.replace("\n", " ")
        # only the missing requests went out again (in-flight ones at the kill may be resent)
        resent = server.requests - sent_before
        assert 700 - done_before <= resent <= 700 - done_before + 4

        rows = [json.loads(line) for line in _lines(jpath)]
        assert len(rows) == 700
        assert len({r["request_id"] for r in rows}) == 700

        uninterrupted = run(RunConfig(
            suite="judgebench", split="gpt", data=str(data), results_dir=str(tmp_path / "clean"),
            use_cache=False, judge=JudgeConfig(backend="openai", model="scripted",
                                               options={"base_url": server.base_url})))
    resumed_metrics = json.loads((results / "runs" / "killed" / "metrics.json").read_text())
    clean_metrics = json.loads((uninterrupted.run_dir / "metrics.json").read_text())
    for key in ("accuracy", "swap_consistency", "position_preference", "invalid_rate", "cohen_kappa",
                "n_invalid", "n_failed", "n_judgments"):
        assert resumed_metrics[key] == clean_metrics[key], key


def test_failed_requests_are_retried_on_the_next_run(shared_data: Path, tmp_path: Path) -> None:
    data = judgebench_file(shared_data, "claude")
    pairs = [json.loads(line) for line in data.read_text().splitlines()][:30]
    script = Script(pairs)
    broken = {p["pair_id"] for p in pairs[:5]}

    def fault(n: int, body: dict):
        pair, _ = script.locate(body)
        return (400, {}) if pair["pair_id"] in broken else None  # permanent: not retried in-run

    config = RunConfig(suite="judgebench", split="claude", data=str(data), limit=30, results_dir=str(tmp_path),
                       use_cache=False, run_id="flaky",
                       judge=JudgeConfig(backend="openai", model="scripted", options={"base_url": ""}))
    with FakeOpenAIServer(responder=script.respond, fault=fault) as server:
        first = run(config.model_copy(update={"judge": config.judge.model_copy(
            update={"options": {"base_url": server.base_url}})}))
        assert server.requests == 60
    assert first.metrics.n_failed == 10
    rows = [json.loads(line) for line in (first.run_dir / "judgments.jsonl").read_text().splitlines()]
    failed = [r for r in rows if r["status"] == "error"]
    assert len(failed) == 10 and all("HTTP 400" in r["error"] for r in failed)
    metrics = json.loads((first.run_dir / "metrics.json").read_text())
    assert metrics["complete"] is False

    with FakeOpenAIServer(responder=script.respond, port=server.port) as healthy:
        second = run(config.model_copy(update={"judge": config.judge.model_copy(
            update={"options": {"base_url": healthy.base_url}})}))
        assert healthy.requests == 10  # only the failed ones
    assert second.n_resumed == 50 and second.metrics.n_failed == 0
    rows = [json.loads(line) for line in (second.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 60 and all(r["status"] == "ok" for r in rows)


def test_ctrl_c_keeps_finished_judgments(shared_data: Path, tmp_path: Path) -> None:
    data = judgebench_file(shared_data, "gpt")
    pairs = [json.loads(line) for line in data.read_text().splitlines()]
    script = Script(pairs)
    results = tmp_path / "results"
    answered = itertools.count(1)
    gate = threading.Event()

    def respond(body: dict) -> str:
        # after 150 answers the server holds every answer until the test has sent its signal, so the run
        # cannot finish before it, however loaded the machine is
        if next(answered) > 150:
            gate.wait(timeout=180)
        return script.respond(body)

    with FakeOpenAIServer(responder=respond, delay=0.01) as server:
        cmd = [sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--data", str(data),
               "--judge", "openai:scripted", "--base-url", server.base_url, "--results-dir", str(results),
               "--run-id", "interrupted", "--no-cache", "--concurrency", "4", "-q"]
        # SIGINT as a terminal gives it: a test run started in the background by a non-interactive shell
        # (`nohup ... &`) passes on SIGINT ignored, and Python keeps an ignored SIGINT ignored, so the run
        # would never see the signal (seen: it finished all 700 and exited 0)
        proc = subprocess.Popen(cmd, env={**os.environ, "OPENAI_API_KEY": "x"}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        jpath = results / "runs" / "interrupted" / "judgments.jsonl"
        deadline = time.time() + 120
        while len(_lines(jpath)) < 100 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        seen, exited = len(_lines(jpath)), proc.poll()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        gate.set()
        _, err = proc.communicate(timeout=60)
    assert exited is None and seen >= 100, (seen, exited, err)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err
    assert "Unclosed" not in err and "Traceback" not in err
    rows = [json.loads(line) for line in _lines(jpath)]  # every line is whole
    assert 100 <= len(rows) < 700
    assert len({r["request_id"] for r in rows}) == len(rows)


def _run_cmd(data: Path, base_url: str, results: Path, run_id: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--split", "gpt", "--data", str(data),
            "--judge", "openai:scripted", "--base-url", base_url, "--results-dir", str(results),
            "--run-id", run_id, "-q", *extra]


def test_concurrent_runs_share_one_cache_under_a_slow_server(shared_data: Path, tmp_path: Path) -> None:
    """Issue 10 item 1: two runs (different run ids, different seeds so no shared keys) write one SQLite
    cache while the server is slow. The cache used to hold its write transaction across up to 64 puts,
    so the second process waited past SQLite's 5 s lock and died with 'database is locked'."""
    data = judgebench_file(shared_data, "gpt")
    script = Script([json.loads(line) for line in data.read_text().splitlines()])
    results, cache = tmp_path / "results", tmp_path / "shared-cache.sqlite"
    env = {**os.environ, "OPENAI_API_KEY": "x"}
    with FakeOpenAIServer(responder=script.respond, delay=0.3) as server:
        procs = [subprocess.Popen(_run_cmd(data, server.base_url, results, f"seed{seed}", "--limit", "20",
                                           "--seed", str(seed), "--cache", str(cache), "--concurrency", "2"),
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for seed in (1, 2)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (_, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err
            assert "locked" not in err
        assert server.requests == 80
        # the second time, every answer comes from the shared cache
        again = subprocess.run(_run_cmd(data, server.base_url, results, "seed1-again", "--limit", "20",
                                        "--seed", "1", "--cache", str(cache)), env=env, capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert "from cache 40, sent 0" in again.stdout.replace("\n", " ")
        assert server.requests == 80
    for seed in (1, 2):
        rows = _lines(results / "runs" / f"seed{seed}" / "judgments.jsonl")
        assert len(rows) == 40


def test_two_processes_on_one_run_id_the_second_stops_at_once(shared_data: Path, tmp_path: Path) -> None:
    """Issue 10 item 2: the same run id twice used to lose judgments (both exiting 0) or crash on
    judgments.jsonl.tmp; now the second stops at once, naming the holder, and the first is whole."""
    data = judgebench_file(shared_data, "gpt")
    script = Script([json.loads(line) for line in data.read_text().splitlines()])
    results = tmp_path / "results"
    env = {**os.environ, "OPENAI_API_KEY": "x"}
    with FakeOpenAIServer(responder=script.respond, delay=0.2) as server:
        cmd = _run_cmd(data, server.base_url, results, "same", "--limit", "60", "--no-cache", "--concurrency", "2")
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        jpath = results / "runs" / "same" / "judgments.jsonl"
        deadline = time.time() + 60
        while len(_lines(jpath)) < 10 and time.time() < deadline:
            time.sleep(0.02)
        started = time.time()
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert time.time() - started < 30 and first.poll() is None  # it did not wait for the first
        assert second.returncode == 2, second.stderr
        assert f"in use by pid {first.pid} on host" in second.stderr.replace("\n", " ")
        assert "Traceback" not in second.stderr
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    rows = [json.loads(line) for line in _lines(jpath)]
    assert len(rows) == 120 and len({r["request_id"] for r in rows}) == 120
    assert json.loads((results / "runs" / "same" / "metrics.json").read_text())["complete"] is True


def test_crash_loop_with_concurrent_runs(shared_data: Path, tmp_path: Path) -> None:
    """The crash loop, with two runs at once on one shared cache: each is killed -9 three times and
    resumed; at the end each holds every judgment once and the metrics of an uninterrupted run."""
    data = judgebench_file(shared_data, "gpt")
    script = Script([json.loads(line) for line in data.read_text().splitlines()])
    results, cache = tmp_path / "results", tmp_path / "cache.sqlite"
    env = {**os.environ, "OPENAI_API_KEY": "x"}
    ids = ("left", "right")
    with FakeOpenAIServer(responder=script.respond, delay=0.01) as server:
        cmds = {rid: _run_cmd(data, server.base_url, results, rid, "--limit", "150", "--cache", str(cache),
                              "--concurrency", "4", *(("--seed", "7") if rid == "right" else ()))
                for rid in ids}
        for round_ in range(3):
            procs = {rid: subprocess.Popen(cmds[rid], env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE) for rid in ids}
            paths = {rid: results / "runs" / rid / "judgments.jsonl" for rid in ids}
            target = 40 * (round_ + 1)
            deadline = time.time() + 60
            while time.time() < deadline and any(
                    len(_lines(paths[r])) < target and procs[r].poll() is None for r in ids):
                time.sleep(0.01)
            for p in procs.values():
                p.send_signal(signal.SIGKILL)
            for p in procs.values():
                p.wait()
                assert p.stderr is not None
                assert b"locked" not in p.stderr.read()
        finals = {rid: subprocess.Popen(cmds[rid], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True) for rid in ids}
        for p in finals.values():
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        clean = run(RunConfig(suite="judgebench", split="gpt", data=str(data), limit=150,
                              results_dir=str(tmp_path / "clean"), use_cache=False,
                              judge=JudgeConfig(backend="openai", model="scripted",
                                                options={"base_url": server.base_url})))
    clean_metrics = json.loads((clean.run_dir / "metrics.json").read_text())
    for rid in ids:
        rows = [json.loads(line) for line in _lines(results / "runs" / rid / "judgments.jsonl")]
        assert len(rows) == 300 and len({r["request_id"] for r in rows}) == 300
        metrics = json.loads((results / "runs" / rid / "metrics.json").read_text())
        assert metrics["complete"] is True
        for key in ("accuracy", "swap_consistency", "position_preference", "invalid_rate", "n_failed",
                    "n_judgments"):
            assert metrics[key] == clean_metrics[key], (rid, key)
