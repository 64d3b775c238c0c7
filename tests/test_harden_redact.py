"""Issue 10 item 8: secrets never reach what judgekit writes (manifest with its argv and config,
judgments' errors, logs, error messages)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from judgekit.redact import redact, redact_text, register_secret
from tests.conftest import judgebench_file

PASSWORD = "hunter2-pass-4711"
HEADER_TOKEN = "tok-abcdef1234567890"
AZURE_KEY = "azure-key-9876543210"
ENV_KEY = "sk-test-0123456789abcdefXYZ"


@pytest.mark.parametrize(("text", "secret"), [
    (f"http://alice:{PASSWORD}@host:8000/v1", PASSWORD),
    (f"https://{HEADER_TOKEN}@host/v1", HEADER_TOKEN),
    (f'headers={{"Authorization": "Bearer {HEADER_TOKEN}"}}', HEADER_TOKEN),
    (f"headers={{Authorization: Bearer {HEADER_TOKEN}, x: 1}}", HEADER_TOKEN),
    (f"headers={{'api-key': '{AZURE_KEY}'}}", AZURE_KEY),
    (f'{{"x-api-key":"{AZURE_KEY}"}}', AZURE_KEY),
    (f"HTTP 401: bad credentials: Bearer {ENV_KEY}", ENV_KEY),
    (f"Authorization: Basic {base64.b64encode(b'alice:' + PASSWORD.encode()).decode()}",
     base64.b64encode(b"alice:" + PASSWORD.encode()).decode()),
    (f"https://host/v1?api_key={AZURE_KEY}&x=1", AZURE_KEY),
    (f"password={PASSWORD}", PASSWORD),
])
def test_redact_text_removes_the_secret(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out and "***" in out


def test_redact_keeps_what_is_not_secret() -> None:
    text = ("prompt_tokens=12 max_tokens: 5 http://127.0.0.1:8000/v1 api_key_env=OPENAI_API_KEY "
            "[[A>B]] the token budget")
    assert redact_text(text) == text
    obj = {"options": {"base_url": f"http://u:{PASSWORD}@h/v1", "api_key_env": "MY_KEY",
                       "headers": {"Authorization": f"Bearer {HEADER_TOKEN}", "X-Trace": "abc"}},
           "argv": ["judgekit", "--option", f"headers={{api-key: {AZURE_KEY}}}"], "n": 3}
    out = redact(obj)
    assert out["options"]["api_key_env"] == "MY_KEY" and out["n"] == 3
    assert out["options"]["headers"] == {"Authorization": "***", "X-Trace": "abc"}
    assert out["options"]["base_url"] == "http://***@h/v1"
    blob = json.dumps(out)
    assert PASSWORD not in blob and HEADER_TOKEN not in blob and AZURE_KEY not in blob


def test_a_registered_secret_is_removed_wherever_it_appears() -> None:
    register_secret("plain-secret-value-77")
    assert redact_text("the server said: plain-secret-value-77!") == "the server said: ***!"
    register_secret("x")  # too short to redact safely: ignored
    assert redact_text("x marks the spot") == "x marks the spot"


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A server that rejects every request and echoes the credentials it was sent (as some do)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        echoed = " | ".join(f"{k}: {v}" for k, v in request.headers.items())
        return web.json_response({"error": {"message": f"denied; you sent {echoed}"}}, status=403)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port.append(runner.addresses[0][1])
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"127.0.0.1:{port[0]}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("how", ["url-credentials", "api-key"])
def test_nothing_judgekit_writes_holds_a_secret(how: str, echo_server: str, shared_data: Path,
                                               tmp_path: Path) -> None:
    results = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    if how == "url-credentials":  # aiohttp sends these as Authorization: Basic ..., which the server echoes
        base_url = f"http://alice:{PASSWORD}@{echo_server}/v1"
        headers = f'headers={{"api-key": "{AZURE_KEY}", "X-Trace": "t1"}}'
    else:
        base_url = f"http://{echo_server}/v1"
        env["OPENAI_API_KEY"] = ENV_KEY
        headers = f'headers={{"x-api-key": "{AZURE_KEY}"}}'
    cmd = [sys.executable, "-m", "judgekit", "-vv", "run", "--suite", "judgebench", "--split", "gpt",
           "--data", str(judgebench_file(shared_data, "gpt")), "--judge", "openai:m", "--base-url", base_url,
           "--option", headers, "--limit", "3", "--results-dir", str(results), "--run-id", "secret",
           "--no-cache", "--max-retries", "0", "-q"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr  # every request failed (403)
    run_dir = results / "runs" / "secret"
    judgments = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines()]
    assert len(judgments) == 6 and all("HTTP 403" in j["error"] for j in judgments)
    assert "***" in judgments[0]["error"]  # the echo was there, and was redacted
    basic = base64.b64encode(b"alice:" + PASSWORD.encode()).decode()
    written = {p.name: p.read_text(errors="replace") for p in run_dir.iterdir() if p.is_file()}
    written["stdout"], written["stderr"] = out.stdout, out.stderr
    for name, text in written.items():
        for secret in (PASSWORD, HEADER_TOKEN, AZURE_KEY, ENV_KEY, basic):
            assert secret not in text, (name, secret)
    manifest = json.loads(written["manifest.json"])
    if how == "url-credentials":
        assert manifest["judge"]["config"]["options"]["headers"] == {"api-key": "***", "X-Trace": "t1"}


def test_log_lines_are_redacted() -> None:
    import io
    import logging

    from judgekit.redact import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("judgekit.test_redact")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.warning("retrying %s with headers %s", f"http://bob:{PASSWORD}@h/v1",
                    {"Authorization": f"Bearer {HEADER_TOKEN}"})
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "retrying http://***@h/v1" in text
    assert PASSWORD not in text and HEADER_TOKEN not in text
