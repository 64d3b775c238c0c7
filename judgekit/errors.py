"""One exception tree for judgekit.

Every error that stops a run says what went wrong and what to do next.
"""

from __future__ import annotations

# The name on the package index (`judgekit` there is another project); the import package and
# the command are `judgekit`.
DISTRIBUTION = "judgekit-harness"


class JudgekitError(Exception):
    """Base class of every error judgekit raises on purpose."""


class ConfigError(JudgekitError):
    """A configuration, CLI option, suite or template definition is wrong."""


class DataError(JudgekitError):
    """Input data is malformed. The message names the file, the line and the field."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f":{line}"
            where += ": "
        if field is not None:
            message = f"field {field!r}: {message}"
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.field = field


class BackendError(JudgekitError):
    """A judge backend failed for good (after retries, or on a non-retryable error)."""


class TransientBackendError(BackendError):
    """A failure worth retrying (HTTP 429/5xx, timeout, dropped connection)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MissingDependencyError(JudgekitError, ImportError):
    """An optional dependency (an extra) is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package} is not installed; install it with: pip install '{DISTRIBUTION}[{extra}]' "
            f"(from a checkout: pip install -e '.[{extra}]')"
        )


class RunStateError(JudgekitError):
    """A run folder holds results that do not belong to the requested run."""
