"""Stability: the same request sampled again (sample index 1, at the audit's temperature), and the
instruction paraphrased by deterministic rules and sampled the same way. The effect is the flip
rate of the paraphrase against the original minus the flip rate of the plain resample: how much
more a meaning-preserving rewording moves the verdict than the judge's own test-retest noise.
Both test-retest agreements are reported."""

from __future__ import annotations

import re

from ..registry import probes
from ..types import Example, Order, PairExample, PointExample
from .base import Probe, Variant, seeded_choice, variant_id

WRAPPERS = (
    "Please respond to the following request.\n\n{q}",
    "Here is a task for you:\n\n{q}",
    "{q}\n\n(Please answer the request above.)",
    "The user asks:\n\n{q}",
)
PAIRS = (("do not", "don't"), ("does not", "doesn't"), ("is not", "isn't"), ("are not", "aren't"),
         ("cannot", "can't"), ("what is", "what's"), ("it is", "it's"), ("I am", "I'm"))


def _sub_keep_case(pattern: str, repl: str, text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        s = m.group(0)
        return repl[:1].upper() + repl[1:] if s[:1].isupper() else repl

    return re.sub(pattern, fix, text, flags=re.IGNORECASE)


def paraphrase(text: str, seed: int, key: str) -> str:
    """A meaning-preserving rewording: contractions swapped one way or the other, then a neutral
    framing sentence around the request (both chosen by the seed and the example)."""
    contract = seeded_choice(("contract", "expand"), seed, key, "dir") == "contract"
    out = text
    for long, short in PAIRS:
        src, dst = (long, short) if contract else (short, long)
        out = _sub_keep_case(r"\b" + re.escape(src) + r"(?!\w)", dst, out)
    return seeded_choice(WRAPPERS, seed, key, "wrap").format(q=out.strip())


@probes.register("stability")
class Stability(Probe):
    name = "stability"
    kinds = ("pairwise",)
    description = ("The request sampled again (resample) and with the instruction paraphrased by rules "
                   "(paraphrase), both at the audit's temperature; flip rate of the paraphrase minus that of "
                   "the resample, with both test-retest agreements.")
    paper = "Ye et al. 2024 (CALM, robustness); Wei et al. 2024 (Systematic Evaluation of LLM-as-a-Judge, flipping noise)"
    statistic = "instability"

    def variants(self) -> list[Variant]:
        return [Variant(name="resample", params={"sample": 1}, resample=True),
                Variant(name="paraphrase", params={"sample": 1, "rules": "contractions+framing"}, resample=True)]

    def transform(self, ex: Example, variant: Variant, order: Order, seed: int) -> Example | None:
        if not isinstance(ex, PairExample | PointExample):
            return None
        if variant.name == "resample":
            return ex.model_copy(update={"id": variant_id(ex, variant)})
        return ex.model_copy(update={"prompt": paraphrase(ex.prompt, seed, f"{self.name}/{ex.id}"),
                                     "id": variant_id(ex, variant)})
