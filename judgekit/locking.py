"""An exclusive, advisory lock on a run folder, so that two processes never write one run.

The lock is ``fcntl.flock`` on ``<run_dir>/.lock``: the kernel drops it when its holder exits,
however it exits (SIGKILL included), so a lock is never stale. The holder writes its pid, host and
start time into the file, and the process that finds the folder locked names them in its error.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import RunStateError

LOCK = ".lock"


def _holder(f: IO[str]) -> str:
    f.seek(0)
    try:
        info = json.loads(f.read() or "{}")
    except ValueError:
        info = {}
    if not info:
        return "another process (it has not written its name yet)"
    return f"pid {info.get('pid')} on host {info.get('host')}, since {info.get('since')}"


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock for the block; a RunStateError at once if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks here, run unlocked
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the block
    try:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunStateError(
                f"{run_dir} is in use by {_holder(f)}; two processes must not write one run. Wait for "
                "it to finish (then rerun to resume) or pick another --run-id.") from None
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                            "since": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}))
        f.flush()
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                f.seek(0)
                f.truncate()
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    finally:
        f.close()
