"""Examples read from their file as a run goes, for data too large to hold (issue 10, Scale).

A suite's adapter may offer ``load.stream(suite, split, data)``: a function that reads the
examples of a local file again on each call, and the file's provenance (the generic adapter
does). :func:`stream_examples` uses it for a local file of :data:`STREAM_BYTES` or more and
checks the whole file once, up front, as :func:`judgekit.adapters.load_examples` does (every
row converted, so a bad row stops the run before anything is judged, naming its file, line and
field; duplicate ids; an empty file); a run then reads the file once more to judge it. What
it holds is 8 bytes per example (a hash of its id), not the examples.
"""

from __future__ import annotations

import logging
import os
from array import array
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..bulk import paused_gc
from ..errors import DataError
from ..registry import adapters
from ..suites import SuiteSpec
from ..types import Example, PointExample

log = logging.getLogger(__name__)

STREAM_BYTES = 64 << 20  # a local data file this large is streamed, not held


class ExampleStream:
    """The examples of one split, of one kind (``wanted``), the first ``limit`` of the file,
    read again on each iteration. Behaves as the runner's ``dict`` of examples for iterating
    (``values()``), counting and, at the cost of loading them all, looking one up."""

    def __init__(self, make: Callable[[], Iterator[Example]], wanted: type | tuple[type, ...],
                 limit: int | None, where: str) -> None:
        self.make, self.wanted, self.limit, self.where = make, wanted, limit, where
        self.n_total = 0  # examples in the file, of any kind
        self.n = 0  # examples of the wanted kind within the limit
        self._all: dict[str, Example] | None = None
        self._ab = self._ba = np.empty(0, dtype=np.int64)  # hashes of <id>#AB and <id>#BA (wanted ones)

    @paused_gc  # one pass that keeps nothing but the id hashes: the collector has nothing to find
    def check(self) -> None:
        """Read every example once: count them and refuse duplicate ids and an empty file."""
        hashes, ab, ba = array("q"), array("q"), array("q")
        for i, ex in enumerate(self.make()):
            hashes.append(hash(ex.id))
            if (self.limit is None or i < self.limit) and isinstance(ex, self.wanted):
                ab.append(hash(f"{ex.id}#AB"))
                ba.append(hash(f"{ex.id}#BA"))
        self.n_total, self.n = len(hashes), len(ab)
        self._ab, self._ba = (np.frombuffer(a, dtype=np.int64) if len(a) else np.empty(0, dtype=np.int64)
                              for a in (ab, ba))
        h = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.empty(0, dtype=np.int64)
        if len(np.unique(h)) != len(h):
            self._duplicate(h)

    def _duplicate(self, h: np.ndarray) -> None:
        s = np.sort(h)
        suspects = set(s[1:][s[1:] == s[:-1]].tolist())
        seen: dict[str, int] = {}
        for i, ex in enumerate(self.make()):
            if hash(ex.id) in suspects:
                if ex.id in seen:
                    raise DataError(f"duplicate example id {ex.id!r} (also at example {seen[ex.id] + 1})",
                                    path=self.where, line=i + 1, field="id")
                seen[ex.id] = i

    def request_id_hashes(self, swap: bool, single_order: str, samples: int) -> np.ndarray | None:
        """The hashes of the run's request ids, in order (as ``hash`` gives them), from the check's
        pass: pairs in both orders, or in the original one, one sample each; None otherwise (the
        ids are then made from the examples). Called once: the arrays are let go."""
        ab, ba = self._ab, self._ba
        self._ab = self._ba = np.empty(0, dtype=np.int64)
        if samples != 1 or len(ab) != self.n:
            return None
        if swap and self.wanted is not PointExample:
            return np.column_stack([ab, ba]).ravel()  # <id>#AB, <id>#BA, as RequestPlan.ids orders them
        if single_order == "original" or self.wanted is PointExample:
            return ab
        return None

    def __iter__(self) -> Iterator[Example]:
        for i, ex in enumerate(self.make()):
            if self.limit is not None and i >= self.limit:
                return
            if isinstance(ex, self.wanted):
                yield ex

    def values(self) -> Iterator[Example]:
        return iter(self)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, example_id: str) -> Example:
        if self._all is None:
            log.warning("%s: looking an example up loads all %d of them", self.where, self.n)
            self._all = {ex.id: ex for ex in self}
        return self._all[example_id]


def stream_examples(suite: SuiteSpec, split: str | None, data: str | os.PathLike[str] | None,
                    limit: int | None, wanted: type | tuple[type, ...],
                    min_bytes: int | None = None) -> tuple[ExampleStream, dict[str, Any]] | None:
    """The split's examples as an :class:`ExampleStream` (checked) with their provenance, as
    :func:`judgekit.adapters.load_examples` records it; None when the adapter cannot stream this
    data or the file is smaller than ``min_bytes`` (default :data:`STREAM_BYTES`; then it is simply
    loaded)."""
    min_bytes = STREAM_BYTES if min_bytes is None else min_bytes
    streamer = getattr(adapters.get(suite.adapter), "stream", None)
    if streamer is None or data is None or not Path(data).is_file() or Path(data).stat().st_size < min_bytes:
        return None
    split_name, split_spec = suite.split(split)
    made = streamer(suite, split_spec, data)
    if made is None:
        return None
    make, provenance = made
    examples = ExampleStream(make, wanted, limit, str(provenance.get("path", suite.name)))
    examples.check()  # (the generic adapter fills in the file's hash on this first pass)
    if not examples.n_total:
        raise DataError(f"no examples in split {split_name!r} of suite {suite.name!r}: the data is empty (or "
                        "holds no rows of this suite's kind); nothing to judge", path=examples.where)
    provenance["split"] = split_name
    provenance["n_examples"] = examples.n_total
    if limit is not None:
        provenance["limit"] = limit
    return examples, provenance


def select_examples(suite: SuiteSpec, split: str | None, data: str | os.PathLike[str] | None,
                    ids: Collection[str]) -> dict[str, Example] | None:
    """The examples with these ids, read by the adapter's ``load.select(suite, split, data, ids)``
    where it has one (the generic adapter: one streamed pass over a local file that converts only
    those rows), so that quoting a few examples of a large run does not load its data; None when
    the adapter cannot select (then load the split)."""
    selector = getattr(adapters.get(suite.adapter), "select", None)
    if selector is None or data is None:
        return None
    _, split_spec = suite.split(split)
    selected: dict[str, Example] | None = selector(suite, split_spec, data, ids)
    return selected
