"""SQLite cache of completions, keyed by the full identity of a request.

The key covers what determines a judge's output: the backend's identity (backend,
model, revision, endpoint), the sampling parameters, the rendered prompt or
messages and the sample index. The template's parser is not in the key on purpose:
a parser fix re-parses cached outputs instead of paying for them again; the
template hash still goes into every stored judgment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from .types import Completion, JudgeRequest

log = logging.getLogger(__name__)


def default_cache_path() -> Path:
    return Path(user_cache_dir("judgekit")) / "completions.sqlite"


def request_key(identity: dict[str, Any], req: JudgeRequest) -> str:
    payload = {
        "identity": identity,
        "messages": [[m.role, m.content] for m in req.messages],
        "prompt": req.prompt,
        "sampling": req.sampling.model_dump(mode="json"),
        "sample": req.sample,
        "mode": req.mode,
        "prefill": req.prefill,
        "choices": list(req.choices),
        # judges that read the raw responses (reward models) see these, not the prompt
        "question": req.question,
        "responses": list(req.responses),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


BUSY_TIMEOUT_S = 60.0  # how long one statement waits for another process's write to finish


class CompletionCache:
    """Safe for several processes at once (the default cache is shared by all of a user's runs):
    WAL (readers never wait for the writer), one short transaction per put (a write lock is held
    for microseconds, never across a slow request) and a busy timeout. A cache that still cannot
    be read or written (locked for a minute, disk full) costs a cache miss and a warning, never
    the run: the judgment itself is already in judgments.jsonl."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so no statement leaves a transaction open behind it
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, "
                         "value TEXT NOT NULL, created REAL NOT NULL)")
        self.failures = 0

    def _trouble(self, what: str, exc: sqlite3.Error) -> None:
        if not self.failures:
            log.warning("completion cache %s: %s failed (%s); the run goes on without the cache for the "
                        "requests it affects", self.path, what, exc)
        self.failures += 1

    def get(self, key: str) -> Completion | None:
        try:
            row = self._db.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError as exc:
            self._trouble("read", exc)
            return None
        if row is None:
            return None
        return Completion.model_validate_json(row[0])

    def put(self, key: str, completion: Completion) -> None:
        if not completion.ok:
            return  # failures are never cached: the next run retries them
        try:
            self._db.execute("INSERT OR REPLACE INTO completions VALUES (?, ?, ?)",
                             (key, completion.model_dump_json(exclude={"cached", "attempts"}), time.time()))
        except sqlite3.OperationalError as exc:
            self._trouble("write", exc)

    def commit(self) -> None:
        """Nothing to do: every put commits at once (kept for callers)."""

    def close(self) -> None:
        if self.failures:
            log.warning("completion cache %s: %d reads/writes failed and were skipped", self.path, self.failures)
        self._db.close()
