"""Helpers for passes over a whole run's rows.

Reading or scoring a million judgments allocates millions of small objects, and Python's cyclic
garbage collector rescans all the live ones again and again as they pile up (a third to a half of
the time of ``score`` on a large run). Judgment records hold no reference cycles, so these passes
pause the collector; reference counting still frees everything as usual, and the collector runs
again as soon as the pass returns.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the cyclic garbage collector paused (restored after, even on error; nested
    calls leave it to the outermost)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


# the collector's first threshold while a run judges (Python's default is 700): a run keeps a window
# of requests in flight (rendered ahead, their examples, completions), tens of thousands of young
# objects that the default threshold would make it traverse every few judgments, and each full
# pass of the younger generations again; every object is freed by reference counting as usual
JUDGING_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def frozen_gc() -> Iterator[None]:
    """Move every object alive now to the collector's permanent generation for the block
    (``gc.freeze``), and back after it; and collect the young generations less often
    (:data:`JUDGING_GC_THRESHOLD`). A long loop (a run's judging) allocates as it goes and
    the collector's full passes would rescan everything alive before it (the modules, the loaded
    templates, the CLI's libraries) each time; frozen, they are skipped. Objects made inside the
    block are collected as usual (reference cycles within a bounded number of allocations)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], JUDGING_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
