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

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, GoldLabel, PairExample, PointExample, trusted
from ._io import LoadedData, Row, file_sha256, read_jsonl, read_records, rows_of_split

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
    mapping = _mapping(suite)
    rows, provenance = rows_of_split(suite, split, data, suite.args,
                                     "the generic suite needs --data FILE (JSONL, JSON, CSV, TSV or Parquet) or "
                                     "--field-mapped hub dataset (args.hub)")
    examples = list(_examples(rows, *mapping))
    _require_gold(examples, rows, mapping[0], mapping[2])
    return LoadedData(examples, provenance)


def stream(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None
           ) -> tuple[Callable[[], Iterator[Example]], dict[str, Any]] | None:
    """The examples of one local file, read again on each call of the returned function (for runs
    too large to hold: :mod:`judgekit.adapters.stream`); None when the data is not one local file.
    The function raises what :func:`load` raises, the missing-gold error at the end of the file."""
    if data is None or not Path(data).is_file() or suite.args.get("hub") or len(split.files()) != 1:
        return None
    mapping = _mapping(suite)
    path = Path(data)
    jsonl = path.suffix.lower() == ".jsonl"  # hashed by the first pass over it (the check), not a pass of its own
    provenance = {"source": "file", "path": str(path.resolve()), "sha256": "" if jsonl else file_sha256(path)}

    def examples() -> Iterator[Example]:
        first: Row | None = None
        gold = n = 0
        digest = hashlib.sha256() if not provenance["sha256"] else None
        rows = read_jsonl(path, digest) if jsonl else read_records(path)
        for row, ex in _rows_and_examples(rows, *mapping):
            first = first or row
            n += 1
            gold += (ex.label if isinstance(ex, PairExample) else ex.score) is not None
            yield ex
        if digest is not None:  # read to the end: the file's hash
            provenance["sha256"] = digest.hexdigest()
        if n and not gold and first is not None:
            _no_gold(n, first, mapping[0], mapping[2])

    return examples, provenance


load.stream = stream  # type: ignore[attr-defined]


def _mapping(suite: SuiteSpec) -> tuple[dict[str, str], dict[str, GoldLabel], str]:
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
    col = {name: fields.get(name, name) for name in known}
    return col, labels, kind


def _examples(rows: Iterable[Row], col: dict[str, str], labels: dict[str, GoldLabel], kind: str) -> Iterator[Example]:
    return (ex for _, ex in _rows_and_examples(rows, col, labels, kind))


def _rows_and_examples(rows: Iterable[Row], col: dict[str, str], labels: dict[str, GoldLabel], kind: str
                       ) -> Iterator[tuple[Row, Example]]:
    for i, row in enumerate(rows):
        yield row, _example(i, row, col, labels, kind)


def _example_id(i: int, row: Row, col: dict[str, str]) -> str:
    """The example's id: its id field, or its position in the file (from 0) without one."""
    rid = _get(row, col["id"], (str, int))
    return str(rid) if rid is not None else str(i)


def _example(i: int, row: Row, col: dict[str, str], labels: dict[str, GoldLabel], kind: str) -> Example:
    """The i-th row (from 0) as an example."""
    example_id = _example_id(i, row, col)
    category = _get(row, col["category"], (str, int))
    if kind == "pairwise":
        raw = _get(row, col["label"], (str, int, float))
        label = None
        if raw is not None:
            label = labels.get(_value_key(raw))
            if label is None:
                raise row.error(f"unknown label {raw!r}; map it with --label {raw}=A|B|tie "
                                f"(known: {', '.join(labels)})", col["label"])
        # which model wrote each response, when the data says (the audit's self_preference probe)
        generators = {}
        for k in ("generator_a", "generator_b"):
            if (v := _get(row, col[k], (str,))) is not None:
                generators[k] = str(v)
        # every value is of its field's type here (texts made str, a label from the checked
        # mapping): built without validating it again (tested equal to PairExample(...))
        return trusted(PairExample, kind="pair", id=example_id, prompt=_text(row, col, "prompt"),
                       response_a=_text(row, col, "a"), response_b=_text(row, col, "b"), label=label,
                       category=None if category is None else str(category), source=None,
                       metadata=generators)
    raw_score = row.get(col["score"], types=(str, int, float), required=False)
    try:
        score = None if raw_score is None else float(raw_score)
    except ValueError:
        raise row.error(f"expected a number, got {raw_score!r}", col["score"]) from None
    return PointExample(
        id=example_id, prompt=_text(row, col, "prompt"), response=_text(row, col, "response"),
        score=score, reference=row.get(col["reference"], required=False),
        rubric=row.get(col["rubric"], required=False), category=None if category is None else str(category))


def select(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None,
           ids: Collection[str]) -> dict[str, Example] | None:
    """The examples with these ids from one local file, in one streamed pass that converts only
    their rows and stops once it has them all (the report quotes a few sampled examples of a run
    of millions); None when the data is not one local file (then :func:`load` reads it all)."""
    if data is None or not Path(data).is_file() or suite.args.get("hub") or len(split.files()) != 1:
        return None
    col, labels, kind = _mapping(suite)
    wanted = set(ids)
    out: dict[str, Example] = {}
    for i, row in enumerate(read_records(Path(data))):
        if len(out) == len(wanted):
            break
        if _example_id(i, row, col) in wanted:
            ex = _example(i, row, col, labels, kind)
            out.setdefault(ex.id, ex)  # a duplicate id: the first row, as load_examples refuses the second
    return out


load.select = select  # type: ignore[attr-defined]


def _get(row: Row, name: str, types: tuple[type, ...]) -> Any:
    """``row.get(name, types=types, required=False)``; a string (what most fields hold) or a missing
    field is taken as it is, without the checks it would pass anyway."""
    value = row.data.get(name)
    if type(value) is str or value is None:  # (None: missing or null, what row.get gives when not required)
        return value
    return row.get(name, types=types, required=False)


def _text(row: Row, col: dict[str, str], field: str) -> str:
    name = col[field]
    value = row.data.get(name)
    if type(value) is str:  # what row.get and str() would return for it
        return value
    try:
        return str(row.get(name, types=(str, int, float)))
    except DataError as exc:
        if name not in row.data:
            raise row.error(f"missing; columns here: {', '.join(map(str, row.data))}; map judgekit's field "
                            f"{field!r} to one with --field {field}=COLUMN", name) from exc
        raise


def _require_gold(examples: list[Example], rows: list[Row], col: dict[str, str], kind: str) -> None:
    """A dataset where no example has a gold label gives no accuracy: stop before judging anything."""
    gold = [e.label if isinstance(e, PairExample) else e.score for e in examples]
    if not examples or any(g is not None for g in gold):
        return
    _no_gold(len(examples), rows[0], col, kind)


def _no_gold(n: int, first: Row, col: dict[str, str], kind: str) -> None:
    field = "label" if kind == "pairwise" else "score"
    raise DataError(f"no example has a gold {field}: the column is missing or empty in all {n} rows "
                    f"(columns: {', '.join(map(str, first.data))}); map judgekit's field {field!r} to the right "
                    f"column with --field {field}=COLUMN", path=first.path, field=col[field])
