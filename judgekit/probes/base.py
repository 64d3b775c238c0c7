"""What a probe is: a named, seeded, deterministic counterfactual transform of an example and
the statistic its audit reports.

A probe has one or more variants (verbosity: several padding lengths; bandwagon: the cue naming
each side). For each base example, variant and order it returns the perturbed example (or None
when the probe does not apply to that example) and the response the perturbation favours (its
*target*, in the example's own frame). Every random choice is drawn from a hash of the seed, the
probe, the variant and the example's own id, never from a global random state, so an audit
reruns identically and two judges see the same perturbed examples.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ..types import Example, Order, PairExample, PointExample

#: how a probe's effect is computed (judgekit.probes.effects)
Statistic = Literal[
    "target_shift",  # pairwise: P(judge picks the favoured response | perturbed) - P(... | original)
    "first_shift",  # pairwise, both orders of the base run: P(first shown) - P(second shown)
    "instability",  # pairwise: flip rate of a perturbed request minus the flip rate of a plain resample
    "grade_shift",  # pointwise: mean change of the grade towards an anchor
    "spread_ratio",  # pointwise, base run: sd(judge grades) / sd(gold grades)
    "calibration",  # base run with p(A): expected calibration error against the gold labels
    "self_preference",  # base run with generators recorded: own-family win share minus gold's
]
Kind = Literal["pairwise", "pointwise"]
Target = Literal["worse", "better", "none"]


@dataclass(frozen=True)
class Variant:
    """One setting of a probe; ``params`` are recorded in the run's manifest."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    target: Target = "none"  # which response the perturbation favours (pairwise)
    #: request changes: "temperature" (sampled again at the audit's temperature, sample index 1)
    resample: bool = False

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params), "target": self.target,
                "resample": self.resample}


def seeded_int(seed: int, *key: str) -> int:
    """A deterministic integer from the seed and a key (the probe, the variant, the example id)."""
    blob = "\x1f".join([str(int(seed)), *key]).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


def seeded_choice(options: tuple[str, ...] | list[str], seed: int, *key: str) -> str:
    return options[seeded_int(seed, *key) % len(options)]


def worse_better(ex: PairExample) -> tuple[Literal["A", "B"], Literal["A", "B"]] | None:
    """(worse, better) response names by the gold label; None for ties and unlabelled pairs."""
    if ex.label == "A":
        return "B", "A"
    if ex.label == "B":
        return "A", "B"
    return None


def replace_response(ex: PairExample, which: str, text: str, new_id: str) -> PairExample:
    key = "response_a" if which == "A" else "response_b"
    return ex.model_copy(update={key: text, "id": new_id})


class Probe:
    """Base class of a probe. Subclasses set the class attributes and implement ``transform``
    (data-only probes, which read the unperturbed run alone, set ``data_only`` and keep the
    default ``transform``)."""

    name: ClassVar[str]
    description: ClassVar[str]
    paper: ClassVar[str]  # which paper's probe this follows
    kinds: ClassVar[tuple[Kind, ...]] = ("pairwise",)
    statistic: ClassVar[Statistic]
    #: the value of the statistic when there is no effect (the flag asks whether the interval excludes it)
    null_value: ClassVar[float] = 0.0
    #: True: the probe reads the base run only (no perturbed requests; a replayed judge can answer it)
    data_only: ClassVar[bool] = False
    #: False for descriptive statistics that have no "no effect" value to flag against
    flaggable: ClassVar[bool] = True
    version: ClassVar[int] = 1  # bump when a transform changes what it produces

    def variants(self) -> list[Variant]:
        return []

    def transform(self, ex: Example, variant: Variant, order: Order, seed: int) -> Example | None:
        """The perturbed example for one order (None: the probe does not apply to it). The
        result's id must be ``variant_id(ex, variant)``."""
        return None

    def target(self, ex: Example, variant: Variant) -> Literal["A", "B"] | None:
        """The response (example frame) the perturbation favours."""
        if not isinstance(ex, PairExample) or variant.target == "none":
            return None
        wb = worse_better(ex)
        if wb is None:
            return None
        return wb[0] if variant.target == "worse" else wb[1]

    def applies_to(self, ex: Example) -> bool:
        return isinstance(ex, PointExample) == ("pointwise" in self.kinds and "pairwise" not in self.kinds)

    def record(self, seed: int) -> dict[str, Any]:
        """What the run manifest keeps: enough to rerun the transform identically."""
        return {"name": self.name, "version": self.version, "seed": int(seed), "statistic": self.statistic,
                "variants": [v.record() for v in self.variants()]}


def variant_id(ex: Example, variant: Variant) -> str:
    return f"{ex.id}~{variant.name}"


def base_id(example_id: str) -> tuple[str, str | None]:
    """``"<base id>~<variant>"`` -> (base id, variant); a base id -> (id, None)."""
    head, sep, tail = example_id.rpartition("~")
    return (head, tail) if sep else (example_id, None)
