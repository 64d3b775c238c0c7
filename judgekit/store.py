"""The results store: results/runs/<run_id>/{manifest.json, judgments.jsonl, metrics.json}.

judgments.jsonl is append-only while a run is going: each judgment is written and
flushed as it finishes, so a crash or Ctrl-C loses nothing that finished. On resume
the file is read (a torn last line from a killed process is dropped), the latest row
of each request wins, and the file is rewritten atomically with one row per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from .bulk import paused_gc
from .errors import ConfigError, DataError, JudgekitError, RunStateError
from .locking import run_lock
from .redact import redact, redact_text
from .types import Judgment

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
JUDGMENTS = "judgments.jsonl"
METRICS = "metrics.json"


# A run id names a folder under results/runs: a name, never a path.
_RUN_ID = re.compile(r"[A-Za-z0-9_+=@,-][A-Za-z0-9._+=@,-]*")
MAX_RUN_ID = 200  # well under NAME_MAX (255 bytes) on every common file system


def check_run_id(run_id: str, option: str = "--run-id") -> str:
    """``run_id`` if it is a plain folder name; a ConfigError (saying why) if it is a path or odd."""
    why = None
    if run_id in ("", ".", ".."):
        why = "is not a folder name"
    elif "/" in run_id or "\\" in run_id or os.sep in run_id or (os.altsep and os.altsep in run_id):
        why = "is a path (it holds a path separator)"
    elif len(run_id) > MAX_RUN_ID:
        why = f"is {len(run_id)} characters long (at most {MAX_RUN_ID})"
    elif not _RUN_ID.fullmatch(run_id):
        why = ("holds characters other than letters, digits and . _ - + = @ , (or starts with a dot)")
    if why is not None:
        raise ConfigError(f"{option} {run_id[:80]!r}{'...' if len(run_id) > 80 else ''} {why}; a run id "
                          "names a folder under <results-dir>/runs, e.g. --run-id my-judge-v2")
    return run_id


def run_dir_for(results_dir: str | os.PathLike[str], run_id: str, option: str = "--run-id") -> Path:
    """<results_dir>/runs/<run_id>, after checking that the run id is a name."""
    return Path(results_dir) / "runs" / check_run_id(run_id, option)


def _write_atomic(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write ``path`` through a .tmp beside it, fsync'd then renamed over it. On any failure (a full
    disk, say) the .tmp is removed and ``path`` is left as it was."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise JudgekitError(f"{path}: could not write ({exc.strerror or exc}); the previous file is intact. "
                            "Free some space (or fix the permissions) and rerun the same command to "
                            "resume.") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json_atomic(path: Path, obj: Any) -> None:
    obj = redact(obj)  # no credentials on disk (URL passwords, Authorization headers, API keys)

    def write(f: IO[str]) -> None:
        json.dump(obj, f, indent=2, ensure_ascii=False, sort_keys=False)
        f.write("\n")

    _write_atomic(path, write)


@dataclass
class DroppedLine:
    line: int
    reason: str
    text: bytes


def parse_line(raw: bytes) -> Judgment | str:
    """One line of judgments.jsonl: the row, or why it is not one (the reason every reader reports)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}"
    try:
        return Judgment.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        return f"not a judgment row: {err['msg']} (field {'.'.join(map(str, err['loc']))})"


def bad_line_error(path: Path, lineno: int, reason: str) -> DataError:
    """The error of a bad line that stops a read (every reader raises this one)."""
    return DataError(f"{reason}; `judgekit score --repair {path.parent}` keeps every valid row and "
                     "sets the bad lines aside", path=str(path), line=lineno)


def _parse_lines(path: Path) -> Iterator[tuple[int, bytes, Judgment | str]]:
    """(line number, raw bytes, the row or why it is not one) for each non-blank line, streamed."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            yield lineno, raw, parse_line(raw)


@paused_gc
def read_judgments(path: Path, *, strict: bool = False) -> dict[str, Judgment]:
    """The latest row of each request in a judgments.jsonl.

    A line that does not parse (bad JSON, invalid UTF-8) is an error in ``strict`` mode; otherwise
    only a torn final line (a process killed mid-write, even inside a multi-byte character: it has no
    newline) is tolerated and dropped with a warning. A bad line elsewhere is a DataError that points
    to ``judgekit score --repair``.
    """
    rows: dict[str, Judgment] = {}
    if not path.is_file():
        return rows
    for lineno, raw, parsed in _parse_lines(path):
        if isinstance(parsed, str):
            if not raw.endswith(b"\n") and not strict:  # only the last line can lack its newline
                log.warning("%s:%d: dropping a torn last line (interrupted write)", path, lineno)
                continue
            raise bad_line_error(path, lineno, parsed)
        rows[parsed.request_id] = parsed
    return rows


@dataclass
class RepairReport:
    kept: int
    dropped: list[DroppedLine] = field(default_factory=list)
    rejected_path: Path | None = None


REJECTED = "judgments.rejected.jsonl"


def repair_judgments(path: Path) -> RepairReport:
    """Rewrite ``path`` with every line that is a valid judgment row (all of them, superseded ones
    too, in order) and append the others, byte for byte, to judgments.rejected.jsonl beside it."""
    good: list[str] = []
    dropped: list[DroppedLine] = []
    if path.is_file():
        for lineno, raw, parsed in _parse_lines(path):
            if isinstance(parsed, str):
                dropped.append(DroppedLine(lineno, parsed, raw))
            else:
                good.append(raw.decode("utf-8").rstrip("\n"))
    if not dropped:
        return RepairReport(kept=len(good))
    rejected = path.with_name(REJECTED)
    with open(rejected, "ab") as f:  # first, so a failure below loses nothing
        for d in dropped:
            f.write(d.text if d.text.endswith(b"\n") else d.text + b"\n")
        f.flush()
        os.fsync(f.fileno())

    def write(f: IO[str]) -> None:
        for text in good:
            f.write(text + "\n")

    _write_atomic(path, write)
    for d in dropped:
        log.warning("%s:%d: dropped (%s)", path, d.line, d.reason)
    return RepairReport(kept=len(good), dropped=dropped, rejected_path=rejected)


class RunStore:
    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        self.manifest_path = self.dir / MANIFEST
        self.judgments_path = self.dir / JUDGMENTS
        self.metrics_path = self.dir / METRICS
        self._fh: IO[bytes] | None = None
        self._flush_due = False
        self._failed: OSError | None = None
        # given each row written, with its line's length (the runner's columns of a run judged in one
        # go: judgekit.columns.ColumnCollector); ``sink_complete`` turns False when a row came without
        self.sink: Callable[[Any, int], None] | None = None
        self.sink_complete = True

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive use of the run folder for the block (see judgekit.locking)."""
        return run_lock(self.dir)

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

    def write_timing(self, timing: dict[str, Any]) -> None:
        """Set the manifest's ``timing`` (the judge's wall time and requests sent, over all sessions)."""
        manifest = self.read_manifest()
        if manifest is None:
            return
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
        def write(f: IO[str]) -> None:
            for j in rows.values():
                f.write(j.model_dump_json(exclude_none=True) + "\n")

        _write_atomic(self.judgments_path, write)

    def append(self, judgment: Judgment) -> None:
        """Write one row and flush it to the file at once."""
        if judgment.error is not None:  # a server may echo the credentials it was sent
            judgment = judgment.model_copy(update={"error": redact_text(judgment.error)})
        line = judgment.model_dump_json(exclude_none=True).encode("utf-8")
        self._write(line)
        if self.sink is not None:
            self.sink(judgment, len(line) + 1)
        self.flush()

    def append_line(self, line: bytes, columns: Any = None) -> None:
        """Write one row's JSON (without its newline; the caller made it as ``append`` would,
        credentials redacted), buffered: it reaches the file at :meth:`flush`, which the runner's
        event loop calls as soon as the task that wrote it yields (before the run waits for any
        answer, so a kill loses nothing that finished while it waited), and :meth:`close`.
        ``columns``: the row for :attr:`sink` (the ``judgekit.judging.JudgmentLine`` it was made from)."""
        self._write(line)
        if self.sink is not None:
            if columns is None:
                self.sink_complete = False
            else:
                self.sink(columns, len(line) + 1)
        if not self._flush_due:
            self._flush_due = True
            try:
                asyncio.get_running_loop().call_soon(self._deferred_flush)
            except RuntimeError:  # no event loop: nothing would call flush later
                self.flush()

    def _write(self, line: bytes) -> None:
        if self._failed is not None:  # a deferred flush failed (a full disk): stop at the next row
            raise self._failed
        if self._fh is None:
            self._fh = open(self.judgments_path, "ab", buffering=1 << 20)  # noqa: SIM115 - held open for the run
        self._fh.write(line + b"\n")

    def _deferred_flush(self) -> None:
        try:
            self.flush()
        except OSError as exc:  # raised where the run can stop on it: the next append, flush or close
            self._failed = exc

    def flush(self) -> None:
        self._flush_due = False
        if self._failed is not None:
            raise self._failed
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        """Flush, fsync and close; an error (a full disk) is raised after the file is closed."""
        fh, self._fh, self._flush_due, self._failed = self._fh, None, False, None
        if fh is None:
            return
        try:
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            with contextlib.suppress(OSError):
                fh.close()

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json_atomic(self.metrics_path, metrics)


class JudgeClock:
    """One session's judging time, added to what earlier sessions recorded and written to the
    manifest as the run goes (at most every ``every_s`` seconds, and once more at a clean stop),
    so a killed run keeps all but the last moments of its timing."""

    def __init__(self, store: RunStore, every_s: float = 0.5) -> None:
        manifest = store.read_manifest() or {}
        self.base = dict(manifest.get("timing") or {})
        self.store = store
        self.every_s = every_s
        self.started = time.perf_counter()
        self._last = self.started

    def update(self, n_sent: int, *, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self._last >= self.every_s:
            self._last = now
            self.write(now - self.started, n_sent)

    def write(self, seconds: float, n_sent: int) -> None:
        self.store.flush()  # the rows of the requests it counts are in the file first
        timing = dict(self.base)
        timing["judge_wall_s"] = round(float(timing.get("judge_wall_s", 0.0)) + seconds, 3)
        timing["requests_sent"] = int(timing.get("requests_sent", 0)) + n_sent
        self.store.write_timing(timing)
