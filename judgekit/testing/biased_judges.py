"""Scripted judges with implanted biases, for testing `judgekit audit` (used as the mock backend's
``responder``). They answer "Output (a)" / "Output (b)" (the ``vanilla`` template's labels).

Each request draws its own pseudo-random numbers from a hash of the seed, the rendered prompt and
the sample index, so a perturbed request (a different prompt) or a resample (another sample index)
is an independent draw, as a sampling judge's would be. The judge then:

- with probability ``position`` answers the first shown response;
- else with probability ``length`` answers the longer shown response (the character count);
- else, when the instruction says "most people preferred the first/second response", with
  probability ``bandwagon`` answers that one;
- otherwise answers the better response (by the gold label) with probability ``accuracy``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from ..probes.bandwagon import CUE_RE
from ..probes.base import base_id
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
    seed: int = 0

    def __call__(self, req: JudgeRequest) -> str:
        u_bias, u_acc = uniforms(self.seed, req)
        first, second = req.responses if len(req.responses) == 2 else ("", "")
        if u_bias < self.position:
            return LABEL["A"]
        u = u_bias - self.position
        if u < self.length and len(first) != len(second):
            return LABEL["A" if len(first) > len(second) else "B"]
        u -= self.length
        cue = CUE_RE.search(req.question or "")
        if cue is not None and u < self.bandwagon:
            return LABEL["A" if cue.group(1).lower() == "first" else "B"]
        gold = self.gold.get(base_id(req.example_id)[0])
        if gold not in ("A", "B"):
            return LABEL["A" if u_acc < 0.5 else "B"]
        better_shown = gold if req.order == "AB" else ("B" if gold == "A" else "A")
        worse_shown = "B" if better_shown == "A" else "A"
        return LABEL[better_shown if u_acc < self.accuracy else worse_shown]


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
