"""LLMBar result files (Dataset/LLMBar/<subset>/evaluators/<judge>/<strategy>/result.json):
a list of the subset's items (``input, output_1, output_2, label``) each with ``results``: a list
of ``{"swap = False": {completion, winner}, "swap = True": {completion, winner}}``. LLMBar writes
both winners in the item's own frame ("1" or "2"; the swapped one already mapped back); the last
entry with both keys is the final verdict (strategies with a first step store it first).
The subset comes from --subset or from the file's path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..adapters.llmbar import LABELS
from ..errors import ConfigError, DataError
from ..protocols import flip
from ..types import PairExample, Winner
from .base import Imported, ImportedVerdict, ImportOptions, importers, read_json_list

SUBSETS = ("Natural", "Neighbor", "GPTInst", "GPTOut", "Manual", "FairEval", "LLMEval2", "MT-Bench")
WINNERS: dict[str, Winner] = {"1": "A", "2": "B"}


def subset_of(path: Path, given: str | None) -> str:
    if given:
        return given
    for part in reversed(path.parts):
        if part in SUBSETS:
            return part
    raise ConfigError(f"{path}: cannot tell the LLMBar subset from the path; pass --subset NAME "
                      f"({', '.join(SUBSETS)})")


def _judge_of(path: Path) -> str:
    parts = path.parts
    if "evaluators" in parts:
        i = parts.index("evaluators")
        return "/".join(parts[i + 1:-1]) or path.stem
    return path.stem


@importers.register("llmbar")
def read(paths: list[Path], options: ImportOptions) -> Imported:
    verdicts: list[ImportedVerdict] = []
    examples: dict[str, PairExample] = {}
    judges = set()
    for path in paths:
        subset = subset_of(path, options.subset)
        judges.add(_judge_of(path))
        items = read_json_list(path, "result items")
        for i, item in enumerate(items, start=1):
            ex_id = f"{subset}/{i - 1}"
            if not isinstance(item, dict) or not isinstance(item.get("results"), list):
                raise DataError("expected an object with a `results` list", path=str(path), line=i, field="results")
            final = [r for r in item["results"] if isinstance(r, dict) and "swap = False" in r]
            if not final:
                raise DataError("no result with a 'swap = False' verdict", path=str(path), line=i, field="results")
            res: dict[str, Any] = final[-1]
            label = LABELS.get(int(item["label"])) if str(item.get("label", "")).isdigit() else None
            examples[ex_id] = PairExample(id=ex_id, prompt=str(item.get("input", "")),
                                          response_a=str(item.get("output_1", "")),
                                          response_b=str(item.get("output_2", "")), label=label,  # type: ignore[arg-type]
                                          category=subset)
            for key, order in (("swap = False", "AB"), ("swap = True", "BA")):
                if key not in res:
                    continue
                rec = res[key] or {}
                raw_winner = rec.get("winner")
                own = WINNERS.get(str(raw_winner).strip(), "invalid") if raw_winner is not None else "invalid"
                completion = rec.get("completion")
                text = completion[0] if isinstance(completion, list) and completion else None
                verdicts.append(ImportedVerdict(
                    example_id=ex_id, order=order,  # type: ignore[arg-type]
                    shown_winner=own if order == "AB" else flip(own), label=None if raw_winner is None else str(raw_winner),
                    raw=text, reason=None if own != "invalid" else f"unparsed winner {raw_winner!r}"))
    return Imported(format="llmbar", judge=" + ".join(sorted(judges)), verdicts=verdicts, examples=examples,
                    default_suite="llmbar")
