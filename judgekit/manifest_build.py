"""Building a run manifest: for a run (:func:`run_manifest`, the runner's) or an import
(:func:`import_manifest`, the importers'), with the environment it records (package versions,
git commit, time) and the hashing and slug helpers of run identities."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .manifest_model import (
    JudgeRef,
    ProtocolRef,
    RunManifest,
    SuiteRef,
    TemplateRef,
)
from .protocols import POLICIES
from .suites import AggregationSpec, SuiteSpec, headline_policy

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
