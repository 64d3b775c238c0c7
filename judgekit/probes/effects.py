"""The statistics of an audit: pure, vectorised functions over arrays of verdicts.

Every paired effect is reduced to one number per example, ``d_i`` (for example, how much more
often the judge picked the favoured response on the perturbed example than on the original,
averaged over the orders judged), so that the examples are the independent units:

- the effect is the mean of ``d_i``;
- its interval is the percentile bootstrap over examples (``judgekit.metrics.stats.bootstrap_rows``,
  seeded per probe and variant with ``rng_for``);
- the paired test is the exact sign test on the non-zero ``d_i`` (with one order per example and
  binary outcomes it is McNemar's exact test);
- the flag says whether the interval excludes the no-effect value and the paired test rejects it
  at the same level. The audit computes the
  intervals at a Bonferroni-simultaneous level over all the flaggable effects it reports, so an
  unbiased judge raises any flag in at most ``1 - level`` of audits (measured in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..metrics.interval import Score
from ..metrics.stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    binomial_test,
    bootstrap_rows,
    finite_or_none,
    percentile_interval,
    ratio,
    resample_indices,
)
from ..types import Frozen


class ProbeEffect(Frozen):
    """One effect of a probe (one variant, or the probe as a whole)."""

    probe: str
    variant: str | None = None
    statistic: str
    meaning: str  # what the number is, in words
    estimate: Score  # value, n (examples), interval at ``estimate.ci_level``, p_value of the paired test
    null_value: float
    test: str | None = None  # the paired test behind p_value
    flagged: bool | None = None  # None: descriptive (nothing to flag against) or no interval
    n_flips: int | None = None  # (example, order) units that moved to the favoured response
    n_reverse: int | None = None  # units that moved away from it
    n_units: int | None = None  # (example, order) units compared
    details: dict[str, float | int | str | None] = {}
    #: the per-example values behind the effect (example id -> d_i), for comparing two judges' audits
    per_example: dict[str, float] = {}


def pick_score(winner: np.ndarray, target: np.ndarray) -> np.ndarray:
    """1 when the verdict names the target, 0 the other response, 0.5 a tie, NaN when invalid
    (or no target). Arrays of "A" / "B" / "tie" / "invalid" strings, elementwise."""
    w = np.asarray(winner, dtype=object)
    t = np.asarray(target, dtype=object)
    out = np.full(w.shape, np.nan)
    decisive = (w == "A") | (w == "B")
    has_t = (t == "A") | (t == "B")
    out[decisive & has_t] = (w[decisive & has_t] == t[decisive & has_t]).astype(float)
    out[(w == "tie") & has_t] = 0.5
    return out


def per_example(values: np.ndarray, example: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the finite ``values`` per example code; (means, codes kept) for examples with any."""
    v = np.asarray(values, dtype=float)
    ex = np.asarray(example, dtype=np.int64)
    ok = np.isfinite(v)
    if not ok.any():
        return np.empty(0), np.empty(0, dtype=np.int64)
    m = int(ex.max()) + 1
    s = np.bincount(ex[ok], weights=v[ok], minlength=m)
    c = np.bincount(ex[ok], minlength=m)
    keep = np.flatnonzero(c > 0)
    return s[keep] / c[keep], keep


def sign_test(d: np.ndarray, null: float = 0.0) -> float | None:
    """Exact two-sided sign test of per-example differences against ``null`` (zeros dropped)."""
    pos = int(np.sum(d > null + 1e-12))
    neg = int(np.sum(d < null - 1e-12))
    return None if pos + neg == 0 else binomial_test(pos, pos + neg)


def mean_effect(d: Sequence[float] | np.ndarray, *, null: float = 0.0, level: float = DEFAULT_LEVEL,
                n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = 0) -> Score:
    """Mean of per-example values with the percentile bootstrap over examples and the sign test."""
    x = np.asarray(d, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Score(value=None, n=0)
    res = bootstrap_rows(np.column_stack([x, np.ones(n)]), ratio, n_resamples=n_resamples, seed=seed, level=level)
    p = sign_test(x, null)
    return res.estimate(n).model_copy(update={"p_value": 1.0 if p is None else p})


def flagged(est: Score, null: float, alpha: float | None = None) -> bool | None:
    """True when the interval excludes the no-effect value (and, with ``alpha``, the paired test's
    p-value is below it too: with a handful of examples a bootstrap interval can exclude the null
    while no paired test could reject it)."""
    if est.ci_low is None or est.ci_high is None:
        return None
    excludes = bool(est.ci_low > null or est.ci_high < null)
    if alpha is not None and est.p_value is not None:
        return excludes and est.p_value < alpha
    return excludes


# --------------------------------------------------------------------------- the statistics


def target_shift(base_winner: np.ndarray, pert_winner: np.ndarray, target: np.ndarray, example: np.ndarray, *,
                 level: float = DEFAULT_LEVEL, n_resamples: int = DEFAULT_RESAMPLES,
                 seed: int | np.random.Generator = 0) -> tuple[Score, int, int, int]:
    """How much more often the judge picks the favoured response after the perturbation.

    One entry per (example, order) unit: the judge's un-swapped verdict on the original and on the
    perturbed example, the favoured response (example frame) and the example's integer code.
    Returns (estimate, flips towards the target, flips away, units compared)."""
    b = pick_score(base_winner, target)
    p = pick_score(pert_winner, target)
    both = np.isfinite(b) & np.isfinite(p)
    d, _ = per_example(shift_values(base_winner, pert_winner, target), example)
    est = mean_effect(d, level=level, n_resamples=n_resamples, seed=seed)
    flips = int(np.sum(both & (b < 1) & (p == 1)))
    back = int(np.sum(both & (b == 1) & (p < 1)))
    return est, flips, back, int(both.sum())


def first_shift(shown_winner: np.ndarray, example: np.ndarray, *, level: float = DEFAULT_LEVEL,
                n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = 0) -> Score:
    """P(first shown) - P(second shown) over valid verdicts (a tie counts 0), per example then
    averaged. A judge that picks the first shown response with probability p and otherwise judges
    without regard to position scores p in expectation when both orders are judged."""
    d, _ = per_example(first_values(shown_winner), example)
    return mean_effect(d, level=level, n_resamples=n_resamples, seed=seed)


def first_values(shown_winner: np.ndarray) -> np.ndarray:
    """+1 first shown, -1 second shown, 0 a tie, NaN invalid."""
    w = np.asarray(shown_winner, dtype=object)
    return np.where(w == "A", 1.0, np.where(w == "B", -1.0, np.where(w == "tie", 0.0, np.nan)))


def shift_values(base_winner: np.ndarray, pert_winner: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per unit: pick score of the target on the perturbed minus on the original (NaN if either is invalid)."""
    b = pick_score(base_winner, target)
    p = pick_score(pert_winner, target)
    return np.where(np.isfinite(b) & np.isfinite(p), p - b, np.nan)


def flip_indicator(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where two verdicts differ, 0 where they agree, NaN where either is invalid."""
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    ok = (a != "invalid") & (b != "invalid")
    return np.where(ok, (a != b).astype(float), np.nan)


def instability(base_winner: np.ndarray, resample_winner: np.ndarray, perturbed_winner: np.ndarray,
                example: np.ndarray, *, level: float = DEFAULT_LEVEL, n_resamples: int = DEFAULT_RESAMPLES,
                seed: int | np.random.Generator = 0) -> tuple[Score, float | None, float | None]:
    """Flip rate of the perturbed request against the original minus the flip rate of a plain
    resample against the original (both drawn the same way), per example then averaged; with the
    test-retest agreements (1 - flip rate) of the resample and of the perturbed request."""
    fr = flip_indicator(base_winner, resample_winner)
    fp = flip_indicator(base_winner, perturbed_winner)
    both = np.isfinite(fr) & np.isfinite(fp)
    d, _ = per_example(np.where(both, fp - fr, np.nan), example)
    est = mean_effect(d, level=level, n_resamples=n_resamples, seed=seed)
    agree_r = finite_or_none(1.0 - float(np.mean(fr[both]))) if both.any() else None
    agree_p = finite_or_none(1.0 - float(np.mean(fp[both]))) if both.any() else None
    return est, agree_r, agree_p


def spread_ratio(judge: np.ndarray, gold: np.ndarray, *, level: float = DEFAULT_LEVEL,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = 0) -> Score:
    """sd(judge grades) / sd(gold grades) on the items with both (1 = same spread; below 1 the judge
    crowds its grades towards the middle), bootstrap over items; the p-value is the Pitman-Morgan
    test of equal variances of paired samples (corr(x + y, x - y) = 0, a t test on n - 2 df)."""
    from scipy import stats

    x = np.asarray(judge, dtype=float)
    y = np.asarray(gold, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 3 or np.std(y) == 0:
        return Score(value=None, n=n)
    value = float(np.std(x, ddof=1) / np.std(y, ddof=1))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    idx = resample_indices(n, n_resamples, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = np.std(x[idx], axis=1, ddof=1) / np.std(y[idx], axis=1, ddof=1)
    lo, hi = percentile_interval(reps, level)
    s, t = x + y, x - y
    if np.std(s) == 0 or np.std(t) == 0:
        p = 0.0 if not math.isclose(value, 1.0) else 1.0
    else:
        p = float(stats.pearsonr(s, t).pvalue)
    return Score(value=value, n=n, ci_low=lo, ci_high=hi, ci_level=level, method="percentile-bootstrap",
                    p_value=p)


def overconfidence_values(p_a: np.ndarray, gold_a: np.ndarray) -> np.ndarray:
    """Per judgment: the stated confidence of the pick, max(p, 1 - p) with p = p(A), minus whether the
    pick is right (1 right, 0 wrong, 1/2 when p = 1/2); NaN without a probability."""
    p = np.asarray(p_a, dtype=float)
    g = np.asarray(gold_a, dtype=bool)
    right = np.where(p == 0.5, 0.5, ((p > 0.5) == g).astype(float))
    return np.maximum(p, 1.0 - p) - right


def overconfidence(p_a: np.ndarray, gold_a: np.ndarray, example: np.ndarray, *, level: float = DEFAULT_LEVEL,
                   n_resamples: int = DEFAULT_RESAMPLES, seed: int | np.random.Generator = 0) -> Score:
    """Mean stated confidence minus accuracy (0 for a calibrated judge: among the picks stated at
    confidence c a share c is right; above 0 over-confident, below under-confident). Per example
    (its orders averaged), percentile bootstrap over examples; the p-value is the one-sample t test
    of the per-example values against 0 (a sign test would test their median, which is not 0 for a
    calibrated judge)."""
    from scipy import stats

    d, _ = per_example(overconfidence_values(p_a, gold_a), example)
    est = mean_effect(d, level=level, n_resamples=n_resamples, seed=seed)
    if est.value is None:
        return est
    if d.size < 2 or np.std(d) == 0:
        p = 1.0 if est.value == 0 else 0.0
    else:
        p = float(stats.ttest_1samp(d, 0.0).pvalue)
    return est.model_copy(update={"p_value": p})


# --------------------------------------------------------------------------- two judges


class EffectComparison(Frozen):
    """One effect of a candidate judge's audit against the same effect of a baseline's, on the
    examples both audits scored: the per-example difference (candidate - baseline) with the
    bootstrap interval over examples and the sign test."""

    probe: str
    variant: str | None = None
    candidate: float | None
    baseline: float | None
    difference: Score
    worse: bool  # the candidate is further from no effect, by more than the allowed margin, significantly


def compare_effects(candidate: ProbeEffect, baseline: ProbeEffect, *, max_increase: float = 0.0,
                    level: float = DEFAULT_LEVEL, n_resamples: int = DEFAULT_RESAMPLES,
                    seed: int | np.random.Generator = 0) -> EffectComparison:
    common = sorted(set(candidate.per_example) & set(baseline.per_example))
    diff = np.array([candidate.per_example[k] - baseline.per_example[k] for k in common], dtype=float)
    est = mean_effect(diff, level=level, n_resamples=n_resamples, seed=seed)
    c, b = candidate.estimate.value, baseline.estimate.value
    worse = False
    if c is not None and b is not None and est.value is not None and est.ci_low is not None:
        away = abs(c - candidate.null_value) > abs(b - baseline.null_value)
        toward_c = est.ci_low > 0 if c >= candidate.null_value else (est.ci_high or 0) < 0
        worse = bool(away and toward_c and abs(est.value) > max_increase
                     and est.p_value is not None and est.p_value < 1 - level)
    return EffectComparison(probe=candidate.probe, variant=candidate.variant, candidate=c, baseline=b,
                            difference=est, worse=worse)
