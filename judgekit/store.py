"""The results store: results/runs/<run_id>/{manifest.json, judgments.jsonl, metrics.json}.

judgments.jsonl is append-only while a run is going: each judgment is written and
flushed as it finishes, so a crash or Ctrl-C loses nothing that finished. On resume
the file is read (a torn last line from a killed process is dropped), the latest row
of each request wins, and the file is rewritten atomically with one row per request.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from .errors import DataError, RunStateError
from .types import Judgment

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
JUDGMENTS = "judgments.jsonl"
METRICS = "metrics.json"


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, sort_keys=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_judgments(path: Path, *, strict: bool = False) -> dict[str, Judgment]:
    """The latest row of each request in a judgments.jsonl.

    A line that does not parse is an error in ``strict`` mode; otherwise only a torn
    final line (a process killed mid-write) is tolerated and dropped with a warning.
    """
    rows: dict[str, Judgment] = {}
    if not path.is_file():
        return rows
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for lineno, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            j = Judgment.model_validate_json(text)
        except ValidationError as exc:
            last = lineno == len(lines) and not text.endswith("\n")
            if last and not strict:
                log.warning("%s:%d: dropping a torn last line (interrupted write)", path, lineno)
                continue
            raise DataError(f"not a judgment row: {exc.errors()[0]['msg']} "
                            f"(field {'.'.join(map(str, exc.errors()[0]['loc']))})",
                            path=str(path), line=lineno) from None
        rows[j.request_id] = j
    return rows


class RunStore:
    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        self.manifest_path = self.dir / MANIFEST
        self.judgments_path = self.dir / JUDGMENTS
        self.metrics_path = self.dir / METRICS
        self._fh: IO[str] | None = None

    # -------------------------------------------------------------- manifest
    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.is_file():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def open_run(self, manifest: dict[str, Any]) -> None:
        """Create the run folder, or check that an existing one holds this same run."""
        self.dir.mkdir(parents=True, exist_ok=True)
        old = self.read_manifest()
        if old is not None and old.get("fingerprint") != manifest["fingerprint"]:
            raise RunStateError(
                f"{self.dir} holds a run with a different configuration (fingerprint "
                f"{old.get('fingerprint')} vs {manifest['fingerprint']}); pick another --run-id "
                "or remove that folder")
        if old is not None:
            manifest = {**manifest, "created_at": old.get("created_at", manifest.get("created_at"))}
            for key in ("timing", "backend_stats", "backend_stats_history"):  # figures of earlier invocations
                if key in old:
                    manifest[key] = old[key]
        write_json_atomic(self.manifest_path, manifest)

    def add_judge_time(self, seconds: float, n_sent: int) -> None:
        """Add one session's judging wall time (and requests sent) to the manifest's ``timing``."""
        manifest = self.read_manifest()
        if manifest is None:
            return
        timing = dict(manifest.get("timing") or {})
        timing["judge_wall_s"] = round(float(timing.get("judge_wall_s", 0.0)) + seconds, 3)
        timing["requests_sent"] = int(timing.get("requests_sent", 0)) + n_sent
        manifest["timing"] = timing
        write_json_atomic(self.manifest_path, manifest)

    # -------------------------------------------------------------- judgments
    def load(self, keep: set[str] | None = None) -> dict[str, Judgment]:
        """Existing judgments (latest per request), rewritten as one row per request."""
        rows = read_judgments(self.judgments_path)
        if keep is not None:
            dropped = set(rows) - keep
            if dropped:
                raise RunStateError(f"{self.judgments_path} holds {len(dropped)} judgments for requests "
                                    "this run does not make; pick another --run-id")
        self.compact(rows)
        return rows

    def compact(self, rows: dict[str, Judgment]) -> None:
        tmp = self.judgments_path.with_name(JUDGMENTS + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for j in rows.values():
                f.write(j.model_dump_json(exclude_none=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.judgments_path)

    def append(self, judgment: Judgment) -> None:
        if self._fh is None:
            self._fh = open(self.judgments_path, "a", encoding="utf-8")  # noqa: SIM115 - held open for the run
        self._fh.write(judgment.model_dump_json(exclude_none=True) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json_atomic(self.metrics_path, metrics)
