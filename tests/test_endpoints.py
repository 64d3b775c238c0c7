"""Several endpoints serving one judge (issue 15): least-outstanding balancing, failover of a
killed server's requests, a server answering 500 for a while taken out and back, the served
model checked at start, and results that do not depend on which endpoint answered or where."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.backends.endpoints import EndpointPool, NoEndpointAvailable, latency_summary
from judgekit.manifest import read_manifest
from judgekit.testing.fake_openai import FakeOpenAIServer
from judgekit.types import RetryPolicy
from tests.conftest import judgebench_file
from tests.test_http_client import cli
from tests.test_openai_e2e import Script, expected_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ----------------------------------------------------------------------------- the pool alone


def test_least_outstanding_with_ties_in_turn() -> None:
    pool = EndpointPool(["a", "b", "c"], clock=Clock())
    picked = [pool.pick().url for _ in range(3)]
    assert sorted(picked) == ["a", "b", "c"]  # one each before any gets a second
    pool.release(next(e for e in pool.endpoints if e.url == "b"))
    assert pool.pick().url == "b"  # the only one with nothing in flight
    assert [e.outstanding for e in pool.endpoints] == [1, 1, 1]
    assert pool.pick(exclude={"a", "c"}).url == "b"


def test_connection_failure_takes_an_endpoint_out_and_a_trial_takes_it_back() -> None:
    clock = Clock()
    pool = EndpointPool(["a", "b"], base_backoff=1.0, max_backoff=4.0, clock=clock)
    a, b = pool.endpoints
    pool.failed(a, "connect", "refused")
    assert not a.in_service and a.times_out == 1
    for _ in range(3):
        ep = pool.pick()
        assert ep is b
        pool.release(ep)
    with pytest.raises(NoEndpointAvailable, match="a: out of service"):
        pool.pick(exclude={"b"})
    clock.now += 1.5  # back-off passed: one trial at a time
    trial = pool.pick(exclude={"b"})
    assert trial is a
    with pytest.raises(NoEndpointAvailable):
        pool.pick(exclude={"b"})  # no second trial while one is in flight
    pool.release(a)
    pool.failed(a, "connect", "refused again")  # failed trial: back-off doubles
    assert a.out_until == pytest.approx(clock.now + 2.0) and a.times_out == 1
    clock.now += 2.5
    ep = pool.pick(exclude={"b"})
    pool.release(ep)
    pool.answered(ep, 0.05)
    assert a.in_service and a.backoff == 0 and a.out_seconds == pytest.approx(4.0)


def test_server_errors_take_an_endpoint_out_after_three_in_a_row() -> None:
    pool = EndpointPool(["a", "b"], clock=Clock())
    a = pool.endpoints[0]
    pool.failed(a, "http_500", "x")
    pool.failed(a, "http_500", "x")
    pool.answered(a, 0.1)  # a success in between resets the count
    pool.failed(a, "http_500", "x")
    pool.failed(a, "http_500", "x")
    assert a.in_service
    pool.failed(a, "http_503", "x")
    assert not a.in_service and a.errors == {"http_500": 4, "http_503": 1}


def test_failures_of_requests_sent_before_the_ejection_do_not_extend_it() -> None:
    clock = Clock()
    pool = EndpointPool(["a", "b"], base_backoff=1.0, clock=clock)
    a = pool.endpoints[0]
    in_flight = [pool.pick(exclude={"b"}) for _ in range(4)]
    for ep in in_flight:  # all four answer 500 after it was taken out at the third
        pool.release(ep)
        pool.failed(ep, "http_500", "x")
    assert a.out_until == pytest.approx(clock.now + 1.0) and a.times_out == 1 and a.errors["http_500"] == 4


def test_a_single_endpoint_is_never_taken_out() -> None:
    pool = EndpointPool(["a"], clock=Clock())
    for _ in range(5):
        pool.failed(pool.endpoints[0], "connect", "refused")
    assert pool.endpoints[0].in_service and pool.pick().url == "a"


def test_latency_percentiles_hand_computed() -> None:
    values = [float(x) for x in range(1, 11)]
    s = latency_summary(values)
    # linear interpolation between order statistics: p50 = 5.5, p90 = 9 + 0.1 = 9.1, p99 = 9.91
    assert (s["p50"], s["p90"], s["p99"], s["mean"], s["max"]) == (5.5, 9.1, 9.91, 5.5, 10.0)
    assert s["p90"] == pytest.approx(float(np.quantile(values, 0.9)))
    assert latency_summary([])["p50"] is None


# ----------------------------------------------------------------------------- end to end


def _config(path: Path, results: Path, urls: list[str] | str, **extra: object) -> RunConfig:
    return RunConfig(suite="judgebench", split="gpt", data=str(path), results_dir=str(results), use_cache=False,
                     concurrency=16, retry=RetryPolicy(max_retries=6, base_delay=0.05, max_delay=0.5),
                     judge=JudgeConfig(backend="openai", model="scripted-judge", options={"base_url": urls}),
                     **extra)  # type: ignore[arg-type]


def test_three_endpoints_one_killed_one_failing_for_a_while(shared_data: Path, tmp_path: Path) -> None:
    path = judgebench_file(shared_data, "gpt")
    pairs = [json.loads(line) for line in path.read_text().splitlines()]
    script = Script(pairs)
    kill_after = 100
    killed = threading.Event()

    def killing_responder(body: dict) -> str:
        text = script.respond(body)
        if len(victim.answered) + 1 >= kill_after and not killed.is_set():
            killed.set()
            threading.Thread(target=victim.kill, daemon=True).start()
        return text

    first_seen: list[float] = []

    def failing_for_a_while(n: int, body: dict) -> tuple[int, dict[str, str]] | None:
        now = time.monotonic()
        first_seen[:] = first_seen or [now]
        return (500, {}) if now - first_seen[0] < 0.3 else None  # 500 for its first 0.3 s

    # each server works on 2 requests at a time, 20 ms each: the run lasts a few seconds
    healthy = FakeOpenAIServer(responder=script.respond, delay=0.02, capacity=2, models=["scripted-judge"])
    flaky = FakeOpenAIServer(responder=script.respond, fault=failing_for_a_while, delay=0.02, capacity=2,
                             models=["scripted-judge"])
    victim = FakeOpenAIServer(responder=killing_responder, delay=0.02, capacity=2, models=["scripted-judge"])
    with healthy, flaky, victim:
        urls = [healthy.base_url, flaky.base_url, victim.base_url]
        result = run(_config(path, tmp_path / "three", urls))
        assert killed.is_set()

    rows = [json.loads(line) for line in (result.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 700 and len({r["request_id"] for r in rows}) == 700
    assert all(r["status"] == "ok" for r in rows) and result.n_failed == 0
    # nothing failed for good: the failover is not paid for with the request's retries
    assert {r["attempts"] for r in rows} <= {1, 2}

    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    stats = {e["url"]: e for e in manifest["backend_stats"]["endpoints"]}
    assert set(stats) == set(urls)
    assert sum(e["ok"] for e in stats.values()) == 700  # every request answered once
    h, f, v = stats[healthy.base_url], stats[flaky.base_url], stats[victim.base_url]
    assert h["errors"] == {} and h["times_out"] == 0 and h["in_service"]
    assert f["errors"] == {"http_500": flaky.faults_served} and flaky.faults_served >= 3
    assert f["times_out"] >= 1 and f["in_service"] and f["ok"] > 0  # taken out, then back
    assert v["ok"] >= kill_after - 4 and v["times_out"] >= 1 and not v["in_service"]
    assert set(v["errors"]) <= {"connect", "disconnected"} and sum(v["errors"].values()) >= 1
    for e in stats.values():
        lat = e["latency_s"]
        assert 0.01 <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    typed = read_manifest(result.run_dir)  # the typed manifest reads them back
    assert typed is not None and typed.backend_stats is not None
    assert [e.url for e in typed.backend_stats.endpoints] == urls and len(typed.backend_stats_history) == 1

    # the same judgments and metrics as one healthy endpoint gives
    exp = expected_metrics(pairs)
    assert result.metrics.accuracy["judgebench"].overall.value == pytest.approx(exp["judgebench"])
    with FakeOpenAIServer(responder=Script(pairs).respond) as single:
        one = run(_config(path, tmp_path / "one", single.base_url))
    assert one.run_id == result.run_id  # the run's identity does not depend on the URLs
    assert json.loads((one.run_dir / "metrics.json").read_text()) == \
        json.loads((result.run_dir / "metrics.json").read_text())
    one_rows = {json.loads(x)["request_id"]: json.loads(x) for x in
                (one.run_dir / "judgments.jsonl").read_text().splitlines()}
    for r in rows:
        assert (r["winner"], r["raw"]) == (one_rows[r["request_id"]]["winner"], one_rows[r["request_id"]]["raw"])


def test_moving_the_server_reuses_the_run_and_the_cache(shared_data: Path, tmp_path: Path) -> None:
    path = judgebench_file(shared_data, "gpt")
    cache = str(tmp_path / "cache.sqlite")
    with FakeOpenAIServer(responder=lambda b: "[[A>B]]") as first:
        a = run(_config(path, tmp_path / "r", first.base_url, limit=5).model_copy(
            update={"use_cache": True, "cache": cache}))
    assert a.n_sent == 10
    with FakeOpenAIServer(responder=lambda b: "[[A>B]]") as moved:
        assert moved.port != first.port
        again = run(_config(path, tmp_path / "r", moved.base_url, limit=5).model_copy(
            update={"use_cache": True, "cache": cache}))
        fresh = run(_config(path, tmp_path / "other-results", [moved.base_url, first.base_url], limit=5)
                    .model_copy(update={"use_cache": True, "cache": cache}))
        assert moved.requests == 0
    assert again.run_dir == a.run_dir and again.n_resumed == 10 and again.n_sent == 0
    assert fresh.run_id == a.run_id and fresh.n_cached == 10 and fresh.n_sent == 0


def test_an_endpoint_serving_another_model_is_refused(shared_data: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer(models=["judge"]) as a, FakeOpenAIServer(models=["judge"]) as b, \
            FakeOpenAIServer(models=["some-other-model"]) as c:
        code, out = cli(monkeypatch, capsys, "run", "--suite", "judgebench", "--data", str(shared_data),
                         "--limit", "2", "--judge", "openai:judge", "--base-url", a.base_url, "--base-url",
                         b.base_url, "--base-url", c.base_url, "-q", "--results-dir", str(tmp_path))
        assert a.requests == b.requests == c.requests == 0  # refused before any judging
    assert code == 2, out
    assert "not served by every endpoint" in out and c.base_url in out and "some-other-model" in out
    assert a.base_url not in out.split("not served by every endpoint")[1]


def test_run_summary_shows_each_endpoint(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """One endpoint down from the start: the run goes on with the other, and says so."""
    dead = FakeOpenAIServer()
    dead.start()
    dead.stop()
    with FakeOpenAIServer(responder=lambda b: "[[A>B]]", models=["judge"]) as alive:
        code, out = cli(monkeypatch, capsys, "run", "--suite", "judgebench", "--data", str(shared_data),
                         "--limit", "3", "--judge", "openai:judge", "--base-url", alive.base_url,
                         "--base-url", dead.base_url, "-q", "--results-dir", str(tmp_path), "--no-cache")
        assert alive.requests == 6
    assert code == 0, out
    assert "endpoints (this invocation)" in out
    table = out[out.index("endpoints (this invocation)"):]
    alive_line = next(line for line in table.splitlines() if alive.base_url in line)
    dead_line = next(line for line in table.splitlines() if dead.base_url in line)
    assert alive_line.split()[1:4] == ["│", "6", "│"] or " 6 " in alive_line
    assert "connect 1" in dead_line and "1x" in dead_line


async def test_rate_limits_are_honoured_not_failed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 is a healthy server asking to slow down: the request waits for Retry-After (it is not
    sent to another endpoint at once), and the endpoint stays in service."""
    from judgekit.backends import base as backend_base
    from judgekit.backends.base import call_with_retries
    from judgekit.backends.openai_compat import OpenAIBackend
    from judgekit.types import JudgeRequest, Message

    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    monkeypatch.setattr(backend_base, "_sleep", fake_sleep)
    req = JudgeRequest(request_id="r", example_id="r", messages=(Message(role="user", content="hi"),),
                       template="t", template_hash="h")
    with FakeOpenAIServer(fault=lambda n, b: (429, {"Retry-After": "3"}) if n == 1 else None) as a, \
            FakeOpenAIServer() as b:
        backend = OpenAIBackend("m", base_url=[a.base_url, b.base_url])
        assert backend.pool.endpoints[0].url == a.base_url  # ties go in turn: the first pick is `a`
        (out,) = await call_with_retries(backend, [req], RetryPolicy())
        await backend.aclose()
    assert out.ok and out.attempts == 2 and sleeps == [3.0]
    stats = {e["url"]: e for e in backend.pool.stats()}
    assert stats[a.base_url]["errors"] == {"http_429": 1} and stats[a.base_url]["in_service"]
    assert sum(e["ok"] for e in stats.values()) == 1 and b.requests + a.requests == 2


async def test_a_single_endpoint_not_listing_the_model_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    from judgekit.backends.openai_compat import OpenAIBackend

    with FakeOpenAIServer(models=["models/judge"]) as server:
        backend = OpenAIBackend("judge", base_url=server.base_url)
        await backend.start(Path("."))
        await backend.aclose()
    assert "does not list model 'judge'" in caplog.text
