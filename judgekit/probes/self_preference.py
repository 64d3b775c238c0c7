"""Self-preference (self-enhancement): where the data records which model generated each response
(example metadata ``generator_a`` / ``generator_b``), the judge's preference for responses of its
own model family on pairs with exactly one of them, minus the gold label's preference for them."""

from __future__ import annotations

from ..registry import probes
from .base import Probe


def family(model: str) -> str:
    """A coarse model family from a model or generator name: gpt4_1106_preview, gpt-4o -> gpt-4;
    claude-3-opus -> claude; Meta-Llama-3-70B -> llama; ... (the first recognised stem)."""
    m = model.lower().replace("_", "-")
    for stem, fam in (("gpt-4", "gpt-4"), ("gpt4", "gpt-4"), ("gpt-3.5", "gpt-3.5"), ("gpt-35", "gpt-3.5"),
                      ("claude", "claude"), ("llama", "llama"), ("mistral", "mistral"), ("mixtral", "mistral"),
                      ("qwen", "qwen"), ("gemini", "gemini"), ("gemma", "gemma"), ("yi-", "yi"), ("smollm", "smollm")):
        if stem in m:
            return fam
    return m


@probes.register("self_preference")
class SelfPreference(Probe):
    name = "self_preference"
    kinds = ("pairwise",)
    description = ("On pairs where exactly one response comes from the judge's own model family: the judge's "
                   "share of picks for it minus the gold label's share (needs generator_a / generator_b).")
    paper = "Zheng et al. 2023 (self-enhancement bias); Panickssery et al. 2024 (LLM Evaluators Recognize and Favor Their Own Generations)"
    statistic = "self_preference"
    data_only = True
