"""A scripted judge for tests and dry runs: no network, no model.

``mock:TEXT`` answers TEXT to every request. ``--option script=FILE`` answers from a JSON
object mapping request ids (``<example_id>#AB`` / ``#BA``) to texts, TEXT for any other
request. In Python, ``responder`` is a function from a JudgeRequest to the output text (or, for
``--verdict logprob`` requests, to a mapping of label continuation -> log-probability), and
``failures`` maps request ids to how many transient failures to raise before answering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError, TransientBackendError
from ..registry import backends
from ..types import Completion, JudgeRequest, trusted_from
from .base import Backend

# an answer's completion: every field at its default but its request, text and latency
_ANSWER = {**{name: f.default for name, f in Completion.model_fields.items()}, "latency_s": 0.0}
_ANSWER_SET = frozenset({"request_id", "text", "latency_s"})

INSTANT_BATCH = 16  # requests per call when the mock answers from a fixed text or script


@backends.register("mock")
class MockBackend(Backend):
    name = "mock"
    cacheable = False
    verdict_modes = ("generate", "logprob")

    def __init__(self, model: str, *,
                 responder: Callable[[JudgeRequest], str | dict[str, float] | None] | None = None,
                 failures: dict[str, int] | None = None, batch_size: int | None = None,
                 script: str | None = None) -> None:
        super().__init__(model)
        self.responder = responder
        self.failures = dict(failures or {})
        self._batch_size = batch_size
        self.calls = 0
        self.script: dict[str, str] = {}
        self.script_sha256: str | None = None
        if script is not None:
            path = Path(script)
            if not path.is_file():
                raise ConfigError(f"mock: script {path} does not exist")
            blob = path.read_bytes()
            try:
                answers = json.loads(blob)
            except json.JSONDecodeError as exc:
                raise DataError(f"invalid JSON ({exc.msg})", path=str(path), line=exc.lineno) from None
            if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
                raise DataError("expected a JSON object of request id -> answer text", path=str(path))
            self.script = answers
            self.script_sha256 = hashlib.sha256(blob).hexdigest()

    @property
    def batch_size(self) -> int:
        """As given; else a fixed text or script, which answers at once, takes whole batches per
        call, and a Python responder (or scripted failures) one request per call, so that it stops
        or fails at that very request."""
        if self._batch_size is not None:
            return self._batch_size
        return 1 if self.responder is not None or self.failures else INSTANT_BATCH

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model,
                "responder": getattr(self.responder, "__qualname__", None),
                **({"script_sha256": self.script_sha256} if self.script_sha256 else {})}

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        self.calls += 1
        for r in requests:
            if self.failures.get(r.request_id, 0) > 0:
                self.failures[r.request_id] -= 1
                raise TransientBackendError(f"scripted failure for {r.request_id}", retry_after=0)
        out = []
        for r in requests:
            text = self.responder(r) if self.responder else self.script.get(r.request_id, self.model)
            if isinstance(text, dict):  # a scripted logprob verdict
                out.append(Completion(request_id=r.request_id, choice_logprobs=text, latency_s=0.0))
                continue
            if type(text) is str:  # a text (what validating would check): the completion made without it
                out.append(trusted_from(Completion, {**_ANSWER, "request_id": r.request_id, "text": text},
                                        _ANSWER_SET))
            else:
                out.append(Completion(request_id=r.request_id, text=text, latency_s=0.0))
        return out
