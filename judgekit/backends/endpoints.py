"""Several OpenAI-compatible endpoints serving one model, used as one judge.

Requests go to the healthy endpoint with the fewest requests outstanding (ties in turn).
An endpoint that fails is taken out of service for a back-off period: at once when a
connection cannot be made or is dropped, after ``failures_to_eject`` failures in a row
for 5xx answers, timeouts and unreadable answers. A request that failed on one endpoint
is sent to another at once (the caller's retry budget is not spent on failover); only
when no endpoint is left to try does the caller's retry-with-backoff take over. A single
endpoint is never taken out: there is nowhere else to go, so the retries alone decide. When its
back-off has passed an out endpoint gets one request at a time, and is back in service
as soon as one is answered (a failed trial doubles its back-off, up to ``max_backoff``).

Which endpoint answered is never part of a result's identity: the cache key and the run
id depend on the model, not on the URLs (see ``OpenAIBackend.identity``).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: failure kinds that take an endpoint out at once (the server is not there)
CONNECTION_KINDS = frozenset({"connect", "disconnected"})


@dataclass
class Endpoint:
    url: str
    outstanding: int = 0
    sent: int = 0  # attempts sent here (a failover counts on each endpoint it reached)
    ok: int = 0  # requests it gave their final answer (a readable 200, an unreadable one, or a 4xx)
    errors: Counter[str] = field(default_factory=Counter)  # failure kind -> count
    latencies: list[float] = field(default_factory=list)  # of answered attempts, seconds
    consecutive_failures: int = 0
    out_until: float | None = None  # time.monotonic() when it may be tried again; None: in service
    backoff: float = 0.0
    times_out: int = 0  # how often it was taken out of service
    out_seconds: float = 0.0  # time spent out of service (closed spells)
    last_error: str | None = None
    trial: bool = False  # the one request in flight is a trial of an out endpoint
    _out_since: float | None = None

    @property
    def in_service(self) -> bool:
        return self.out_until is None

    def stats(self, now: float) -> dict[str, Any]:
        out_seconds = self.out_seconds + (now - self._out_since if self._out_since is not None else 0.0)
        return {
            "url": self.url, "sent": self.sent, "ok": self.ok, "errors": dict(sorted(self.errors.items())),
            "latency_s": latency_summary(self.latencies), "times_out": self.times_out,
            "out_seconds": round(out_seconds, 3), "in_service": self.in_service,
            "last_error": self.last_error,
        }


def latency_summary(values: list[float]) -> dict[str, float | None]:
    """p50 / p90 / p99 / mean / max of latencies (numpy's default linear interpolation)."""
    if not values:
        return {"p50": None, "p90": None, "p99": None, "mean": None, "max": None}
    import numpy as np

    arr = np.asarray(values, dtype=float)
    p50, p90, p99 = (float(x) for x in np.percentile(arr, [50, 90, 99]))
    return {"p50": round(p50, 6), "p90": round(p90, 6), "p99": round(p99, 6),
            "mean": round(float(arr.mean()), 6), "max": round(float(arr.max()), 6)}


class NoEndpointAvailable(Exception):
    """Every endpoint is out of service or was already tried for this request."""


class EndpointPool:
    def __init__(self, urls: Iterable[str], *, failures_to_eject: int = 3, base_backoff: float = 1.0,
                 max_backoff: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.endpoints = [Endpoint(u) for u in urls]
        if not self.endpoints:
            raise ValueError("no endpoint")
        self.failures_to_eject = failures_to_eject
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.clock = clock
        self._turn = itertools.count()

    def __len__(self) -> int:
        return len(self.endpoints)

    @property
    def urls(self) -> list[str]:
        return [e.url for e in self.endpoints]

    def pick(self, exclude: set[str] | frozenset[str] = frozenset()) -> Endpoint:
        """The endpoint for the next attempt, fewest outstanding first, among those not yet tried
        for this request that are in service or whose back-off has passed with no trial in flight
        (such a trial, with nothing outstanding, goes first: it is how an endpoint comes back)."""
        now = self.clock()
        candidates = [e for e in self.endpoints if e.url not in exclude and (
            e.in_service or (e.out_until is not None and e.out_until <= now and e.outstanding == 0))]
        if not candidates:
            raise NoEndpointAvailable(self.unavailable_reason(exclude))
        least = min(e.outstanding for e in candidates)
        tied = [e for e in candidates if e.outstanding == least]
        ep = tied[next(self._turn) % len(tied)] if len(tied) > 1 else tied[0]
        ep.trial = not ep.in_service
        ep.outstanding += 1
        ep.sent += 1
        return ep

    def release(self, ep: Endpoint) -> None:
        ep.outstanding -= 1

    def answered(self, ep: Endpoint, latency: float) -> None:
        ep.ok += 1
        ep.latencies.append(latency)
        ep.consecutive_failures = 0
        ep.trial = False
        if ep.out_until is not None:
            now = self.clock()
            log.warning("endpoint %s answers again: back in service", ep.url)
            ep.out_until = None
            ep.backoff = 0.0
            if ep._out_since is not None:
                ep.out_seconds += now - ep._out_since
                ep._out_since = None

    def throttled(self, ep: Endpoint) -> None:
        """HTTP 429: counted, but a healthy server asking us to slow down is not taken out."""
        ep.errors["http_429"] += 1

    def failed(self, ep: Endpoint, kind: str, message: str) -> None:
        ep.errors[kind] += 1
        ep.consecutive_failures += 1
        ep.last_error = message
        if len(self.endpoints) == 1:
            return  # nowhere else to send: the caller's retry with backoff decides
        if ep.out_until is not None:
            if ep.trial:  # a failed trial: out again, for twice as long
                ep.trial = False
                self._take_out(ep, message)
            return  # requests sent before it was taken out: already counted against it
        if kind in CONNECTION_KINDS or ep.consecutive_failures >= self.failures_to_eject:
            self._take_out(ep, message)

    def _take_out(self, ep: Endpoint, message: str) -> None:
        now = self.clock()
        ep.backoff = min(self.max_backoff, ep.backoff * 2 if ep.backoff else self.base_backoff)
        if ep.out_until is None:
            ep.times_out += 1
            ep._out_since = now
            if len(self.endpoints) > 1:
                log.warning("endpoint %s out of service for %.0fs: %s", ep.url, ep.backoff, message)
        ep.out_until = now + ep.backoff

    def unavailable_reason(self, exclude: set[str] | frozenset[str] = frozenset()) -> str:
        parts = []
        for e in self.endpoints:
            if e.url in exclude:
                parts.append(f"{e.url}: failed for this request ({e.last_error})")
            elif e.out_until is not None:
                wait = max(0.0, e.out_until - self.clock())
                parts.append(f"{e.url}: out of service for {wait:.1f}s more ({e.last_error})")
        return "no endpoint available: " + "; ".join(parts)

    def next_ready_in(self) -> float:
        """Seconds until an out endpoint may be tried again (0 when one is in service)."""
        if any(e.in_service for e in self.endpoints):
            return 0.0
        now = self.clock()
        return max(0.0, min(e.out_until or math.inf for e in self.endpoints) - now)

    def stats(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [e.stats(now) for e in self.endpoints]
