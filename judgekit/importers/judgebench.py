"""JudgeBench output files (outputs/dataset=judgebench,...,judge_name=...,judge_model=....jsonl):
each line is a pair with its gold label and ``judgments: [first, second]``; the second was made
with A and B swapped and its ``decision`` is in that swapped frame (``A>B``, ``B>A``, ``A=B``, or
null for an unparseable output). The same rules as the replay backend."""

from __future__ import annotations

from pathlib import Path

from ..adapters._io import read_jsonl
from ..adapters.judgebench import LABELS, category_of
from ..backends.replay import JUDGEBENCH_DECISIONS
from ..errors import DataError
from ..suites import load_suite
from ..types import PairExample, Winner
from .base import Imported, ImportedVerdict, ImportOptions, importers


@importers.register("judgebench")
def read(paths: list[Path], options: ImportOptions) -> Imported:
    categories = load_suite("judgebench").args.get("categories", {})
    verdicts: list[ImportedVerdict] = []
    examples: dict[str, PairExample] = {}
    judges = set()
    for path in paths:
        for row in read_jsonl(path):
            pair_id = row.get("pair_id")
            judgments = row.get("judgments", types=list)
            label = row.get("label")
            source = row.get("source")
            examples[pair_id] = PairExample(id=pair_id, prompt=row.get("question"), response_a=row.get("response_A"),
                                            response_b=row.get("response_B"), label=LABELS.get(label),  # type: ignore[arg-type]
                                            category=category_of(source, categories), source=source)
            if not 1 <= len(judgments) <= 2:
                raise DataError("expected one or two judgments", path=row.path, line=row.line, field="judgments")
            for order, j in zip(("AB", "BA"), judgments, strict=False):
                if j is None:
                    verdicts.append(ImportedVerdict(example_id=pair_id, order=order, shown_winner="invalid",  # type: ignore[arg-type]
                                                    reason="the judge call failed (null)"))
                    continue
                inner = j.get("judgment") or {}
                decision = j.get("decision")
                judges.add(str(inner.get("judge_model") or row.get("judge_name", required=False) or path.stem))
                shown: Winner = JUDGEBENCH_DECISIONS.get(decision, "invalid")
                verdicts.append(ImportedVerdict(
                    example_id=pair_id, order=order, shown_winner=shown, label=decision,  # type: ignore[arg-type]
                    raw=inner.get("response") or None,
                    reason=None if shown != "invalid" else f"recorded decision {decision!r}"))
    return Imported(format="judgebench", judge=" + ".join(sorted(judges)) or paths[0].stem, verdicts=verdicts, examples=examples,
                    default_suite="judgebench")
