"""Typed records that cross a module boundary.

Examples come out of adapters, requests go into backends, completions come back,
verdicts come out of template parsers and judgments are what the store keeps.
Every model forbids unknown fields; configs and examples are frozen.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Winner = Literal["A", "B", "tie", "invalid"]
VerdictMode = Literal["generate", "logprob", "constrained"]
GoldLabel = Literal["A", "B", "tie"]
Order = Literal["AB", "BA"]
Role = Literal["system", "user", "assistant"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- examples


class PairExample(Frozen):
    """Two responses to one prompt, with the gold preference."""

    kind: Literal["pair"] = "pair"
    id: str
    prompt: str
    response_a: str
    response_b: str
    label: GoldLabel | None = None
    category: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class PointExample(Frozen):
    """One response with a gold score (pointwise grading)."""

    kind: Literal["point"] = "point"
    id: str
    prompt: str
    response: str
    score: float | None = None
    reference: str | None = None
    rubric: str | None = None
    category: str | None = None
    source: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


Example = PairExample | PointExample


# ----------------------------------------------------------------------------- requests


class Message(Frozen):
    role: Role
    content: str


class SamplingParams(Frozen):
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    logprobs: bool = False
    top_logprobs: int | None = None


class JudgeRequest(Frozen):
    """One prompt to a judge: one order of one pair (or one pointwise item)."""

    request_id: str
    example_id: str
    order: Order = "AB"
    sample: int = 0
    messages: tuple[Message, ...] = ()
    prompt: str | None = None  # raw completion prompt (templates with format: completion)
    sampling: SamplingParams = SamplingParams()
    template: str
    template_hash: str
    # How the verdict is read: generated text (parsed), the probabilities of the template's
    # label continuations at the verdict position, or generation constrained to the labels.
    mode: VerdictMode = "generate"
    prefill: str | None = None  # text the judge's answer starts with (logprob / constrained modes)
    choices: tuple[str, ...] = ()  # label continuations after the prefill
    # The raw inputs, shown order, for judges that score responses themselves (reward models).
    question: str | None = None
    responses: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # reference answers (QA suites), for judges that compare with them


M = TypeVar("M", bound=BaseModel)
_N_FIELDS: dict[type, int] = {}


def trusted(cls: type[M], **values: Any) -> M:
    """``cls(**values)`` for values already of their fields' types (judgekit's own: made by typed
    code from validated records), naming every field, without validating them again: equal to the
    validated record (tested for each use), at a fraction of its cost. pydantic's ``model_construct``
    is no help here: its per-field default lookup costs more than validating."""
    return trusted_from(cls, values)


def trusted_from(cls: type[M], values: dict[str, Any], given: frozenset[str] | None = None) -> M:
    """:func:`trusted` of a dict of every field's value, which becomes the record's own (not
    copied); ``given``: the fields ``cls(...)`` would record as set (``model_fields_set``) when
    the others are left at their defaults (default: all of them)."""
    n = _N_FIELDS.get(cls)
    if n is None:
        n = _N_FIELDS[cls] = len(cls.model_fields)
    if len(values) != n:
        raise TypeError(f"trusted {cls.__name__} needs every field, got {sorted(values)}")
    obj = cls.__new__(cls)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", set(values if given is None else given))
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


_setattr = object.__setattr__  # (a pydantic model's own __setattr__ refuses a frozen one's fields)


def trusted_request(**values: Any) -> JudgeRequest:
    """A JudgeRequest made by :func:`trusted` (the plan's requests)."""
    return trusted_from(JudgeRequest, values)


class Completion(Record):
    """What a backend returns for one request. A failure is a value, not an exception."""

    request_id: str
    text: str | None = None
    error: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int = 1
    # Log-probabilities of the candidate tokens at the first generated positions, when asked for.
    top_logprobs: list[dict[str, float]] | None = None
    # Log-probability of each choice's first token at the verdict position (logprob mode).
    choice_logprobs: dict[str, float] | None = None
    # Scores of the shown responses [first, second] (reward models, recorded score files).
    scores: list[float] | None = None
    # A verdict recorded by another tool (replay), in the shown frame: A = first shown.
    recorded_winner: Winner | None = None
    # With a recorded verdict: P(first shown is better) as the other tool recorded it (AlpacaEval's
    # continuous preference), or None.
    recorded_p_a: float | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class Verdict(Frozen):
    """A parsed verdict in the frame the responses were shown in (A = first shown)."""

    winner: Winner
    label: str | None = None  # the label as the judge wrote it, e.g. "A>>B"
    strength: int | None = None  # 2 for A>>B, 1 for A>B, 0 for tie
    p_a: float | None = None  # P(first shown is better), when probabilities exist
    raw: str | None = None
    reason: str | None = None  # why a verdict is invalid
    score: float | None = None  # pointwise: the grade the judge gave (winner "A"; "invalid" when unread)


# ----------------------------------------------------------------------------- results


class Judgment(Record):
    """One stored row of judgments.jsonl: one request, its verdict, and what it cost."""

    request_id: str
    example_id: str
    order: Order
    sample: int = 0
    category: str | None = None
    label: GoldLabel | None = None
    status: Literal["ok", "error"]
    shown_winner: Winner  # in the shown frame (A = first shown)
    winner: Winner  # un-swapped into the example's own frame (A = response_a)
    verdict_label: str | None = None
    strength: int | None = None
    p_a: float | None = None  # in the example's own frame
    scores: list[float] | None = None  # in the example's own frame
    raw: str | None = None
    reason: str | None = None
    error: str | None = None
    len_a: int | None = None
    len_b: int | None = None
    # Pointwise rows: the judge's grade and the gold grade (winner is "A" when a grade was read,
    # "invalid" when not; len_a is the response length).
    score: float | None = None
    gold_score: float | None = None
    # Facts about the example that a suite's published aggregation needs (subset, turn, the
    # styles of an RM-Bench pair, human votes of MT-Bench): the example's metadata["aggregate"],
    # written and read as the typed models of judgekit.facts (stored as their plain dict).
    meta: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int = 1
    cached: bool = False
    template_hash: str


# ----------------------------------------------------------------------------- configs


class RetryPolicy(Frozen):
    max_retries: int = Field(default=6, ge=0)
    base_delay: float = 0.5
    max_delay: float = 60.0
    # no retry starts once a request has been failing this long (seconds): with the openai
    # backend's 120 s per attempt, one request takes at most about 12 minutes
    max_total_s: float = Field(default=600.0, gt=0)


class JudgeConfig(Frozen):
    """A judge: a backend and model, a template, sampling and backend options."""

    backend: str
    model: str
    template: str | None = None  # None: the known-model table, then the suite's default
    verdict: VerdictMode = "generate"
    sampling: dict[str, Any] = Field(default_factory=dict)  # overrides of the template's defaults
    options: dict[str, Any] = Field(default_factory=dict)  # backend keyword arguments


class RunConfig(Frozen):
    suite: str
    split: str | None = None
    data: str | None = None
    # Overrides of the suite's `args` (the generic adapter's field mapping from --field / --label;
    # "kind" switches a generic suite between pairwise and pointwise).
    suite_args: dict[str, Any] = Field(default_factory=dict)
    judge: JudgeConfig
    swap: bool | None = None  # None: the suite's protocol (off for order-independent backends)
    single_order: Literal["original", "random"] = "original"
    limit: int | None = Field(default=None, ge=1)
    samples: int = Field(default=1, ge=1)  # verdicts drawn per request (repeated sampling, judgekit.sampling)
    run_id: str | None = None
    results_dir: str = "results"
    cache: str | None = None  # path of the SQLite cache; None: the user cache folder
    use_cache: bool = True
    concurrency: int = Field(default=32, ge=1)
    retry: RetryPolicy = RetryPolicy()
