"""Shared machinery of the probes that edit one response of a pair (the worse one, by the gold
label) without adding substance."""

from __future__ import annotations

from ..types import Example, Order, PairExample
from .base import Probe, Variant, replace_response, variant_id, worse_better


class ResponseEdit(Probe):
    """Edits the response named by the variant's target; a subclass implements ``edit``."""

    statistic = "target_shift"

    def edit(self, text: str, variant: Variant, seed: int, key: str) -> str | None:
        raise NotImplementedError

    def transform(self, ex: Example, variant: Variant, order: Order, seed: int) -> Example | None:
        if not isinstance(ex, PairExample):
            return None
        wb = worse_better(ex)
        if wb is None:
            return None
        which = wb[0] if variant.params.get("edit", "worse") == "worse" else wb[1]
        text = ex.response_a if which == "A" else ex.response_b
        new = self.edit(text, variant, seed, f"{self.name}/{variant.name}/{ex.id}")
        if new is None or new == text:
            return None
        return replace_response(ex, which, new, variant_id(ex, variant))
