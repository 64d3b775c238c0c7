"""Issue 10 item 1: the completion cache never holds SQLite's write lock between puts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from judgekit.cache import CompletionCache
from judgekit.types import Completion


def test_a_put_leaves_no_transaction_open_for_another_process(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    cache = CompletionCache(path)
    cache.put("k1", Completion(request_id="r", text="[[A]]"))
    other = sqlite3.connect(path, timeout=0)  # a second writer that does not wait at all
    other.execute("INSERT INTO completions VALUES ('k2', '{}', 0)")
    other.commit()
    assert cache.get("k1") is not None and cache.get("k1").text == "[[A]]"  # type: ignore[union-attr]
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    cache.close()


def test_a_locked_cache_costs_a_miss_not_the_run(tmp_path: Path, monkeypatch) -> None:
    import judgekit.cache as cache_mod

    monkeypatch.setattr(cache_mod, "BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "c.sqlite"
    cache = CompletionCache(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock for a long time
    cache.put("k", Completion(request_id="r", text="x"))  # waits, gives up, warns: no exception
    assert cache.failures == 1
    blocker.execute("ROLLBACK")
    cache.put("k", Completion(request_id="r", text="x"))
    assert cache.get("k") is not None
    cache.close()
