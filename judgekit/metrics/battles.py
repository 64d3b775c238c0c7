"""Battle outcomes as scores, and each system's win rate against a common baseline.

- :func:`outcome_scores`: A (or model_a) 1, B 0, a tie 0.5, numbers as given, anything else NaN.
- :func:`win_rates`: each system's win rate against a baseline (a tie is half a win), with
  bootstrap intervals clustered by item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_rows,
    factorize,
    ratio,
    rng_for,
)

Names = Sequence[str] | np.ndarray
Floats = Sequence[float] | np.ndarray


WINNER_SCORE = {"A": 1.0, "model_a": 1.0, "B": 0.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}


def outcome_scores(winners: Sequence[str] | Floats) -> np.ndarray:
    """Battle outcomes as the first system's score: A (or model_a) 1, B 0, tie 0.5;
    numbers pass through. Anything else (``invalid``) is NaN."""
    arr = np.asarray(winners)
    if np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        return arr.astype(float)
    seq = arr.tolist()

    def one(w: object) -> float:
        if isinstance(w, (int, float)) and not isinstance(w, bool):
            return float(w)
        return WINNER_SCORE.get(str(w), math.nan)

    lookup = {w: one(w) for w in dict.fromkeys(seq)}
    return np.fromiter(map(lookup.__getitem__, seq), dtype=float, count=len(seq))


# --------------------------------------------------------------------------- win rates


def win_rates(system: Names, outcome: Sequence[str] | Floats, *, item: Sequence[object] | None = None,
              n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
              level: float = DEFAULT_LEVEL) -> dict[str, Score]:
    """Each system's win rate against a common baseline (in [0, 1], a tie half a win).

    ``outcome`` is the system's result in each game (1, 0.5, 0, or A/B/tie with the system
    as A). Invalid outcomes (NaN) are dropped. Intervals are percentile bootstrap over the
    games, clustered by ``item`` when given (both orders of a game resampled together).
    """
    sys_arr = np.asarray(system, dtype=object)
    y = outcome_scores(outcome)
    if sys_arr.shape != y.shape:
        raise ValueError("system and outcome must have the same length")
    items = None if item is None else np.asarray(item, dtype=object)
    out: dict[str, Score] = {}
    for name in sorted(set(sys_arr.tolist()), key=str):
        m = (sys_arr == name) & np.isfinite(y)
        rows = np.column_stack([np.rint(2 * y[m]).astype(np.int64), np.full(int(m.sum()), 2, dtype=np.int64)])
        cl = None if items is None else factorize(items[m].tolist())[0]
        res = bootstrap_rows(rows, ratio, cluster=cl, n_resamples=n_resamples,
                             seed=rng_for(seed, "win_rate", str(name)), level=level)
        out[str(name)] = res.estimate(int(m.sum()))
    return out
