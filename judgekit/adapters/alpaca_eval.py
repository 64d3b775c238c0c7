"""AlpacaEval 2 (Dubois et al., 2024): several systems' outputs on the 805 AlpacaEval instructions,
each judged against the baseline's (``gpt4_1106_preview``) output.

A system is AlpacaEval's ``model_outputs.json`` (a JSON list of ``instruction, output, generator``,
``dataset``), given with ``--systems PATH``: the file, the folder holding it, or a folder of such
folders (AlpacaEval's ``results/``). The baseline's outputs are found by name (``--baseline``) among
the systems given, beside them (``<parent>/<baseline>/model_outputs.json``), under ``--data``
(``alpaca_eval/results/<baseline>/model_outputs.json``), or on the Hugging Face hub
(``tatsu-lab/alpaca_eval`` at the suite's pinned revision).

The baseline's instructions are the suite's. Each system's output to an instruction becomes one
pair: response A is the baseline's output, response B the system's (AlpacaEval's output_1 and
output_2), the category is the system. Bad input stops with an error naming the file, the item and
the field: an instruction that is not one of the suite's, two outputs for one instruction, a
missing or non-text field, a system without outputs, a baseline that cannot be found. An empty
output is kept (length 0) and judged as it is; an instruction a system has no output for is not
judged and counts as an empty output (length 0) in its average length, as AlpacaEval's published
lengths do; the number missing is reported.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..facts import SystemFacts
from ..registry import adapters
from ..suites import PartSpec, SplitSpec, SuiteSpec
from ..types import Example, PairExample
from ._io import DATA_DIR_ENV, LoadedData, file_sha256, hub_part_rows

log = logging.getLogger(__name__)

OUTPUTS = "model_outputs.json"
DEFAULT_BASELINE = "gpt4_1106_preview"


@dataclass
class SystemOutputs:
    """One system's outputs, keyed by instruction, and where they came from."""

    name: str
    path: str
    outputs: dict[str, str]  # instruction -> output
    provenance: dict[str, Any]


def _items(path: Path) -> list[Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path), line=exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)) from None
    if not isinstance(obj, list):
        raise DataError(f"expected a JSON list of outputs (AlpacaEval's {OUTPUTS}), got {type(obj).__name__}",
                        path=str(path))
    return obj


def read_outputs(path: Path, records: list[Any] | None = None, where: str | None = None,
                 name: str | None = None) -> SystemOutputs:
    """A system's ``model_outputs.json`` (or the same records from the hub). Errors name the file, the
    item (1-based; JSON has no useful line numbers) and the field."""
    where = where or str(path)
    items = _items(path) if records is None else records
    if not items:
        raise DataError("no outputs in the file", path=where)
    outputs: dict[str, str] = {}
    first_at: dict[str, int] = {}
    generators: set[str] = set()
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise DataError(f"item {i}: expected a JSON object, got {type(item).__name__}", path=where, line=i)
        instruction = item.get("instruction")
        if not isinstance(instruction, str):
            raise DataError("missing or not text", path=where, line=i, field="instruction")
        output = item.get("output")
        if output is None:
            output = ""  # AlpacaEval writes a failed generation as null: an empty output
        if not isinstance(output, str):
            raise DataError(f"expected text, got {type(output).__name__}", path=where, line=i, field="output")
        if instruction in outputs:
            raise DataError(f"a second output for the same instruction (the first is item {first_at[instruction]}): "
                            f"{instruction[:60]!r}", path=where, line=i, field="instruction")
        outputs[instruction] = output
        first_at[instruction] = i
        gen = item.get("generator")
        if isinstance(gen, str) and gen:
            generators.add(gen)
    if name is None:
        if len(generators) > 1:
            raise DataError(f"outputs of several generators in one file ({', '.join(sorted(generators))}); "
                            "give each system its own file", path=where, field="generator")
        name = generators.pop() if generators else path.parent.name if path.name == OUTPUTS else path.stem
    prov: dict[str, Any] = {"path": str(path.resolve()) if records is None else where, "n_outputs": len(outputs)}
    if records is None:
        prov["sha256"] = file_sha256(path)
    return SystemOutputs(name=name, path=where, outputs=outputs, provenance=prov)


def discover(paths: list[str]) -> list[Path]:
    """The ``model_outputs.json`` files named by --systems: files, folders holding one, or folders of
    such folders (sorted by name)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            found.append(p)
        elif p.is_dir() and (p / OUTPUTS).is_file():
            found.append(p / OUTPUTS)
        elif p.is_dir():
            subs = sorted(q / OUTPUTS for q in p.iterdir() if (q / OUTPUTS).is_file())
            if not subs:
                raise ConfigError(f"--systems {p}: neither a {OUTPUTS} file nor a folder of systems "
                                  f"(<system>/{OUTPUTS})")
            found += subs
        else:
            raise ConfigError(f"--systems {p}: no such file or folder")
    return found


def _local_baseline(baseline: str, files: list[Path], data: str | os.PathLike[str] | None) -> Path | None:
    candidates = [f.parent.parent / baseline / OUTPUTS for f in files if f.name == OUTPUTS]
    root = Path(data) if data is not None else (Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV)
                                                else None)
    if root is not None and root.is_dir():
        candidates += [root / "alpaca_eval" / "results" / baseline / OUTPUTS, root / "results" / baseline / OUTPUTS,
                       root / baseline / OUTPUTS]
    return next((c for c in candidates if c.is_file()), None)


@adapters.register("alpaca_eval")
def load(suite: SuiteSpec, split: SplitSpec, data: str | os.PathLike[str] | None) -> LoadedData:
    args = suite.args
    baseline_name = str(args.get("baseline") or DEFAULT_BASELINE)
    files = discover([str(p) for p in args.get("systems") or []])
    systems: dict[str, SystemOutputs] = {}
    for f in files:
        s = read_outputs(f)
        if s.name in systems:
            raise DataError(f"system {s.name!r} is given twice (also {systems[s.name].path})", path=str(f),
                            field="generator")
        systems[s.name] = s
    baseline = systems.pop(baseline_name, None)
    if baseline is None:
        local = _local_baseline(baseline_name, files, data)
        if local is not None:
            baseline = read_outputs(local, name=baseline_name)
        elif suite.hub is not None and not args.get("offline"):
            part = PartSpec(hub_split="train", local=f"results/{baseline_name}/{OUTPUTS}",
                            hub_file=f"results/{baseline_name}/{OUTPUTS}")
            try:
                rows, prov = hub_part_rows(suite, part)
                records = [dict(r.data) for r in rows]
            except ConfigError as exc:
                raise ConfigError(f"baseline {baseline_name!r}: not among --systems, not beside them, not under "
                                  f"--data, and not readable from the hub ({exc}). Pass its {OUTPUTS} with "
                                  "--systems or name another with --baseline.") from None
            baseline = read_outputs(Path(OUTPUTS), records, where=prov.get("file") or "hub", name=baseline_name)
            baseline.provenance.update({k: v for k, v in prov.items() if k != "fingerprint"})
        else:
            raise ConfigError(f"baseline {baseline_name!r}: not among --systems ({', '.join(systems) or 'none'}) "
                              f"and no {baseline_name}/{OUTPUTS} beside them or under --data; pass its outputs "
                              "with --systems or name another with --baseline")
    if not systems:
        raise ConfigError("no systems to judge: pass their model_outputs.json with --systems PATH (repeatable)")
    instructions = list(baseline.outputs)
    base_len = sum(len(o) for o in baseline.outputs.values()) / len(instructions)
    index = {ins: i for i, ins in enumerate(instructions)}
    examples: list[Example] = []
    sys_prov: dict[str, Any] = {}
    for name in sorted(systems):
        s = systems[name]
        items = _items(Path(s.path))
        for i, item in enumerate(items, start=1):
            if item["instruction"] not in index:
                raise DataError(f"instruction not in the suite's {len(index)} (the baseline {baseline_name}'s): "
                                f"{item['instruction'][:60]!r}", path=s.path, line=i, field="instruction")
        missing = [ins for ins in instructions if ins not in s.outputs]
        if missing:
            log.warning("%s: no output for %d of the %d instructions; they are not judged and count as empty "
                        "outputs (length 0) in its average length", s.path, len(missing), len(instructions))
        for ins in instructions:
            if ins not in s.outputs:
                continue
            k = index[ins]
            examples.append(PairExample(
                id=f"{name}/{k}", prompt=ins, response_a=baseline.outputs[ins], response_b=s.outputs[ins],
                category=name,
                metadata={"aggregate": SystemFacts(system=name, baseline=baseline_name, instruction=k,
                                                   n_instructions=len(instructions),
                                                   baseline_avg_length=base_len).stored()}))
        sys_prov[name] = {**s.provenance, "n_missing": len(missing)}
    provenance: dict[str, Any] = {"source": "systems", "baseline": {"name": baseline_name, **baseline.provenance},
                                  "n_instructions": len(instructions), "systems": sys_prov}
    return LoadedData(examples, provenance)
