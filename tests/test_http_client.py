"""The OpenAI-compatible client under bad answers and bad settings (issue 10 items 9-11, issue 11):
every malformed 200 answer is a failed request with its reason, never a crash; numeric options
and URLs are checked before anything is written; an unreachable server stops the run at once,
naming the cause; a run with no answers prints no metrics table."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.backends import base as backend_base
from judgekit.backends.base import call_with_retries
from judgekit.backends.openai_compat import DEFAULT_TIMEOUT, OpenAIBackend, check_timeout
from judgekit.cli import main
from judgekit.errors import ConfigError, TransientBackendError
from judgekit.testing.fake_openai import FakeOpenAIServer
from judgekit.types import JudgeRequest, Message, RetryPolicy, SamplingParams


def req(rid: str = "r1", prompt: str | None = None) -> JudgeRequest:
    return JudgeRequest(request_id=rid, example_id=rid, messages=() if prompt else (Message(role="user", content="hi"),),
                        prompt=prompt, sampling=SamplingParams(), template="t", template_hash="h")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`judgekit ARGS` as the console script runs it (exit codes and error lines included)."""
    monkeypatch.setattr(sys, "argv", ["judgekit", *args])
    monkeypatch.setenv("COLUMNS", "120")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


CHOICE = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "[[A>B]]"}}
MALFORMED = {
    "choices [null]": (b'{"choices": [null]}', "choices[0] is null"),
    "message a string": (json.dumps({"choices": [{"message": "[[A>B]]"}]}).encode(),
                         "choices[0].message is a string"),
    "usage a list": (json.dumps({"choices": [CHOICE], "usage": [1, 2]}).encode(), "usage is a list"),
    "token count a string": (json.dumps({"choices": [CHOICE], "usage": {"prompt_tokens": "ten"}}).encode(),
                             "usage.prompt_tokens"),
    "deeply nested": (b'{"choices": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply"),
    "content null": (json.dumps({"choices": [{"message": {"content": None}, "finish_reason": "length"}]}).encode(),
                     "content is null"),
    "content a number": (json.dumps({"choices": [{"message": {"content": 5}}]}).encode(), "is a number"),
    "no choices": (b'{"choices": []}', "no choices"),
    "a list body": (b"[1, 2]", "the body is a list"),
    "html": (b"<html>busy</html>", "not JSON"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_malformed_200_is_a_failed_request_with_its_reason(name: str) -> None:
    body, reason = MALFORMED[name]
    with FakeOpenAIServer(raw=lambda b: body) as server:
        backend = OpenAIBackend("m", base_url=server.base_url)
        (out,) = await backend.complete([req()])
        await backend.aclose()
    assert out.error is not None and not out.ok
    assert out.error.startswith(f"malformed response from {server.base_url}/chat/completions: ")
    assert reason in out.error
    # the endpoint answered: it is not taken out of service for an unreadable answer
    (ep,) = backend.pool.stats()
    assert ep["errors"] == {"malformed": 1} and ep["in_service"]


async def test_malformed_completion_endpoint_answers() -> None:
    with FakeOpenAIServer(raw=lambda b: b'{"choices": [{"text": null}]}') as server:
        backend = OpenAIBackend("m", base_url=server.base_url)
        (out,) = await backend.complete([req(prompt="raw")])
        await backend.aclose()
    assert out.error is not None and "choices[0].text is null" in out.error


def test_content_null_is_retried_by_the_next_run(shared_data: Path, tmp_path: Path) -> None:
    """`content: null` used to be stored as an ok row with an invalid verdict and never retried."""
    null = json.dumps({"choices": [{"message": {"content": None}, "finish_reason": "stop"}]}).encode()
    config = RunConfig(suite="judgebench", data=str(shared_data), limit=3, results_dir=str(tmp_path),
                       cache=str(tmp_path / "c.sqlite"), judge=JudgeConfig(backend="openai", model="m"))
    with FakeOpenAIServer(raw=lambda b: null) as server:
        cfg = config.model_copy(update={"judge": config.judge.model_copy(
            update={"options": {"base_url": server.base_url}})})
        first = run(cfg)
    rows = [json.loads(x) for x in (first.run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and all(r["status"] == "error" and "content is null" in r["error"] for r in rows)
    assert first.n_failed == 6
    with FakeOpenAIServer(responder=lambda b: "[[A>B]]") as server:
        cfg = config.model_copy(update={"judge": config.judge.model_copy(
            update={"options": {"base_url": server.base_url}})})
        second = run(cfg)
        assert server.requests == 6  # every failed request sent again (and none cached as a failure)
    assert second.run_dir == first.run_dir and second.n_failed == 0 and second.n_sent == 6


def test_credentials_in_the_url_and_an_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp raises ValueError for credentials in the URL next to an Authorization header."""
    monkeypatch.setenv("JK_KEY", "sk-test")
    with pytest.raises(ConfigError, match="carries a user name and password and an API key is set"):
        OpenAIBackend("m", base_url="http://user:pw@127.0.0.1:8000/v1", api_key_env="JK_KEY")


async def test_credentials_in_the_url_become_basic_auth() -> None:
    seen: list[str | None] = []
    server = FakeOpenAIServer(responder=lambda b: "[[B>A]]")
    orig = server._handle

    async def handle(request):  # type: ignore[no-untyped-def]
        seen.append(request.headers.get("Authorization"))
        return await orig(request)

    server._handle = handle  # type: ignore[method-assign]
    with server:
        backend = OpenAIBackend("m", base_url=f"http://alice:s3cret@127.0.0.1:{server.port}/v1",
                                api_key_env="JK_NO_SUCH_KEY")
        assert backend.base_urls == [f"http://127.0.0.1:{server.port}/v1"]
        (out,) = await backend.complete([req()])
        await backend.aclose()
    assert out.text == "[[B>A]]"
    assert seen == ["Basic YWxpY2U6czNjcmV0"]  # base64("alice:s3cret")


@pytest.mark.parametrize("value", [0, -1, "nan", "inf", "-inf", "abc", None, True, [1]])
def test_bad_timeouts_are_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="timeout"):
        check_timeout(value)
    with pytest.raises(ConfigError, match="timeout"):
        OpenAIBackend("m", base_url="http://127.0.0.1:1/v1", timeout=value)


def test_good_timeouts_and_the_defaults() -> None:
    assert check_timeout("2.5") == 2.5 and check_timeout(30) == 30.0
    b = OpenAIBackend("m", base_url="http://127.0.0.1:1/v1")
    assert b.timeout == DEFAULT_TIMEOUT == 120.0 and b.connect_timeout == 10.0
    # one request: at most 7 attempts of 120 s, and no retry starts after 600 s
    assert RetryPolicy().max_retries == 6 and RetryPolicy().max_total_s == 600.0


@pytest.mark.parametrize("url", ["localhost:8000", "http://", "ftp://host/v1", "", "http://h:port/v1"])
def test_invalid_base_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="base URL"):
        OpenAIBackend("m", base_url=url)


@pytest.mark.parametrize(("args", "message"), [
    (["--timeout", "0"], "--timeout"), (["--timeout", "-1"], "--timeout"), (["--timeout", "nan"], "--timeout"),
    (["--timeout", "inf"], "--timeout"), (["--limit", "-1"], "--limit"), (["--limit", "0"], "--limit"),
    (["--concurrency", "0"], "--concurrency"), (["--max-retries", "-1"], "--max-retries"),
    (["--option", "timeout=abc"], "timeout 'abc'"), (["--base-url", "localhost:8000"], "base URL"),
])
def test_cli_refuses_bad_numbers_and_urls_before_writing(args: list[str], message: str, shared_data: Path,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    base = ["run", "--suite", "judgebench", "--data", str(shared_data), "--judge", "openai:m", "-q",
            "--results-dir", str(tmp_path / "res")]
    if "--base-url" not in args:
        base += ["--base-url", "http://127.0.0.1:1/v1"]
    start = time.monotonic()
    code, out = cli(monkeypatch, capsys, *base, *args)
    assert code == 2, out
    assert message in out and "Traceback" not in out
    assert time.monotonic() - start < 10
    assert not (tmp_path / "res").exists()  # no partial run folder


def test_unreachable_endpoint_fails_fast_and_names_the_cause(shared_data: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    start = time.monotonic()
    code, out = cli(monkeypatch, capsys, "run", "--suite", "judgebench", "--data", str(shared_data), "--limit", "5",
                    "--judge", "openai:m", "--base-url", f"http://127.0.0.1:{port}/v1", "-q",
                    "--results-dir", str(tmp_path))
    elapsed = time.monotonic() - start
    assert code == 2, out
    assert "cannot reach the judge" in out and "connection refused" in out and f"127.0.0.1:{port}" in out
    assert "accuracy" not in out  # no metrics table
    assert elapsed < 10, elapsed  # was 38 s of silent retries


def test_a_run_with_no_answers_prints_no_table(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with FakeOpenAIServer(fault=lambda n, b: (400, {})) as server:
        code, out = cli(monkeypatch, capsys, "run", "--suite", "judgebench", "--data", str(shared_data),
                        "--limit", "4", "--judge", "openai:m", "--base-url", server.base_url, "-q",
                        "--results-dir", str(tmp_path), "--no-cache")
    assert code == 1, out
    assert "no answers: all 8 requests failed" in out and "8 x HTTP 400" in out
    assert "accuracy" not in out and "(headline)" not in out


async def test_timeout_is_enforced() -> None:
    with FakeOpenAIServer(delay=3.0) as server:
        backend = OpenAIBackend("m", base_url=server.base_url, timeout=0.3)
        start = time.monotonic()
        with pytest.raises(TransientBackendError, match="timeout after 0.3s"):
            await backend.complete([req()])
        assert time.monotonic() - start < 2
        await backend.aclose()


async def test_retries_stop_at_the_total_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request that keeps timing out gives up once no retry may start before max_total_s."""
    now = [0.0]

    async def fake_sleep(delay: float) -> None:
        now[0] += delay

    class Hanging(OpenAIBackend):
        async def complete(self, requests):  # type: ignore[no-untyped-def]
            now[0] += 120.0  # each attempt takes the whole timeout
            raise TransientBackendError("timeout after 120s")

    monkeypatch.setattr(backend_base, "_sleep", fake_sleep)
    monkeypatch.setattr(backend_base, "_clock", lambda: now[0])
    out = await call_with_retries(Hanging("m", base_url="http://127.0.0.1:1/v1"), [req()],
                                  RetryPolicy(max_retries=6, base_delay=0.5, max_delay=60.0, max_total_s=600.0))
    assert not out[0].ok and "no retry starts after 600s" in (out[0].error or "")
    # attempts at 0, ~120, ~241, ~362, ~484 s: the sixth would start past 600 s
    assert out[0].attempts == 5 and now[0] <= 600 + 120
