"""judgments.jsonl read into columns: the read path of ``score``, ``report`` and ``leaderboard``.

:func:`judgekit.store.read_judgments` validates every line into a pydantic :class:`Judgment`
(about 6 us a line, plus the objects' memory: a million-pair run is two million of them).
:func:`read_columns` reads the same file into arrays instead: each line is decoded and
validated by msgspec against a struct with Judgment's fields and types (about 1.5 us), and
only the columns the metrics need are kept (codes for order, label, status and verdicts,
floats for p(A) and the lengths, the ids, the categories), with where each row's line is in
the file, so that any row can still be read back as a :class:`Judgment`
(:meth:`JudgmentColumns.rows_at`).

The semantics are read_judgments', line for line: a line msgspec refuses is validated by
pydantic itself (:func:`judgekit.store.parse_line`), so a row pydantic accepts in its lax
mode (a number in a string, say) is still a row, and a bad line gives the very same error
(file, line, field), or is dropped as a torn last line, or is an error in ``strict`` mode;
the latest row of each request wins and rows keep the order of each request's first line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

from .bulk import paused_gc
from .errors import DataError
from .metrics.pairwise_arrays import LABEL_CODE, W_CODE, WINNERS, PairwiseArrays
from .protocols import combine
from .store import bad_line_error, log, parse_line
from .types import Judgment

__all__ = ["JudgmentColumns", "Rows", "as_judgments", "column", "read_columns"]

_W = Literal["A", "B", "tie", "invalid"]


class _Row(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Judgment's fields and types, for msgspec (tests check the two agree field by field)."""

    request_id: str
    example_id: str
    order: Literal["AB", "BA"]
    status: Literal["ok", "error"]
    shown_winner: _W
    winner: _W
    template_hash: str
    sample: int = 0
    category: str | None = None
    label: Literal["A", "B", "tie"] | None = None
    verdict_label: str | None = None
    strength: int | None = None
    p_a: float | None = None
    scores: list[float] | None = None
    raw: str | None = None
    reason: str | None = None
    error: str | None = None
    len_a: int | None = None
    len_b: int | None = None
    score: float | None = None
    gold_score: float | None = None
    meta: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int = 1
    cached: bool = False


_DECODER = msgspec.json.Decoder(_Row)
_DECODE = _DECODER.decode
ORDER_CODE = {"AB": 0, "BA": 1}
STATUS_OK = {"ok": True, "error": False}
_CHUNK = 1 << 16  # rows decoded before their columns are taken (bounds the structs held at once)


def _floats(values: list[float | None], n: int) -> np.ndarray:
    """None as NaN (as numpy converts it)."""
    if values.count(None) == n:
        return np.full(n, math.nan)
    return np.array(values, dtype=float).reshape(n)


class JudgmentColumns:
    """A run's judgments as columns, in :func:`judgekit.store.read_judgments`' order (each
    request's latest row, requests in the order of their first line). Codes as in
    :class:`judgekit.metrics.pairwise.PairwiseArrays`: order AB=0, BA=1; label A=0, B=1, tie=2,
    none=-1; winners A=0, B=1, tie=2, invalid=3; floats NaN where the field is absent."""

    def __init__(self, path: Path | None, cols: dict[str, Any], offsets: np.ndarray, lengths: np.ndarray) -> None:
        self.path = path
        self.request_id: list[str] = cols["request_id"]
        self.example_id: list[str] = cols["example_id"]
        self.category: list[str | None] = cols["category"]
        self.order: np.ndarray = cols["order"]
        self.sample: np.ndarray = cols["sample"]
        self.label: np.ndarray = cols["label"]
        self.ok: np.ndarray = cols["ok"]
        self.shown: np.ndarray = cols["shown"]
        self.winner: np.ndarray = cols["winner"]
        self.p_a: np.ndarray = cols["p_a"]
        self.len_a: np.ndarray = cols["len_a"]
        self.len_b: np.ndarray = cols["len_b"]
        self.score: np.ndarray = cols["score"]
        self.gold_score: np.ndarray = cols["gold_score"]
        self.prompt_tokens: list[int | None] = cols["prompt_tokens"]
        self.completion_tokens: list[int | None] = cols["completion_tokens"]
        self.offsets = offsets
        self.lengths = lengths
        self._examples: ExampleIndex | None = None
        self._rows: list[Judgment] | None = None

    def __len__(self) -> int:
        return len(self.request_id)

    @classmethod
    def from_judgments(cls, rows: Iterable[Judgment]) -> JudgmentColumns:
        """Columns of records already in memory (no file: :meth:`rows_at` gives the records)."""
        records = list(rows)
        cols: dict[str, list[Any]] = {name: [] for name in (*_TAKE, *_ARRAYS)}
        if records:
            _take_chunk(records, cols)
        out = _assemble(cols)
        zeros = np.zeros(len(records), dtype=np.int64)
        t = cls(None, out, zeros, zeros)
        t._rows = records
        return t

    @property
    def n_failed(self) -> int:
        return int((~self.ok).sum())

    @property
    def n_invalid(self) -> int:
        """Answered requests whose verdict could not be read."""
        return int((self.ok & (self.winner == W_CODE["invalid"])).sum())

    @property
    def verdict(self) -> np.ndarray:
        """The verdict codes with a failed request as invalid (aggregations' ``_verdict``)."""
        return np.where(self.ok, self.winner, W_CODE["invalid"])

    # ------------------------------------------------------------------ rows back as Judgments

    def rows_at(self, indices: Sequence[int] | np.ndarray) -> list[Judgment]:
        """The rows at ``indices`` as :class:`Judgment` records, read back from their lines."""
        idx = np.asarray(indices, dtype=np.int64)
        if self.path is None and self._rows is not None:  # columns of records in memory
            return [self._rows[i] for i in idx.tolist()]
        if self.path is None or idx.size == 0:
            return []
        out: list[Judgment | None] = [None] * idx.size
        with open(self.path, "rb") as f:
            for k in np.argsort(self.offsets[idx], kind="stable").tolist():  # in file order
                i = int(idx[k])
                f.seek(int(self.offsets[i]))
                parsed = parse_line(f.read(int(self.lengths[i])))
                if isinstance(parsed, str) or parsed.request_id != self.request_id[i]:
                    raise DataError(f"{self.path} changed while it was read (row {i} of request "
                                    f"{self.request_id[i]!r} is no longer where it was); run the command again")
                out[k] = parsed
        return [j for j in out if j is not None]

    def judgments(self) -> list[Judgment]:
        """Every row as a :class:`Judgment` (read once, then kept): for the aggregations and views
        that have no columnar form."""
        if self._rows is None:
            self._rows = self.rows_at(np.arange(len(self)))
        return self._rows

    def examples(self) -> ExampleIndex:
        if self._examples is None:
            self._examples = ExampleIndex(self)
        return self._examples

    def pairwise_arrays(self) -> PairwiseArrays:
        """:meth:`PairwiseArrays.from_judgments` of these rows, from the columns."""
        ex = self.examples()
        cat_names, cat = category_codes(self.category)
        return PairwiseArrays.build(example=ex.example_code, order=self.order, sample=self.sample, category=cat,
                                    category_names=cat_names, label=self.label, ok=self.ok, winner=self.winner,
                                    shown=self.shown, len_a=self.len_a, len_b=self.len_b, p_a=self.p_a)


def category_codes(categories: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
    """Sorted category names and each row's code (-1: none or empty), as PairwiseArrays codes them."""
    names = sorted({c for c in set(categories) if c})
    index: dict[str | None, int] = {c: i for i, c in enumerate(names)}
    index.update({None: -1, "": -1})
    return names, np.fromiter(map(index.__getitem__, categories), dtype=np.int64, count=len(categories))


class ExampleIndex:
    """The rows grouped by example as :func:`judgekit.aggregations.by_example` groups them:
    examples in sorted id order, each one's rows AB first, then by sample (a stable sort).
    ``sorted_rows``: row indices in that order; ``starts``: where each example begins in it;
    ``first``: each example's first row; ``first_ab`` / ``first_ba``: its first row of each
    order (-1 when it has none)."""

    def __init__(self, t: JudgmentColumns) -> None:
        ids = t.example_id
        names = sorted(set(ids))
        index = {v: i for i, v in enumerate(names)}
        self.ids = names
        self.example_code = np.fromiter(map(index.__getitem__, ids), dtype=np.int64, count=len(ids))
        n = len(ids)
        smp = t.sample
        if n and int(smp.min()) >= 0 and len(names) * 2 * (int(smp.max()) + 1) < 2**62:
            key = (self.example_code * 2 + t.order) * (int(smp.max()) + 1) + smp
            self.sorted_rows = np.argsort(key, kind="stable")
        else:
            self.sorted_rows = np.lexsort((smp, t.order, self.example_code))
        ex_sorted = self.example_code[self.sorted_rows]
        head = np.concatenate([[True], ex_sorted[1:] != ex_sorted[:-1]]) if n else np.zeros(0, dtype=bool)
        self.starts = np.flatnonzero(head)
        self.sizes = np.diff(np.concatenate([self.starts, [n]])).astype(np.int64)
        self.first = self.sorted_rows[self.starts]
        self.first_ab = self._first_of(t, 0)
        self.first_ba = self._first_of(t, 1)

    def __len__(self) -> int:
        return len(self.ids)

    def _first_of(self, t: JudgmentColumns, order: int) -> np.ndarray:
        out = np.full(len(self.ids), -1, dtype=np.int64)
        rows = self.sorted_rows[t.order[self.sorted_rows] == order]
        ex = self.example_code[rows]
        if rows.size:
            head = np.concatenate([[True], ex[1:] != ex[:-1]])
            out[ex[head]] = rows[head]
        return out

    def group(self, k: int) -> np.ndarray:
        """Row indices of the k-th example, in by_example order."""
        s = int(self.starts[k])
        return self.sorted_rows[s:s + int(self.sizes[k])]

    def combined(self, verdict: np.ndarray, policy: str) -> np.ndarray:
        """Each example's verdict under a conflict policy (:func:`judgekit.protocols.combine` over its
        verdicts in by_example order, a failed request given as invalid in ``verdict``), as an
        object array of verdict names; combined once per distinct tuple of verdicts."""
        v = verdict[self.sorted_rows].astype(np.int64)
        if not len(self.ids):
            return np.zeros(0, dtype=object)
        if int(self.sizes.max()) <= 20:  # each example's verdict tuple as one base-5 number
            pos = np.arange(v.size) - np.repeat(self.starts, self.sizes)
            key = np.add.reduceat((v + 1) * 5 ** pos, self.starts)
        else:
            tuples = [tuple(v[s:s + z].tolist()) for s, z in zip(self.starts.tolist(), self.sizes.tolist(), strict=True)]
            codes = {t: i for i, t in enumerate(dict.fromkeys(tuples))}
            key = np.fromiter(map(codes.__getitem__, tuples), dtype=np.int64, count=len(tuples))
            uniq_tuples = list(codes)
        uniq, inv = np.unique(key, return_inverse=True)
        out = np.empty(uniq.size, dtype=object)
        for u, k in enumerate(uniq.tolist()):
            if int(self.sizes.max()) <= 20:
                vs = []
                while k:
                    vs.append(WINNERS[k % 5 - 1])
                    k //= 5
            else:
                vs = [WINNERS[x] for x in uniq_tuples[k]]
            out[u] = combine(policy, vs)  # type: ignore[arg-type]
        return out[np.asarray(inv).ravel()]


# --------------------------------------------------------------------------- reading


_BLOCK = 1 << 24  # bytes read and decoded at once (whole lines)
# pydantic's JSON parser refuses nesting deeper than about 200 levels, msgspec does not: a row whose
# meta nests deeper than this is left to pydantic (the only field that nests)
_DEEP = 64


def _deep(obj: Any, limit: int = _DEEP) -> bool:
    """Whether ``obj`` (decoded JSON) nests more than ``limit`` levels."""
    level = [obj]
    for _ in range(limit):
        level = [v for x in level for v in (x.values() if isinstance(x, dict) else x if isinstance(x, list) else ())
                 if isinstance(v, (dict, list))]
        if not level:
            return False
    return True


def _needs_pydantic(row: Any) -> bool:
    return row.meta is not None and _deep(row.meta)


def _line_rows(raw_lines: Iterable[bytes], path: Path, strict: bool, lineno: int, offset: int,
               out: list[Any], offsets: list[int], lengths: list[int]) -> None:
    """Line by line, read_judgments' way: msgspec first, pydantic when msgspec refuses the line (a
    lax coercion pydantic accepts, or the error it names); a torn last line is dropped."""
    decode = _DECODE
    for raw in raw_lines:
        lineno += 1
        start = offset
        offset += len(raw)
        if not raw.strip():
            continue
        try:
            row: Any = decode(raw)
            if row.meta is not None and _needs_pydantic(row):
                raise ValueError("nested too deeply for msgspec to decide")
        except (msgspec.MsgspecError, ValueError, RecursionError):
            row = parse_line(raw)
            if isinstance(row, str):
                if not raw.endswith(b"\n") and not strict:  # only the last line can lack its newline
                    log.warning("%s:%d: dropping a torn last line (interrupted write)", path, lineno)
                    continue
                raise bad_line_error(path, lineno, row) from None
        out.append(row)
        offsets.append(start)
        lengths.append(len(raw))


def _blocks(path: Path, strict: bool) -> Iterator[tuple[list[Any], np.ndarray, np.ndarray]]:
    """(rows, their byte offsets, their byte lengths) per block of whole lines. A block whose lines
    are all one compact JSON object each (``{...}`` then a newline: what judgekit writes) is decoded
    in one call (msgspec's ``decode_lines``); any other block (a blank or padded line, a bad or torn
    line, two objects on one line...) line by line (:func:`_line_rows`), with the same result."""
    decode_lines = _DECODER.decode_lines
    lineno = 0
    offset = 0
    with open(path, "rb") as f:
        rest = b""
        while True:
            data = f.read(_BLOCK)
            buf = rest + data
            if not buf:
                return
            cut = buf.rfind(b"\n") + 1 if data else len(buf)  # whole lines; at the end, what is left
            if cut == 0:
                rest = buf
                continue
            block, rest = buf[:cut], buf[cut:]
            arr = np.frombuffer(block, dtype=np.uint8)
            nl = np.flatnonzero(arr == 10)
            starts = np.concatenate([[0], nl[:-1] + 1]) if nl.size else np.zeros(0, dtype=np.int64)
            rows: list[Any] | None = None
            if nl.size and nl[-1] == len(block) - 1 and bool(np.all(arr[starts] == 123)) and bool(
                    np.all(arr[np.maximum(nl - 1, 0)] == 125)) and bool(np.all(nl > starts)):
                try:
                    rows = decode_lines(block)
                except (msgspec.MsgspecError, ValueError, RecursionError):
                    rows = None
                if rows is not None and (len(rows) != nl.size or any(
                        r.meta is not None and _needs_pydantic(r) for r in rows)):
                    rows = None
            if rows is not None:
                yield rows, offset + starts, nl + 1 - starts
            else:
                out: list[Any] = []
                offs: list[int] = []
                lens: list[int] = []
                _line_rows(_split_lf(block), path, strict, lineno, offset, out, offs, lens)
                yield out, np.asarray(offs, dtype=np.int64), np.asarray(lens, dtype=np.int64)
            lineno += int(nl.size)
            offset += len(block)
            if not data:
                return


def _split_lf(block: bytes) -> list[bytes]:
    """Lines split at b"\\n" only (as a binary file's iteration splits them), each keeping its newline."""
    parts = block.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


_TAKE = {
    "request_id": attrgetter("request_id"), "example_id": attrgetter("example_id"), "category": attrgetter("category"),
    "prompt_tokens": attrgetter("prompt_tokens"), "completion_tokens": attrgetter("completion_tokens"),
}


_CODED = attrgetter("order", "status", "shown_winner", "winner", "label")


def _codes_of(key: tuple[str, str, str, str, str | None]) -> tuple[int, bool, int, int, int]:
    order, status, shown, winner, label = key
    return ORDER_CODE[order], STATUS_OK[status], W_CODE[shown], W_CODE[winner], LABEL_CODE[label]


def _take_chunk(rows: list[Any], into: dict[str, list[Any]]) -> None:
    n = len(rows)
    for name, get in _TAKE.items():
        into[name].extend(map(get, rows))
    # the five coded fields at once: each row's tuple of them, numbered by the few distinct tuples
    keys = list(map(_CODED, rows))
    distinct = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    table = np.asarray([_codes_of(k) for k in distinct], dtype=np.int64).reshape(-1, 5)
    coded = table[np.fromiter(map(distinct.__getitem__, keys), np.int64, n)]
    into["order"].append(coded[:, 0])
    into["ok"].append(coded[:, 1].astype(bool))
    into["shown"].append(coded[:, 2])
    into["winner"].append(coded[:, 3])
    into["label"].append(coded[:, 4])
    into["sample"].append(np.fromiter(map(attrgetter("sample"), rows), np.int64, n))
    for name in ("p_a", "len_a", "len_b", "score", "gold_score"):
        into[name].append(_floats(list(map(attrgetter(name), rows)), n))


_ARRAYS = ("order", "sample", "label", "ok", "shown", "winner", "p_a", "len_a", "len_b", "score", "gold_score")


def _assemble(cols: dict[str, list[Any]]) -> dict[str, Any]:
    """The chunks' columns joined: lists for the ids, arrays for the rest."""
    out: dict[str, Any] = {name: cols[name] for name in _TAKE}
    for name in _ARRAYS:
        parts = cols[name]
        out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=bool if name == "ok" else
                                                                     float if name in ("p_a", "len_a", "len_b", "score",
                                                                                       "gold_score") else np.int64)
    return out


@paused_gc
def read_columns(path: Path, *, strict: bool = False) -> JudgmentColumns:
    """judgments.jsonl as :class:`JudgmentColumns`: the rows :func:`judgekit.store.read_judgments`
    returns, in its order, with its errors (see the module docstring)."""
    path = Path(path)
    cols: dict[str, list[Any]] = {name: [] for name in (*_TAKE, *_ARRAYS)}
    offsets: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    if path.is_file():
        for rows, offs, lens in _blocks(path, strict):
            for k in range(0, len(rows), _CHUNK):
                _take_chunk(rows[k:k + _CHUNK], cols)
            offsets.append(offs)
            lengths.append(lens)
            del rows
    out = _assemble(cols)
    off = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    lens = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    # the latest row of each request wins, in the order of the request's first row (a dict's order)
    if len(set(out["request_id"])) != len(out["request_id"]):
        latest: dict[str, int] = {}
        for i, rid in enumerate(out["request_id"]):
            latest[rid] = i
        keep = np.fromiter(latest.values(), dtype=np.int64, count=len(latest))
        klist = keep.tolist()
        for name in _TAKE:
            values = out[name]
            out[name] = [values[i] for i in klist]
        for name in _ARRAYS:
            out[name] = out[name][keep]
        off, lens = off[keep], lens[keep]
    return JudgmentColumns(path, out, off, lens)


Rows = Sequence[Judgment] | JudgmentColumns  # what the scoring functions take


def as_judgments(rows: Rows | Iterable[Judgment]) -> list[Judgment]:
    """The rows as Judgment records (read back from the file for columns)."""
    return rows.judgments() if isinstance(rows, JudgmentColumns) else list(rows)


def column(rows: Rows, name: str) -> list[Any]:
    """One field of every row: a kept list column of :class:`JudgmentColumns` (``request_id``,
    ``example_id``, ``category``, ``prompt_tokens``, ``completion_tokens``), or read off records."""
    if isinstance(rows, JudgmentColumns):
        return list(getattr(rows, name))
    return [getattr(j, name) for j in rows]
