"""Each published aggregation's headline as a function of per-example sums, for bootstrapping.

The leaderboard gives a published aggregation's headline a percentile-bootstrap interval by
resampling examples (all their orders together) with replacement. Rerunning the aggregation in
Python on each resample costs seconds per resample on a large run; but every headline in
:mod:`judgekit.aggregations` is a function of a few sums over examples (per-subset counts of
correct verdicts, of judged orders, of agreements...). So each example becomes one row of
numbers (its *unit*), a resample's sums are ``counts @ units`` where ``counts`` says how often
each example was drawn, and the headline is a vectorised function of those sums. A drawn example
counted k times is exactly the aggregation rerun with k copies of it, so, with the same draws,
the replicates are those of the Python loop (:func:`judgekit.scoring.headline_interval_loop`)
up to floating-point rounding; tests check that for every aggregation here.

An aggregation not listed here (or a run whose rows do not fit its rule, e.g. an RM-Bench style
index out of range) falls back to the Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .aggregations import (
    _subset,
    _verdict,
    agreement_with_votes,
    both_orders,
    conservative,
    correct,
    human_votes,
    rmbench_cell,
)
from .errors import ConfigError
from .types import Judgment


@dataclass(frozen=True)
class HeadlineSums:
    """``units``: one row of numbers per example (examples in the order given); ``statistic``:
    B x d column sums -> B headline values (NaN where the headline is undefined)."""

    units: np.ndarray
    statistic: Callable[[np.ndarray], np.ndarray]


Examples = Sequence[Sequence[Judgment]]  # each example's judgments, grouped as by_example groups them
Builder = Callable[[Examples, Mapping[str, Any]], HeadlineSums | None]
HEADLINE_SUMS: dict[str, Builder] = {}


def headline_sums(name: str) -> Callable[[Builder], Builder]:
    """Register the vectorised headline of the aggregation ``name`` (once: a second is an error)."""

    def deco(fn: Builder) -> Builder:
        if name in HEADLINE_SUMS:
            raise ConfigError(f"the vectorised headline of aggregation {name!r} is registered twice: "
                              f"{HEADLINE_SUMS[name].__module__}.{HEADLINE_SUMS[name].__qualname__} and "
                              f"{fn.__module__}.{fn.__qualname__}")
        HEADLINE_SUMS[name] = fn
        return fn

    return deco


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _share(num: Sequence[float], den: Sequence[float]) -> HeadlineSums:
    """100 x sum(num) / sum(den): the headline of a :func:`aggregations.rate`."""
    units = np.column_stack([np.asarray(num, dtype=float), np.asarray(den, dtype=float)])
    return HeadlineSums(units.reshape(-1, 2), lambda s: 100.0 * _div(s[:, 0], s[:, 1]))


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    """Row means over the finite entries (NaN for a row with none), without numpy's warning."""
    ok = np.isfinite(x)
    k = ok.sum(axis=1)
    return _div(np.where(ok, x, 0.0).sum(axis=1), k.astype(float))


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names = sorted(set(values))
    index = {v: i for i, v in enumerate(names)}
    return np.asarray([index[v] for v in values], dtype=np.int64), names


def _grouped(codes: np.ndarray, n_groups: int, columns: Sequence[np.ndarray]) -> np.ndarray:
    """Per-group columns: the unit row holds column c of its example in slot group * len(columns) + c."""
    d = len(columns)
    units = np.zeros((len(codes), n_groups * d))
    rows = np.arange(len(codes))
    for c, col in enumerate(columns):
        units[rows, codes * d + c] = col
    return units


# --------------------------------------------------------------------------- the aggregations


@headline_sums("three_way")
def _three_way(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """accuracy (first order) over the labelled examples; with ``unparseable: tie`` (PandaLM) an
    answered but unparseable verdict counts as a tie, as the aggregation counts it."""
    labelled = [js[0].label is not None for js in examples]
    as_tie = args.get("unparseable") == "tie"

    def verdict(j: Judgment) -> str:
        v = _verdict(j)
        return "tie" if as_tie and j.status == "ok" and v == "invalid" else v

    hit = [lab and verdict(js[0]) == str(js[0].label) for js, lab in zip(examples, labelled, strict=True)]
    return _share(hit, labelled)


@headline_sums("evalbiasbench")
def _evalbiasbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """pair accuracy (correct in both orders) over the examples judged in both orders."""
    pairs = [both_orders(js) for js in examples]
    return _share([p is not None and correct(p[0]) and correct(p[1]) for p in pairs], [p is not None for p in pairs])


@headline_sums("llmbar")
def _llmbar(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the unweighted mean over the subsets present of each subset's accuracy over all its judgments."""
    codes, names = _codes([_subset(js) for js in examples])
    hits = np.asarray([sum(correct(j) for j in js) for js in examples], dtype=float)
    orders = np.asarray([len(js) for js in examples], dtype=float)
    g = len(names)

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, 2)
        return 100.0 * _nanmean_rows(_div(s[:, :, 0], s[:, :, 1]))

    return HeadlineSums(_grouped(codes, g, [hits, orders]), stat)


@headline_sums("rewardbench")
def _rewardbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the mean over sections of the count-weighted mean of their present subsets' credit."""
    sections: dict[str, list[str]] = args["sections"]
    counts: dict[str, int] = args["example_counts"]
    codes, names = _codes([_subset(js) for js in examples])
    credit = np.asarray([np.mean([1.0 if correct(j) else 0.5 if _verdict(j) in ("tie", "invalid") else 0.0
                                  for j in js]) for js in examples], dtype=float)
    g = len(names)
    index = {name: i for i, name in enumerate(names)}
    # per section: the subsets of this run in it and their published counts
    members = [[(index[m], float(counts[m])) for m in ms if m in index] for ms in sections.values()]

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, 2)
        acc = _div(100.0 * s[:, :, 0], s[:, :, 1])  # NaN where the subset is absent
        section_values = []
        for ms in members:
            if not ms:
                continue
            idx = np.asarray([i for i, _ in ms])
            w = np.asarray([c for _, c in ms])
            present = np.isfinite(acc[:, idx])
            weight = (present * w).sum(axis=1)
            section_values.append(_div((np.where(present, acc[:, idx], 0.0) * w).sum(axis=1), weight))
        if not section_values:
            return np.full(len(s), np.nan)
        return _nanmean_rows(np.column_stack(section_values))

    return HeadlineSums(_grouped(codes, g, [credit, np.ones(len(examples))]), stat)


@headline_sums("mtbench_agreement")
def _mtbench_agreement(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """agreement with the human votes without ties, over every (example, vote) comparison."""
    a, t = [], []
    for js in examples:
        votes = human_votes(js)
        agree_n, total = agreement_with_votes([conservative(js)], [votes], ties=False)
        a.append(agree_n)
        t.append(total)
    return _share(a, t)


@headline_sums("rmbench")
def _rmbench(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums | None:
    """the mean over the domains present of the mean of each domain's 3x3 style cells (cells with
    no comparison left out), a cell being the mean credit of its comparisons."""
    k = len(args.get("styles", ["concise", "detailed plain", "detailed markdown"]))
    domains, cells, credit = [], [], []
    for js in examples:
        domain, i, j = rmbench_cell(js)
        if not (0 <= i < k and 0 <= j < k):
            return None  # the Python rule decides what such a row means
        domains.append(domain)
        cells.append(i * k + j)
        credit.append(float(np.mean([correct(x) for x in js])))
    codes, names = _codes(domains)
    g, kk = len(names), k * k
    slot = codes * kk + np.asarray(cells, dtype=np.int64)
    units = _grouped(slot, g * kk, [np.asarray(credit, dtype=float), np.ones(len(examples))])

    def stat(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), g, kk, 2)
        m = _div(s[..., 0], s[..., 1])  # B x domains x cells, NaN for an empty cell
        ok = np.isfinite(m)
        per_domain = _div(np.where(ok, m, 0.0).sum(axis=2), ok.sum(axis=2).astype(float))
        return 100.0 * _nanmean_rows(per_domain)

    return HeadlineSums(units, stat)


@headline_sums("pointwise")
def _pointwise(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """Pearson's r between the judge's and the gold grades over each example's first judgment
    that has both (computed from n, the sums, squares and cross products)."""
    rows = []
    for js in examples:
        j = js[0]
        graded = j.gold_score is not None and j.status == "ok" and j.score is not None
        x = float(j.score) if graded and j.score is not None else 0.0
        y = float(j.gold_score) if graded and j.gold_score is not None else 0.0
        rows.append((float(graded), x, y, x * x, y * y, x * y))
    units = np.asarray(rows, dtype=float).reshape(-1, 6)

    def stat(s: np.ndarray) -> np.ndarray:
        n, sx, sy, sxx, syy, sxy = (s[:, c] for c in range(6))
        vx = n * sxx - sx * sx
        vy = n * syy - sy * sy
        # a spread that is zero up to rounding is zero, as the two-pass formula finds it
        tiny = 1e-12 * np.maximum(n * sxx, 1.0)
        vx = np.where(vx <= tiny, 0.0, vx)
        tiny = 1e-12 * np.maximum(n * syy, 1.0)
        vy = np.where(vy <= tiny, 0.0, vy)
        den = np.sqrt(vx * vy)
        r = _div(n * sxy - sx * sy, den)
        return np.where(n >= 2, r, np.nan)

    return HeadlineSums(units, stat)


@headline_sums("winrate")
def _winrate(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """the win rate of response B over every valid judgment (a continuous preference as 1 - p(A))."""
    num, den = [], []
    for js in examples:
        total = 0.0
        valid = 0
        for j in js:
            v = _verdict(j)
            if v == "invalid":
                continue
            valid += 1
            total += (1.0 - j.p_a) if j.p_a is not None else 1.0 if v == "B" else 0.5 if v == "tie" else 0.0
        num.append(total)
        den.append(valid)
    return _share(num, den)


# --------------------------------------------------------------------------- resampling


@headline_sums("qa")
def _qa(examples: Examples, args: Mapping[str, Any]) -> HeadlineSums:
    """Cohen's kappa of the judge's accept (a grade of at least 0.5) against gold correctness, over each
    labelled example's first judgment (an unread grade or a failed request is not accepted): the 2x2
    cells per example and the kappa of their sums, the statistic judgekit.metrics.qa bootstraps."""
    from .metrics.qa import _kappa

    cells = []
    for js in examples:
        j = js[0]
        if j.gold_score is None:
            cells.append((0.0, 0.0, 0.0, 0.0))
            continue
        a = j.status == "ok" and j.score is not None and j.score >= 0.5
        g = float(j.gold_score) >= 0.5
        cells.append((float(a and g), float(a and not g), float(not a and g), float(not a and not g)))
    return HeadlineSums(np.asarray(cells, dtype=float).reshape(-1, 4), _kappa)


def resampled_sums(units: np.ndarray, n_resamples: int, rng: np.random.Generator, *,
                   max_cells: int = 1 << 20) -> np.ndarray:
    """B x d column sums of ``units`` (n x d) over ``n_resamples`` resamples of its rows: the draws
    of :func:`judgekit.metrics.stats.resample_indices` with the same generator, taken in chunks of
    resamples (numpy's generator yields the same numbers either way) so that memory stays bounded."""
    n, d = units.shape
    # examples fall into few distinct unit rows: sum the counts per distinct row, then multiply
    types, inverse = np.unique(units, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    out = np.empty((n_resamples, d))
    k = len(types)
    chunk = max(1, min(n_resamples, max_cells // max(1, n)))  # draws held at once: chunk x n
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        typed = inverse[draws] + (k * np.arange(size))[:, None]
        per_type = np.bincount(typed.ravel(), minlength=k * size).reshape(size, k)
        out[done:done + size] = per_type @ types
        done += size
    return out
