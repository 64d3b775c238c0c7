"""Typed facts about an example that a suite's published aggregation needs beyond its label and
category: an RM-Bench pair's styles, MT-Bench's turn and human votes, a systems suite's system and
instruction, a RewardBench 2 completion's prompt and place.

An adapter builds one of these models and stores it with :meth:`Facts.stored` in the example's
``metadata["aggregate"]``; judging copies it into ``Judgment.meta`` (judgments.jsonl); an
aggregation reads it back with :func:`facts_of`, by attribute. The stored JSON is the dict the
adapters wrote before these models existed (the same keys, in the same order, only the ones set),
so runs stored before them load and rescore unchanged. A row whose facts do not fit the model is a
:class:`~judgekit.errors.DataError` naming the judgment and the field.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from .errors import DataError
from .types import Frozen, GoldLabel, Judgment


class Facts(Frozen):
    def stored(self) -> dict[str, Any]:
        """The dict kept in ``metadata["aggregate"]`` / ``Judgment.meta``: the fields set, as JSON."""
        return self.model_dump(mode="json", exclude_unset=True)


class RMBenchFacts(Facts):
    """RM-Bench: the comparison's domain and the styles (0 concise, 1 detailed plain, 2 detailed
    markdown) of its chosen and rejected response."""

    domain: str | None = None
    chosen_style: int
    rejected_style: int


class MTBenchFacts(Facts):
    """MT-Bench human judgments: the turn (absent for LLMBar's processed pairs) and every human vote."""

    turn: int | None = None
    human_votes: list[GoldLabel | None] = []


class PandaLMFacts(Facts):
    """PandaLM: the three annotators' labels (the gold label is their majority)."""

    annotators: list[GoldLabel]


class JudgeLMFacts(Facts):
    """JudgeLM: GPT-4's two scores of the pair."""

    gpt4_scores: list[int | float]


class SystemFacts(Facts):
    """A systems suite's pair (AlpacaEval, Arena-Hard): the evaluated system against the baseline on
    one instruction; AlpacaEval adds the baseline's average length, Arena-Hard the question's uid and
    each answer's style features (length and markdown counts) for style control."""

    system: str
    baseline: str | None = None
    instruction: int
    n_instructions: int | None = None
    baseline_avg_length: float | None = None
    uid: str | None = None
    style_a: list[int | float] | None = None
    style_b: list[int | float] | None = None


class RewardBench2Facts(Facts):
    """RewardBench 2: the prompt a row belongs to, its subset, how many of its completions are
    correct and how many it has; a rating row's completion index, a four-way row's shown order."""

    prompt_id: str
    subset: str
    num_correct: int
    total: int
    mode: Literal["rating", "fourway"]
    index: int | None = None
    shown: list[int] | None = None


F = TypeVar("F", bound=Facts)


def facts_of(j: Judgment, model: type[F]) -> F:
    """The row's facts as ``model``; a DataError naming the judgment and the field when they are
    missing or do not fit."""
    try:
        return model.model_validate(j.meta or {})
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "meta"
        raise DataError(f"judgment {j.request_id} (example {j.example_id}): meta.{field}: {err['msg']} "
                        f"(expected {model.__name__}: is this a run of the suite its aggregation is for?)") from None


def optional_facts(j: Judgment, model: type[F]) -> F | None:
    """The row's facts as ``model``, or None when it has none."""
    return None if not j.meta else facts_of(j, model)
