"""A small OpenAI-compatible HTTP server that answers scripted verdicts.

For tests and benchmarks: it serves ``/v1/chat/completions`` and ``/v1/completions``
on 127.0.0.1 from a background thread, answers with ``responder(body) -> text``,
and can inject failures (``fault(n, body) -> (status, headers) | None``, where n
counts requests from 1), delays, and records what it saw. ``models`` (a list of ids)
makes it serve ``GET /v1/models`` (without it that route is a 404, as on servers that
lack it); ``capacity`` caps the requests it works on at once (a GPU server's batch:
the others wait), ``raw`` replaces the whole 200 body (malformed answers), and
``kill()`` drops every connection and stops listening at once, like a crashed server.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Responder = Callable[[dict[str, Any]], str]
Fault = Callable[[int, dict[str, Any]], "tuple[int, dict[str, str]] | None"]


def user_text(body: dict[str, Any]) -> str:
    """The prompt text of a chat or completion request body."""
    if "messages" in body:
        return "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
    return str(body.get("prompt", ""))


@dataclass
class FakeOpenAIServer:
    responder: Responder = field(default=lambda body: "[[A>B]]")
    fault: Fault | None = None
    delay: float = 0.0
    port: int = 0
    models: list[str] | None = None
    capacity: int | None = None
    raw: Callable[[dict[str, Any]], bytes] | None = None
    requests: int = 0
    faults_served: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._slots: asyncio.Semaphore | None = None
        self.answered: list[str] = []  # request texts answered with 200, in order

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        with self._lock:
            self.requests += 1
            n = self.requests
        if self.fault is not None:
            injected = self.fault(n, body)
            if injected is not None:
                status, headers = injected
                with self._lock:
                    self.faults_served += 1
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                return web.Response(status=status, headers=headers,
                                    text=json.dumps({"error": {"message": "injected", "code": status}}))
        if self._slots is not None:
            async with self._slots:
                if self.delay:
                    await asyncio.sleep(self.delay)
        elif self.delay:
            await asyncio.sleep(self.delay)
        if self.raw is not None:
            return web.Response(body=self.raw(body), content_type="application/json")
        texts = [self.responder(body) for _ in range(int(body.get("n", 1)))]  # `n` samples per call
        text = texts[0]
        with self._lock:
            self.statuses[200] = self.statuses.get(200, 0) + 1
            self.answered.append(user_text(body))
        chat = request.path.endswith("/chat/completions")
        choices: list[dict[str, Any]] = []
        for i, t in enumerate(texts):
            choice: dict[str, Any] = {"index": i, "finish_reason": "stop"}
            if chat:
                choice["message"] = {"role": "assistant", "content": t}
            else:
                choice["text"] = t
            choices.append(choice)
        payload = {
            "id": f"cmpl-{n}", "object": "chat.completion" if chat else "text_completion",
            "created": 0, "model": body.get("model", "fake"), "choices": choices,
            "usage": {"prompt_tokens": len(user_text(body)) // 4, "completion_tokens": len(text) // 4,
                      "total_tokens": len(user_text(body)) // 4 + len(text) // 4},
        }
        return web.Response(body=json.dumps(payload).encode(), content_type="application/json")

    async def _models(self, request: web.Request) -> web.Response:
        if self.models is None:
            raise web.HTTPNotFound()
        data = [{"id": m, "object": "model", "owned_by": "fake", "root": m} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        if self.capacity is not None:
            self._slots = asyncio.Semaphore(self.capacity)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/completions", self._handle)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-openai")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake OpenAI server did not start")
        return self

    def kill(self) -> None:
        """Stop listening and drop every open connection at once (requests in flight get no answer)."""
        if self._loop is None or self._runner is None:
            return
        runner = self._runner

        def abort() -> None:
            for site in list(runner.sites):
                server = getattr(site, "_server", None)
                if server is not None:
                    server.close()
            handler = runner.server
            for conn in list(getattr(handler, "connections", []) if handler is not None else []):
                transport = getattr(conn, "transport", None)
                if transport is not None:
                    transport.abort()

        done = threading.Event()

        def run() -> None:
            abort()
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(10)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - used by bench/client.py and bench/endpoints.py as a separate process
    import argparse
    import time

    p = argparse.ArgumentParser(description="fake OpenAI-compatible server answering [[A>B]]")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--text", default="[[A>B]]")
    p.add_argument("--delay", type=float, default=0.0, help="seconds each request takes")
    p.add_argument("--capacity", type=int, default=None, help="requests worked on at once (others wait)")
    p.add_argument("--model", action="append", default=None, help="model id /v1/models lists (repeatable)")
    args = p.parse_args()
    server = FakeOpenAIServer(responder=lambda body: args.text, port=args.port, delay=args.delay,
                              capacity=args.capacity, models=args.model).start()
    print(server.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
