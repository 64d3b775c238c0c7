"""The backend seam and the code every backend shares: retries with backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..errors import BackendError, ConfigError, TransientBackendError
from ..registry import backends
from ..types import Completion, JudgeRequest, RetryPolicy, VerdictMode

log = logging.getLogger(__name__)

_sleep = asyncio.sleep  # the backoff wait (tests replace it to observe the delays)
_clock = time.monotonic  # the retry deadline's clock (tests replace it with the fake sleeps' time)
_JITTER = random.Random()  # backoff jitter only; never used for anything a result depends on


class Backend(ABC):
    """A judge backend. Concurrency, retries, caching and swapping live in shared code."""

    name: ClassVar[str]
    #: requests per ``complete`` call the runner should send (1 for HTTP, large for engines)
    batch_size: int = 1
    #: True when the verdict cannot depend on the order (reward models): one order per pair
    order_independent: bool = False
    #: False for backends whose outputs must not be cached (replay, mock)
    cacheable: bool = True
    #: how this backend can give verdicts: generated text, label probabilities, constrained labels
    verdict_modes: tuple[VerdictMode, ...] = ("generate",)
    #: False for backends whose verdicts come from no judge prompt (reward models score the bare
    #: (question, response) conversation): their runs record no template
    uses_template: bool = True
    #: False for backends whose wall time is not a judge's cost (replay serves recorded verdicts)
    timed: bool = True
    #: True for backends that take the whole run at once and yield completions as batches finish
    #: (``stream``; the ray backend): the runner stores each batch as it arrives
    streams: bool = False

    def __init__(self, model: str) -> None:
        self.model = model

    @abstractmethod
    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        """One completion per request, in order. Raise TransientBackendError to be retried;
        a permanent per-request failure is a Completion with ``error`` set."""

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """Everything that determines the outputs (backend, model, revision, endpoint...)."""

    @property
    def display_name(self) -> str:
        return self.model

    async def start(self, run_dir: Path) -> None:  # noqa: B027 - optional hook
        """Called once before the first request of a run (start a server, load an engine);
        ``run_dir`` is where a backend may write its logs."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections, engines or child processes."""

    def stream(self, requests: Sequence[JudgeRequest]) -> AsyncIterator[list[Completion]]:
        """Completions of all ``requests``, a batch at a time as they finish (``streams`` backends)."""
        raise NotImplementedError(f"backend {self.name} does not stream")

    def run_stats(self) -> dict[str, Any] | None:
        """Figures of this invocation worth keeping in the manifest (per-endpoint counts, errors
        and latencies for HTTP backends); None when there are none."""
        return None


async def call_with_retries(backend: Backend, batch: Sequence[JudgeRequest], policy: RetryPolicy,
                            rng: random.Random | None = None) -> list[Completion]:
    """Call ``backend.complete`` with exponential backoff and jitter on transient errors,
    honouring a server's Retry-After. Never raises for backend failures: they come back
    as completions with ``error`` set, so the run records them and a resume retries them."""
    rng = rng or _JITTER
    attempt = 0
    started = _clock()
    while True:
        attempt += 1
        try:
            completions = await backend.complete(batch)
        except TransientBackendError as exc:
            if attempt > policy.max_retries:
                return _failed(batch, f"gave up after {attempt} attempts: {exc}", attempt)
            if exc.retry_after is not None:
                delay = min(exc.retry_after, policy.max_delay)
            else:
                delay = min(policy.base_delay * 2 ** (attempt - 1), policy.max_delay)
                delay *= 0.5 + rng.random()
            if _clock() - started + delay > policy.max_total_s:
                return _failed(batch, f"gave up after {attempt} attempts in {_clock() - started:.0f}s "
                               f"(no retry starts after {policy.max_total_s:g}s): {exc}", attempt)
            log.debug("transient error (%s); retry %d in %.2fs", exc, attempt, delay)
            await _sleep(delay)
            continue
        except BackendError as exc:
            return _failed(batch, str(exc), attempt)
        if len(completions) != len(batch):
            raise BackendError(f"backend {backend.name} returned {len(completions)} completions "
                               f"for {len(batch)} requests")
        for c in completions:
            if c.attempts != attempt:  # (pydantic's attribute assignment costs a microsecond: skip a no-op)
                c.attempts = attempt
        return completions


def _failed(batch: Sequence[JudgeRequest], message: str, attempts: int) -> list[Completion]:
    return [Completion(request_id=r.request_id, error=message, attempts=attempts) for r in batch]


def parse_judge_spec(spec: str) -> tuple[str, str]:
    """``BACKEND:MODEL`` -> (backend, model). The model part may itself hold colons."""
    backend, sep, model = spec.partition(":")
    if not sep or not backend or not model:
        raise ConfigError(f"--judge {spec!r}: expected BACKEND:MODEL, for example "
                          f"openai:gpt-4o-mini or replay:path/to/judgments.jsonl; backends: "
                          f"{', '.join(backends.names())}")
    return backend, model


def create_backend(backend: str, model: str, options: dict[str, Any] | None = None) -> Backend:
    factory = backends.get(backend)
    try:
        instance: Backend = factory(model, **(options or {}))
    except TypeError as exc:
        raise ConfigError(f"backend {backend!r}: bad options {sorted(options or {})}: {exc}") from exc
    return instance
