"""Any OpenAI-compatible server (`vllm serve`, sglang, OpenAI itself) over plain aiohttp.

A lean client on purpose: one keep-alive connection pool, a hand-built request body
and only the response fields judgekit reads. The official SDK costs 10x more client
CPU per request (see bench/client.py), which caps a run well below what one GPU
serving short verdicts can answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a request is made: every judgekit command discovers this backend,
    import aiohttp  # and importing aiohttp (its TLS context) costs about 0.15 s of CPU

from ..errors import BackendError, ConfigError, TransientBackendError
from ..registry import backends
from ..types import Completion, JudgeRequest, VerdictMode
from .base import Backend
from .endpoints import Endpoint, EndpointPool, NoEndpointAvailable
from .openai_options import DEFAULT_TIMEOUT, _base_urls, check_base_url, check_timeout
from .openai_response import (
    LOGPROB_POSITIONS,
    MalformedResponse,
    _describe,
    _find_choice,
    _parse_response,
    _positions,
    _snippet,
    parse_retry_after,
)

__all__ = ["DEFAULT_TIMEOUT", "LOGPROB_POSITIONS", "MalformedResponse", "OpenAIBackend", "RateLimited", "check_base_url",
           "check_timeout", "parse_retry_after"]

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524})
DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds to open a connection: an absent server is known at once


class RateLimited(TransientBackendError):
    """HTTP 429: retried after the server's Retry-After (or the usual backoff), on any endpoint."""



@backends.register("openai")
class OpenAIBackend(Backend):
    """One model behind one or several OpenAI-compatible endpoints (``base_url`` a URL or a list)."""

    name = "openai"
    batch_size = 1
    verdict_modes: tuple[VerdictMode, ...] = ("generate", "logprob", "constrained")

    def __init__(self, model: str, *, base_url: str | Sequence[str] | None = None,
                 api_key_env: str = "OPENAI_API_KEY", timeout: Any = DEFAULT_TIMEOUT,
                 connect_timeout: Any = DEFAULT_CONNECT_TIMEOUT, max_connections: int = 256,
                 extra_body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 revision: str | None = None, check_models: bool = True, sample_n: bool = True) -> None:
        super().__init__(model)
        self.supports_n = bool(sample_n)  # several samples of one request in one call with `n`
        urls = _base_urls(base_url)
        api_key = os.environ.get(api_key_env)
        if api_key is None and any("api.openai.com" in u for u in urls):
            raise ConfigError(f"no API key: set ${api_key_env} (or --api-key-env NAME) for {urls[0]}")
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._auth: dict[str, dict[str, str]] = {}  # endpoint -> its Authorization from credentials in its URL
        self.base_urls = [self._take_credentials(u, api_key_env) for u in urls]
        self.timeout = check_timeout(timeout)
        self.connect_timeout = min(check_timeout(connect_timeout, "connect_timeout"), self.timeout)
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ConfigError(f"max_connections {max_connections!r}: expected a whole number above 0")
        self.max_connections = max_connections
        if extra_body is not None and not isinstance(extra_body, dict):
            raise ConfigError(f"extra_body {extra_body!r}: expected a mapping of request fields")
        self.extra_body = extra_body or {}
        self.revision = revision
        self.check_models = bool(check_models)
        self.pool = EndpointPool(self.base_urls)
        self._session: aiohttp.ClientSession | None = None

    def _take_credentials(self, url: str, api_key_env: str) -> str:
        """``http://user:pass@host/v1`` -> ``http://host/v1`` with HTTP basic auth for that endpoint
        (aiohttp refuses credentials in a URL next to an Authorization header)."""
        import yarl

        parsed = yarl.URL(url)
        if parsed.user is None and parsed.password is None:
            return url
        import aiohttp

        bare = str(parsed.with_user(None).with_password(None)).rstrip("/")
        if "Authorization" in self._headers:
            raise ConfigError(f"endpoint {bare}: the base URL carries a user name and password and an API "
                              f"key is set (${api_key_env}, or an Authorization header); give one of them")
        self._auth[bare] = {"Authorization": aiohttp.encode_basic_auth(parsed.user or "", parsed.password or "")}
        return bare

    @property
    def base_url(self) -> str:
        """The first endpoint (what a single-endpoint judge talks to)."""
        return self.base_urls[0]

    def set_endpoints(self, urls: Sequence[str]) -> None:
        """Replace the endpoints (servers judgekit started itself, on ports chosen at start)."""
        self.base_urls = [check_base_url(u) for u in urls]
        self.pool = EndpointPool(self.base_urls)

    def identity(self) -> dict[str, Any]:
        # No URL: which endpoint answers, or on which port a server listens, does not change the
        # answer. The model (and its revision) does.
        return {"backend": self.name, "model": self.model, "revision": self.revision,
                "extra_body": self.extra_body}

    def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.connect_timeout),
                json_serialize=json.dumps,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def run_stats(self) -> dict[str, Any] | None:
        return {"endpoints": self.pool.stats()}

    # ------------------------------------------------------------------ start: reachable, same model
    async def start(self, run_dir: Path) -> None:
        await self.check_endpoints()

    async def check_endpoints(self) -> None:
        """Before the first request: each endpoint is reachable and serves the model.

        An endpoint that cannot be reached is taken out of service (the run goes on with the
        others); when none can be reached the run stops at once, naming the cause. With several
        endpoints, one whose ``/models`` lists other models, or a different checkpoint under the
        same name, is a configuration error (a single endpoint that does not list the model only
        gets a warning: some providers list other names). A server without ``/models`` is not checked."""
        results = await asyncio.gather(*(self._probe(ep) for ep in self.pool.endpoints))
        unreachable = [(ep, msg) for ep, (kind, msg, _) in zip(self.pool.endpoints, results, strict=True)
                       if kind == "unreachable"]
        refused = [f"{ep.url}: {msg}" for ep, (kind, msg, _) in zip(self.pool.endpoints, results, strict=True)
                   if kind == "refused"]
        if refused:
            raise BackendError("the judge's endpoint refused the request: " + "; ".join(refused))
        if len(unreachable) == len(self.pool.endpoints):
            where = "; ".join(f"{ep.url}: {msg}" for ep, msg in unreachable)
            raise BackendError(f"cannot reach the judge: {where}. Is the server running, and is "
                               f"--base-url right?")
        for ep, msg in unreachable:
            log.warning("endpoint %s unreachable at start: %s", ep.url, msg)
            self.pool.failed(ep, "connect", msg)
        if not self.check_models:
            return
        served = {ep.url: models for ep, (kind, _, models) in zip(self.pool.endpoints, results, strict=True)
                  if kind == "ok" and models is not None}
        wrong = {url: sorted(m) for url, m in served.items() if self.model not in m}
        if wrong:
            where = "; ".join(f"{url} serves {ids}" for url, ids in wrong.items())
            if len(self.pool) == 1:  # some providers list their models under other names: the server decides
                log.warning("%s does not list model %r in /models (%s); sending the requests anyway",
                            self.base_url, self.model, where)
            else:
                raise ConfigError(f"model {self.model!r} is not served by every endpoint: {where}. All endpoints "
                                  "must serve the judge's model (check --judge and --base-url; "
                                  "--option check_models=false skips this check)")
        roots = {url: m[self.model] for url, m in served.items() if m.get(self.model)}
        if len(set(roots.values())) > 1:
            where = "; ".join(f"{url}: {root}" for url, root in roots.items())
            raise ConfigError(f"the endpoints serve different checkpoints as {self.model!r}: {where}")

    async def _probe(self, ep: Endpoint) -> tuple[str, str, dict[str, str | None] | None]:
        """(ok | unreachable | refused | unchecked, message, model id -> root or None)."""
        import aiohttp

        url = ep.url + "/models"
        try:
            async with self._client().get(url, headers=self._auth.get(ep.url),
                                          timeout=aiohttp.ClientTimeout(total=min(self.timeout, 30.0),
                                                                        sock_connect=self.connect_timeout)
                                          ) as resp:
                status, payload = resp.status, await resp.read()
        except asyncio.TimeoutError:
            return "unreachable", f"no answer to GET /models within {min(self.timeout, 30.0):g}s", None
        except aiohttp.ClientError as exc:
            return "unreachable", _describe(exc), None
        if status in (401, 403):
            return "refused", f"HTTP {status}: {_snippet(payload)} (check the API key)", None
        if status != 200:
            log.debug("%s: HTTP %s; the served model is not checked", url, status)
            return "unchecked", f"HTTP {status}", None
        try:
            data = json.loads(payload)["data"]
            models = {str(m["id"]): (str(m["root"]) if m.get("root") else None) for m in data}
        except (ValueError, KeyError, TypeError, RecursionError):
            log.debug("%s: unreadable model list; the served model is not checked", url)
            return "unchecked", "unreadable /models", None
        return "ok", "", models

    # ------------------------------------------------------------------ requests
    def _body(self, req: JudgeRequest) -> tuple[str, dict[str, Any]]:
        """The path below the base URL and the JSON body of one request."""
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
            path = "/completions"
            body["prompt"] = req.prompt
            if want_logprobs:
                body["logprobs"] = top
        else:
            path = "/chat/completions"
            body["messages"] = [{"role": m.role, "content": m.content} for m in req.messages]
            if want_logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = top
        if req.mode == "constrained":  # vLLM >= 0.11 structured outputs; sglang accepts it too
            body["structured_outputs"] = {"choice": list(req.choices)}
        body.update(self.extra_body)
        return path, body

    def _parse(self, req: JudgeRequest, obj: Any, latency: float) -> Completion:
        completion = _parse_response(req, obj, latency)
        if req.mode == "logprob":
            found = _find_choice(_positions(req, obj), req.choices)
            if found is not None:
                return completion.model_copy(update={"choice_logprobs": found})
            # no label was written: the text is parsed instead (an invalid verdict, raw text kept)
        return completion

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        if len(requests) > 1 and self.supports_n and _samples_of_one(requests):
            return await self._n(requests)
        if len(requests) == 1:
            return [await self._one(requests[0])]
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _n(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        """Samples of one request in one call with ``n`` (choice i answers the i-th request), with
        the same failover as :meth:`_one`; a failure of the call is every sample's failure."""
        first = requests[0]
        path, body = self._body(first)
        body["n"] = len(requests)
        outcome = await self._send(first, path, body, lambda obj, latency: self._parse_n(requests, obj, latency))
        if isinstance(outcome, Completion):
            return [outcome.model_copy(update={"request_id": r.request_id}) for r in requests]
        return outcome

    def _parse_n(self, requests: Sequence[JudgeRequest], obj: Any, latency: float) -> list[Completion]:
        if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
            raise MalformedResponse("choices is missing or not a list")
        choices = obj["choices"]
        if not all(isinstance(c, dict) for c in choices):
            raise MalformedResponse("a choice is not an object")
        choices = sorted(choices, key=lambda c: c.get("index", 0) if isinstance(c.get("index", 0), int) else 0)
        if len(choices) != len(requests):
            raise MalformedResponse(f"asked for n={len(requests)} choices, got {len(choices)}")
        return [self._parse(r, {**obj, "choices": [c]}, latency) for r, c in zip(requests, choices, strict=True)]

    async def _one(self, req: JudgeRequest) -> Completion:
        """Send one request, failing over to another endpoint at once when one fails; raise
        TransientBackendError (for the shared retry with backoff) when none is left to try."""
        path, body = self._body(req)
        outcome = await self._send(req, path, body, None)
        assert isinstance(outcome, Completion)
        return outcome

    async def _send(self, req: JudgeRequest, path: str, body: dict[str, Any],
                    parse: Callable[[Any, float], list[Completion]] | None) -> Completion | list[Completion]:
        tried: set[str] = set()
        last: TransientBackendError | None = None
        while True:
            try:
                ep = self.pool.pick(tried)
            except NoEndpointAvailable as exc:
                if last is not None and len(self.pool) == 1:
                    raise last from None
                message = str(exc) if last is None else f"{last} ({exc})"
                raise TransientBackendError(message, retry_after=self._wait_hint(last)) from None
            tried.add(ep.url)
            try:
                outcome = await self._attempt(ep, req, path, body, parse)
            finally:
                self.pool.release(ep)
            if isinstance(outcome, Completion | list):
                return outcome
            last = outcome
            if isinstance(outcome, RateLimited):  # a healthy server asks us to slow down: no failover
                raise outcome

    def _wait_hint(self, last: TransientBackendError | None) -> float | None:
        if last is not None and last.retry_after is not None:
            return last.retry_after
        wait = self.pool.next_ready_in()
        return wait if wait > 0 else None

    async def _attempt(self, ep: Endpoint, req: JudgeRequest, path: str, body: dict[str, Any],
                       parse: Callable[[Any, float], list[Completion]] | None = None
                       ) -> Completion | list[Completion] | TransientBackendError:
        import aiohttp

        url = ep.url + path
        start = time.perf_counter()
        try:
            async with self._client().post(url, json=body, headers=self._auth.get(ep.url)) as resp:
                payload = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except asyncio.TimeoutError:
            msg = f"timeout after {self.timeout:g}s from {url}"
            self.pool.failed(ep, "timeout", msg)
            return TransientBackendError(msg)
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            raise BackendError(f"invalid URL {url}: {exc}") from None
        except aiohttp.ClientError as exc:
            kind = ("connect" if isinstance(exc, aiohttp.ClientConnectorError) else
                    "disconnected" if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError
                                                 | aiohttp.ClientPayloadError) else "client_error")
            msg = f"{url}: {_describe(exc)}"
            self.pool.failed(ep, kind, msg)
            return TransientBackendError(msg)
        except ValueError as exc:  # aiohttp refuses some header / credential combinations
            raise BackendError(f"cannot send to {url}: {exc}") from None
        latency = time.perf_counter() - start
        if status != 200:
            detail = _snippet(payload)
            if status == 429:
                self.pool.throttled(ep)
                return RateLimited(f"HTTP 429 from {url}: {detail}",
                                   retry_after=parse_retry_after(retry_after))
            if status in RETRYABLE_STATUS:
                msg = f"HTTP {status} from {url}: {detail}"
                self.pool.failed(ep, f"http_{status}", msg)
                return TransientBackendError(msg, retry_after=parse_retry_after(retry_after))
            self.pool.answered(ep, latency)
            ep.errors[f"http_{status}"] += 1
            return Completion(request_id=req.request_id, error=f"HTTP {status} from {url}: {detail}",
                              latency_s=latency)
        try:
            obj = json.loads(payload)
        except RecursionError:
            reason = "JSON nested too deeply"
        except ValueError as exc:
            reason = f"not JSON ({exc})"
        else:
            try:
                completion = self._parse(req, obj, latency) if parse is None else parse(obj, latency)
            except MalformedResponse as exc:
                reason = str(exc)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
                reason = f"unexpected shape ({type(exc).__name__}: {exc})"
            else:
                self.pool.answered(ep, latency)
                return completion
        self.pool.answered(ep, latency)  # the server answers; the answer is unusable
        ep.errors["malformed"] += 1
        return Completion(request_id=req.request_id, latency_s=latency,
                          error=f"malformed response from {url}: {reason}: {payload[:200]!r}")


def _samples_of_one(requests: Sequence[JudgeRequest]) -> bool:
    from ..sampling import same_prompt

    return requests[0].mode == "generate" and all(same_prompt(requests[0], r) for r in requests[1:])
