"""Reading an OpenAI-compatible server's answers: the completion (or chat) body into a
:class:`Completion`, checked field by field (a malformed 200 answer is a failed request with
its reason, never a crash), the first positions' top logprobs, the Retry-After header and
connection failures in words."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Sequence
from typing import Any

from ..types import Completion, JudgeRequest

LOGPROB_POSITIONS = 16  # first generated positions whose top logprobs are kept


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class MalformedResponse(Exception):
    """An HTTP 200 answer judgekit cannot read: a failed request with this reason, never a crash."""


def _describe(exc: BaseException) -> str:
    """A connection failure in words: refused, reset, closed."""
    import aiohttp  # loaded by the request that failed

    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = getattr(exc, "os_error", None)
        if isinstance(os_error, ConnectionRefusedError):
            return f"connection refused ({text})"
        return f"cannot connect ({text})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    return f"{type(exc).__name__}: {text}"


def _snippet(payload: bytes) -> str:
    return payload[:300].decode("utf-8", "replace")


def _kind(value: Any) -> str:
    return {type(None): "null", str: "a string", list: "a list", dict: "an object", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _tokens(usage: dict[str, Any], name: str) -> int | None:
    value = usage.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedResponse(f"usage.{name} is {value!r}, not a token count")
    return value


def _parse_response(req: JudgeRequest, obj: Any, latency: float) -> Completion:
    """The fields judgekit reads from a completion, checked: a missing or mistyped field raises
    MalformedResponse naming it (``content: null`` too: no answer is a failure a rerun retries)."""
    if not isinstance(obj, dict):
        raise MalformedResponse(f"the body is {_kind(obj)}, not an object")
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse("no choices" if not choices else f"choices is {_kind(choices)}, not a list")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise MalformedResponse(f"choices[0] is {_kind(choice)}, not an object")
    finish = choice.get("finish_reason")
    if req.prompt is not None:
        text = choice.get("text")
        where = "choices[0].text"
        lp = choice.get("logprobs")
        top = _completion_logprobs(lp) if isinstance(lp, dict) else None
    else:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise MalformedResponse(f"choices[0].message is {_kind(message)}, not an object")
        text = message.get("content")
        where = "choices[0].message.content"
        lp = choice.get("logprobs")
        top = _chat_logprobs(lp) if isinstance(lp, dict) else None
    if text is None:
        raise MalformedResponse(f"{where} is null (no answer; finish_reason {finish!r})")
    if not isinstance(text, str):
        raise MalformedResponse(f"{where} is {_kind(text)}, not a string")
    if finish is not None and not isinstance(finish, str):
        raise MalformedResponse(f"choices[0].finish_reason is {_kind(finish)}, not a string")
    usage = obj.get("usage")
    if usage is None:
        usage = {}
    if not isinstance(usage, dict):
        raise MalformedResponse(f"usage is {_kind(usage)}, not an object")
    return Completion(request_id=req.request_id, text=text, finish_reason=finish,
                      prompt_tokens=_tokens(usage, "prompt_tokens"),
                      completion_tokens=_tokens(usage, "completion_tokens"), latency_s=latency,
                      top_logprobs=top)


def _chat_logprobs(lp: dict[str, Any] | None) -> list[dict[str, float]] | None:
    if not lp or not lp.get("content"):
        return None
    return [{t["token"]: t["logprob"] for t in pos.get("top_logprobs") or []}
            for pos in lp["content"][:LOGPROB_POSITIONS]]


def _completion_logprobs(lp: dict[str, Any] | None) -> list[dict[str, float]] | None:
    if not lp or not lp.get("top_logprobs"):
        return None
    return [dict(pos) for pos in lp["top_logprobs"][:LOGPROB_POSITIONS] if pos]


def _positions(req: JudgeRequest, obj: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """(sampled token, its top candidates) for each generated position."""
    lp = obj["choices"][0].get("logprobs") or {}
    if req.prompt is not None:
        return list(zip(lp.get("tokens") or [], [dict(p or {}) for p in lp.get("top_logprobs") or []],
                        strict=False))
    return [(p["token"], {t["token"]: t["logprob"] for t in p.get("top_logprobs") or []})
            for p in lp.get("content") or []]


def _find_choice(positions: list[tuple[str, dict[str, float]]], choices: Sequence[str]) -> dict[str, float] | None:
    """At the first generated position whose token begins a label, the log-probability of each
    label's beginning among that position's candidates (-inf where a label is not among them)."""
    for sampled, candidates in positions:
        head = sampled.strip()
        if not head or not any(c.startswith(head) for c in choices):
            continue
        out = {}
        for c in choices:
            matches = [v for tok, v in candidates.items() if tok.strip() and c.startswith(tok.strip())]
            out[c] = max(matches) if matches else float("-inf")
        return out
    return None
