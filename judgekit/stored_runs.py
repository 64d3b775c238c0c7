"""Stored runs: the runs folder of a results directory and the discovery of the runs of a
suite in it, each with its manifest and judgments."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from .errors import ConfigError, DataError, RunStateError
from .manifest_model import (
    RunManifest,
    parse_manifest,
)
from .store import JUDGMENTS, MANIFEST, read_judgments
from .types import Judgment

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


class _SystemRow(Protocol):
    @property
    def annotator(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def run_id(self) -> str: ...


R = TypeVar("R", bound=_SystemRow)


def latest_rows(rows: Iterable[R], runs: Sequence[StoredRun], notes: list[str]) -> dict[tuple[str, str], R]:
    """One row per (annotator, model) of a systems leaderboard: the latest run's (by the manifest's
    updated_at, then run id); each superseded row is said in ``notes``."""
    dates = {r.run_id: (str(r.manifest.updated_at or ""), r.run_id) for r in runs}
    latest: dict[tuple[str, str], R] = {}
    for row in sorted(rows, key=lambda r: dates[r.run_id]):
        key = (row.annotator, row.model)
        if key in latest:
            notes.append(f"{row.model} ({row.annotator}): run {latest[key].run_id} superseded by {row.run_id}")
        latest[key] = row
    return latest
