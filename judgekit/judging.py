"""Completion -> Verdict -> Judgment, written once.

The runner turns each backend completion into a stored :class:`~judgekit.types.Judgment` with
:func:`make_judgment`; the importers turn another tool's recorded verdict into one with
:func:`imported_judgment`. Both go through :func:`pair_judgment`, so a stored row means the same
whichever way it was made.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .prompts import Template
from .protocols import unswap_p, unswap_scores, unswap_winner
from .types import Completion, Example, JudgeRequest, Judgment, Order, PairExample, PointExample, Verdict

PARSER_VERSION = 1  # bump when a parser change alters verdicts of unchanged templates


def verdict_of(template: Template, completion: Completion) -> Verdict:
    """The verdict in the shown frame: a recorded one, else the parsed text, else the scores."""
    if completion.recorded_winner is not None:
        return Verdict(winner=completion.recorded_winner, raw=completion.text, p_a=completion.recorded_p_a,
                       label="recorded", reason=None if completion.recorded_winner != "invalid"
                       else "recorded verdict was unparseable")
    if completion.choice_logprobs is not None:
        return template.verdict_from_logprobs(completion.choice_logprobs)
    if completion.text is not None:
        return template.parse(completion.text)
    if completion.scores is not None and len(completion.scores) == 1:  # a pointwise grade (lexical, reward model)
        return Verdict(winner="A", score=completion.scores[0], label=completion.finish_reason or "score")
    if completion.scores is not None and len(completion.scores) == 2:
        s1, s2 = completion.scores
        return Verdict(winner="A" if s1 > s2 else "B" if s2 > s1 else "tie", label="scores")
    return Verdict(winner="invalid", reason="no output")


def pair_judgment(base: dict[str, Any], verdict: Verdict, order: Order,
                  scores: list[float] | None = None) -> Judgment:
    """A pairwise judgment from a verdict in the shown frame: the winner, p(A) and scores un-swapped."""
    return Judgment(**base, status="ok", shown_winner=verdict.winner, winner=unswap_winner(verdict.winner, order),
                    verdict_label=verdict.label, strength=verdict.strength, p_a=unswap_p(verdict.p_a, order),
                    scores=unswap_scores(scores, order), raw=verdict.raw, reason=verdict.reason)


def make_judgment(req: JudgeRequest, ex: Example, completion: Completion, template: Template) -> Judgment:
    """The stored row for one request of the runner."""
    base: dict[str, Any] = {
        "request_id": req.request_id, "example_id": req.example_id, "order": req.order,
        "sample": req.sample, "category": ex.category, "meta": ex.metadata.get("aggregate"),
        "prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
        "latency_s": completion.latency_s, "attempts": completion.attempts, "cached": completion.cached,
        "template_hash": template.hash,
    }
    if isinstance(ex, PointExample):
        base.update(gold_score=ex.score, len_a=len(ex.response))
    else:
        base.update(label=ex.label, len_a=len(ex.response_a), len_b=len(ex.response_b))
    if not completion.ok:
        return Judgment(**base, status="error", shown_winner="invalid", winner="invalid",
                        error=completion.error)
    if isinstance(ex, PointExample) and completion.text is not None:
        v = template.parse(completion.text)  # a grade is read from the text, recorded or not
    else:
        v = verdict_of(template, completion)
    if isinstance(ex, PointExample):
        return Judgment(**base, status="ok", shown_winner=v.winner, winner=v.winner, score=v.score,
                        verdict_label=v.label, raw=v.raw, reason=v.reason)
    return pair_judgment(base, v, req.order, completion.scores)


# A stored row as judgment_line writes it: Judgment's fields in its order, made from its
# definition; a field that may be None defaults to None and is left out when it is
# (``omit_defaults``, as ``exclude_none`` does), the others (required, or with a default that is
# not None: sample, attempts, cached) are always written. Not validated: made from validated
# records. It is also the row the run's columns take (judgekit.columns.ColumnCollector).
JudgmentLine = msgspec.defstruct(
    "JudgmentLine",
    [(name, Any) if field.is_required() or field.default is not None else (name, Any, None)
     for name, field in Judgment.model_fields.items()],
    kw_only=True, omit_defaults=True, gc=False, module=__name__)


_ENCODE = msgspec.json.Encoder().encode
_BIG = 1e16  # pydantic writes a float from here up as 1e+16, msgspec as 1e16: such rows take the slow path


def _plain_float(x: object) -> bool:
    return x is None or (type(x) is float and -_BIG < x < _BIG)  # False for NaN and infinities too


def judgment_line(req: JudgeRequest, ex: Example, completion: Completion, template: Template
                  ) -> tuple[bytes, str, Any] | None:
    """The stored row of :func:`make_judgment`, as the bytes ``store.append`` writes for it
    (``model_dump_json(exclude_none=True)``), its winner, and the row itself (a
    ``JudgmentLine``, what the run's columns take), made without the ``Judgment`` record:
    every value comes from records validated where they were made (the example, the request,
    the backend's completion, the parsed verdict), so it is not validated again. None where the
    row must be made the usual way: a failed request (its error is redacted), example facts
    (``meta``), and floats that the two JSON writers would spell differently. Tested byte-equal
    to :func:`make_judgment` over every kind of row."""
    c = completion
    if c.error is not None or ex.metadata.get("aggregate") is not None:
        return None
    order = req.order
    if isinstance(ex, PointExample):
        v = template.parse(c.text) if c.text is not None else verdict_of(template, c)
        winner, score, gold = v.winner, v.score, ex.score
        if not (_plain_float(c.latency_s) and _plain_float(score) and _plain_float(gold)):
            return None
        row = JudgmentLine(request_id=req.request_id, example_id=req.example_id, order=order, sample=req.sample,
                           category=ex.category, status="ok", shown_winner=winner, winner=winner,
                           verdict_label=v.label, raw=v.raw, reason=v.reason, len_a=len(ex.response), score=score,
                           gold_score=gold, prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens,
                           latency_s=c.latency_s, attempts=c.attempts, cached=c.cached, template_hash=template.hash)
    else:
        v = verdict_of(template, c)
        p_a, scores = v.p_a, c.scores
        if order != "AB":
            winner = unswap_winner(v.winner, order)
            p_a, scores = unswap_p(p_a, order), unswap_scores(scores, order)
        else:
            winner = v.winner
        if not (_plain_float(c.latency_s) and _plain_float(p_a)
                and (scores is None or all(_plain_float(x) for x in scores))):
            return None
        row = JudgmentLine(request_id=req.request_id, example_id=req.example_id, order=order, sample=req.sample,
                           category=ex.category, label=ex.label, status="ok", shown_winner=v.winner, winner=winner,
                           verdict_label=v.label, strength=v.strength, p_a=p_a, scores=scores, raw=v.raw,
                           reason=v.reason, len_a=len(ex.response_a), len_b=len(ex.response_b),
                           prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens,
                           latency_s=c.latency_s, attempts=c.attempts, cached=c.cached, template_hash=template.hash)
    try:
        return _ENCODE(row), winner, row
    except (TypeError, ValueError, UnicodeEncodeError):  # what pydantic would refuse or spell its own way
        return None


def imported_judgment(ex: PairExample, verdict: Verdict, order: Order, template_hash: str,
                      known_text: bool = True) -> Judgment:
    """The stored row for one verdict another tool recorded (in the frame it was shown in). With
    ``known_text`` the example holds the responses' text and an empty response has length 0 (as
    AlpacaEval counts it); without it (Arena-Hard judgments carry no text) an empty one is unknown."""
    base: dict[str, Any] = {
        "request_id": f"{ex.id}#{order}", "example_id": ex.id, "order": order, "category": ex.category,
        "label": ex.label, "meta": ex.metadata.get("aggregate"), "template_hash": template_hash,
        "len_a": len(ex.response_a) if ex.response_a or known_text else None,
        "len_b": len(ex.response_b) if ex.response_b or known_text else None,
    }
    if verdict.winner != "invalid":
        verdict = verdict.model_copy(update={"reason": None})
    return pair_judgment(base, verdict, order)
