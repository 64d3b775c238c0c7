"""Scripted judges with implanted biases, for testing `judgekit audit` (used as the mock backend's
``responder``). They answer "Output (a)" / "Output (b)" (the ``vanilla`` template's labels).

Each request draws its own pseudo-random numbers from a hash of the seed, the rendered prompt and
the sample index, so a perturbed request (a different prompt) or a resample (another sample index)
is an independent draw, as a sampling judge's would be. The judge then:

- with probability ``position`` answers the first shown response;
- else with probability ``length`` answers the longer shown response (the character count);
- else, when the instruction says "most people preferred the first/second response", with
  probability ``bandwagon`` answers that one;
- else with probability ``specifics`` answers the shown response with more digits (a judge won
  over by concrete-looking numbers), when their digit counts differ;
- else, when exactly one shown response holds an instruction to the evaluator (the
  ``nested_instruction`` probe's text), with probability ``injection`` answers that one;
- otherwise answers the better response (by the gold label) with probability ``accuracy``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..probes.bandwagon import CUE_RE
from ..probes.base import base_id
from ..probes.nested_instruction import INJECTION_RE
from ..types import GoldLabel, JudgeRequest

LABEL = {"A": "Output (a)", "B": "Output (b)"}


def uniforms(seed: int, req: JudgeRequest) -> tuple[float, float]:
    text = "\x1e".join(m.content for m in req.messages) if req.messages else (req.prompt or "")
    h = hashlib.sha256(f"{seed}\x1f{req.sample}\x1f{text}".encode()).digest()
    return (int.from_bytes(h[:8], "little") / 2**64, int.from_bytes(h[8:16], "little") / 2**64)


@dataclass
class BiasedJudge:
    gold: Mapping[str, GoldLabel | None]  # base example id -> gold label
    accuracy: float = 0.75
    position: float = 0.0
    length: float = 0.0
    bandwagon: float = 0.0
    specifics: float = 0.0
    injection: float = 0.0
    seed: int = 0

    def __call__(self, req: JudgeRequest) -> str:
        u_bias, u_acc = uniforms(self.seed, req)
        first, second = req.responses if len(req.responses) == 2 else ("", "")
        # each bias owns its own slice of [0, 1) for u_bias; a draw in a bias's slice where that bias
        # has nothing to act on (equal lengths, no cue, ...) falls through to the accuracy draw
        cue = CUE_RE.search(req.question or "")
        d1, d2 = digits(first), digits(second)
        i1, i2 = bool(INJECTION_RE.search(first)), bool(INJECTION_RE.search(second))
        rules: list[tuple[float, bool, str]] = [
            (self.position, True, "A"),
            (self.length, len(first) != len(second), "A" if len(first) > len(second) else "B"),
            (self.bandwagon, cue is not None, "A" if cue is not None and cue.group(1).lower() == "first" else "B"),
            (self.specifics, d1 != d2, "A" if d1 > d2 else "B"),
            (self.injection, i1 != i2, "A" if i1 else "B"),
        ]
        low = 0.0
        for p, applies, pick in rules:
            if low <= u_bias < low + p:
                if applies:
                    return LABEL[pick]
                break
            low += p
        gold = self.gold.get(base_id(req.example_id)[0])
        if gold not in ("A", "B"):
            return LABEL["A" if u_acc < 0.5 else "B"]
        better_shown = gold if req.order == "AB" else ("B" if gold == "A" else "A")
        worse_shown = "B" if better_shown == "A" else "A"
        return LABEL[better_shown if u_acc < self.accuracy else worse_shown]


def digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


@dataclass
class ConfidenceJudge:
    """A scripted logprob judge (``--verdict logprob``) of known calibration. Each request draws its
    confidence c uniformly from ``levels`` and is right (names the better response by the gold
    label) with probability c; it reports log-probabilities giving its pick probability ``stated(c)``
    = c + ``overconfidence`` x (1 - c). With ``overconfidence`` 0 it is calibrated (among the
    verdicts stated at c, a share c is right); above 0 it states more than it knows, and its mean
    stated confidence exceeds its accuracy by ``overconfidence`` x (1 - mean(levels))."""

    gold: Mapping[str, GoldLabel | None]
    levels: tuple[float, ...] = (0.6, 0.75, 0.9)
    overconfidence: float = 0.0
    seed: int = 0

    def stated(self, c: float) -> float:
        return c + self.overconfidence * (1.0 - c)

    def __call__(self, req: JudgeRequest) -> dict[str, float]:
        u_level, u_acc = uniforms(self.seed, req)
        c = self.levels[min(int(u_level * len(self.levels)), len(self.levels) - 1)]
        gold = self.gold.get(base_id(req.example_id)[0])
        if gold in ("A", "B"):
            better_shown = gold if req.order == "AB" else ("B" if gold == "A" else "A")
        else:
            better_shown = "A"
        pick = better_shown if u_acc < c else ("B" if better_shown == "A" else "A")
        p_pick = self.stated(c)
        p_a = p_pick if pick == "A" else 1.0 - p_pick
        return {"a": math.log(p_a), "b": math.log(1.0 - p_a)}


@dataclass
class BiasedGrader:
    """A scripted pointwise grader (answers "[RESULT] k", the prometheus2_absolute format): the gold
    grade pulled towards the middle of the 1..5 scale by ``compress`` (0: none, 1: always 3), moved
    one point towards a reference grade mentioned in the instruction with probability ``anchor``."""

    gold: Mapping[str, float | None]
    compress: float = 0.0
    anchor: float = 0.0
    seed: int = 0

    def __call__(self, req: JudgeRequest) -> str:
        from ..probes.anchoring import CUE_RE as ANCHOR_RE

        u, _ = uniforms(self.seed, req)
        g = self.gold.get(base_id(req.example_id)[0]) or 3.0
        grade = round(3 + (1 - self.compress) * (g - 3))
        m = ANCHOR_RE.search(req.question or "")
        if m is not None and u < self.anchor:
            ref = float(m.group(1))
            grade += 1 if ref > grade else -1 if ref < grade else 0
        return f"Feedback: scripted. [RESULT] {min(5, max(1, grade))}"
