"""Lexical judges for question answering with references: ``lexical:exact_match``,
``lexical:contains`` and ``lexical:f1`` (options ``threshold``, default 0.5, the F1 at which the
answer is accepted; ``normalization``: squad (default) or triviaqa). No model: each answer is
compared with the request's reference answers (judgekit.metrics.qa); the grade is 1 (accepted) or
0. Needs a suite whose examples carry references (the qa suite)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from ..errors import ConfigError
from ..metrics.qa import LexicalMethod, Normalization, lexical_score
from ..registry import backends
from ..types import Completion, JudgeRequest
from .base import Backend


@backends.register("lexical")
class LexicalBackend(Backend):
    name = "lexical"
    cacheable = False  # as cheap as a cache lookup
    timed = False
    order_independent = True
    batch_size = 4096

    def __init__(self, model: str, *, threshold: float = 0.5, normalization: str = "squad") -> None:
        super().__init__(model)
        if model not in get_args(LexicalMethod):
            raise ConfigError(f"lexical:{model}: unknown lexical judge; known: {', '.join(get_args(LexicalMethod))}")
        if normalization not in get_args(Normalization):
            raise ConfigError(f"lexical: normalization {normalization!r}: squad or triviaqa")
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"lexical: threshold {threshold}: expected a number in (0, 1]")
        self.method: LexicalMethod = model  # type: ignore[assignment]
        self.threshold = threshold
        self.normalization: Normalization = normalization  # type: ignore[assignment]

    @property
    def display_name(self) -> str:
        extra = f">={self.threshold:g}" if self.method == "f1" else ""
        return f"{self.method}{extra}" + ("" if self.normalization == "squad" else f" ({self.normalization})")

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.method, "threshold": self.threshold if self.method == "f1" else None,
                "normalization": self.normalization}

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        out = []
        for r in requests:
            if not r.references:
                out.append(Completion(request_id=r.request_id, error=f"lexical:{self.method}: example "
                                      f"{r.example_id} has no reference answers (use the qa suite)"))
                continue
            value = lexical_score(self.method, r.responses[0] if r.responses else "", r.references,
                                  self.normalization)
            accept = value >= self.threshold if self.method == "f1" else value == 1.0
            out.append(Completion(request_id=r.request_id, scores=[1.0 if accept else 0.0],
                                  finish_reason=f"{self.method}={value:.4f}", latency_s=0.0))
        return out
