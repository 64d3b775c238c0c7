"""Replay AlpacaEval's recorded annotations (``annotations.json``) as a judge.

Each annotation holds ``instruction, output_1, output_2, preference`` (1 = output_1 better, 2 =
output_2, continuous in between; 0 or 1.5 a draw; missing = unparseable) and the ``annotator``.
A request is answered by content: the annotation whose instruction and two outputs are the
request's question and its two shown responses, in either order. The recorded preference becomes
the verdict in the shown frame with P(first shown better): ``2 - preference`` when output_1 is
shown first, ``preference - 1`` when swapped; so both orders of a pair replay the same judgment.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, DataError
from ..importers.alpaca_eval import verdict_of
from ..importers.base import read_json_list
from ..types import Completion, JudgeRequest

ANNOTATIONS = "annotations.json"

Key = tuple[str, str, str]


def annotation_files(path: Path) -> list[Path]:
    """``path`` itself (a .json file) or every annotations.json under the folder."""
    if path.is_file():
        return [path]
    files = sorted(path.rglob(ANNOTATIONS))
    if not files:
        raise ConfigError(f"replay: {path} holds neither judgments.jsonl nor AlpacaEval {ANNOTATIONS} files")
    return files


class AlpacaAnnotations:
    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.table: dict[Key, tuple[object, Path, int]] = {}
        self.annotators: set[str] = set()
        for f in files:
            for i, item in enumerate(read_json_list(f, "annotations"), start=1):
                for k in ("instruction", "output_1", "output_2"):
                    if not isinstance(item.get(k), str):
                        raise DataError("missing or not text", path=str(f), line=i, field=k)
                key = (item["instruction"], item["output_1"], item["output_2"])
                self.table.setdefault(key, (item.get("preference"), f, i))
                if item.get("annotator"):
                    self.annotators.add(str(item["annotator"]))

    @property
    def judge(self) -> str:
        return " + ".join(sorted(self.annotators)) or "alpaca_eval"

    def answer(self, r: JudgeRequest) -> Completion:
        if r.question is None or len(r.responses) != 2:
            return Completion(request_id=r.request_id, error="replay (AlpacaEval): the request carries no pair")
        first, second = r.responses
        hit = self.table.get((r.question, first, second))
        swapped = False
        if hit is None:
            hit = self.table.get((r.question, second, first))
            swapped = hit is not None
        if hit is None:
            return Completion(request_id=r.request_id,
                              error=f"no recorded annotation for {r.example_id} ({r.order}): no annotation "
                                    f"with this instruction and these two outputs in {len(self.files)} file(s)")
        pref, f, line = hit
        winner, p_out1 = verdict_of(pref)
        if winner == "invalid":
            return Completion(request_id=r.request_id, recorded_winner="invalid",
                              text=f"{f}:{line}: preference {pref!r}")
        assert p_out1 is not None
        p_first = 1.0 - p_out1 if swapped else p_out1
        shown = winner if not swapped else {"A": "B", "B": "A", "tie": "tie"}[winner]
        return Completion(request_id=r.request_id, recorded_winner=shown, recorded_p_a=p_first,  # type: ignore[arg-type]
                          text=f"preference {pref!r}")
