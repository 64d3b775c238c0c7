"""What every importer shares: the imported verdicts, the join with a suite's examples (gold
labels, categories, aggregation facts), and writing the run folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..adapters import load_examples
from ..adapters._io import file_sha256
from ..errors import ConfigError, DataError
from ..judging import imported_judgment
from ..manifest import import_manifest, slug
from ..registry import Registry
from ..scoring import metrics_document, score_rows, suite_report
from ..store import RunStore, check_run_id, run_dir_for
from ..suites import AggregationSpec, load_suite
from ..types import Frozen, Judgment, Order, PairExample, Verdict, Winner

importers: Registry[Any] = Registry("import format", "judgekit.importers", "judgekit.importers")


def read_json_list(path: Path, what: str) -> list[Any]:
    """A JSON file holding one list (AlpacaEval, LLMBar and PandaLM result files)."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg})", path=str(path), line=exc.lineno) from None
    if not isinstance(items, list):
        raise DataError(f"expected a JSON list of {what}", path=str(path))
    return items


class ImportOptions(Frozen):
    suite: str | None = None  # join with this suite's examples (gold labels, categories)
    split: str | None = None
    data: str | None = None
    judge_name: str | None = None
    subset: str | None = None  # LLMBar: the subset a result file belongs to (else from its path)
    run_id: str | None = None
    results_dir: str = "results"


class ImportedVerdict(Frozen):
    """One recorded verdict, in the frame it was shown in (A = first shown)."""

    example_id: str
    order: Order = "AB"
    shown_winner: Winner
    label: str | None = None  # the label as the tool recorded it ("A>>B", "Tie", 1.5 ...)
    strength: int | None = None
    p_a: float | None = None  # P(first shown is better), for continuous preferences
    raw: str | None = None
    reason: str | None = None


@dataclass
class Imported:
    format: str
    judge: str
    verdicts: list[ImportedVerdict]
    # Examples the file itself describes (pairs with their gold label, when it has one); the join
    # with a suite replaces them.
    examples: dict[str, PairExample] = field(default_factory=dict)
    default_suite: str | None = None  # the suite whose examples and aggregation the format belongs to
    aggregation: dict[str, Any] | None = None  # when no suite gives one
    provenance: dict[str, Any] = field(default_factory=dict)
    needs_suite: bool = False  # True when the file holds no gold labels of its own (PandaLM results)
    # False when the file's examples carry no response text (Arena-Hard judgments): their lengths are
    # unknown. Otherwise an empty response is a response of length 0 (AlpacaEval counts it so).
    texts: bool = True


def winner_from(choice: Any, table: dict[Any, Winner]) -> Winner:
    return table.get(choice, "invalid")


def import_run(fmt: str, paths: list[str], options: ImportOptions) -> Path:
    """Read another tool's judgments and write them as a judgekit run; return the run folder."""
    if options.run_id is not None:
        check_run_id(options.run_id)  # a name, not a path: refused before anything is read or written
    for p in paths:
        if not Path(p).is_file():
            raise ConfigError(f"import {fmt}: no such file {p}")
    reader = importers.get(fmt)
    imported: Imported = reader([Path(p) for p in paths], options)
    judge = options.judge_name or imported.judge
    suite_name = options.suite or (imported.default_suite if imported.needs_suite or options.data else None)
    examples = dict(imported.examples)
    suite = None
    split = None
    suite_data: dict[str, Any] | None = None  # the suite data the judgments were joined with
    if suite_name is not None:
        suite = load_suite(suite_name)
        loaded = load_examples(suite, options.split, options.data)
        split = loaded.provenance.get("split")
        suite_data = loaded.provenance
        examples = {ex.id: ex for ex in loaded.examples if isinstance(ex, PairExample)}
    elif imported.default_suite is not None:
        suite = load_suite(imported.default_suite)
    if imported.needs_suite and not examples:
        raise ConfigError(f"import {fmt}: the file holds no gold labels; pass --data PATH to a folder with the "
                          f"{imported.default_suite} data (or --suite NAME)")
    rows: list[Judgment] = []
    missing = []
    known_text = imported.texts or suite_name is not None  # a suite's examples always hold their texts
    for v in imported.verdicts:
        ex = examples.get(v.example_id)
        if ex is None:
            missing.append(v.example_id)
            continue
        own = imported.examples.get(v.example_id)
        if own is not None and own.prompt and own.prompt != ex.prompt:
            raise DataError(f"imported judgment {v.example_id!r} is about another prompt than the suite's example "
                            f"of that id ({own.prompt[:40]!r} vs {ex.prompt[:40]!r}); check --suite / --split",
                            path=paths[0])
        verdict = Verdict(winner=v.shown_winner, label=v.label, strength=v.strength, p_a=v.p_a, raw=v.raw,
                          reason=v.reason)
        rows.append(imported_judgment(ex, verdict, v.order, template_hash=f"imported:{fmt}", known_text=known_text))
    if missing:
        raise DataError(f"{len(missing)} imported judgments name examples that "
                        f"{'suite ' + suite.name if suite and suite_name else 'the file'} does not have "
                        f"(first: {missing[0]!r}); check --suite / --split / --data", path=paths[0])
    seen: set[str] = set()
    for j in rows:
        if j.request_id in seen:
            raise DataError(f"two judgments for {j.request_id}", path=paths[0])
        seen.add(j.request_id)

    aggregation = (suite.aggregation if suite is not None and suite.aggregation is not None
                   else AggregationSpec.model_validate(imported.aggregation) if imported.aggregation else None)
    files = {str(Path(p).resolve()): file_sha256(Path(p)) for p in paths}
    fingerprint = hashlib.sha256(json.dumps({"format": fmt, "files": sorted(files.values()),
                                             "suite": suite_name, "split": split, "judge": judge},
                                            sort_keys=True).encode()).hexdigest()
    run_id = options.run_id or f"import-{fmt}-{slug(judge)}-{fingerprint[:8]}"
    manifest = import_manifest(
        run_id=run_id, fingerprint=fingerprint, fmt=fmt, suite=suite, split=split,
        data={"source": "import", "format": fmt, "files": files, **imported.provenance,
              **({"suite_data": suite_data} if suite_data is not None else {})},
        judge=judge, aggregation=aggregation, two_orders={j.order for j in rows} == {"AB", "BA"},
        n_requests=len(rows), config={"import": fmt, "paths": paths, **options.model_dump()})
    run_dir = run_dir_for(options.results_dir, run_id)
    store = RunStore(run_dir)
    with store.locked():
        store.open_run(manifest.to_json())
        by_id = {j.request_id: j for j in rows}
        store.compact(by_id)
        metrics = score_rows(rows, manifest)
        store.write_metrics(metrics_document(manifest, metrics, len(rows), suite_report(rows, manifest)))
    return run_dir
