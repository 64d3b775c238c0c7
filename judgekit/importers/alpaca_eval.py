"""AlpacaEval annotation files (annotations.json): a list of ``instruction, output_1, output_2,
generator_1, generator_2, annotator, preference``. ``preference`` is 1 (output_1 better) or 2
(output_2 better), anything in between for a continuous (logprob-weighted) preference, where
P(output_1 better) = 2 - preference; 1.5 and 0 are draws; a missing preference is an
unparseable verdict. AlpacaEval stores preferences in the annotation's own frame, so each is one
judgment in order AB. The evaluated model (generator_2) is the category, so the win rates come
out per model."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..types import PairExample, Winner
from .base import Imported, ImportedVerdict, ImportOptions, importers, read_json_list


def verdict_of(pref: object) -> tuple[Winner, float | None]:
    """(winner, P(output_1 better)) of one AlpacaEval preference."""
    if pref is None or isinstance(pref, bool):
        return "invalid", None
    try:
        value = float(pref)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "invalid", None
    if value != value:  # NaN: AlpacaEval's missing annotation
        return "invalid", None
    if value == 0 or value == 1.5:
        return "tie", 0.5
    if not 1 <= value <= 2:
        return "invalid", None
    p_a = 2.0 - value
    return ("A" if value < 1.5 else "B"), p_a


@importers.register("alpaca_eval")
def read(paths: list[Path], options: ImportOptions) -> Imported:
    verdicts: list[ImportedVerdict] = []
    examples: dict[str, PairExample] = {}
    annotators = set()
    for path in paths:
        items = read_json_list(path, "annotations")
        for i, item in enumerate(items, start=1):
            for k in ("instruction", "output_1", "output_2"):
                if not isinstance(item.get(k), str):
                    raise DataError("missing or not text", path=str(path), line=i, field=k)
            ex_id = f"{path.stem}/{i - 1}" if len(paths) > 1 else str(i - 1)
            annotators.add(str(item.get("annotator") or "alpaca_eval"))
            examples[ex_id] = PairExample(
                id=ex_id, prompt=item["instruction"], response_a=item["output_1"], response_b=item["output_2"],
                category=str(item.get("generator_2") or "output_2"),
                metadata={"generator_1": item.get("generator_1"), "generator_2": item.get("generator_2")})
            winner, p_a = verdict_of(item.get("preference"))
            verdicts.append(ImportedVerdict(
                example_id=ex_id, shown_winner=winner, p_a=p_a, label=str(item.get("preference")),
                raw=item.get("raw_completion") if isinstance(item.get("raw_completion"), str) else None,
                reason=None if winner != "invalid" else f"no preference ({item.get('preference')!r})"))
    return Imported(format="alpaca_eval", judge=" + ".join(sorted(annotators)), verdicts=verdicts,
                    examples=examples, aggregation={"name": "winrate", "args": {}})
