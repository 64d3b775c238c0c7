"""Judgments as arrays, built once for the pairwise report: the example, order, category,
verdict and label of every judgment as integer codes, and the lengths and p(A) as floats.
Everything after it is vectorised."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from ..types import Judgment

# --------------------------------------------------------------------------- judgments as arrays

WINNERS = ("A", "B", "tie", "invalid")
W_CODE = {w: i for i, w in enumerate(WINNERS)}
INVALID = W_CODE["invalid"]
TIE = W_CODE["tie"]
LABEL_CODE = {"A": 0, "B": 1, "tie": 2, None: -1}


@dataclass(frozen=True)
class PairwiseArrays:
    """Judgment rows as parallel arrays, sorted by example, then order (AB first), then
    sample. Codes: winners A=0, B=1, tie=2, invalid=3; labels A=0, B=1, tie=2, none=-1;
    orders AB=0, BA=1; categories index ``category_names`` (-1: none)."""

    example: np.ndarray
    order: np.ndarray
    category: np.ndarray
    category_names: list[str]
    label: np.ndarray
    ok: np.ndarray
    winner: np.ndarray
    shown: np.ndarray
    len_a: np.ndarray
    len_b: np.ndarray
    p_a: np.ndarray

    @classmethod
    def from_judgments(cls, judgments: Iterable[Judgment]) -> PairwiseArrays:
        rows = list(judgments)
        n = len(rows)
        if not n:
            e = np.zeros(0, dtype=np.int64)
            f = np.zeros(0)
            return cls(e, e, e, [], e, e.astype(bool), e, e, f, f, f)

        def col(name: str) -> list:
            return list(map(attrgetter(name), rows))

        def coded(name: str, table: dict) -> np.ndarray:
            return np.fromiter(map(table.__getitem__, map(attrgetter(name), rows)), dtype=np.int64, count=n)

        cat = col("category")
        cat_names = sorted({c for c in set(cat) if c})
        cat_index: dict[str | None, int] = {c: i for i, c in enumerate(cat_names)}
        cat_index.update({None: -1, "": -1})
        return cls.build(
            example=_codes(col("example_id")), order=coded("order", {"AB": 0, "BA": 1}),
            sample=np.fromiter(map(attrgetter("sample"), rows), dtype=np.int64, count=n),
            category=np.fromiter(map(cat_index.__getitem__, cat), dtype=np.int64, count=n),
            category_names=cat_names, label=coded("label", LABEL_CODE),
            ok=coded("status", {"ok": 1, "error": 0}).astype(bool), winner=coded("winner", W_CODE),
            shown=coded("shown_winner", W_CODE), len_a=np.array(col("len_a"), dtype=float),
            len_b=np.array(col("len_b"), dtype=float), p_a=np.array(col("p_a"), dtype=float))

    @classmethod
    def build(cls, *, example: np.ndarray, order: np.ndarray, sample: np.ndarray | None = None,
              category: np.ndarray, category_names: Sequence[str], label: np.ndarray, ok: np.ndarray,
              winner: np.ndarray, shown: np.ndarray, len_a: np.ndarray | None = None,
              len_b: np.ndarray | None = None, p_a: np.ndarray | None = None,
              sort_index: np.ndarray | None = None) -> PairwiseArrays:
        """From unsorted code arrays (see the class docstring); sorts them (``sort_index``: the sort,
        when the caller has it already: the stable sort by example, order and sample)."""
        n = len(example)
        if sort_index is not None:
            idx = sort_index
        else:
            smp = np.zeros(n, dtype=np.int64) if sample is None else np.asarray(sample)
            ex = np.asarray(example, dtype=np.int64)
            od = np.asarray(order, dtype=np.int64)
            span_s = int(smp.max()) + 1 if n else 1
            if n and (int(ex.max()) + 1) * 2 * span_s < 2**62 and int(ex.min()) >= 0 and int(smp.min()) >= 0:
                idx = np.argsort((ex * 2 + od) * span_s + smp, kind="stable")  # one key: faster than lexsort
            else:
                idx = np.lexsort((smp, od, ex))
            del ex, od
        nan = np.broadcast_to(np.float64(np.nan), (n,))

        def take(a: np.ndarray | None, default: np.ndarray) -> np.ndarray:
            a = default if a is None else np.asarray(a)
            if a.ndim == 1 and a.strides == (0,) and len(a) == n:  # one value repeated (NaN: absent): no copy
                return a
            return a[idx]

        return cls(example=np.asarray(example)[idx], order=np.asarray(order)[idx],
                   category=np.asarray(category)[idx], category_names=list(category_names),
                   label=np.asarray(label)[idx], ok=np.asarray(ok, dtype=bool)[idx],
                   winner=np.asarray(winner)[idx], shown=np.asarray(shown)[idx],
                   len_a=_floating(take(len_a, nan)), len_b=_floating(take(len_b, nan)),
                   p_a=take(p_a, nan).astype(float, copy=False))


def _floating(a: np.ndarray) -> np.ndarray:
    """A length column as floats: float32 as given (the columnar read keeps lengths as float32 where
    that is exact; the length-bias rule compares them, which float32 and float64 do alike), other
    types as float64."""
    return a if a.dtype in (np.float32, np.float64) else a.astype(float)


def _codes(values: Sequence[str]) -> np.ndarray:
    """Codes in sorted order of the values, so the report does not depend on row order."""
    index = {v: i for i, v in enumerate(sorted(set(values)))}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
