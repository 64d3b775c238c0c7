from __future__ import annotations

import asyncio
import email.utils
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.backends import base as backend_base
from judgekit.backends.base import call_with_retries, create_backend, parse_judge_spec
from judgekit.backends.mock import MockBackend
from judgekit.backends.openai_compat import OpenAIBackend, parse_retry_after
from judgekit.cli import cli
from judgekit.errors import ConfigError, TransientBackendError
from judgekit.testing.fake_openai import FakeOpenAIServer
from judgekit.types import JudgeRequest, Message, RetryPolicy, SamplingParams


def req(rid: str = "r1", prompt: str | None = None, **sampling) -> JudgeRequest:
    return JudgeRequest(request_id=rid, example_id=rid, messages=() if prompt else (Message(role="user", content="hi"),),
                        prompt=prompt, sampling=SamplingParams(**sampling), template="t", template_hash="h")


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(backend_base, "_sleep", fake_sleep)
    return recorded


class Flaky(MockBackend):
    def __init__(self, errors: list[TransientBackendError]) -> None:
        super().__init__("x")
        self.errors = errors

    async def complete(self, requests):
        if self.errors:
            raise self.errors.pop(0)
        return await super().complete(requests)


async def test_retry_after_is_honoured(sleeps: list[float]) -> None:
    backend = Flaky([TransientBackendError("429", retry_after=2.5), TransientBackendError("429", retry_after=0)])
    out = await call_with_retries(backend, [req()], RetryPolicy(max_retries=3))
    assert out[0].ok and out[0].attempts == 3
    assert sleeps == [2.5, 0]


async def test_exponential_backoff_with_jitter_and_cap(sleeps: list[float]) -> None:
    backend = Flaky([TransientBackendError("500") for _ in range(5)])
    policy = RetryPolicy(max_retries=5, base_delay=1.0, max_delay=6.0)
    out = await call_with_retries(backend, [req()], policy)
    assert out[0].ok and out[0].attempts == 6
    for i, delay in enumerate(sleeps):
        nominal = min(1.0 * 2**i, 6.0)
        assert 0.5 * nominal <= delay <= 1.5 * nominal


async def test_gives_up_with_a_failed_completion(sleeps: list[float]) -> None:
    backend = Flaky([TransientBackendError("503") for _ in range(10)])
    out = await call_with_retries(backend, [req("a"), req("b")], RetryPolicy(max_retries=2))
    assert [c.ok for c in out] == [False, False]
    assert "gave up after 3 attempts" in (out[0].error or "")
    assert len(sleeps) == 2


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(future) or 0) <= 31


async def test_openai_retry_after_header_from_a_real_server(sleeps: list[float]) -> None:
    def fault(n, body):
        return (429, {"Retry-After": "7"}) if n == 1 else None

    with FakeOpenAIServer(responder=lambda b: "[[B>A]]", fault=fault) as server:
        backend = OpenAIBackend("m", base_url=server.base_url)
        out = await call_with_retries(backend, [req()], RetryPolicy())
        await backend.aclose()
    assert sleeps == [7.0]
    assert out[0].text == "[[B>A]]" and out[0].attempts == 2


async def test_openai_completion_endpoint_and_permanent_errors() -> None:
    bodies = []

    def responder(body):
        bodies.append(body)
        return "8 6\nfine"

    def fault(n, body):
        return (400, {}) if body.get("max_tokens") == 99 else None

    with FakeOpenAIServer(responder=responder, fault=fault) as server:
        backend = OpenAIBackend("judgelm", base_url=server.base_url, extra_body={"top_k": 1})
        ok = await backend.complete([req("p", prompt="raw prompt", max_tokens=16, seed=3)])
        bad = await backend.complete([req("q", max_tokens=99)])
        await backend.aclose()
    assert ok[0].text == "8 6\nfine"
    assert bodies[0]["prompt"] == "raw prompt" and bodies[0]["seed"] == 3 and bodies[0]["top_k"] == 1
    assert "messages" not in bodies[0]
    assert bad[0].error is not None and "HTTP 400" in bad[0].error


async def test_connection_refused_is_transient() -> None:
    backend = OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", timeout=2)
    with pytest.raises(TransientBackendError):
        await backend.complete([req()])
    await backend.aclose()


def test_api_key_required_for_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
        OpenAIBackend("gpt-4o-mini")
    monkeypatch.setenv("MY_KEY", "sk-test")
    b = OpenAIBackend("gpt-4o-mini", api_key_env="MY_KEY")
    assert b._headers["Authorization"] == "Bearer sk-test"


def test_chat_logprobs_are_kept() -> None:
    from judgekit.backends.openai_compat import _parse_response

    obj = {"choices": [{"message": {"content": "A"}, "finish_reason": "stop", "logprobs": {"content": [
        {"token": "A", "logprob": -0.1, "top_logprobs": [{"token": "A", "logprob": -0.1},
                                                          {"token": "B", "logprob": -2.4}]}]}}],
           "usage": {"prompt_tokens": 10, "completion_tokens": 1}}
    c = _parse_response(req(logprobs=True), obj, 0.01)
    assert c.top_logprobs == [{"A": -0.1, "B": -2.4}]
    assert (c.prompt_tokens, c.completion_tokens) == (10, 1)


def test_judge_spec_parsing() -> None:
    assert parse_judge_spec("openai:gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_judge_spec("replay:/a/b:c.jsonl") == ("replay", "/a/b:c.jsonl")
    with pytest.raises(ConfigError, match="BACKEND:MODEL"):
        parse_judge_spec("gpt-4o")
    with pytest.raises(ConfigError, match="known backends: hf, lexical, mock, openai, ray, replay, rm, vllm, vllm-server"):
        create_backend("nope", "m")


def test_mock_judge_that_always_picks_the_first_response(shared_data: Path, tmp_path: Path) -> None:
    """Pure position bias: no pair is correct under JudgeBench's rule, the `first` policy
    scores the share of pairs whose better response is A, and position preference is 100%."""
    out = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--data", str(shared_data),
                                   "--judge", "mock:[[A>B]]", "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    import json

    (run_dir,) = (tmp_path / "runs").iterdir()
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["accuracy"]["judgebench"]["overall"]["value"] == 0.0
    assert m["accuracy"]["first"]["overall"]["value"] == pytest.approx(100 * 193 / 350)
    assert m["position_preference"]["value"] == 100.0
    assert m["swap_consistency"]["value"] == 0.0


def test_judge_config_file(shared_data: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "judge.yaml"
    cfg.write_text("backend: mock\nmodel: 'Output (b)'\ntemplate: vanilla\nsampling: {max_tokens: 8}\n")
    out = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--split", "claude", "--data", str(shared_data),
                                   "--judge-config", str(cfg), "--limit", "10", "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    assert "template vanilla" in out.output
    import json

    (run_dir,) = (tmp_path / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["sampling"]["max_tokens"] == 8 and manifest["template"]["name"] == "vanilla"
    assert manifest["data"]["limit"] == 10 and manifest["n_requests"] == 20


def test_single_order(shared_data: Path, tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--data", str(shared_data), "--single-order",
                                   "--judge", "mock:[[A>B]]", "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    assert "350 requests (one order)" in out.output.replace("\n", " ")


def test_asyncio_free_of_leaks() -> None:
    # the mock backend is usable outside the runner
    out = asyncio.run(MockBackend("[[A=B]]").complete([req()]))
    assert out[0].text == "[[A=B]]"


async def test_openai_constrained_and_logprob_requests() -> None:
    """Constrained verdicts ask the server for structured outputs over the complete labels;
    logprob verdicts ask for top_logprobs and read the labels where the judge writes one."""
    from judgekit.backends.openai_compat import _find_choice, _positions

    bodies = []

    def responder(body):
        bodies.append(body)
        return "[[B]]"

    with FakeOpenAIServer(responder=responder) as server:
        backend = OpenAIBackend("m", base_url=server.base_url)
        r = req("c").model_copy(update={"mode": "constrained", "choices": ("[[A]]", "[[B]]")})
        out = await backend.complete([r])
        r = req("l").model_copy(update={"mode": "logprob", "prefill": "[[", "choices": ("A", "B")})
        await backend.complete([r])
        await backend.aclose()
    assert out[0].text == "[[B]]"
    assert bodies[0]["structured_outputs"] == {"choice": ["[[A]]", "[[B]]"]}
    assert bodies[1]["logprobs"] is True and bodies[1]["top_logprobs"] == 20 and bodies[1]["max_tokens"] >= 6

    chat = {"choices": [{"logprobs": {"content": [
        {"token": "[[", "logprob": -0.01, "top_logprobs": [{"token": "[[", "logprob": -0.01},
                                                           {"token": "A", "logprob": -6.0}]},
        {"token": "B", "logprob": -0.4, "top_logprobs": [{"token": "B", "logprob": -0.4},
                                                         {"token": "A", "logprob": -1.1}]}]}}]}
    r = req("l").model_copy(update={"mode": "logprob", "prefill": "[[", "choices": ("A", "B")})
    # the first position whose generated token begins a label decides, not an earlier candidate
    assert _find_choice(_positions(r, chat), r.choices) == {"A": -1.1, "B": -0.4}
    assert _find_choice([("Sure", {"Sure": -0.1})], ("A", "B")) is None
    assert _find_choice([("A", {"A": -0.2})], ("A", "B")) == {"A": -0.2, "B": float("-inf")}
