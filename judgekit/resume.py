"""What a run folder already holds, read in one streamed pass without keeping the judgments:
which requests are done (their latest row is ok), how many rows there are, and whether the file
needs rewriting (a superseded row, a torn last line). The rewrite (:func:`compact`) copies the
latest line of each request byte for byte, in file order, through the store's atomic write.

Memory: a few bytes per row (hashes and flags in arrays), never a Judgment per row.
"""

from __future__ import annotations

import json
import logging
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .errors import DataError, RunStateError
from .plan import IdSet
from .store import _parse_lines, _write_atomic

log = logging.getLogger(__name__)


@dataclass
class Existing:
    """A run's judgments.jsonl, summarised for resuming."""

    done: IdSet  # requests whose latest row is ok: not sent again
    present: IdSet  # requests with any row
    n_rows: int  # distinct requests with a row
    n_ok: int  # of which the latest row is ok
    n_invalid: int  # of which the latest row is ok with an invalid verdict
    dirty: bool  # a superseded row or a torn last line: rewrite before appending

    @classmethod
    def empty(cls) -> Existing:
        return cls(IdSet(), IdSet(), 0, 0, 0, False)


def scan(path: Path, plan_ids: IdSet, ids: Callable[[], Iterable[str]]) -> Existing:
    """Read ``path`` once (each line validated as a judgment row, as ``read_judgments`` does:
    a torn last line is dropped with a warning, a bad line elsewhere is a DataError naming the
    file and line). A row for a request the run does not make is a RunStateError."""
    if not path.is_file():
        return Existing.empty()
    hashes = array("q")
    flags = array("b")  # 1: ok, 2: invalid verdict (ok rows only)
    strings: list[str] = []  # only when the plan keeps its ids as strings (a hash collision)
    torn = False
    for lineno, raw, parsed in _parse_lines(path):
        if isinstance(parsed, str):
            if not raw.endswith(b"\n"):  # only the last line can lack its newline
                log.warning("%s:%d: dropping a torn last line (interrupted write)", path, lineno)
                torn = True
                continue
            raise DataError(f"{parsed}; `judgekit score --repair {path.parent}` keeps every valid row and "
                            "sets the bad lines aside", path=str(path), line=lineno)
        hashes.append(hash(parsed.request_id))
        flags.append(0 if parsed.status != "ok" else 2 if parsed.winner == "invalid" else 1)
        if plan_ids.exact:
            strings.append(parsed.request_id)
    h = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.empty(0, dtype=np.int64)
    f = np.frombuffer(flags, dtype=np.int8) if len(flags) else np.empty(0, dtype=np.int8)
    if plan_ids.exact:  # two of the run's ids share a hash: keep strings (see IdSet.of)
        latest = {s: i for i, s in enumerate(strings)}
        foreign = len(set(latest) - set(ids()))
        lf = f[np.fromiter(latest.values(), dtype=np.int64, count=len(latest))]
        done = IdSet(exact=frozenset(s for s, i in latest.items() if f[i]))
        present = IdSet(exact=frozenset(latest))
        n_rows = len(latest)
    else:
        last = _latest(h)
        lh, lf = h[last], f[last]
        foreign = int((~plan_ids.contains_hashes(lh)).sum())
        done, present = IdSet(lh[lf > 0]), IdSet(lh)
        n_rows = len(lh)
    if foreign:
        raise RunStateError(f"{path} holds {foreign} judgments for requests this run does not make; pick "
                            "another --run-id")
    return Existing(done=done, present=present, n_rows=n_rows, n_ok=int((lf > 0).sum()),
                    n_invalid=int((lf == 2).sum()), dirty=torn or n_rows != len(h))


def _latest(hashes: np.ndarray) -> np.ndarray:
    """Positions of the last occurrence of each distinct hash, in file order."""
    if not len(hashes):
        return np.empty(0, dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    s = hashes[order]
    is_last = np.ones(len(s), dtype=bool)
    is_last[:-1] = s[1:] != s[:-1]
    return np.sort(order[is_last])


def compact(path: Path, exact: bool = False) -> int:
    """Rewrite ``path`` with the latest line of each request (in file order, bytes unchanged),
    dropping a torn last line; returns the number of rows. The lines were validated when they
    were written or scanned, so only their request ids are read here. Requests are told apart by
    the hash of their id, or by the id itself when ``exact`` (a run whose ids share a hash)."""
    if not path.is_file():
        return 0
    ids: list[str | None] | None = [] if exact else None
    hashes = array("q")
    with open(path, "rb") as fh:
        for raw in fh:
            rid = _request_id(raw)
            hashes.append(hash(rid))
            if ids is not None:
                ids.append(rid)
    h = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.empty(0, dtype=np.int64)
    keep = np.zeros(len(h), dtype=bool)
    if ids is not None:
        keep[[i for r, i in {r: i for i, r in enumerate(ids)}.items() if r is not None]] = True
    else:
        keep[_latest(h)] = True
        keep &= h != hash(None)  # blank lines and a torn last line carry no request id: never kept

    def write(out: IO[str]) -> None:
        with open(path, "rb") as src:
            for i, raw in enumerate(src):
                if keep[i]:
                    out.write(raw.decode("utf-8"))

    _write_atomic(path, write)
    return int(keep.sum())


def count_rows(path: Path) -> int:
    """The rows of a judgments.jsonl that holds one row per request (after :func:`compact`, or
    rows appended for requests that had none): its non-blank lines."""
    if not path.is_file():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for raw in fh if raw.strip())


def _request_id(raw: bytes) -> str | None:
    if not raw.endswith(b"\n") or not raw.strip():
        return None  # a torn last line (or a blank one)
    try:
        rid = json.loads(raw).get("request_id")
    except ValueError:
        return None
    return rid if isinstance(rid, str) else None
