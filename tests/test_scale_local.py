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
