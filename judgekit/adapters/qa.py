"""Question answering with reference answers and a gold correctness label (TriviaQA-style, as
"Judging the Judges" uses it): each record a question, its reference answers, one model's answer
and whether that answer is correct. The judge grades the answer 1 (correct) or 0 (incorrect);
the gold label is the example's score.

Fields (rename with ``--field NAME=COLUMN``): ``question``, ``references`` (a list of strings, or
one string), ``answer``, ``correct`` (true/false, 1/0, "yes"/"no", "correct"/"incorrect"), and
optionally ``id`` and ``category``. A Hugging Face dataset is read with ``--hub-dataset ID``
(``--hub-split``, ``--hub-config``, ``--revision``), a local file with ``--data FILE``.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PointExample
from ._io import LoadedData, Row, rows_of_split

QA_FIELDS = ("id", "question", "references", "answer", "correct", "category")
_TRUE = {"1", "true", "yes", "correct", "1.0"}
_FALSE = {"0", "false", "no", "incorrect", "0.0"}


def _references(row: Row, name: str) -> list[str]:
    value = row.get(name, types=(str, list))
    refs = [value] if isinstance(value, str) else value
    if not refs or not all(isinstance(r, str) for r in refs):
        raise row.error("expected a non-empty list of strings (or one string)", name)
    return list(refs)


def _correct(row: Row, name: str) -> float | None:
    raw: Any = row.get(name, types=(bool, int, float, str), required=False)
    if raw is None:
        return None
    key = str(raw).strip().lower()
    if key in _TRUE:
        return 1.0
    if key in _FALSE:
        return 0.0
    raise row.error(f"expected true/false, 1/0, yes/no or correct/incorrect, got {raw!r}", name)


@adapters.register("qa")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    fields: dict[str, str] = dict(args.get("fields", {}))
    unknown = sorted(set(fields) - set(QA_FIELDS))
    if unknown:
        raise ConfigError(f"--field {', '.join(unknown)}: unknown for a QA dataset; known: {', '.join(QA_FIELDS)}")
    col = {name: fields.get(name, name) for name in QA_FIELDS}
    rows, provenance = rows_of_split(suite, split, data, args, "the qa suite needs --data FILE or --hub-dataset ID")
    examples: list[Example] = []
    for i, row in enumerate(rows):
        rid = row.get(col["id"], types=(str, int), required=False)
        refs = _references(row, col["references"])
        category = row.get(col["category"], types=(str, int), required=False)
        examples.append(PointExample(
            id=str(rid) if rid is not None else str(i), prompt=str(row.get(col["question"], types=(str, int, float))),
            response=str(row.get(col["answer"], types=(str, int, float))), score=_correct(row, col["correct"]),
            reference=refs[0], category=None if category is None else str(category),
            metadata={"references": refs}))
    return LoadedData(examples, provenance)
