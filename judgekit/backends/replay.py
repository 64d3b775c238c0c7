"""Serve recorded judgments so that they can be re-scored without running a judge.

Reads JudgeBench's output files (each line a pair with ``judgments: [first, second]``,
the second made with A and B swapped, its decision in the swapped frame; raw judge
text in ``judgment.response``; reward models keep ``judgment.scores``) and judgekit's
own ``judgments.jsonl`` (or a run folder holding one).

By default the recorded decision is served as the verdict, so the published numbers
are reproduced exactly. With ``reparse: true`` the recorded text is parsed again by
the run's template (and recorded scores give the verdict by their difference, equal
scores being a tie).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..adapters._io import file_sha256, read_jsonl
from ..errors import ConfigError, DataError
from ..registry import backends
from ..types import Completion, JudgeRequest, Order, Winner
from .base import Backend

JUDGEBENCH_DECISIONS: dict[Any, Winner] = {"A>B": "A", "B>A": "B", "A=B": "tie", None: "invalid"}


@backends.register("replay")
class ReplayBackend(Backend):
    name = "replay"
    cacheable = False
    timed = False
    batch_size = 4096

    def __init__(self, model: str, *, reparse: bool = False) -> None:
        super().__init__(model)
        path = Path(model)
        if path.is_dir():
            path = path / "judgments.jsonl"
        if not path.is_file():
            raise ConfigError(f"replay: no such file {path}")
        self.path = path
        self.reparse = reparse
        self.sha256 = file_sha256(path)
        self.judge_model: str | None = None
        self.records: dict[tuple[str, Order, int], Completion] = {}
        self._load()
        # recorded reward-model scores (scores, no judge text) were made with no judge prompt
        recs = list(self.records.values())
        self.uses_template = not recs or any(r.scores is None or r.text is not None for r in recs)

    @property
    def display_name(self) -> str:
        return self.judge_model or self.path.stem

    def identity(self) -> dict[str, Any]:
        # the file's content hash identifies it; where it lies does not (the same recorded judgments on
        # another machine or path are the same run, with the same run id)
        return {"backend": self.name, "file": self.path.name, "sha256": self.sha256,
                "reparse": self.reparse, "judge_model": self.judge_model}

    def _load(self) -> None:
        for row in read_jsonl(self.path):
            if "judgments" in row.data:
                self._load_judgebench(row.data, row.path, row.line)
            elif "request_id" in row.data:
                self._load_judgekit(row.data, row.path, row.line)
            else:
                raise DataError("neither a JudgeBench output record (no 'judgments') nor a judgekit "
                                "judgment (no 'request_id')", path=row.path, line=row.line)

    def _load_judgebench(self, rec: Mapping[str, Any], path: str, line: int) -> None:
        pair_id = rec.get("pair_id")
        judgments = rec["judgments"]
        if not isinstance(pair_id, str):
            raise DataError("missing", path=path, line=line, field="pair_id")
        if not isinstance(judgments, list) or not 1 <= len(judgments) <= 2:
            raise DataError("expected a list of one or two judgments", path=path, line=line,
                            field="judgments")
        orders: tuple[Order, ...] = ("AB", "BA")
        for order, j in zip(orders, judgments, strict=False):
            rid = f"{pair_id}#{order}"
            if j is None:  # JudgeBench records a failed judge call as null
                self.records[(pair_id, order, 0)] = Completion(
                    request_id=rid, recorded_winner=None if self.reparse else "invalid")
                continue
            inner = j.get("judgment") or {}
            self.judge_model = self.judge_model or inner.get("judge_model")
            decision = j.get("decision")
            if decision not in JUDGEBENCH_DECISIONS:
                # JudgeBench keeps any other label the judge wrote (e.g. "A<B"); it counts as neither
                recorded: Winner = "invalid"
            else:
                recorded = JUDGEBENCH_DECISIONS[decision]
            text = inner.get("response") or None
            self.records[(pair_id, order, 0)] = Completion(
                request_id=rid, text=text, scores=inner.get("scores"),
                recorded_winner=None if self.reparse else recorded)

    def _load_judgekit(self, rec: Mapping[str, Any], path: str, line: int) -> None:
        try:
            key = (rec["example_id"], rec["order"], int(rec.get("sample", 0)))
            shown = rec["shown_winner"]
        except KeyError as exc:
            raise DataError("missing", path=path, line=line, field=exc.args[0]) from None
        if rec.get("status") != "ok":
            return  # a failed request has nothing to replay
        scores = rec.get("scores")
        if scores is not None and rec["order"] == "BA":
            scores = [scores[1], scores[0]]  # stored in the example's frame; serve in the shown frame
        self.records[key] = Completion(
            request_id=rec["request_id"], text=rec.get("raw"), scores=scores,
            recorded_winner=None if self.reparse else shown,
            prompt_tokens=rec.get("prompt_tokens"), completion_tokens=rec.get("completion_tokens"),
            latency_s=rec.get("latency_s"))

    async def complete(self, requests: Sequence[JudgeRequest]) -> list[Completion]:
        out = []
        for r in requests:
            rec = self.records.get((r.example_id, r.order, r.sample))
            if rec is None:
                out.append(Completion(request_id=r.request_id,
                                      error=f"no recorded judgment for {r.example_id} ({r.order}) "
                                            f"in {self.path}"))
            else:
                out.append(rec.model_copy(update={"request_id": r.request_id}))
        return out
