"""Several verdicts on the same items: juries of judges and repeated samples of one judge.

- :func:`fleiss_kappa`: Fleiss' (1971) kappa from a units x categories count table.
- :func:`panel_agreement`: Fleiss' kappa and Krippendorff's alpha across raters (members
  of a jury, or samples of one judge), from raters x units verdicts with missing values.
- :func:`vote`: one verdict from several (plurality; an even split stays a tie), weighted
  or by the mean probability.
- :func:`majority_curve`: accuracy of the majority of the first k samples, k = 1..N, with
  bootstrap intervals, from stored samples (no new calls).
- :func:`binomial_majority`: what independent draws of accuracy p give under majority
  voting of k of them (the reference curve).

Pure functions over arrays; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..types import Frozen, Winner
from .agreement import krippendorff_alpha
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_share,
    finite_or_none,
    rng_for,
)

VoteMethod = Literal["majority", "weighted", "mean_prob"]
VALID: tuple[Winner, ...] = ("A", "B", "tie")
_P_OF = {"A": 1.0, "B": 0.0, "tie": 0.5}


def fleiss_kappa(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Fleiss' kappa from ``table[i, j]`` = raters who put unit i in category j (every unit
    rated by the same number of raters), as statsmodels' ``fleiss_kappa(method="fleiss")``.
    NaN when there is no expected disagreement (every rating in one category)."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] == 0:
        return float("nan")
    n = t.sum(axis=1)
    if not np.allclose(n, n[0]) or n[0] < 2:
        raise ValueError("fleiss_kappa: every unit needs the same number (>= 2) of ratings")
    m = float(n[0])
    p_j = t.sum(axis=0) / t.sum()
    p_i = ((t * t).sum(axis=1) - m) / (m * (m - 1.0))
    p_bar = float(p_i.mean())
    p_e = float((p_j * p_j).sum())
    if math.isclose(p_e, 1.0):
        return float("nan")
    return (p_bar - p_e) / (1.0 - p_e)


class PanelAgreement(Frozen):
    """Agreement across raters on the same units (invalid verdicts are missing ratings)."""

    n_raters: int
    n_units: int  # units with at least two valid ratings (Krippendorff's alpha)
    n_complete: int  # units every rater rated validly (Fleiss' kappa)
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    percent_agreement: float | None  # % of complete units on which every rater gave the same verdict


def panel_agreement(ratings: Sequence[Sequence[object | None]] | np.ndarray,
                    categories: Sequence[object] = VALID) -> PanelAgreement:
    """``ratings`` is raters x units; ``None`` (or any value not in ``categories``, such as
    ``invalid``) is a missing rating. Fleiss' kappa uses the units rated by every rater;
    Krippendorff's alpha (nominal) uses every unit with two or more ratings."""
    data = np.asarray(ratings, dtype=object)
    if data.ndim != 2:
        raise ValueError("ratings must be raters x units")
    n_raters, n_units = data.shape
    index = {c: i for i, c in enumerate(categories)}
    codes = np.full(data.shape, -1, dtype=np.int64)
    for (r, u), v in np.ndenumerate(data):
        if v in index:
            codes[r, u] = index[v]
    valid = codes >= 0
    complete = valid.all(axis=0)
    table = np.zeros((int(complete.sum()), len(categories)))
    cc = codes[:, complete]
    for j in range(len(categories)):
        table[:, j] = (cc == j).sum(axis=0)
    fk = fleiss_kappa(table) if table.shape[0] and n_raters >= 2 else float("nan")
    same = float(100.0 * np.mean(table.max(axis=1) == n_raters)) if table.shape[0] else float("nan")
    masked = data.copy()
    masked[~valid] = None
    pairable = valid.sum(axis=0) >= 2
    alpha = (krippendorff_alpha(masked[:, pairable], "nominal", value_domain=list(categories))
             if pairable.any() else float("nan"))
    return PanelAgreement(n_raters=n_raters, n_units=int(pairable.sum()), n_complete=int(complete.sum()),
                          fleiss_kappa=finite_or_none(fk), krippendorff_alpha=finite_or_none(alpha),
                          percent_agreement=finite_or_none(same))


def vote(winners: Sequence[Winner], *, method: VoteMethod = "majority", weights: Sequence[float] | None = None,
         p_a: Sequence[float | None] | None = None) -> tuple[Winner, float | None]:
    """One verdict from several, and its probability that A is better (``mean_prob`` only).

    ``majority``: the verdict (A, B or tie) with the most votes; when two or more share the most
    votes the result is a tie ("ties stay ties"). ``weighted``: the same with each vote counted
    at its weight. ``mean_prob``: the mean of the voters' p(A) (a voter without one counts its
    verdict as 1, 0 or 0.5), then A above 0.5, B below, tie at 0.5. Invalid verdicts abstain;
    with no valid vote the result is invalid.
    """
    w = [1.0] * len(winners) if weights is None else list(weights)
    if len(w) != len(winners):
        raise ValueError("one weight per verdict")
    if method == "mean_prob":
        probs = list(p_a) if p_a is not None else [None] * len(winners)
        vals = [p if p is not None and not math.isnan(p) else _P_OF[v]
                for v, p in zip(winners, probs, strict=True) if v in _P_OF]
        if not vals:
            return "invalid", None
        p = float(np.mean(vals))
        return ("A" if p > 0.5 else "B" if p < 0.5 else "tie"), p
    tally: dict[str, float] = {}
    for v, weight in zip(winners, w if method == "weighted" else [1.0] * len(winners), strict=True):
        if v in _P_OF:
            tally[v] = tally.get(v, 0.0) + weight
    if not tally:
        return "invalid", None
    best = max(tally.values())
    leaders = [v for v, c in tally.items() if math.isclose(c, best)]
    return (leaders[0] if len(leaders) == 1 else "tie"), None  # type: ignore[return-value]


def vote_grades(grades: Sequence[float | None], *, method: VoteMethod = "majority",
                weights: Sequence[float] | None = None) -> float | None:
    """One grade from several (pointwise juries): ``majority`` = the most frequent grade (the mean
    of the grades tied for most frequent); ``weighted`` = the weighted mean; ``mean_prob`` = the
    mean. Missing grades (None) abstain; None when there is none."""
    w = [1.0] * len(grades) if weights is None else list(weights)
    if len(w) != len(grades):
        raise ValueError("one weight per grade")
    pairs = [(float(g), wt) for g, wt in zip(grades, w, strict=True) if g is not None and not math.isnan(g)]
    if not pairs:
        return None
    if method == "majority":
        tally: dict[float, int] = {}
        for g, _ in pairs:
            tally[g] = tally.get(g, 0) + 1
        top = max(tally.values())
        return float(np.mean([g for g, c in tally.items() if c == top]))
    if method == "weighted":
        return float(sum(g * wt for g, wt in pairs) / sum(wt for _, wt in pairs))
    return float(np.mean([g for g, _ in pairs]))


def binomial_majority(p: float, k: int) -> float:
    """P(majority of k independent verdicts, each right with probability p, is right) when
    every wrong verdict is the same wrong answer (two-way choice): for even k a k/2 split is
    a tie, counted as not right."""
    return float(sum(math.comb(k, j) * p ** j * (1 - p) ** (k - j) for j in range(k // 2 + 1, k + 1)))


class CurvePoint(Frozen):
    k: int
    accuracy: Score  # percent, bootstrap interval over items
    expected: float | None = None  # a reference value (binomial prediction), when given


def majority_curve(verdicts: Sequence[Sequence[Winner]], gold: Sequence[Winner | None], *,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   level: float = DEFAULT_LEVEL) -> list[CurvePoint]:
    """Accuracy (percent) of the majority vote of the first k samples of each item, for k = 1..N
    (N = the fewest samples any item has), each with a percentile bootstrap interval over
    items. ``verdicts[i]`` are item i's samples in sample order; items without gold are left out."""
    keep = [i for i, g in enumerate(gold) if g is not None]
    if not keep:
        return []
    n = min(len(verdicts[i]) for i in keep)
    out = []
    for k in range(1, n + 1):
        correct = np.array([vote(list(verdicts[i][:k]))[0] == gold[i] for i in keep])
        res = bootstrap_share(correct, n_resamples=n_resamples, seed=rng_for(seed, "samples", str(k)),
                              level=level)
        out.append(CurvePoint(k=k, accuracy=res.estimate(len(keep), scale=100.0)))
    return out


def sample_agreement(samples: Sequence[Sequence[Winner]]) -> PanelAgreement:
    """Agreement of single samples with each other (test-retest stability): the samples of
    each item as raters (items x samples in, transposed to raters x units)."""
    n = min((len(s) for s in samples), default=0)
    data = np.array([[s[j] for s in samples] for j in range(n)], dtype=object).reshape(n, len(samples))
    return panel_agreement(data)
