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
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import yarl

from ..errors import BackendError, ConfigError, TransientBackendError
from ..registry import backends
from ..types import Completion, JudgeRequest, VerdictMode
from .base import Backend
from .endpoints import Endpoint, EndpointPool, NoEndpointAvailable

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524})
LOGPROB_POSITIONS = 16  # first generated positions whose top logprobs are kept
#: seconds one attempt may take (a request is retried --max-retries times, and no retry starts
#: after RetryPolicy.max_total_s; see README "Timeouts and retries")
DEFAULT_TIMEOUT = 120.0
DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds to open a connection: an absent server is known at once


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


class RateLimited(TransientBackendError):
    """HTTP 429: retried after the server's Retry-After (or the usual backoff), on any endpoint."""


class MalformedResponse(Exception):
    """An HTTP 200 answer judgekit cannot read: a failed request with this reason, never a crash."""


def check_timeout(value: Any, what: str = "timeout") -> float:
    """A timeout in seconds: a finite number above zero (0, negative, nan or inf would turn it
    off or overflow, and one hanging request would stall the run)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what} {value!r}: expected a number of seconds above 0")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r}: expected a number of seconds above 0") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{what} {value!r}: expected a finite number of seconds above 0")
    return seconds


def check_base_url(url: Any) -> str:
    """An http(s) URL with a host; a bad one is a configuration error, not a transient failure."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"base URL {url!r}: expected an http(s) URL such as http://localhost:8000/v1")
    text = url.strip().rstrip("/")
    try:
        parsed = yarl.URL(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"base URL {url!r} is not a URL ({exc}); write it like http://localhost:8000/v1") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"base URL {url!r}: expected an http(s) URL with a host, such as "
                          "http://localhost:8000/v1")
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"base URL {url!r}: {exc}") from None
    return text


def _base_urls(base_url: str | Sequence[str] | None) -> list[str]:
    if base_url is None:
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    if not urls:
        raise ConfigError("base_url: an empty list; give at least one endpoint")
    out: list[str] = []
    for u in urls:
        checked = check_base_url(u)
        if checked not in out:
            out.append(checked)
    return out


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
        parsed = yarl.URL(url)
        if parsed.user is None and parsed.password is None:
            return url
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


def _describe(exc: BaseException) -> str:
    """A connection failure in words: refused, reset, closed."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = getattr(exc, "os_error", None)
        if isinstance(os_error, ConnectionRefusedError):
            return f"connection refused ({text})"
        return f"cannot connect ({text})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    return f"{type(exc).__name__}: {text}"


def _snippet(payload: bytes) -> str:
    return payload[:300].decode("utf-8", "replace")


def _kind(value: Any) -> str:
    return {type(None): "null", str: "a string", list: "a list", dict: "an object", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _tokens(usage: dict[str, Any], name: str) -> int | None:
    value = usage.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedResponse(f"usage.{name} is {value!r}, not a token count")
    return value


def _parse_response(req: JudgeRequest, obj: Any, latency: float) -> Completion:
    """The fields judgekit reads from a completion, checked: a missing or mistyped field raises
    MalformedResponse naming it (``content: null`` too: no answer is a failure a rerun retries)."""
    if not isinstance(obj, dict):
        raise MalformedResponse(f"the body is {_kind(obj)}, not an object")
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("no choices" if not choices else f"choices is {_kind(choices)}, not a list")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise MalformedResponse(f"choices[0] is {_kind(choice)}, not an object")
    finish = choice.get("finish_reason")
    if req.prompt is not None:
        text = choice.get("text")
        where = "choices[0].text"
        lp = choice.get("logprobs")
        top = _completion_logprobs(lp) if isinstance(lp, dict) else None
    else:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise MalformedResponse(f"choices[0].message is {_kind(message)}, not an object")
        text = message.get("content")
        where = "choices[0].message.content"
        lp = choice.get("logprobs")
        top = _chat_logprobs(lp) if isinstance(lp, dict) else None
    if text is None:
        raise MalformedResponse(f"{where} is null (no answer; finish_reason {finish!r})")
    if not isinstance(text, str):
        raise MalformedResponse(f"{where} is {_kind(text)}, not a string")
    if finish is not None and not isinstance(finish, str):
        raise MalformedResponse(f"choices[0].finish_reason is {_kind(finish)}, not a string")
    usage = obj.get("usage")
    if usage is None:
        usage = {}
    if not isinstance(usage, dict):
        raise MalformedResponse(f"usage is {_kind(usage)}, not an object")
    return Completion(request_id=req.request_id, text=text, finish_reason=finish,
                      prompt_tokens=_tokens(usage, "prompt_tokens"),
                      completion_tokens=_tokens(usage, "completion_tokens"), latency_s=latency,
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
