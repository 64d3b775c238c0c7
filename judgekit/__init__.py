"""judgekit: measure LLM judges."""

from typing import TYPE_CHECKING, Any

from .errors import BackendError, ConfigError, DataError, JudgekitError
from .metrics.pairwise import PairwiseMetrics, pairwise_metrics
from .prompts import Template, load_template
from .scoring import score
from .types import (
    Completion,
    JudgeConfig,
    JudgeRequest,
    Judgment,
    PairExample,
    PointExample,
    RunConfig,
    SamplingParams,
    Verdict,
)

if TYPE_CHECKING:
    from .runner import RunResult, prepare, run

__version__ = "0.1.0"

_RUNNER = ("RunResult", "prepare", "run")


def __getattr__(name: str) -> Any:
    # the runner (and through it the backends and the cache) is loaded on first use, so that
    # reading stored runs (score, leaderboard, report) never imports a backend
    if name in _RUNNER:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'judgekit' has no attribute {name!r}")

__all__ = [
    "BackendError",
    "Completion",
    "ConfigError",
    "DataError",
    "JudgeConfig",
    "JudgeRequest",
    "Judgment",
    "JudgekitError",
    "PairExample",
    "PairwiseMetrics",
    "PointExample",
    "RunConfig",
    "RunResult",
    "SamplingParams",
    "Template",
    "Verdict",
    "load_template",
    "pairwise_metrics",
    "prepare",
    "run",
    "score",
]
