"""Judge biases: order (swap consistency, position preference), length, self-preference,
and invalid verdicts with the bounds they put on accuracy.

Verdicts are ``A``, ``B``, ``tie`` or ``invalid``. Position preference works in the frame
the responses were shown in (A = first shown); length and self-preference work in the
example's own frame (A = response_a), with lengths and systems given in that frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..types import Frozen
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    binomial_test,
    bootstrap_rows,
    logistic_regression,
    normal_interval,
    wilson_interval,
)

Verdicts = Sequence[str] | np.ndarray


def swap_consistency(first: Verdicts, second: Verdicts) -> float:
    """Share of pairs whose two un-swapped verdicts are the same valid verdict."""
    a = np.asarray(first, dtype=object)
    b = np.asarray(second, dtype=object)
    if a.size == 0:
        return float("nan")
    return float(np.mean((a == b) & (a != "invalid")))


def position_preference(shown: Verdicts) -> tuple[float, int]:
    """Share of decisive verdicts (A or B in the shown frame) that pick the first-shown
    response, and the number of decisive verdicts. 0.5 means no position preference."""
    s = np.asarray(shown, dtype=object)
    decisive = (s == "A") | (s == "B")
    n = int(decisive.sum())
    if n == 0:
        return float("nan"), 0
    return float((s[decisive] == "A").mean()), n


def _share_estimate(k: int, n: int, level: float, p0: float = 0.5) -> Score:
    lo, hi = wilson_interval(k, n, level)
    return Score(value=k / n if n else None, n=n, ci_low=lo, ci_high=hi, ci_level=level, method="wilson",
                    p_value=binomial_test(k, n, p0) if n else None)


def position_preference_test(shown: Verdicts, level: float = DEFAULT_LEVEL) -> Score:
    """Position preference with a Wilson interval and an exact binomial test against 0.5.

    The test treats decisive verdicts as independent; when both orders of each pair are
    judged they are not quite (a judge that always says "A" is consistent across a pair),
    and the run report's clustered bootstrap interval is the one to trust.
    """
    s = np.asarray(shown, dtype=object)
    decisive = (s == "A") | (s == "B")
    return _share_estimate(int((s == "A").sum()), int(decisive.sum()), level)


def longer_choices(picks_a: np.ndarray, decisive: np.ndarray, len_a: np.ndarray, len_b: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The one length-bias rule (the run report, :func:`length_bias` and the report's plot use
    it): an item counts when its verdict is decisive and both lengths are known (finite) and
    unequal; it picks the longer response when it picks A and A is longer, or picks B and B is
    longer. Returns (picks the longer, counts), boolean arrays in the items' order."""
    la, lb = _floats(len_a), _floats(len_b)
    counts = np.asarray(decisive, dtype=bool) & np.isfinite(la) & np.isfinite(lb) & (la != lb)
    return counts & (np.asarray(picks_a, dtype=bool) == (la > lb)), counts


def _floats(values: Any) -> np.ndarray:
    """Lengths as a float array: a float32 or float64 array as it is (no float64 copy of a float32
    column: comparing the same values gives the same answers), anything else as float64."""
    if isinstance(values, np.ndarray) and values.dtype in (np.float32, np.float64):
        return values
    return np.asarray(values, dtype=float)


class LengthBias(Frozen):
    """Does the judge prefer the longer response?

    ``prefer_longer``: among decisive verdicts on pairs of unequal length, the share that
    picks the longer response (0.5: no length preference), with a Wilson interval and an
    exact binomial test against 0.5. ``slope``: the logistic regression of "picks A" on the
    standardised length difference (len_a - len_b) / sd, with its Wald interval and p-value:
    the change in log-odds of picking a response per standard deviation of extra length.
    When gold labels are given, ``gold_prefer_longer`` is the same share for the gold
    labels, the baseline a judge without length bias would match.
    """

    prefer_longer: Score
    slope: Score | None
    gold_prefer_longer: Score | None = None


def length_bias(winner: Verdicts, len_a: Sequence[float] | np.ndarray, len_b: Sequence[float] | np.ndarray,
                gold: Verdicts | None = None, level: float = DEFAULT_LEVEL) -> LengthBias:
    w = np.asarray(winner, dtype=object)
    la = np.asarray(len_a, dtype=float)
    lb = np.asarray(len_b, dtype=float)
    if not (w.shape == la.shape == lb.shape):
        raise ValueError("winner, len_a and len_b must have the same length")
    decisive = (w == "A") | (w == "B")
    picks_longer, m = longer_choices(w == "A", decisive, la, lb)
    prefer = _share_estimate(int(picks_longer.sum()), int(m.sum()), level)

    slope = None
    x = la[decisive] - lb[decisive]
    y = (w[decisive] == "A").astype(float)
    sd = float(np.std(x))
    if decisive.sum() >= 3 and sd > 0 and 0 < y.sum() < y.size:
        X = np.column_stack([np.ones(x.size), x / sd])
        fit = logistic_regression(X, y)
        b, se = float(fit.coef[1]), float(fit.se[1])
        lo, hi = normal_interval(b, se, level)
        slope = Score(value=b, n=int(x.size), ci_low=lo, ci_high=hi, ci_level=level, method="wald",
                         p_value=float(fit.wald_p()[1]))
    gold_est = None
    if gold is not None:
        g = np.asarray(gold, dtype=object)
        g_longer, gm = longer_choices(g == "A", (g == "A") | (g == "B"), la, lb)
        gold_est = _share_estimate(int(g_longer.sum()), int(gm.sum()), level)
    return LengthBias(prefer_longer=prefer, slope=slope, gold_prefer_longer=gold_est)


class SelfPreference(Frozen):
    """How a judge treats responses written by its own system.

    ``own_win_rate``: among decisive verdicts on pairs where exactly one response is the
    judge's own, the share that picks its own (Wilson interval, binomial test against 0.5).
    With gold labels: ``gold_own_win_rate`` (the same share by the gold labels) and
    ``excess`` = judge's share minus gold's share over the items where both are decisive,
    with a bootstrap interval over items; ``own_when_gold_other`` and
    ``other_when_gold_own`` are the two error rates whose asymmetry is the bias.
    """

    own_win_rate: Score
    gold_own_win_rate: Score | None = None
    excess: Score | None = None
    own_when_gold_other: Score | None = None
    other_when_gold_own: Score | None = None


def self_preference(winner: Verdicts, system_a: Sequence[str], system_b: Sequence[str], judge_system: str,
                    gold: Verdicts | None = None, level: float = DEFAULT_LEVEL, n_resamples: int = 1000,
                    seed: int = 0) -> SelfPreference:
    w = np.asarray(winner, dtype=object)
    sa = np.asarray(system_a, dtype=object) == judge_system
    sb = np.asarray(system_b, dtype=object) == judge_system
    one_own = sa ^ sb
    decisive = (w == "A") | (w == "B")
    picks_own = np.where(sa, w == "A", w == "B")
    m = one_own & decisive
    own = _share_estimate(int((picks_own & m).sum()), int(m.sum()), level)
    if gold is None:
        return SelfPreference(own_win_rate=own)
    g = np.asarray(gold, dtype=object)
    g_dec = (g == "A") | (g == "B")
    g_own = np.where(sa, g == "A", g == "B")
    gm = one_own & g_dec
    gold_rate = _share_estimate(int((g_own & gm).sum()), int(gm.sum()), level)
    both = one_own & decisive & g_dec
    rows = np.column_stack([picks_own[both], g_own[both], np.ones(int(both.sum()))]).astype(np.int64)

    def diff(s: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (s[:, 0] - s[:, 1]) / s[:, 2]

    excess = None
    if both.any():
        res = bootstrap_rows(rows, diff, n_resamples=n_resamples, seed=seed, level=level)
        excess = res.estimate(int(both.sum()))
    gold_other = both & ~g_own
    gold_own = both & g_own
    return SelfPreference(
        own_win_rate=own, gold_own_win_rate=gold_rate, excess=excess,
        own_when_gold_other=_share_estimate(int((picks_own & gold_other).sum()), int(gold_other.sum()), level),
        other_when_gold_own=_share_estimate(int((~picks_own & gold_own).sum()), int(gold_own.sum()), level))


class InvalidBounds(Frozen):
    """Accuracy under each way of treating invalid verdicts (shares in [0, 1]).

    ``as_wrong`` is the lower bound and ``as_correct`` the upper bound: no treatment of the
    invalid verdicts can move accuracy outside them. ``as_tie`` gives each invalid verdict
    half a point (RewardBench's convention); ``dropped`` is accuracy over valid items only.
    """

    n: int
    n_invalid: int
    invalid_rate: float | None
    as_wrong: float | None
    as_tie: float | None
    dropped: float | None
    as_correct: float | None


def invalid_bounds(correct: Sequence[bool] | np.ndarray, invalid: Sequence[bool] | np.ndarray) -> InvalidBounds:
    """Bounds on accuracy from invalid verdicts. ``correct`` says whether each item's verdict
    is right (False for an invalid one); ``invalid`` flags the items whose verdict is invalid."""
    c = np.asarray(correct, dtype=bool)
    inv = np.asarray(invalid, dtype=bool)
    if c.shape != inv.shape:
        raise ValueError("correct and invalid must have the same length")
    n = int(c.size)
    k_inv = int(inv.sum())
    right = int((c & ~inv).sum())
    if n == 0:
        return InvalidBounds(n=0, n_invalid=0, invalid_rate=None, as_wrong=None, as_tie=None, dropped=None,
                             as_correct=None)
    return InvalidBounds(n=n, n_invalid=k_inv, invalid_rate=k_inv / n, as_wrong=right / n,
                         as_tie=(right + 0.5 * k_inv) / n, dropped=right / (n - k_inv) if n > k_inv else None,
                         as_correct=(right + k_inv) / n)
