"""Secrets out of everything judgekit writes: run manifests (configuration and argv), the errors
stored in judgments, log lines and error messages.

Two means, both applied by :func:`redact_text`:

- patterns: the user:password part of a URL, an Authorization / api-key / password value
  (``"Authorization": "Bearer ..."``, ``api-key: ...``, ``?api_key=...``), any ``Bearer`` or
  ``Basic`` credential, and OpenAI-style ``sk-...`` keys;
- values: secrets judgekit knows it holds (the API key read from the environment, header values,
  URL passwords), registered with :func:`register_secret` and replaced wherever they appear, so a
  server that echoes a key back in its error message does not get it stored.

:func:`redact` walks JSON-like data: the value of a sensitive key (``Authorization``,
``api_key``, ``password``, ...) becomes ``***`` and every string goes through :func:`redact_text`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_SECRET = 6  # shorter values (a test's "x") would mask ordinary text

_SENSITIVE_KEY = re.compile(
    r"(proxy[-_]?)?authorization|(x[-_])?api[-_]?key|(access|auth|bearer|refresh|session|id)[-_]?token|"
    r"token|password|passwd|secret|client[-_]?secret|(set[-_])?cookie", re.IGNORECASE)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # scheme://userinfo@host  (user:password, or a token as the user name)
    (re.compile(r"(?P<s>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@'\"<>]+@"), r"\g<s>" + MASK + "@"),
    # "Authorization": "Bearer xyz" / api-key: xyz / password=xyz  (JSON, YAML, headers, key=value)
    (re.compile(r"(?P<k>\b(?:proxy[-_]?)?authorization|\b(?:x[-_])?api[-_]?key|\bpassword|\bpasswd|"
                r"\bclient[-_]?secret|\b(?:access|auth|refresh)[-_]?token)(?P<sep>['\"]?\s*[:=]\s*['\"]?)"
                r"(?P<scheme>(?:bearer|basic|token)\s+)?[^\s'\",}&|]+", re.IGNORECASE),
     r"\g<k>\g<sep>\g<scheme>" + MASK),
    # secrets in a query string
    (re.compile(r"(?P<k>[?&](?:key|api_key|apikey|token|access_token|sig|signature)=)[^&\s'\"#]+",
                re.IGNORECASE), r"\g<k>" + MASK),
    # OpenAI / Anthropic style keys
    (re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"), "sk-" + MASK),
]

# any Bearer / Basic credential, wherever it stands (not English: "basic understanding" stays)
_CREDENTIAL = re.compile(r"\b(?P<k>bearer|basic)\s+(?P<v>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)


def _credential(m: re.Match[str]) -> str:
    kind, value = m.group("k"), m.group("v")
    if kind.lower() == "basic":
        import base64
        import binascii

        try:
            looks = b":" in base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            looks = False
    else:
        looks = any(c.isdigit() for c in value) or not value.isalpha()
    return f"{kind} {MASK}" if looks else m.group(0)


_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it appears (too short values are not)."""
    if value and len(value) >= MIN_SECRET:
        _secrets.add(value)


def register_url(url: str | None) -> None:
    """Remember the password (or token user name) of a URL."""
    if not url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    for part in (parts.password, parts.username if parts.password is None else None):
        if part:
            register_secret(part)
            register_secret(unquote(part))


def register_options(options: Mapping[str, Any], api_key_env: str | None = None) -> None:
    """The secrets in a judge's options and environment: URL passwords, sensitive header values and
    the API key the backend reads (``api_key_env``, default OPENAI_API_KEY)."""
    import os

    for key, value in options.items():
        if isinstance(value, str) and "://" in value:
            register_url(value)
        elif isinstance(value, str) and _SENSITIVE_KEY.fullmatch(key):
            register_secret(value)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if isinstance(v, str) and _SENSITIVE_KEY.fullmatch(str(k)):
                    register_secret(v)
                    register_secret(v.split(None, 1)[-1])  # "Bearer xyz" -> also "xyz"
    register_secret(os.environ.get(api_key_env or str(options.get("api_key_env") or "OPENAI_API_KEY")))


def redact_text(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return _CREDENTIAL.sub(_credential, text)


def redact(obj: Any) -> Any:
    """A copy of JSON-like ``obj`` without secrets (see the module docstring)."""
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, Mapping):
        return {k: (MASK if isinstance(k, str) and _SENSITIVE_KEY.fullmatch(k) and isinstance(v, str) and v
                    else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    return obj


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_filter() -> None:
    """Mask secrets in every log line the root logger's handlers write."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
