"""Judging on a Ray cluster: Ray Data ``map_batches`` over the run's requests, with an actor pool
whose actors each hold judgekit's own vLLM engine backend (``judgekit.backends.vllm``), so
generated, logprob and constrained verdicts are exactly what the ``vllm`` backend gives.

Completions stream back to the driver batch by batch (``iter_batches``) and the runner appends
each to judgments.jsonl as it arrives, so a driver killed mid-run loses only the batches in
flight: rerunning the same command sends only the missing requests.

Options: ``ray_address`` (a running cluster, e.g. ``auto`` or ``ray://head:10001``; default:
start a local Ray with ``ray_num_cpus`` CPUs), ``num_gpus`` / ``num_cpus`` per actor,
``concurrency`` (actors), ``batch_size`` (requests per batch), ``engine_args`` (passed to
``vllm.LLM`` unchanged), ``lora_path``, ``env`` (environment variables of the actors; on a
CPU-only machine ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` is set for them) and ``runtime_env``
(Ray's, for a remote cluster: e.g. ``{"pip": ["judgekit-harness[vllm]"]}``). Needs ``judgekit-harness[ray]``
and, on the actors' nodes, ``judgekit-harness[vllm]``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendError, ConfigError
from ..registry import backends
from ..types import Completion, JudgeRequest, VerdictMode
from ._local import require
from .base import Backend

#: environment of the actors on a machine without a GPU (vLLM's CPU engine in the actor's own process)
CPU_ACTOR_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
#: variables of the driver's environment the actors get too (where set)
PASSED_ENV = ("VLLM_CPU_KVCACHE_SPACE", "VLLM_CPU_OMP_THREADS_BIND", "HF_HUB_OFFLINE", "HF_HOME",
              "TRANSFORMERS_OFFLINE", "PYTHONPATH")


def _whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"ray option {name} {value!r}: expected a whole number, at least {minimum}")
    return value


def _amount(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigError(f"ray option {name} {value!r}: expected a number, 0 or more")
    return float(value)


class EngineActor:
    """One Ray actor: judgekit's vLLM backend, loaded once, judging one batch per call."""

    def __init__(self, model: str, engine_args: dict[str, Any], lora_path: str | None) -> None:
        from .vllm import VLLMBackend

        self.backend = VLLMBackend(model, engine_args=engine_args, lora_path=lora_path)
        self.backend.engine()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        requests = [JudgeRequest.model_validate_json(str(r)) for r in batch["request"]]
        try:
            completions = asyncio.run(self.backend.complete(requests))
        except Exception as exc:  # noqa: BLE001 - a failed batch is recorded as failed requests, retried on rerun
            completions = [Completion(request_id=r.request_id, error=f"vllm on a ray actor: "
                                      f"{type(exc).__name__}: {exc}") for r in requests]
        return {"completion": np.array([c.model_dump_json() for c in completions], dtype=object)}


@backends.register("ray")
class RayBackend(Backend):
    name = "ray"
    verdict_modes: tuple[VerdictMode, ...] = ("generate", "logprob", "constrained")
    streams = True

    def __init__(self, model: str, *, engine_args: dict[str, Any] | None = None, ray_address: str | None = None,
                 num_gpus: Any = None, num_cpus: Any = 1, concurrency: Any = 1, batch_size: Any = 64,
                 lora_path: str | None = None, ray_num_cpus: Any = None, env: dict[str, str] | None = None,
                 runtime_env: dict[str, Any] | None = None) -> None:
        super().__init__(model)
        self.ray = require("ray", "ray")
        self.engine_args = dict(engine_args or {})
        self.ray_address = ray_address
        self.num_cpus = _amount(num_cpus, "num_cpus")
        self.num_gpus = None if num_gpus is None else _amount(num_gpus, "num_gpus")
        self.concurrency = _whole(concurrency, "concurrency", 1)
        self.batch_size = _whole(batch_size, "batch_size", 1)
        self.lora_path = lora_path
        self.ray_num_cpus = None if ray_num_cpus is None else _whole(ray_num_cpus, "ray_num_cpus", 1)
        self.env = dict(env or {})
        self.runtime_env = dict(runtime_env or {})
        self._started_ray = False

    def identity(self) -> dict[str, Any]:
        # the same engine and arguments as the vllm backend; where it runs (cluster, actors) is not identity
        return {"backend": self.name, "model": self.model, "engine_args": self.engine_args,
                "lora_path": self.lora_path, "vllm": _vllm_version()}

    def actor_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        if not self.num_gpus:
            env.update(CPU_ACTOR_ENV)
        env.update(self.env)
        return env

    async def start(self, run_dir: Path) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": "warning"}
        if self.ray_address:
            kwargs["address"] = self.ray_address
        else:
            kwargs["num_cpus"] = self.ray_num_cpus or os.cpu_count() or 1
        try:
            await asyncio.to_thread(ray.init, **kwargs)
        except Exception as exc:  # noqa: BLE001 - ray raises many types; say where it failed
            raise BackendError(f"could not start or reach Ray ({self.ray_address or 'local'}): "
                               f"{type(exc).__name__}: {exc}") from None
        self._started_ray = True

    def _dataset(self, requests: Sequence[JudgeRequest]) -> Any:
        import ray.data

        logging.getLogger("ray.data").setLevel(logging.WARNING)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.execution_options.preserve_order = False
        ds = ray.data.from_items([{"request": r.model_dump_json()} for r in requests],
                                 override_num_blocks=max(1, -(-len(requests) // self.batch_size)))
        # an actor that dies fails its batch (recorded as failed requests, retried by a rerun)
        remote_args: dict[str, Any] = {"num_cpus": self.num_cpus, "max_restarts": 0}
        if self.num_gpus:
            remote_args["num_gpus"] = self.num_gpus
        runtime_env = {**self.runtime_env,
                       "env_vars": {**self.runtime_env.get("env_vars", {}), **self.actor_env()}}
        return ds.map_batches(EngineActor, fn_constructor_kwargs={
            "model": self.model, "engine_args": self.engine_args, "lora_path": self.lora_path},
            batch_size=self.batch_size, concurrency=self.concurrency, runtime_env=runtime_env, **remote_args)

    async def stream(self, requests: Sequence[JudgeRequest]) -> AsyncIterator[list[Completion]]:
        """Completions batch by batch, in the order the actors finish them."""
        if not requests:
            return
        ds = self._dataset(requests)
        batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy"))
        done = object()
        while True:
            batch = await asyncio.to_thread(next, batches, done)
            if batch is done:
                return
            assert isinstance(batch, dict)
            yield [Completion.model_validate_json(str(c)) for c in batch["completion"]]

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        by_id: dict[str, Completion] = {}
        async for completions in self.stream(requests):
            by_id.update((c.request_id, c) for c in completions)
        return [by_id[r.request_id] for r in requests]

    async def aclose(self) -> None:
        if self._started_ray and self.ray.is_initialized():
            await asyncio.to_thread(self.ray.shutdown)
        self._started_ray = False


def _vllm_version() -> str | None:
    from importlib import metadata

    for dist in ("vllm", "vllm-cpu"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
