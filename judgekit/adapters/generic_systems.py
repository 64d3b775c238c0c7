"""Any systems' outputs: one or more JSONL, JSON, CSV, TSV or Parquet files (``--systems PATH``,
repeatable; a folder stands for every such file in it) of rows ``prompt, system, output``, ranked as
the systems suites rank them.

Column names are mapped with ``--field`` (``--field prompt=instruction --field system=generator
--field output=response``; optionally ``id``, a prompt id that then identifies the prompt instead of
its text). Pairwise (the default), every system is judged against ``--baseline`` on each prompt in
both orders, response A the baseline's output (AlpacaEval's and Arena-Hard's layout, with each
answer's Arena-Hard style features, length in characters and markdown counts, for style control); pointwise
(``--kind pointwise``), each output is graded alone (the baseline, if named, is graded like the others).

Bad input stops with an error naming the file, the line and the field: a missing column (with the
columns the file has and the --field to map it), a second output of one system for one prompt, a
system without an output for some prompt, a baseline that is not among the systems. An empty output
(or null) is kept, length 0, and judged as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..facts import SystemFacts
from ..registry import adapters
from ..suites import SplitSpec, SuiteSpec
from ..types import Example, PairExample, PointExample
from ._io import LoadedData, Row, file_sha256, read_records
from ._io import system_files as _system_files
from .arena_hard import markdown_counts

FIELDS = ("prompt", "system", "output", "id")
SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")


def system_files(paths: list[str]) -> list[Path]:
    return _system_files(paths, SUFFIXES, what=f"{', '.join(SUFFIXES)} files in the folder")


def _text(row: Row, column: str, field: str, empty_ok: bool = False) -> str:
    if column not in row.data:
        raise row.error(f"missing; columns here: {', '.join(map(str, row.data))}; map judgekit's field {field!r} "
                        f"to one with --field {field}=COLUMN", column)
    value = row.data[column]
    if value is None and empty_ok:
        return ""  # a failed generation written as null: an empty output, kept
    return str(row.get(column, types=(str, int, float)))


@adapters.register("generic_systems")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    kind = args.get("kind", suite.kind)
    fields: dict[str, str] = dict(args.get("fields") or {})
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ConfigError(f"--field {', '.join(unknown)}: unknown for the generic systems suite; known: "
                          f"{', '.join(FIELDS)}")
    col = {f: fields.get(f, f) for f in FIELDS}
    files = system_files([str(p) for p in args.get("systems") or []] + ([str(data)] if data is not None else []))
    if not files:
        raise ConfigError("no systems' outputs: pass the file(s) of prompt, system, output rows with --systems PATH")
    prompts: dict[str, tuple[str, Row]] = {}  # prompt key -> (prompt text, the row it first appears on)
    outputs: dict[str, dict[str, tuple[str, Row]]] = {}  # system -> prompt key -> (output, row)
    for f in files:
        for row in read_records(f):
            text = _text(row, col["prompt"], "prompt")
            key = _text(row, col["id"], "id") if "id" in fields else text
            system = _text(row, col["system"], "system")
            if not system.strip():
                raise row.error("empty system name", col["system"])
            output = _text(row, col["output"], "output", empty_ok=True)
            prompts.setdefault(key, (text, row))
            mine = outputs.setdefault(system, {})
            if key in mine:
                first = mine[key][1]
                raise row.error(f"a second output of system {system!r} for the same prompt (the first is "
                                f"{first.path}:{first.line}): {key[:60]!r}", col["system"])
            mine[key] = (output, row)
    for system, mine in outputs.items():
        missing = [k for k in prompts if k not in mine]
        if missing:
            first = prompts[missing[0]][1]
            raise DataError(f"system {system!r} has no output for {len(missing)} of the {len(prompts)} prompts; the "
                            f"first is this line's prompt {missing[0][:60]!r}", path=first.path, line=first.line,
                            field=col["prompt"])
    baseline = args.get("baseline")
    if kind == "pairwise":
        if not baseline:
            raise ConfigError(f"the generic systems suite judges every system against a baseline: name it with "
                              f"--baseline (systems here: {', '.join(sorted(outputs))}), or grade each output "
                              "alone with --kind pointwise")
        if baseline not in outputs:
            raise ConfigError(f"--baseline {baseline!r} is not among the systems ({', '.join(sorted(outputs))})")
        if len(outputs) < 2:
            raise ConfigError("no systems to judge besides the baseline")
    n = len(prompts)
    examples: list[Example] = []
    # Arena-Hard's style features of each answer (length in characters: these files have no token
    # counts); the baseline's, once per prompt, not once per system judged against it
    base_style = ({key: [len(o), *markdown_counts(o)] for key, (o, _) in outputs[str(baseline)].items()}
                  if kind == "pairwise" else {})
    for system in sorted(outputs):
        if kind == "pairwise" and system == baseline:
            continue
        for k, (key, (text, _)) in enumerate(prompts.items()):
            out = outputs[system][key][0]
            given: dict[str, Any] = {"system": system, "instruction": k, "n_instructions": n}
            if "id" in fields:
                given["uid"] = key
            if kind == "pairwise":
                given["baseline"] = baseline
                given["style_a"] = base_style[key]
                given["style_b"] = [len(out), *markdown_counts(out)]
            agg = SystemFacts(**given).stored()  # checked; only the facts given are stored
            if kind == "pairwise":
                examples.append(PairExample(id=f"{system}/{k}", prompt=text, response_a=outputs[str(baseline)][key][0],
                                            response_b=out, category=system, metadata={"aggregate": agg}))
            else:
                examples.append(PointExample(id=f"{system}/{k}", prompt=text, response=out, category=system,
                                             metadata={"aggregate": agg}))
    provenance: dict[str, Any] = {
        "source": "systems", "n_instructions": n, "fields": col,
        **({"baseline": {"name": baseline}} if kind == "pairwise" else {}),
        # under "systems", which is no part of the run's identity: adding a system (or a file) later
        # resumes the same run and judges only what is new
        "systems": {"outputs": {s: len(o) for s, o in sorted(outputs.items())},
                    "files": [{"path": str(f.resolve()), "sha256": file_sha256(f)} for f in files]}}
    return LoadedData(examples, provenance)
