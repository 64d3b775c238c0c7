"""Scaling out local judges on this CPU machine with the tiny test model: `vllm-server` with
several replicas, and the `ray` backend, each against vLLM's offline engine (logprobs to 1e-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_local_backends import VLLM_ENGINE, _run, tiny_chat, vllm_env  # noqa: F401 - fixtures


def test_vllm_server_replicas_agree_with_the_engine(shared_data: Path, tmp_path: Path, tiny_chat: Path,  # noqa: F811
                                                    vllm_env: None) -> None:  # noqa: F811
    """Two `vllm serve` processes share the requests; every logprob verdict equals the engine's."""
    engine = _run(shared_data, tmp_path, "vllm", tiny_chat, limit=4, template="vanilla", verdict="logprob",
                  options={"engine_args": VLLM_ENGINE})
    server_args = {k: v for k, v in VLLM_ENGINE.items() if k != "distributed_executor_backend"}
    replicas = _run(shared_data, tmp_path, "vllm-server", tiny_chat, limit=4, template="vanilla",
                    verdict="logprob", options={"engine_args": server_args, "startup_timeout": 600,
                                                "replicas": 2})
    ref = {r["request_id"]: r for r in engine}
    assert len(replicas) == len(ref) == 8
    for row in replicas:
        other = ref[row["request_id"]]
        assert row["status"] == "ok"
        assert json.loads(row["raw"]) == pytest.approx(json.loads(other["raw"]), abs=1e-4)
        assert row["p_a"] == pytest.approx(other["p_a"], abs=1e-4)
    run_dir = next((tmp_path / "vllm-server" / "runs").iterdir())
    assert (run_dir / "vllm-server.log").stat().st_size > 0 and (run_dir / "vllm-server-1.log").stat().st_size > 0
    stats = json.loads((run_dir / "manifest.json").read_text())["backend_stats"]["endpoints"]
    assert len(stats) == 2 and len({e["url"] for e in stats}) == 2
    assert sum(e["ok"] for e in stats) == 8 and all(e["ok"] >= 1 for e in stats)  # both replicas judged


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def test_ray_backend_matches_vllm_and_a_killed_driver_resumes(shared_data: Path, tmp_path: Path,
                                                              tiny_chat: Path, vllm_env: None) -> None:  # noqa: F811
    """The tiny model through the ray backend (a local Ray, one CPU actor, one request per batch):
    the driver is killed with SIGKILL once some judgments are stored; rerunning the same command
    sends only the missing requests, and the final judgments equal the vllm engine's (1e-4)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.test_local_backends import need

    need("ray", "pip install 'judgekit[ray]'")
    limit = 10
    ref = {r["request_id"]: r for r in _run(shared_data, tmp_path, "vllm", tiny_chat, limit=limit,
                                            template="vanilla", verdict="logprob",
                                            options={"engine_args": VLLM_ENGINE})}
    results = tmp_path / "ray"
    cmd = [sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--data", str(shared_data),
           "--limit", str(limit), "--judge", f"ray:{tiny_chat}", "--template", "vanilla", "--verdict", "logprob",
           *[a for k, v in VLLM_ENGINE.items() for a in ("--engine-arg", f"{k}={v}")],
           "--option", "ray_num_cpus=2", "--option", "num_cpus=1", "--option", "concurrency=1",
           "--option", "batch_size=1", "--results-dir", str(results), "--no-cache", "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH", "")])}
    driver = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    stored = 0
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and driver.poll() is None:
            files = list(results.glob("runs/*/judgments.jsonl"))
            stored = len(files[0].read_text().splitlines()) if files else 0
            if stored >= 1:
                break
            time.sleep(0.02)
    finally:
        children = _descendants(driver.pid)
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
        for pid in children:  # Ray's own processes (raylet, GCS, the actor) started by this driver
            with __import__("contextlib").suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out = driver.communicate(timeout=60)[0].decode(errors="replace")
    assert 1 <= stored < 2 * limit, f"the driver was not caught mid-run (stored {stored}):\n{out[-3000:]}"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    text = " ".join(resumed.stdout.split())
    n_resumed = int(text.split("resumed ")[1].split(",")[0])
    assert n_resumed >= stored and f"sent {2 * limit - n_resumed}" in text  # only the missing ones
    rows = [__import__("json").loads(x) for x in next(results.glob("runs/*/judgments.jsonl")).read_text().splitlines()]
    assert len(rows) == 2 * limit and {r["request_id"] for r in rows} == set(ref)
    for row in rows:
        other = ref[row["request_id"]]
        assert row["status"] == "ok" and row["winner"] == other["winner"]
        assert json.loads(row["raw"]) == pytest.approx(json.loads(other["raw"]), abs=1e-4)
        assert row["p_a"] == pytest.approx(other["p_a"], abs=1e-4)
