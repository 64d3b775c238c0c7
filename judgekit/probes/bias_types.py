"""EvalBiasBench's six bias types (Park et al. 2024, OffsetBias) and the probe that perturbs for each.

EvalBiasBench tests a bias by data: each pair's worse response carries the bias-inducing feature.
A probe tests it by intervention: the feature is added to the worse response of any labelled pair
and nothing else changes. Some features can be added by a deterministic transform that keeps the
gold label true; for the others no such transform exists, and the reason is recorded here.
"""

from __future__ import annotations

from typing import NamedTuple


class BiasType(NamedTuple):
    probes: tuple[str, ...]  # the probes that add this type's feature counterfactually (empty: none)
    note: str


#: keyed by the type names of biasbench.json (the evalbiasbench suite's subsets)
EVALBIASBENCH: dict[str, BiasType] = {
    "length bias": BiasType(("verbosity",), "the worse response padded with content-free sentences (several "
                            "lengths); the better one shortened where safe"),
    "concreteness": BiasType(("concreteness", "authority"), "invented specifics (counts, dates, percentages; "
                             "concreteness) or a fake reference or expert attribution (authority) appended to "
                             "the worse response"),
    "empty reference": BiasType((), "none: the bias needs an instruction that refers to content it does not "
                                "contain, where the right answer asks for it; removing content from an "
                                "instruction changes which response is right, and no edit of the given "
                                "responses produces the request for the missing content"),
    "content_continuation": BiasType((), "none: the worse response continues the input text instead of doing "
                                     "the task; writing a continuation needs a generator, and pasting the input "
                                     "back (an echo) measures overlap with the input, a different feature"),
    "nested_instruction": BiasType(("nested_instruction",), "an instruction to the evaluator embedded in the "
                                   "worse response (the judge-side form: EvalBiasBench's worse response obeys "
                                   "an instruction nested in the user's input, which needs a generator)"),
    "familiar knowledge preference bias": BiasType((), "none: the worse response answers a more familiar "
                                                   "neighbouring question (closest star for farthest star); "
                                                   "turning a response into a fluent answer to another "
                                                   "question needs a generator and world knowledge"),
}
