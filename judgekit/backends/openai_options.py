"""The checked options of the OpenAI-compatible backend: the timeouts and the base URLs (an
http(s) URL with a host; several for a pool of endpoints)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import yarl

from ..errors import ConfigError

#: seconds one attempt may take (a request is retried --max-retries times, and no retry starts
#: after RetryPolicy.max_total_s; see README "Timeouts and retries")
DEFAULT_TIMEOUT = 120.0


def check_timeout(value: Any, what: str = "timeout") -> float:
    """A timeout in seconds: a finite number above zero (0, negative, nan or inf would turn it
    off or overflow, and one hanging request would stall the run)."""
    if isinstance(value, bool):
        raise ConfigError(f"{what} {value!r}: expected a number of seconds above 0")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} {value!r}: expected a number of seconds above 0") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{what} {value!r}: expected a finite number of seconds above 0")
    return seconds


def check_base_url(url: Any) -> str:
    """An http(s) URL with a host; a bad one is a configuration error, not a transient failure."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"base URL {url!r}: expected an http(s) URL such as http://localhost:8000/v1")
    text = url.strip().rstrip("/")
    try:
        parsed = yarl.URL(text)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"base URL {url!r} is not a URL ({exc}); write it like http://localhost:8000/v1") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"base URL {url!r}: expected an http(s) URL with a host, such as "
                          "http://localhost:8000/v1")
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"base URL {url!r}: {exc}") from None
    return text


def _base_urls(base_url: str | Sequence[str] | None) -> list[str]:
    if base_url is None:
        base_url = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    if not urls:
        raise ConfigError("base_url: an empty list; give at least one endpoint")
    out: list[str] = []
    for u in urls:
        checked = check_base_url(u)
        if checked not in out:
            out.append(checked)
    return out
