"""Any dataset with a field mapping: a local JSONL, JSON, CSV, TSV or Parquet file (``--data``)
or a Hugging Face dataset (``args.hub``), pairwise or pointwise.

The mapping comes from the suite YAML's ``args`` or the command line (``--field prompt=instruction
--field a=output_1 --field b=output_2 --field label=preference --label 1=A --label 2=B``):

- ``fields``: judgekit's name -> the dataset's column. Pairwise: ``prompt, a, b, label`` (and
  optionally ``id, category``, and ``generator_a, generator_b``: the models that wrote each response,
  for the audit's self-preference probe); pointwise: ``prompt, response, score`` (and ``id, category,
  reference, rubric``). A name left out maps to the column of the same name.
- ``labels``: the label column's values (written as text) -> ``A``, ``B`` or ``tie``; without it
  ``A``/``B``/``tie`` and 1/2 (and 0 for a tie) are understood.
- ``hub``: a Hugging Face dataset id, with ``hub_split``, ``hub_config`` and ``revision``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError, DataError
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, GoldLabel, PairExample, PointExample
from ._io import LoadedData, Row, rows_of_split

DEFAULT_LABELS: dict[str, GoldLabel] = {"A": "A", "B": "B", "tie": "tie", "a": "A", "b": "B", "1": "A",
                                        "2": "B", "0": "tie", "1.0": "A", "2.0": "B", "0.0": "tie"}
PAIR_FIELDS = ("id", "prompt", "a", "b", "label", "category", "generator_a", "generator_b")
POINT_FIELDS = ("id", "prompt", "response", "score", "category", "reference", "rubric")


def _value_key(value: Any) -> str:
    return str(value).strip()


def parse_mapping(items: Iterable[str], option: str) -> dict[str, str]:
    """``["prompt=instruction", ...]`` -> {"prompt": "instruction"}; errors name the option."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{option} {item!r}: expected NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


@adapters.register("generic")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    kind = args.get("kind", suite.kind)
    fields: dict[str, str] = dict(args.get("fields", {}))
    known = PAIR_FIELDS if kind == "pairwise" else POINT_FIELDS
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise ConfigError(f"--field {', '.join(unknown)}: unknown for a {kind} dataset; known: {', '.join(known)}")
    labels: dict[str, GoldLabel] = {}
    for raw, gold in (args.get("labels") or DEFAULT_LABELS).items():
        if gold not in ("A", "B", "tie"):
            raise ConfigError(f"--label {raw}={gold}: the label must be A, B or tie")
        labels[_value_key(raw)] = gold
    rows, provenance = rows_of_split(suite, split, data, args,
                                     "the generic suite needs --data FILE (JSONL, JSON, CSV, TSV or Parquet) or "
                                     "--field-mapped hub dataset (args.hub)")
    col = {name: fields.get(name, name) for name in known}
    examples: list[Example] = []
    for i, row in enumerate(rows):
        rid = row.get(col["id"], types=(str, int), required=False)
        example_id = str(rid) if rid is not None else str(i)
        category = row.get(col["category"], types=(str, int), required=False)
        if kind == "pairwise":
            raw = row.get(col["label"], types=(str, int, float), required=False)
            label = None
            if raw is not None:
                label = labels.get(_value_key(raw))
                if label is None:
                    raise row.error(f"unknown label {raw!r}; map it with --label {raw}=A|B|tie "
                                    f"(known: {', '.join(labels)})", col["label"])
            # which model wrote each response, when the data says (the audit's self_preference probe)
            generators = {k: str(v) for k in ("generator_a", "generator_b")
                          if (v := row.get(col[k], types=(str,), required=False)) is not None}
            examples.append(PairExample(id=example_id, prompt=_text(row, col, "prompt"),
                                        response_a=_text(row, col, "a"), response_b=_text(row, col, "b"),
                                        label=label, category=None if category is None else str(category),
                                        metadata=generators))
        else:
            raw_score = row.get(col["score"], types=(str, int, float), required=False)
            try:
                score = None if raw_score is None else float(raw_score)
            except ValueError:
                raise row.error(f"expected a number, got {raw_score!r}", col["score"]) from None
            examples.append(PointExample(
                id=example_id, prompt=_text(row, col, "prompt"), response=_text(row, col, "response"),
                score=score, reference=row.get(col["reference"], required=False),
                rubric=row.get(col["rubric"], required=False), category=None if category is None else str(category)))
    _require_gold(examples, rows, col, kind)
    return LoadedData(examples, provenance)


def _text(row: Row, col: dict[str, str], field: str) -> str:
    name = col[field]
    try:
        return str(row.get(name, types=(str, int, float)))
    except DataError as exc:
        if name not in row.data:
            raise row.error(f"missing; columns here: {', '.join(map(str, row.data))}; map judgekit's field "
                            f"{field!r} to one with --field {field}=COLUMN", name) from exc
        raise


def _require_gold(examples: list[Example], rows: list[Row], col: dict[str, str], kind: str) -> None:
    """A dataset where no example has a gold label gives no accuracy: stop before judging anything."""
    field = "label" if kind == "pairwise" else "score"
    gold = [e.label if isinstance(e, PairExample) else e.score for e in examples]
    if not examples or any(g is not None for g in gold):
        return
    first = rows[0]
    raise DataError(f"no example has a gold {field}: the column is missing or empty in all {len(examples)} rows "
                    f"(columns: {', '.join(map(str, first.data))}); map judgekit's field {field!r} to the right "
                    f"column with --field {field}=COLUMN", path=first.path, field=col[field])
