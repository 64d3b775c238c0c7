"""RM-Bench (THU-KEG/RM-Bench; Liu et al., 2025): each prompt has three chosen and three
rejected responses, in the styles concise, detailed plain text and detailed markdown
(``id, prompt, chosen: [3], rejected: [3], domain``). Every (chosen style i, rejected style j)
combination is one pair, nine per prompt; the pair's styles and domain go to the aggregation."""

from __future__ import annotations

import os

from ..facts import RMBenchFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import LoadedData, split_parts


def domain_of(raw: str, groups: dict[str, str]) -> str:
    """The reporting domain: RM-Bench's safety-refuse and safety-response are both safety."""
    return groups.get(raw, raw)


@adapters.register("rmbench")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    groups: dict[str, str] = suite.args.get("domain_groups", {})
    parts, provenance = split_parts(suite, split, data)
    examples: list[Example] = []
    for rows in parts.values():
        for row in rows:
            chosen, rejected = row.get("chosen", types=list), row.get("rejected", types=list)
            if len(chosen) != 3 or len(rejected) != 3:
                raise row.error(f"expected three chosen and three rejected responses, got "
                                f"{len(chosen)} and {len(rejected)}", "chosen")
            for name, values in (("chosen", chosen), ("rejected", rejected)):
                if not all(isinstance(v, str) for v in values):
                    raise row.error("expected a list of three strings", name)
            raw_domain = row.get("domain")
            domain = domain_of(raw_domain, groups)
            base = str(row.get("id", types=(int, str)))
            for i in range(3):
                for j in range(3):
                    examples.append(PairExample(
                        id=f"{base}:c{i}r{j}", prompt=row.get("prompt"), response_a=chosen[i],
                        response_b=rejected[j], label="A", category=domain, source=raw_domain,
                        metadata={"aggregate": RMBenchFacts(domain=domain, chosen_style=i, rejected_style=j).stored()}))
    return LoadedData(examples, provenance)
