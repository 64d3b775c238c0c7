"""The run manifest's typed model (``manifest.json``): :class:`RunManifest` and the records it
holds, with its reader (which also loads the manifests written before it had a
``schema_version``: they are version 1 and have the same fields) and its writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from .errors import ConfigError, DataError
from .protocols import POLICIES
from .store import MANIFEST, write_json_atomic
from .suites import AggregationSpec, headline_policy
from .types import Frozen

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
