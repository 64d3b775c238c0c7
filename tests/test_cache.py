"""The completion cache, directly: the key is the request's full identity, failures are not kept."""

from __future__ import annotations

from pathlib import Path

from judgekit.cache import CompletionCache, request_key
from judgekit.types import Completion, JudgeRequest, Message, SamplingParams

REQ = JudgeRequest(request_id="e#AB", example_id="e", messages=(Message(role="user", content="which?"),),
                   template="t", template_hash="h")
ID = {"backend": "openai", "model": "m", "base_url": "http://x"}


def test_key_is_the_full_identity() -> None:
    key = request_key(ID, REQ)
    assert key == request_key(dict(ID), REQ.model_copy())  # deterministic
    changed = [
        request_key({**ID, "model": "other"}, REQ),
        request_key({**ID, "revision": "abc"}, REQ),
        request_key(ID, REQ.model_copy(update={"messages": (Message(role="user", content="which one?"),)})),
        request_key(ID, REQ.model_copy(update={"sampling": SamplingParams(temperature=0.7)})),
        request_key(ID, REQ.model_copy(update={"sample": 1})),  # n > 1 sampling: one entry per sample
        request_key(ID, REQ.model_copy(update={"mode": "logprob"})),
        request_key(ID, REQ.model_copy(update={"responses": ("a", "b")})),
    ]
    assert len({key, *changed}) == 1 + len(changed)
    # the request id and the template name are not part of what the judge sees
    assert request_key(ID, REQ.model_copy(update={"request_id": "other#AB", "template": "t2"})) == key


def test_put_get_and_failures_not_cached(tmp_path: Path) -> None:
    cache = CompletionCache(tmp_path / "c.sqlite")
    ok = Completion(request_id="e#AB", text="[[A>B]]", prompt_tokens=10, completion_tokens=3, attempts=2,
                    cached=False)
    cache.put("k1", ok)
    cache.put("k2", Completion(request_id="e#BA", error="timeout"))
    cache.close()
    again = CompletionCache(tmp_path / "c.sqlite")
    hit = again.get("k1")
    assert hit is not None and (hit.text, hit.prompt_tokens, hit.completion_tokens) == ("[[A>B]]", 10, 3)
    assert hit.attempts == 1 and hit.cached is False  # per-call facts are not stored
    assert again.get("k2") is None and again.get("missing") is None
    again.close()
