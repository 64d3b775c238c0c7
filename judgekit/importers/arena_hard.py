"""Arena-Hard judgment files (model_judgment/<judge>/<model>.jsonl): one line per question
``{question_id, model, judge, games: [game1, game2]}`` with each game's ``score`` one of
``A>>B, A>B, A=B, B>A, B>>A`` (null when the judge's output had no verdict). In game 1 the
baseline is assistant A and the model assistant B; game 2 swaps them. Here response A is the
baseline and response B the model, so game 1 is order AB and game 2 order BA. Arena-Hard has
no gold labels: the run reports the model's win rate against the baseline per model (ties
count half; Arena-Hard's own score is a Bradley-Terry fit that counts strong verdicts three
times), the judge's consistency across the two games and its position preference."""

from __future__ import annotations

from pathlib import Path

from ..adapters._io import read_jsonl
from ..errors import DataError
from ..types import PairExample, Winner
from .base import Imported, ImportedVerdict, ImportOptions, importers

SCORES: dict[str, tuple[Winner, int]] = {"A>>B": ("A", 2), "A>B": ("A", 1), "A=B": ("tie", 0), "B>A": ("B", 1),
                                         "B>>A": ("B", 2)}


@importers.register("arena_hard")
def read(paths: list[Path], options: ImportOptions) -> Imported:
    verdicts: list[ImportedVerdict] = []
    examples: dict[str, PairExample] = {}
    judges = set()
    for path in paths:
        for row in read_jsonl(path):
            qid = str(row.get("question_id", types=(str, int)))
            model = row.get("model")
            judges.add(str(row.get("judge", required=False) or path.parent.name))
            games = row.get("games", types=list)
            if not 1 <= len(games) <= 2:
                raise DataError("expected one or two games", path=row.path, line=row.line, field="games")
            ex_id = f"{qid}/{model}"
            if ex_id in examples:
                raise row.error(f"question {qid} judged twice for {model}", "question_id")
            examples[ex_id] = PairExample(id=ex_id, prompt="", response_a="", response_b="", category=model,
                                          metadata={"question_id": qid, "model": model})
            for order, game in zip(("AB", "BA"), games, strict=False):
                score = game.get("score") if isinstance(game, dict) else None
                shown, strength = SCORES.get(score, ("invalid", None)) if score is not None else ("invalid", None)
                verdicts.append(ImportedVerdict(
                    example_id=ex_id, order=order, shown_winner=shown, strength=strength, label=score,  # type: ignore[arg-type]
                    raw=game.get("judgment") if isinstance(game, dict) and isinstance(game.get("judgment"), str) else None,
                    reason=None if shown != "invalid" else f"no verdict ({score!r})"))
    return Imported(format="arena_hard", judge=" + ".join(sorted(judges)), verdicts=verdicts, examples=examples,
                    aggregation={"name": "winrate", "args": {}}, texts=False)
