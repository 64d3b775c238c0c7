"""PandaLM result files (``<judge>-testset-v1.json``): a list of ``{idx, <judge>_result, ...}``
aligned with the test set by ``idx``. ``gpt_result`` is the text "1", "2" or "Tie" (anything
else, such as GPT-3.5's "garbage", is an unparseable verdict); ``pandalm_result`` is 0 (tie), 1
or 2. The gold labels come from the pandalm suite (--data: a folder holding testset-v1.json)."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from ..types import Winner
from .base import Imported, ImportedVerdict, ImportOptions, importers, read_json_list

CHOICES: dict[str, Winner] = {"1": "A", "2": "B", "tie": "tie", "0": "tie"}


@importers.register("pandalm")
def read(paths: list[Path], options: ImportOptions) -> Imported:
    verdicts: list[ImportedVerdict] = []
    judges = set()
    for path in paths:
        items = read_json_list(path, "judgments")
        for i, item in enumerate(items, start=1):
            keys = [k for k in item if k.endswith("_result")] if isinstance(item, dict) else []
            if "idx" not in item or len(keys) != 1:
                raise DataError("expected `idx` and one `<judge>_result` field", path=str(path), line=i)
            key = keys[0]
            judges.add(path.name.removesuffix(".json").removesuffix("-testset-v1") or key[:-7])
            raw = item[key]
            text = str(raw).strip()
            winner = CHOICES.get(text.casefold(), "invalid")
            reason_field = key.replace("_result", "_reason")
            verdicts.append(ImportedVerdict(
                example_id=str(item["idx"]), shown_winner=winner, label=text,
                raw=item.get(reason_field) if winner != "invalid" else text,
                reason=None if winner != "invalid" else f"unparseable verdict {text[:40]!r}"))
    return Imported(format="pandalm", judge=" + ".join(sorted(judges)), verdicts=verdicts, default_suite="pandalm",
                    needs_suite=True)
