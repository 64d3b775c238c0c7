"""Any OpenAI-compatible server (`vllm serve`, sglang, OpenAI itself) over plain aiohttp.

A lean client on purpose: one keep-alive connection pool, a hand-built request body
and only the response fields judgekit reads. The official SDK costs 10x more client
CPU per request (see bench/client.py), which caps a run well below what one GPU
serving short verdicts can answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from ..errors import BackendError, ConfigError, TransientBackendError
from ..registry import backends
from ..types import Completion, JudgeRequest, VerdictMode
from .base import Backend

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524})
LOGPROB_POSITIONS = 16  # first generated positions whose top logprobs are kept


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@backends.register("openai")
class OpenAIBackend(Backend):
    name = "openai"
    batch_size = 1
    verdict_modes: tuple[VerdictMode, ...] = ("generate", "logprob", "constrained")

    def __init__(self, model: str, *, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout: float = 600.0, max_connections: int = 256,
                 extra_body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 revision: str | None = None) -> None:
        super().__init__(model)
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        api_key = os.environ.get(api_key_env)
        if api_key is None and "api.openai.com" in self.base_url:
            raise ConfigError(f"no API key: set ${api_key_env} (or --api-key-env NAME) for {self.base_url}")
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout
        self.max_connections = max_connections
        self.extra_body = extra_body or {}
        self.revision = revision
        self._session: aiohttp.ClientSession | None = None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_url": self.base_url,
                "revision": self.revision, "extra_body": self.extra_body}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                json_serialize=json.dumps,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _body(self, req: JudgeRequest) -> tuple[str, dict[str, Any]]:
        s = req.sampling
        body: dict[str, Any] = {"model": self.model, "temperature": s.temperature, "top_p": s.top_p,
                                "max_tokens": s.max_tokens}
        if s.seed is not None:
            body["seed"] = s.seed
        if s.stop:
            body["stop"] = list(s.stop)
        want_logprobs = s.logprobs or req.mode == "logprob"
        top = s.top_logprobs or (20 if req.mode == "logprob" else 5)
        if req.mode == "logprob":
            # A generic server cannot be given the prefill: let the judge write it, and read the
            # label probabilities where the generated text reaches a label (see _find_choice).
            body["max_tokens"] = max(16, len(req.prefill or "") + 4)
        if req.prompt is not None:
            url = "/completions"
            body["prompt"] = req.prompt
            if want_logprobs:
                body["logprobs"] = top
        else:
            url = "/chat/completions"
            body["messages"] = [{"role": m.role, "content": m.content} for m in req.messages]
            if want_logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = top
        if req.mode == "constrained":  # vLLM >= 0.11 structured outputs; sglang accepts it too
            body["structured_outputs"] = {"choice": list(req.choices)}
        body.update(self.extra_body)
        return self.base_url + url, body

    def _parse(self, req: JudgeRequest, obj: dict[str, Any], latency: float) -> Completion:
        completion = _parse_response(req, obj, latency)
        if req.mode == "logprob":
            found = _find_choice(_positions(req, obj), req.choices)
            if found is not None:
                return completion.model_copy(update={"choice_logprobs": found})
            # no label was written: the text is parsed instead (an invalid verdict, raw text kept)
        return completion

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        if len(requests) == 1:
            return [await self._one(requests[0])]
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, req: JudgeRequest) -> Completion:
        url, body = self._body(req)
        start = time.perf_counter()
        try:
            async with self._client().post(url, json=body) as resp:
                payload = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except asyncio.TimeoutError:
            raise TransientBackendError(f"timeout after {self.timeout}s from {url}") from None
        except aiohttp.ClientError as exc:
            raise TransientBackendError(f"{type(exc).__name__}: {exc}") from None
        latency = time.perf_counter() - start
        if status != 200:
            detail = payload[:300].decode("utf-8", "replace")
            if status in RETRYABLE_STATUS:
                raise TransientBackendError(f"HTTP {status}: {detail}",
                                            retry_after=parse_retry_after(retry_after))
            return Completion(request_id=req.request_id, error=f"HTTP {status} from {url}: {detail}",
                              latency_s=latency)
        try:
            return self._parse(req, json.loads(payload), latency)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BackendError(f"unreadable response from {url}: {exc!r}: {payload[:200]!r}") from None


def _parse_response(req: JudgeRequest, obj: dict[str, Any], latency: float) -> Completion:
    choice = obj["choices"][0]
    if req.prompt is not None:
        text = choice.get("text")
        top = _completion_logprobs(choice.get("logprobs"))
    else:
        text = (choice.get("message") or {}).get("content")
        top = _chat_logprobs(choice.get("logprobs"))
    usage = obj.get("usage") or {}
    return Completion(request_id=req.request_id, text=text, finish_reason=choice.get("finish_reason"),
                      prompt_tokens=usage.get("prompt_tokens"),
                      completion_tokens=usage.get("completion_tokens"), latency_s=latency,
                      top_logprobs=top)


def _chat_logprobs(lp: dict[str, Any] | None) -> list[dict[str, float]] | None:
    if not lp or not lp.get("content"):
        return None
    return [{t["token"]: t["logprob"] for t in pos.get("top_logprobs") or []}
            for pos in lp["content"][:LOGPROB_POSITIONS]]


def _completion_logprobs(lp: dict[str, Any] | None) -> list[dict[str, float]] | None:
    if not lp or not lp.get("top_logprobs"):
        return None
    return [dict(pos) for pos in lp["top_logprobs"][:LOGPROB_POSITIONS] if pos]


def _positions(req: JudgeRequest, obj: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(sampled token, its top candidates) for each generated position."""
    lp = obj["choices"][0].get("logprobs") or {}
    if req.prompt is not None:
        return list(zip(lp.get("tokens") or [], [dict(p or {}) for p in lp.get("top_logprobs") or []],
                        strict=False))
    return [(p["token"], {t["token"]: t["logprob"] for t in p.get("top_logprobs") or []})
            for p in lp.get("content") or []]


def _find_choice(positions: list[tuple[str, dict[str, float]]], choices: Sequence[str]) -> dict[str, float] | None:
    """At the first generated position whose token begins a label, the log-probability of each
    label's beginning among that position's candidates (-inf where a label is not among them)."""
    for sampled, candidates in positions:
        head = sampled.strip()
        if not head or not any(c.startswith(head) for c in choices):
            continue
        out = {}
        for c in choices:
            matches = [v for tok, v in candidates.items() if tok.strip() and c.startswith(tok.strip())]
            out[c] = max(matches) if matches else float("-inf")
        return out
    return None
