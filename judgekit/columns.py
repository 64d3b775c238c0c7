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
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

try:  # numpy >= 2: variable-width strings (the distinct example ids); numpy 1.x holds Python strs
    from numpy.dtypes import StringDType
except ImportError:  # pragma: no cover - numpy 1.x
    StringDType = None  # type: ignore[misc,assignment]

from .bulk import paused_gc
from .errors import DataError
from .metrics.pairwise_arrays import LABEL_CODE, W_CODE, WINNERS, PairwiseArrays
from .protocols import combine
from .store import bad_line_error, log, parse_line
from .types import Judgment

__all__ = ["JudgmentColumns", "Rows", "as_judgments", "column", "read_columns", "token_sum"]

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
_FLOATS = ("p_a", "len_a", "len_b", "score", "gold_score")
_TOKENS = ("prompt_tokens", "completion_tokens")


class _RequestId(msgspec.Struct):
    request_id: str


_RID_DECODE = msgspec.json.Decoder(_RequestId).decode


def _small_ints(a: np.ndarray) -> np.ndarray:
    """Integers in the smallest signed type that holds them all (the same values)."""
    if not a.size:
        return a.astype(np.int8)
    lo, hi = int(a.min()), int(a.max())
    for t in (np.int8, np.int16, np.int32):
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return a.astype(t)
    return a


def _compact_floats(values: list[float | None], n: int) -> np.ndarray | None:
    """None as NaN (as numpy converts it), held as float32 when that keeps every value exactly (a
    length, a grade, 0.5), else float64; None when every value is absent."""
    if values.count(None) == n:
        return None
    a = np.array(values, dtype=float).reshape(n)
    f = a.astype(np.float32)
    return f if np.array_equal(f.astype(np.float64), a, equal_nan=True) else a


def _wide(a: np.ndarray) -> np.ndarray:
    """A float column as float64 (the values read, exactly)."""
    return a if a.dtype == np.float64 else a.astype(np.float64)


class JudgmentColumns:
    """A run's judgments as columns, in :func:`judgekit.store.read_judgments`' order (each
    request's latest row, requests in the order of their first line). Codes as in
    :class:`judgekit.metrics.pairwise.PairwiseArrays`: order AB=0, BA=1; label A=0, B=1, tie=2,
    none=-1; winners A=0, B=1, tie=2, invalid=3 (int8); floats NaN where the field is absent.

    Held compactly, so that memory stays well under 100 bytes a row (issue 10: 10 million
    judgments in 2 GB): request ids as 64-bit hashes (each row read back is checked against its
    hash), example ids as codes into their sorted distinct ids (``example_code``,
    ``example_names``), categories as codes into a table, floats as float32 where that is exact (a
    column absent from every row is not held), token counts as integers. The id, category and
    token columns as lists (``request_id``, ``example_id``, ``category``, ``prompt_tokens``,
    ``completion_tokens``) are made when asked for."""

    def __init__(self, path: Path | None, cols: dict[str, Any], offsets: np.ndarray, lengths: np.ndarray) -> None:
        self.path = path
        self.request_hash: np.ndarray = cols["request_hash"]
        self.example_code: np.ndarray = cols["example_code"]
        self.example_names: np.ndarray = cols["example_names"]
        self.category_code: np.ndarray = cols["category_code"]
        self.category_table: list[str | None] = cols["category_table"]
        self.order: np.ndarray = cols["order"]
        self.sample: np.ndarray = cols["sample"]
        self.label: np.ndarray = cols["label"]
        self.ok: np.ndarray = cols["ok"]
        self.shown: np.ndarray = cols["shown"]
        self.winner: np.ndarray = cols["winner"]
        self._floats: dict[str, np.ndarray | None] = {name: cols[name] for name in _FLOATS}
        self._tokens: dict[str, tuple[np.ndarray, np.ndarray] | None] = {name: cols[name] for name in _TOKENS}
        self.offsets = offsets
        self.lengths = lengths
        self._examples: ExampleIndex | None = None
        self._rows: list[Judgment] | None = None

    def __len__(self) -> int:
        return len(self.order)

    @classmethod
    def from_judgments(cls, rows: Iterable[Judgment]) -> JudgmentColumns:
        """Columns of records already in memory (no file: :meth:`rows_at` gives the records)."""
        records = list(rows)
        builder = _Builder()
        for k in range(0, len(records), _CHUNK):
            builder.take(records[k:k + _CHUNK])
        zeros = np.zeros(len(records), dtype=np.int64)
        t = cls(None, builder.finish(zeros, zeros, lambda idx: [records[i].request_id for i in idx.tolist()])[0],
                zeros, zeros)
        t._rows = records
        return t

    # ------------------------------------------------------------------ columns made when asked for

    def _float(self, name: str) -> np.ndarray:
        a = self._floats[name]
        return np.broadcast_to(np.float64(math.nan), (len(self),)) if a is None else _wide(a)

    @property
    def p_a(self) -> np.ndarray:
        return self._float("p_a")

    @property
    def len_a(self) -> np.ndarray:
        return self._float("len_a")

    @property
    def len_b(self) -> np.ndarray:
        return self._float("len_b")

    @property
    def score(self) -> np.ndarray:
        return self._float("score")

    @property
    def gold_score(self) -> np.ndarray:
        return self._float("gold_score")

    def _token_list(self, name: str) -> list[int | None]:
        held = self._tokens[name]
        if held is None:
            return [None] * len(self)
        values, known = held
        return [v if k else None for v, k in zip(values.tolist(), known.tolist(), strict=True)]

    @property
    def prompt_tokens(self) -> list[int | None]:
        return self._token_list("prompt_tokens")

    @property
    def completion_tokens(self) -> list[int | None]:
        return self._token_list("completion_tokens")

    def token_sum(self, name: str) -> int | None:
        """The sum of a token column's known values (None when no row has one)."""
        held = self._tokens[name]
        if held is None:
            return None
        values, known = held
        if not known.any():
            return None
        if values.dtype == object:
            return int(sum(values[known].tolist()))
        return int(sum(values[known].tolist())) if values.size and int(np.abs(values).max()) * values.size >= 2**62 \
            else int(values[known].sum())

    @property
    def category(self) -> list[str | None]:
        table = self.category_table
        return [table[c] for c in self.category_code.tolist()]

    @property
    def example_id(self) -> list[str]:
        return self.example_names[self.example_code].tolist()

    @property
    def request_id(self) -> list[str]:
        """Every row's request id, read back from its line (or its record)."""
        if self.path is None and self._rows is not None:
            return [j.request_id for j in self._rows]
        return _request_ids_at(self.path, self.offsets, self.lengths, np.arange(len(self)))

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
        return np.where(self.ok, self.winner, np.int8(W_CODE["invalid"]))

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
                if isinstance(parsed, str) or hash(parsed.request_id) != int(self.request_hash[i]):
                    raise DataError(f"{self.path} changed while it was read (row {i} is no longer where it "
                                    "was); run the command again")
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

    def category_codes(self) -> tuple[list[str], np.ndarray]:
        """Sorted category names and each row's code (-1: none or empty), as PairwiseArrays codes them."""
        used = np.unique(self.category_code).tolist()
        names = sorted({c for i in used if (c := self.category_table[i])})
        index = {c: i for i, c in enumerate(names)}
        remap = np.full(len(self.category_table), -1, dtype=np.int64)
        for i in used:
            c = self.category_table[i]
            if c:
                remap[i] = index[c]
        return names, _small_ints(remap)[self.category_code]

    def pairwise_arrays(self) -> PairwiseArrays:
        """:meth:`PairwiseArrays.from_judgments` of these rows, from the columns."""
        ex = self._examples or ExampleIndex(self)  # not kept: rebuilt (in a fraction of a second) when needed
        cat_names, cat = self.category_codes()
        return PairwiseArrays.build(example=ex.example_code, order=self.order, sample=self.sample, category=cat,
                                    category_names=cat_names, label=self.label, ok=self.ok, winner=self.winner,
                                    shown=self.shown, len_a=self._floats["len_a"], len_b=self._floats["len_b"], p_a=self.p_a,
                                    sort_index=ex.sorted_rows)


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
        self.ids = t.example_names  # the distinct example ids, sorted (a numpy array of str)
        self.example_code = t.example_code
        n = len(t)
        smp = t.sample
        if n and int(smp.min()) >= 0 and len(self.ids) * 2 * (int(smp.max()) + 1) < 2**62:
            key = (self.example_code.astype(np.int64) * 2 + t.order) * (int(smp.max()) + 1) + smp
            self.sorted_rows = np.argsort(key, kind="stable")
            del key
        else:
            self.sorted_rows = np.lexsort((smp, t.order, self.example_code))
        if n < 2**31:  # row indices as int32 where they fit: half the memory, the same indices
            self.sorted_rows = self.sorted_rows.astype(np.int32)
        ex_sorted = self.example_code[self.sorted_rows]
        head = np.concatenate([[True], ex_sorted[1:] != ex_sorted[:-1]]) if n else np.zeros(0, dtype=bool)
        del ex_sorted
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


_CODED = attrgetter("order", "status", "shown_winner", "winner", "label")
_REQUEST_ID = attrgetter("request_id")
_EXAMPLE_ID = attrgetter("example_id")
_CATEGORY = attrgetter("category")
_SAMPLE = attrgetter("sample")


def _codes_of(key: tuple[str, str, str, str, str | None]) -> tuple[int, bool, int, int, int]:
    order, status, shown, winner, label = key
    return ORDER_CODE[order], STATUS_OK[status], W_CODE[shown], W_CODE[winner], LABEL_CODE[label]


def _id_array(ids: list[str]) -> np.ndarray:
    """Example ids as a numpy array that sorts as Python sorts them: numpy's variable-width strings
    (UTF-8 order is code point order), or Python str objects for the ids numpy's strings cannot
    hold or do not sort alike (a NUL character, a lone surrogate)."""
    try:
        if StringDType is not None and "\x00" not in "".join(ids):
            return np.array(ids, dtype=StringDType())
    except (UnicodeEncodeError, ValueError):
        pass
    out = np.empty(len(ids), dtype=object)
    out[:] = ids
    return out


class _Builder:
    """Columns taken from chunks of decoded rows (msgspec structs or Judgment records), joined by
    :meth:`finish`; what it keeps per row is what :class:`JudgmentColumns` keeps."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Any]] = {name: [] for name in (
            "request_hash", "entry", "names", "category_code", "order", "ok", "shown", "winner", "label", "sample",
            *_FLOATS, *_TOKENS)}
        self.n = 0
        self.n_names = 0
        self.categories: dict[str | None, int] = {}

    def take(self, rows: Sequence[Any]) -> None:
        n = len(rows)
        parts = self.parts
        parts["request_hash"].append(np.fromiter(map(hash, map(_REQUEST_ID, rows)), np.int64, n))
        # example ids: each chunk's distinct ids, and each row's place among them (sorted in finish)
        ids = list(map(_EXAMPLE_ID, rows))
        local = {v: i for i, v in enumerate(dict.fromkeys(ids))}
        parts["entry"].append(_small_ints(np.fromiter(map(local.__getitem__, ids), np.int64, n) + self.n_names))
        parts["names"].append(_id_array(list(local)))
        self.n_names += len(local)
        cats = self.categories
        for c in set(map(_CATEGORY, rows)):
            cats.setdefault(c, len(cats))
        parts["category_code"].append(np.fromiter(map(cats.__getitem__, map(_CATEGORY, rows)), np.int32, n))
        # the five coded fields at once: each row's tuple of them, numbered by the few distinct tuples
        keys = list(map(_CODED, rows))
        distinct = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        table = np.asarray([_codes_of(k) for k in distinct], dtype=np.int8).reshape(-1, 5)
        coded = table[np.fromiter(map(distinct.__getitem__, keys), np.int64, n)]
        parts["order"].append(coded[:, 0].copy())
        parts["ok"].append(coded[:, 1].astype(bool))
        parts["shown"].append(coded[:, 2].copy())
        parts["winner"].append(coded[:, 3].copy())
        parts["label"].append(coded[:, 4].copy())
        parts["sample"].append(_small_ints(np.fromiter(map(_SAMPLE, rows), np.int64, n)))
        for name in _FLOATS:
            parts[name].append((n, _compact_floats(list(map(attrgetter(name), rows)), n)))
        for name in _TOKENS:
            values = list(map(attrgetter(name), rows))
            known = n - values.count(None)
            if not known:
                parts[name].append((n, None))
                continue
            mask = np.fromiter((v is not None for v in values), bool, n)
            try:
                arr = np.array([0 if v is None else v for v in values], dtype=np.int64)
            except OverflowError:
                arr = np.array([0 if v is None else v for v in values], dtype=object)
            parts[name].append((n, (arr, mask)))
        self.n += n

    def _join(self, name: str) -> np.ndarray:
        parts = self.parts[name]
        out = np.concatenate(parts) if parts else np.zeros(0, dtype=bool if name == "ok" else np.int8)
        parts.clear()
        return out

    def _join_floats(self, name: str) -> np.ndarray | None:
        parts = self.parts[name]
        if all(a is None for _, a in parts):
            parts.clear()
            return None
        out = np.concatenate([np.full(n, np.nan, dtype=np.float32) if a is None else a for n, a in parts])
        parts.clear()
        return out

    def _join_tokens(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        parts = self.parts[name]
        if all(a is None for _, a in parts):
            parts.clear()
            return None
        values = np.concatenate([np.zeros(n, dtype=np.int64) if a is None else a[0] for n, a in parts])
        known = np.concatenate([np.zeros(n, dtype=bool) if a is None else a[1] for n, a in parts])
        parts.clear()
        return values, known

    def finish(self, offsets: np.ndarray, lengths: np.ndarray,
               request_ids_at: Callable[[np.ndarray], list[str]]) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
        """The columns of the rows read_judgments keeps (the latest row of each request, in the order
        of each request's first row), with their offsets and lengths."""
        cols: dict[str, Any] = {"request_hash": self._join("request_hash")}
        keep = _latest_rows(cols["request_hash"], request_ids_at)
        pick: Callable[[np.ndarray], np.ndarray] = (lambda a: a) if keep is None else (lambda a: a[keep])
        cols["request_hash"] = pick(cols["request_hash"])
        for name in ("order", "ok", "shown", "winner", "label", "sample", "category_code"):
            cols[name] = pick(self._join(name))
        cols["category_code"] = _small_ints(cols["category_code"])
        cols["category_table"] = list(self.categories)
        for name in _FLOATS:
            a = self._join_floats(name)
            cols[name] = None if a is None else pick(a)
        for name in _TOKENS:
            held = self._join_tokens(name)
            cols[name] = None if held is None else (pick(held[0]), pick(held[1]))
        entry = pick(self._join("entry"))
        names_parts = self.parts["names"]
        if any(p.dtype == object for p in names_parts):
            names_parts = [p.astype(object) for p in names_parts]
        names = np.concatenate(names_parts) if names_parts else _id_array([])
        self.parts["names"].clear()
        if keep is not None:  # only the ids of the rows kept
            used = np.unique(entry)
            names = names[used]
            entry = np.searchsorted(used, entry)
        # the distinct ids sorted (as Python sorts str), each row's code into them
        by_name = np.argsort(names, kind="stable")
        ordered = names[by_name]
        new = np.ones(len(ordered), dtype=bool)
        if len(ordered):
            new[1:] = ordered[1:] != ordered[:-1]
        rank = np.empty(len(ordered), dtype=np.int64)
        rank[by_name] = np.cumsum(new) - 1
        cols["example_names"] = ordered[new]
        cols["example_code"] = _small_ints(rank)[entry] if len(ordered) else np.zeros(0, dtype=np.int32)
        if cols["example_code"].dtype.itemsize < 4:
            cols["example_code"] = cols["example_code"].astype(np.int32)
        return cols, pick(offsets), pick(lengths)


def _latest_rows(request_hash: np.ndarray, request_ids_at: Callable[[np.ndarray], list[str]]) -> np.ndarray | None:
    """The rows :func:`judgekit.store.read_judgments` keeps: the latest row of each request, in the
    order of each request's first row; None when every request has one row. Requests are told
    apart by their ids' 64-bit hashes; rows that share a hash have their ids read back, so that two
    ids with one hash stay two requests."""
    n = request_hash.size
    by_hash = np.argsort(request_hash, kind="stable")
    h = request_hash[by_hash]
    same = h[1:] == h[:-1]
    if not same.any():
        return None
    group = np.empty(n, dtype=np.int64)
    group[by_hash] = np.cumsum(np.concatenate([[True], ~same])) - 1
    shared = by_hash[np.flatnonzero(np.concatenate([same, [False]]) | np.concatenate([[False], same]))]
    del h, same, by_hash
    shared.sort()
    # within each shared hash, one key per distinct id (the first id keeps the group's own key)
    n_groups = int(group.max()) + 1 if n else 0
    keys: dict[tuple[int, str], int] = {}
    firsts: set[int] = set()
    for i, rid in zip(shared.tolist(), request_ids_at(shared), strict=True):
        g = int(group[i])
        key = keys.get((g, rid))
        if key is None:
            key = g if g not in firsts else n_groups + len(keys)
            firsts.add(g)
            keys[(g, rid)] = key
        group[i] = key
    by_key = np.argsort(group, kind="stable")  # each request's rows in file order
    sorted_keys = group[by_key]
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    last = by_key[np.concatenate([starts[1:], [n]]) - 1]
    first = by_key[starts]
    return last[np.argsort(first, kind="stable")]


def _request_ids_at(path: Path | None, offsets: np.ndarray, lengths: np.ndarray, idx: np.ndarray) -> list[str]:
    """The request ids of the rows at ``idx`` (in that order), read back from their lines."""
    if path is None or not idx.size:
        return []
    out: list[str] = [""] * idx.size
    with open(path, "rb") as f:
        for k in np.argsort(offsets[idx], kind="stable").tolist():
            i = int(idx[k])
            f.seek(int(offsets[i]))
            raw = f.read(int(lengths[i]))
            try:
                out[k] = _RID_DECODE(raw).request_id
            except (msgspec.MsgspecError, ValueError, RecursionError):
                parsed = parse_line(raw)
                if isinstance(parsed, str):
                    raise DataError(f"{path} changed while it was read; run the command again") from None
                out[k] = parsed.request_id
    return out


@paused_gc
def read_columns(path: Path, *, strict: bool = False) -> JudgmentColumns:
    """judgments.jsonl as :class:`JudgmentColumns`: the rows :func:`judgekit.store.read_judgments`
    returns, in its order, with its errors (see the module docstring)."""
    path = Path(path)
    builder = _Builder()
    offsets: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    if path.is_file():
        for rows, offs, lens in _blocks(path, strict):
            for k in range(0, len(rows), _CHUNK):
                builder.take(rows[k:k + _CHUNK])
            offsets.append(offs)
            lengths.append(_small_ints(lens) if lens.size else lens)
            del rows
    off = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    lens = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    del offsets, lengths
    cols, off, lens = builder.finish(off, lens, lambda idx: _request_ids_at(path, off, lens, idx))
    return JudgmentColumns(path, cols, off, lens)


class ColumnCollector:
    """The columns of the rows a run writes, taken as it writes them (a
    ``judgekit.judging.JudgmentLine``, or the :class:`Judgment` record of a row made the usual way,
    with its line's length in bytes),
    so that the end-of-run scoring of a run judged in one go does not read judgments.jsonl back
    (issue 10: 2 to 3 us a judgment). Rows are held :data:`COLLECT_CHUNK` at a time, then kept as
    columns; :meth:`columns` gives what :func:`read_columns` would read from the file."""

    def __init__(self) -> None:  # (the runner collects only into an empty judgments.jsonl: offsets from 0)
        self.builder = _Builder()
        self.rows: list[Any] = []
        self.lengths = array("q")

    def add(self, row: Any, nbytes: int) -> None:
        self.rows.append(row)
        self.lengths.append(nbytes)
        if len(self.rows) >= COLLECT_CHUNK:
            self.builder.take(self.rows)
            self.rows = []

    def columns(self, path: Path) -> JudgmentColumns:
        if self.rows:
            self.builder.take(self.rows)
            self.rows = []
        # offsets and compact lengths, in place, the 8-byte lengths let go first (10M rows: 80 MB each)
        view = np.frombuffer(self.lengths, dtype=np.int64) if len(self.lengths) else np.zeros(0, dtype=np.int64)
        off = np.cumsum(view)
        off -= view
        lens = _small_ints(view) if view.size else view.copy()
        del view
        self.lengths = array("q")
        cols, off, lens = self.builder.finish(off, lens, lambda idx: _request_ids_at(path, off, lens, idx))
        return JudgmentColumns(path, cols, off, lens)


COLLECT_CHUNK = 4096  # rows held before their columns are taken (each holds its verdict's text)


Rows = Sequence[Judgment] | JudgmentColumns  # what the scoring functions take


def as_judgments(rows: Rows | Iterable[Judgment]) -> list[Judgment]:
    """The rows as Judgment records (read back from the file for columns)."""
    return rows.judgments() if isinstance(rows, JudgmentColumns) else list(rows)


def column(rows: Rows, name: str) -> list[Any]:
    """One field of every row: a kept list column of :class:`JudgmentColumns` (``request_id``,
    ``example_id``, ``category``, ``prompt_tokens``, ``completion_tokens``), or read off records."""
    if isinstance(rows, JudgmentColumns):
        return list(getattr(rows, name))  # made from the compact columns
    return [getattr(j, name) for j in rows]


def token_sum(rows: Rows, name: str) -> int | None:
    """The sum of a token column (``prompt_tokens``, ``completion_tokens``) over the rows that have
    a value; None when none has."""
    if isinstance(rows, JudgmentColumns):
        return rows.token_sum(name)
    known = [v for j in rows if (v := getattr(j, name)) is not None]
    return int(sum(known)) if known else None
