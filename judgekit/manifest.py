"""The run manifest (``manifest.json``): a typed, versioned record of how a run was made.

:class:`RunManifest` is built by the runner (:func:`run_manifest`) and by the importers
(:func:`import_manifest`) and read back by :func:`read_manifest`, which also loads the
manifests written before it had a ``schema_version`` (they are version 1 and have the same
fields). The model and its reader are :mod:`.manifest_model`, the building
:mod:`.manifest_build`, the discovery of stored runs :mod:`.stored_runs`; this module
re-exports them and holds the data identity of a run and the checks of a stored run's
manifest against the suite's current definition.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ConfigError, DataError
from .judging import PARSER_VERSION
from .manifest_build import (
    git_commit,
    import_manifest,
    jsonable,
    now,
    package_versions,
    protocol_of,
    run_manifest,
    sha,
    slug,
)
from .manifest_model import (
    SCHEMA_VERSION,
    BackendStats,
    EndpointStats,
    JudgeRef,
    ProbeRef,
    ProtocolRef,
    RunManifest,
    SuiteRef,
    TemplateRef,
    Timing,
    parse_manifest,
    read_manifest,
    require_manifest,
    write_manifest,
)
from .stored_runs import (
    ManifestMismatchError,
    StoredRun,
    discover_runs,
    runs_folder,
)
from .suites import SuiteSpec, headline_policy

__all__ = [
    "BackendStats", "EndpointStats", "JudgeRef", "ManifestMismatchError", "ProbeRef", "ProtocolRef",
    "RunManifest", "SCHEMA_VERSION", "StoredRun", "SuiteRef", "TemplateRef", "Timing", "check_runs",
    "data_identity", "discover_runs", "git_commit", "import_manifest", "jsonable", "now", "package_versions",
    "parse_manifest", "protocol_of", "read_manifest", "require_manifest", "run_manifest", "runs_folder", "sha",
    "slug", "write_manifest",
]

# --------------------------------------------------------------------------- data identity and checks


_VOLATILE = {"path", "n_examples", "limit", "split"}


def data_identity(provenance: Any) -> Any:
    """The part of a data provenance that names the data itself: file hashes, hub ids and
    revisions (not where the file was, nor how many examples a limited run read)."""
    if isinstance(provenance, dict):
        return {k: data_identity(v) for k, v in sorted(provenance.items()) if k not in _VOLATILE}
    return provenance


def _short(identity: Any) -> str:
    text = json.dumps(identity, sort_keys=True)
    shas = [v for v in _walk(identity) if isinstance(v, str) and len(v) == 64]
    if shas:
        return ", ".join(f"sha256 {s[:12]}" for s in shas)
    return text if len(text) < 80 else text[:77] + "..."


def _walk(obj: Any) -> Iterable[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    else:
        yield obj


def _hub_revision_mismatch(prov: Mapping[str, Any], suite: SuiteSpec) -> str | None:
    """For hub data checked without a local copy: the revision against the suite YAML's."""
    if prov.get("source") != "hub" or suite.hub is None:
        return None
    if prov.get("hub_id") == suite.hub.id and prov.get("revision") != suite.hub.revision:
        return (f"dataset {suite.hub.id} revision {prov.get('revision')} (the suite now pins "
                f"{suite.hub.revision})")
    return None


def _definition_reasons(m: RunManifest, suite: SuiteSpec | None, template_hash: dict[str, str | None]) -> list[str]:
    """How one manifest differs from the current parser, template and suite definition."""
    from .prompts import load_template

    why: list[str] = []
    tpl = m.template
    if tpl.parser_version is not None and tpl.parser_version != PARSER_VERSION:
        why.append(f"parser version {tpl.parser_version} (current {PARSER_VERSION})")
    name = tpl.name
    if name and not str(name).startswith("imported:"):
        source = m.config_template() or name
        source = source if str(source).endswith(".j2") else name
        if source not in template_hash:
            try:
                template_hash[source] = load_template(source).hash
            except (ConfigError, OSError):
                template_hash[source] = None
        current = template_hash[source]
        if current is None:
            why.append(f"template {source} no longer exists")
        elif current != tpl.hash:
            why.append(f"template {name} hash {tpl.hash} (current {current})")
    limit = (m.config or {}).get("limit")
    if limit is not None:
        why.append(f"partial run (--limit {limit})")
    if suite is None:
        return why
    current_agg = suite.aggregation.model_dump(mode="json") if suite.aggregation else None
    if _definition(m.aggregation_dict) != _definition(current_agg):
        why.append(f"aggregation {json.dumps(m.aggregation_dict, sort_keys=True)} differs from the "
                   f"suite's current one")
    policy = m.protocol.headline_policy
    if m.kind == "pairwise" and policy != headline_policy(suite):
        why.append(f"headline policy {policy} (the suite's is {headline_policy(suite)})")
    return why


#: aggregation arguments that are a run's scoring inputs (files, where they came from), not the suite's
#: definition: a run given them still matches its suite (its notes say which inputs it used)
SCORING_INPUTS = frozenset({"instruction_difficulty", "gamed_annotations", "gold_ranking", "oracle",
                            "lc_inputs_from", "lc_hub_unavailable"})


def _definition(agg: dict[str, Any] | None) -> dict[str, Any] | None:
    if agg is None:
        return None
    return {**agg, "args": {k: v for k, v in (agg.get("args") or {}).items() if k not in SCORING_INPUTS}}


def check_runs(runs: Sequence[StoredRun], suite: SuiteSpec | None, data: str | None) -> dict[str, list[str]]:
    """run_id -> the ways its manifest differs from the suite's current definition."""
    from .adapters import load_examples

    template_hash: dict[str, str | None] = {}
    reasons: dict[str, list[str]] = {r.run_id: [] for r in runs}
    for run in runs:
        reasons[run.run_id] += _definition_reasons(run.manifest, suite, template_hash)
    if suite is None:
        return reasons
    by_split: dict[str | None, list[StoredRun]] = defaultdict(list)
    for run in runs:
        by_split[run.split].append(run)
    for split, members in sorted(by_split.items(), key=lambda kv: str(kv[0])):
        current = None
        systems_suite = suite.adapter in ("alpaca_eval", "arena_hard", "mt_bench", "generic_systems")  # checked against each other only
        if data is not None and not systems_suite:
            try:
                current = data_identity(load_examples(suite, split, data).provenance)
            except (ConfigError, DataError) as exc:
                raise ConfigError(f"--data {data}: cannot read suite {suite.name} split {split} to check the "
                                  f"runs' data against: {exc}") from exc
        identities = {r.run_id: data_identity(r.manifest.run_data()) for r in members}
        for run in members:
            ident = identities[run.run_id]
            if ident is None:
                reasons[run.run_id].append("no data provenance recorded (an import not joined with the suite's "
                                           "data: rerun `judgekit import` with --data)")
            elif current is not None and ident != current:
                reasons[run.run_id].append(f"data {_short(ident)} (current {split} data: {_short(current)})")
            elif current is None:
                hub = _hub_revision_mismatch(run.manifest.run_data() or {}, suite)
                if hub:
                    reasons[run.run_id].append(hub)
        if current is None:  # no local copy to check against: the runs must at least agree
            counts = Counter(json.dumps(v, sort_keys=True) for v in identities.values() if v is not None)
            if len(counts) > 1:
                majority = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                for run in members:
                    ident = identities[run.run_id]
                    if ident is not None and json.dumps(ident, sort_keys=True) != majority:
                        reasons[run.run_id].append(
                            f"data {_short(ident)} differs from the other {split} runs' "
                            f"({_short(json.loads(majority))}); pass --data to check against the current files")
    return reasons
