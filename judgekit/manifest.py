"""The run manifest (``manifest.json``): a typed, versioned record of how a run was made.

:class:`RunManifest` is built by the runner (:func:`run_manifest`) and by the importers
(:func:`import_manifest`) and read back by :func:`read_manifest`, which also loads the
manifests written before it had a ``schema_version`` (they are version 1 and have the same
fields). This module also holds the data identity of a run, the discovery of stored runs,
and the checks of a stored run's manifest against the suite's current definition.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from .errors import ConfigError, DataError, RunStateError
from .judging import PARSER_VERSION
from .protocols import POLICIES
from .store import JUDGMENTS, MANIFEST, read_judgments, write_json_atomic
from .suites import AggregationSpec, SuiteSpec, headline_policy
from .types import Frozen, Judgment

SCHEMA_VERSION = 1


class SuiteRef(Frozen):
    name: str
    path: str | None = None
    split: str | None = None


class JudgeRef(Frozen):
    display_name: str
    identity: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] | None = None


class TemplateRef(Frozen):
    name: str | None = None
    hash: str | None = None
    parser_version: int | None = None
    verdict: str | None = None  # generate / logprob / constrained (own runs only)


class ProtocolRef(Frozen):
    swap: bool = True
    single_order: str = "original"
    policies: list[str] = Field(default_factory=lambda: list(POLICIES))
    headline_policy: str = Field(default_factory=lambda: headline_policy(None))
    category_order: list[str] = Field(default_factory=list)


class Timing(Frozen):
    judge_wall_s: float = 0.0
    requests_sent: int = 0


class ProbeRef(Frozen):
    """A `judgekit audit` probe run: the counterfactual transform its examples went through."""

    name: str
    version: int
    seed: int
    statistic: str
    variants: list[dict[str, Any]] = Field(default_factory=list)  # name, params, target, resample
    temperature: float | None = None  # the resampled variants' sampling temperature
    baseline_run: str  # the unperturbed run it is compared with


class EndpointStats(Frozen):
    """One endpoint's figures over one invocation (see judgekit.backends.endpoints)."""

    url: str
    sent: int  # attempts sent to it (a request failed over counts on each endpoint it reached)
    ok: int  # answered
    errors: dict[str, int] = Field(default_factory=dict)  # failure kind (connect, timeout, http_500, ...) -> count
    latency_s: dict[str, float | None] = Field(default_factory=dict)  # p50, p90, p99, mean, max of answers
    times_out: int = 0  # how often it was taken out of service
    out_seconds: float = 0.0
    in_service: bool = True  # at the end of the invocation
    last_error: str | None = None


class BackendStats(Frozen):
    """What a backend reported about one invocation that sent requests (HTTP backends: per endpoint)."""

    at: str  # when the invocation ended (UTC)
    endpoints: list[EndpointStats] = Field(default_factory=list)


class RunManifest(Frozen):
    """Everything about how a run was made. ``data`` is the data provenance the adapter (or the
    importer) recorded; ``config`` the full run configuration as given."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    fingerprint: str
    suite: SuiteRef
    data: dict[str, Any] = Field(default_factory=dict)
    judge: JudgeRef
    template: TemplateRef = TemplateRef()
    sampling: dict[str, Any] | None = None
    protocol: ProtocolRef = ProtocolRef()
    kind: Literal["pairwise", "pointwise"] = "pairwise"
    aggregation: AggregationSpec | None = None
    n_requests: int
    config: dict[str, Any] | None = None
    versions: dict[str, str | None] = Field(default_factory=dict)
    git_commit: str | None = None
    argv: list[str] = Field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    timing: Timing | None = None  # the judge's wall time over all sessions (added by the store)
    probe: ProbeRef | None = None  # set on the perturbed runs of `judgekit audit`
    # per-endpoint counts, errors and latencies: the latest invocation's, and the last 20 invocations'
    backend_stats: BackendStats | None = None
    backend_stats_history: list[BackendStats] = Field(default_factory=list)

    # ---------------------------------------------------------------- views
    @property
    def split(self) -> str | None:
        return self.suite.split

    @property
    def judge_name(self) -> str:
        return self.judge.display_name or self.run_id

    @property
    def imported(self) -> str | None:
        """The import format when the run was imported from another tool, else None."""
        return str(self.data.get("format")) if self.data.get("source") == "import" else None

    @property
    def date(self) -> str:
        """The day the run's judgments were made; "-" for replayed or imported judgments, made
        elsewhere on a day their files do not record (so the same recorded judgments give the same
        leaderboard on any day)."""
        if self.judge.identity.get("backend") in ("replay", "import"):
            return "-"
        return str(self.created_at or "")[:10]

    @property
    def aggregation_dict(self) -> dict[str, Any] | None:
        return self.aggregation.model_dump(mode="json") if self.aggregation is not None else None

    def run_data(self) -> Any:
        """The data the run judged: an import's suite data (None when not joined with a suite)."""
        if self.imported is not None:
            return self.data.get("suite_data")
        if self.data.get("source") == "systems":
            # a systems suite's data is its baseline and instructions; the systems judged may differ by run
            return {k: self.data.get(k) for k in ("baseline", "questions", "n_instructions") if k in self.data}
        return self.data

    def config_template(self) -> str | None:
        """The template the run was asked for (a path to a .j2 or a name), else the one it used."""
        return ((self.config or {}).get("judge") or {}).get("template") or self.template.name

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to manifest.json (fields left unset by today's writers omitted)."""
        out = self.model_dump(mode="json")
        if out["timing"] is None:
            del out["timing"]
        if out["probe"] is None:
            del out["probe"]
        if out["backend_stats"] is None:
            del out["backend_stats"]
        if not out["backend_stats_history"]:
            del out["backend_stats_history"]
        if out["template"]["verdict"] is None:
            del out["template"]["verdict"]
        return out


def parse_manifest(data: Any, where: str) -> RunManifest:
    """A manifest from its JSON object; an error names the file and the field."""
    if not isinstance(data, dict):
        raise DataError("expected a JSON object", path=where)
    data = dict(data)
    data.setdefault("schema_version", 1)  # manifests written before the field existed
    if data["schema_version"] != SCHEMA_VERSION:
        raise DataError(f"manifest schema_version {data['schema_version']!r} is not one this judgekit reads "
                        f"({SCHEMA_VERSION}); upgrade judgekit", path=where)
    try:
        return RunManifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise DataError(f"invalid manifest: {err['msg']} (field {'.'.join(map(str, err['loc']))})",
                        path=where) from None


def read_manifest(run_dir: str | Path) -> RunManifest | None:
    """The run folder's manifest, None when it has none."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc.msg})", path=str(path), line=exc.lineno) from None
    return parse_manifest(data, str(path))


def require_manifest(run_dir: str | Path) -> RunManifest:
    manifest = read_manifest(run_dir)
    if manifest is None:
        raise ConfigError(f"{run_dir}: not a run folder (no manifest.json)")
    return manifest


def write_manifest(run_dir: str | Path, manifest: RunManifest) -> None:
    write_json_atomic(Path(run_dir) / MANIFEST, manifest.to_json())


# --------------------------------------------------------------------------- building


def jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=repr, sort_keys=True))


def sha(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=repr, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def slug(text: str) -> str:
    """A judge name as it goes into a run id or a folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[-60:] or "judge"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    from . import __version__  # the distribution is judgekit-harness; the package knows its version

    out: dict[str, str | None] = {"python": platform.python_version(), "judgekit": __version__}
    for pkg in ("pydantic", "aiohttp", "jinja2", "numpy", "datasets"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def git_commit() -> str | None:
    """The commit of judgekit's own checkout (None for an installed wheel)."""
    here = Path(__file__).resolve().parent.parent
    if not (here / ".git").exists() or not (here / "pyproject.toml").is_file():
        return None
    try:
        res = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def protocol_of(suite: SuiteSpec | None, swap: bool, single_order: str) -> ProtocolRef:
    return ProtocolRef(swap=swap, single_order=single_order, policies=list(POLICIES),
                       headline_policy=headline_policy(suite),
                       category_order=list(suite.args.get("categories", {})) if suite else [])


def run_manifest(*, run_id: str, fingerprint: str, suite: SuiteSpec, split: str, data: dict[str, Any],
                 judge: JudgeRef, template: TemplateRef, sampling: dict[str, Any], swap: bool, single_order: str,
                 n_requests: int, config: dict[str, Any]) -> RunManifest:
    """The manifest of one of judgekit's own runs."""
    stamp = now()
    return RunManifest(
        run_id=run_id, fingerprint=fingerprint, suite=SuiteRef(name=suite.name, path=suite.path, split=split),
        data=data, judge=judge, template=template, sampling=sampling,
        protocol=protocol_of(suite, swap, single_order), kind=suite.kind, aggregation=suite.aggregation,
        n_requests=n_requests, config=config, versions=package_versions(), git_commit=git_commit(),
        argv=list(sys.argv), created_at=stamp, updated_at=stamp)


def import_manifest(*, run_id: str, fingerprint: str, fmt: str, suite: SuiteSpec | None, split: str | None,
                    data: dict[str, Any], judge: str, aggregation: AggregationSpec | None, two_orders: bool,
                    n_requests: int, config: dict[str, Any]) -> RunManifest:
    """The manifest of another tool's judgments imported as a run."""
    stamp = now()
    return RunManifest(
        run_id=run_id, fingerprint=fingerprint,
        suite=SuiteRef(name=suite.name if suite else f"import:{fmt}", path=suite.path if suite else None,
                       split=split),
        data=data, judge=JudgeRef(display_name=judge, identity={"backend": "import", "format": fmt}),
        template=TemplateRef(name=f"imported:{fmt}", hash=f"imported:{fmt}"),
        protocol=protocol_of(suite, two_orders, "original"), kind="pairwise", aggregation=aggregation,
        n_requests=n_requests, config=config, versions={}, git_commit=None, argv=list(sys.argv),
        created_at=stamp, updated_at=stamp)


# --------------------------------------------------------------------------- stored runs


class ManifestMismatchError(RunStateError):
    """Stored runs were made under another definition of the suite than the current one."""


@dataclass
class StoredRun:
    run_dir: Path
    manifest: RunManifest
    _rows: dict[str, Judgment] | None = field(default=None, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id or self.run_dir.name

    @property
    def split(self) -> str | None:
        return self.manifest.split

    @property
    def judge(self) -> str:
        return self.manifest.judge_name

    @property
    def template(self) -> str | None:
        return self.manifest.template.name

    @property
    def imported(self) -> str | None:
        return self.manifest.imported

    @property
    def date(self) -> str:
        return self.manifest.date

    def judgments(self) -> dict[str, Judgment]:
        # read once; a torn last line (a killed run) is dropped, which leaves the run incomplete
        # (judgekit.run_health); a corrupt line elsewhere is a DataError naming it
        if self._rows is None:
            self._rows = read_judgments(self.run_dir / JUDGMENTS)
        return self._rows


def runs_folder(results_dir: str | Path) -> Path:
    """``<results>/runs`` when it exists, else ``results_dir`` itself (a folder of run folders)."""
    root = Path(results_dir)
    if (root / "runs").is_dir():
        return root / "runs"
    if root.is_dir():
        return root
    raise ConfigError(f"{root}: no such results folder (expected {root}/runs/<run_id>/manifest.json)")


def discover_runs(results_dir: str | Path, suite: str) -> list[StoredRun]:
    """Every stored run of ``suite`` (or of ``import:<suite>``), sorted by run id; an audit's probe
    runs (perturbed examples) are not runs of the suite and are left out."""
    out = []
    for manifest_path in sorted(runs_folder(results_dir).glob(f"*/{MANIFEST}")):
        try:
            raw = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON ({exc.msg})", path=str(manifest_path), line=exc.lineno) from None
        if not isinstance(raw, dict):
            raise DataError("expected a JSON object", path=str(manifest_path))
        name = (raw.get("suite") or {}).get("name")
        if raw.get("probe") is not None:
            continue  # an audit's perturbed examples, not a run of the suite
        if name in (suite, f"import:{suite}"):
            out.append(StoredRun(manifest_path.parent, parse_manifest(raw, str(manifest_path))))
    return out


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
        systems_suite = suite.adapter in ("alpaca_eval", "arena_hard")  # checked against each other only
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
