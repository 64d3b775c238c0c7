"""Calibration: from judge scores (or verdict probabilities) to calibrated estimates, and
how well soft verdicts are calibrated.

**Calibrating a judge with a small slice of gold labels** follows Causal Judge Evaluation
(CJE; Landesberg et al. 2025, cimo-labs/cje, ``calibration/judge.py``): a monotone map
``f(score) = E[gold | score]`` is fitted by isotonic regression on the labelled slice.
Least-squares isotonic regression is the projection onto the monotone cone, which contains
the constants, so the calibrated values keep the slice's mean exactly ("mean-preserving").
The map is cross-fitted: the labelled items are split into K folds and each labelled item
is calibrated by the map fitted without its fold; unlabelled items use the map fitted on
all labels. The estimate is the mean of the calibrated values. Its interval adds two
variances: the evaluation variance (the spread of the calibrated values over the items)
and the calibration's own variance, estimated CJE's way ("oracle uncertainty
augmentation") by a delete-one-fold jackknife: refit the map without each fold, recompute
the estimate, and take ``(K-1)/K * sum (theta_k - mean)^2``.
``estimator="augmented"`` instead adds the mean cross-fitted residual of the labelled slice
(the prediction-powered / doubly robust correction, unbiased even when the monotone map is
wrong) with the variance ``var(f(S))/n + var(Y - f(S))/m``.

**Soft verdicts** (p(A) from log-probabilities): Brier score, expected calibration error
and reliability-diagram data, binned as scikit-learn's ``calibration_curve`` bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import DataError
from ..types import Frozen
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_sums,
    finite_or_none,
    percentile_interval,
)

Floats = Sequence[float] | np.ndarray


# --------------------------------------------------------------------------- isotonic regression


@dataclass(frozen=True)
class IsotonicModel:
    """A fitted monotone step map: values at the distinct training scores, linear in between
    and flat outside (scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``)."""

    knots: np.ndarray
    values: np.ndarray

    def predict(self, x: Floats) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=float), self.knots, self.values)


def isotonic_fit(x: Floats, y: Floats, weights: Floats | None = None, increasing: bool = True) -> IsotonicModel:
    """Weighted least-squares isotonic regression of ``y`` on ``x``: equal scores are pooled
    first (weighted mean), then the pool-adjacent-violators solution over the distinct scores
    (``scipy.optimize.isotonic_regression``). Preserves the weighted mean of ``y`` exactly."""
    xx = np.asarray(x, dtype=float)
    yy = np.asarray(y, dtype=float)
    w = np.ones_like(yy) if weights is None else np.asarray(weights, dtype=float)
    if not (xx.shape == yy.shape == w.shape):
        raise ValueError("x, y and weights must have the same length")
    if xx.size == 0:
        raise DataError("isotonic regression needs at least one labelled item")
    knots, inv = np.unique(xx, return_inverse=True)
    wsum = np.bincount(inv, weights=w)
    ybar = np.bincount(inv, weights=w * yy) / wsum
    from scipy import optimize

    fitted = optimize.isotonic_regression(ybar, weights=wsum, increasing=increasing).x
    return IsotonicModel(knots=knots, values=np.asarray(fitted, dtype=float))


@dataclass(frozen=True)
class CrossFit:
    calibrated: np.ndarray  # every item: out-of-fold for labelled items, full-slice map otherwise
    labelled: np.ndarray  # bool mask
    folds: np.ndarray  # fold of each labelled item (-1 for unlabelled)
    full: IsotonicModel
    fold_models: list[IsotonicModel]  # fitted without fold k


def cross_fit(scores: Floats, labels: Floats, *, n_folds: int = 5, seed: int = DEFAULT_SEED,
              groups: Sequence[object] | None = None) -> CrossFit:
    """Cross-fitted isotonic calibration of ``scores`` to ``labels`` (NaN = unlabelled).

    Labelled items are dealt into ``n_folds`` folds in a seeded random order (by ``groups``
    when given, so that rows of one item share a fold)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    if s.shape != y.shape:
        raise DataError(f"misaligned inputs: {s.size} scores, {y.size} labels")
    if not np.all(np.isfinite(s)):
        raise DataError("every item needs a finite judge score")
    lab = np.isfinite(y)
    m = int(lab.sum())
    if m < 2 * n_folds:
        raise DataError(f"calibration needs at least {2 * n_folds} labelled items for {n_folds} folds, got {m}")
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(lab)
    folds = np.full(s.size, -1, dtype=np.int64)
    if groups is None:
        folds[idx[rng.permutation(m)]] = np.arange(m) % n_folds
    else:
        g = np.asarray(groups, dtype=object)[idx]
        uniq, ginv = np.unique(g.astype(str), return_inverse=True)
        gfold = np.empty(uniq.size, dtype=np.int64)
        gfold[rng.permutation(uniq.size)] = np.arange(uniq.size) % n_folds
        folds[idx] = gfold[ginv]
    full = isotonic_fit(s[lab], y[lab])
    calibrated = full.predict(s)
    models = []
    for k in range(n_folds):
        train = lab & (folds != k)
        mk = isotonic_fit(s[train], y[train])
        models.append(mk)
        out = folds == k
        calibrated[out] = mk.predict(s[out])
    return CrossFit(calibrated=calibrated, labelled=lab, folds=folds, full=full, fold_models=models)


class CalibratedEstimate(Frozen):
    """A calibrated mean with a confidence interval that includes the calibration's own
    uncertainty."""

    value: float | None
    n: int
    n_labelled: int
    se: float | None
    se_evaluation: float | None
    se_calibration: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float
    estimator: str
    n_folds: int
    raw_mean: float | None = None  # the uncalibrated mean score, for comparison


Estimator = Literal["direct", "augmented"]


def _interval(value: float, se: float, level: float, df: float = math.inf) -> tuple[float, float]:
    from scipy import stats

    q = float(stats.norm.ppf(0.5 + level / 2)) if not math.isfinite(df) else float(stats.t.ppf(0.5 + level / 2, df))
    return value - q * se, value + q * se


def calibrated_mean(scores: Floats, labels: Floats, *, n_folds: int = 5, seed: int = DEFAULT_SEED,
                    level: float = DEFAULT_LEVEL, estimator: Estimator = "direct",
                    groups: Sequence[object] | None = None) -> CalibratedEstimate:
    """The mean gold outcome over all items, estimated from judge scores calibrated on the
    labelled slice (labels NaN elsewhere). See the module docstring for the two estimators."""
    s = np.asarray(scores, dtype=float)
    fit = cross_fit(s, labels, n_folds=n_folds, seed=seed, groups=groups)
    y = np.asarray(labels, dtype=float)
    return _estimate(fit, s, y, np.ones(s.size, dtype=bool), n_folds, level, estimator)


def _estimate(fit: CrossFit, s: np.ndarray, y: np.ndarray, sel: np.ndarray, n_folds: int, level: float,
              estimator: Estimator) -> CalibratedEstimate:
    cal = fit.calibrated[sel]
    n = int(sel.sum())
    lab = fit.labelled & sel
    m = int(lab.sum())
    if n == 0:
        return CalibratedEstimate(value=None, n=0, n_labelled=0, se=None, se_evaluation=None, se_calibration=None,
                                  ci_low=None, ci_high=None, ci_level=level, estimator=estimator, n_folds=n_folds)
    value = float(cal.mean())
    var_eval = float(cal.var(ddof=1)) / n if n > 1 else 0.0
    if estimator == "augmented":
        if m < 2:
            raise DataError("the augmented estimator needs at least two labelled items in the selection")
        resid = y[lab] - fit.calibrated[lab]
        value += float(resid.mean())
        var_cal = float(resid.var(ddof=1)) / m
    else:
        # delete-one-fold jackknife of the whole estimate (CJE's oracle uncertainty augmentation)
        thetas = np.array([float(mk.predict(s[sel]).mean()) for mk in fit.fold_models])
        var_cal = (n_folds - 1) / n_folds * float(np.sum((thetas - thetas.mean()) ** 2))
    se = math.sqrt(var_eval + var_cal)
    if estimator == "augmented":
        df = math.inf
    else:
        # Welch-Satterthwaite: the jackknife variance has only K - 1 degrees of freedom
        num = (var_eval + var_cal) ** 2
        den = (var_eval**2 / (n - 1) if n > 1 else 0.0) + var_cal**2 / (n_folds - 1)
        df = num / den if den > 0 else math.inf
    lo, hi = _interval(value, se, level, df)
    return CalibratedEstimate(value=value, n=n, n_labelled=m, se=se, se_evaluation=math.sqrt(var_eval),
                              se_calibration=math.sqrt(var_cal), ci_low=lo, ci_high=hi, ci_level=level,
                              estimator=estimator, n_folds=n_folds, raw_mean=float(s[sel].mean()))


def calibrated_system_scores(scores: Floats, labels: Floats, system: Sequence[str], *, n_folds: int = 5,
                             seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL,
                             estimator: Estimator = "direct",
                             groups: Sequence[object] | None = None) -> dict[str, CalibratedEstimate]:
    """Calibrated mean outcome of each system, all through one calibration map fitted on the
    labelled slice (pooled over systems), with intervals that include the map's uncertainty.
    Sort by ``value`` for the calibrated ranking; compare it with a gold ranking through
    :func:`judgekit.metrics.ranking.rank_agreement`."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    sysarr = np.asarray(system, dtype=object)
    if sysarr.shape != s.shape:
        raise DataError(f"misaligned inputs: {s.size} scores, {sysarr.size} systems")
    fit = cross_fit(s, y, n_folds=n_folds, seed=seed, groups=groups)
    return {str(name): _estimate(fit, s, y, sysarr == name, n_folds, level, estimator)
            for name in sorted(set(sysarr.tolist()), key=str)}


# --------------------------------------------------------------------------- soft verdicts


def brier_score(prob: Floats, outcome: Floats) -> float:
    """Mean squared difference between predicted probabilities and 0/1 outcomes."""
    p, y = _prob_outcome(prob, outcome)
    return float(np.mean((p - y) ** 2)) if p.size else float("nan")


def _prob_outcome(prob: Floats, outcome: Floats) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(prob, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if p.shape != y.shape:
        raise DataError(f"misaligned inputs: {p.size} probabilities, {y.size} outcomes")
    keep = np.isfinite(p) & np.isfinite(y)
    p, y = p[keep], y[keep]
    if np.any((p < 0) | (p > 1)):
        raise DataError("probabilities must be in [0, 1]")
    return p, y


def _bin_ids(p: np.ndarray, n_bins: int, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise ValueError(f"unknown strategy {strategy!r}; known: uniform, quantile")
    return np.searchsorted(edges[1:-1], p), edges


class ReliabilityBin(Frozen):
    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None


class ReliabilityDiagram(Frozen):
    bins: list[ReliabilityBin]
    n: int
    strategy: str


def reliability_diagram(prob: Floats, outcome: Floats, n_bins: int = 10,
                        strategy: Literal["uniform", "quantile"] = "uniform") -> ReliabilityDiagram:
    """Per bin of predicted probability: the count, the mean prediction and the observed
    frequency (scikit-learn's ``calibration_curve`` binning: bins closed on the right)."""
    p, y = _prob_outcome(prob, outcome)
    ids, edges = _bin_ids(p, n_bins, strategy)
    cnt = np.bincount(ids, minlength=n_bins)
    sp = np.bincount(ids, weights=p, minlength=n_bins)
    sy = np.bincount(ids, weights=y, minlength=n_bins)
    bins = [ReliabilityBin(lower=float(edges[b]), upper=float(edges[b + 1]), count=int(cnt[b]),
                           mean_predicted=float(sp[b] / cnt[b]) if cnt[b] else None,
                           observed=float(sy[b] / cnt[b]) if cnt[b] else None) for b in range(n_bins)]
    return ReliabilityDiagram(bins=bins, n=int(p.size), strategy=strategy)


def _ece_from_sums(sums: np.ndarray, n_bins: int) -> np.ndarray:
    cnt, sp, sy = sums[:, :n_bins], sums[:, n_bins:2 * n_bins], sums[:, 2 * n_bins:]
    total = cnt.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(sy - sp).sum(axis=1) / total


def expected_calibration_error(prob: Floats, outcome: Floats, n_bins: int = 10,
                               strategy: Literal["uniform", "quantile"] = "uniform") -> float:
    """ECE: the count-weighted mean over bins of |observed frequency - mean prediction|."""
    p, y = _prob_outcome(prob, outcome)
    if p.size == 0:
        return float("nan")
    ids, _ = _bin_ids(p, n_bins, strategy)
    sums = np.concatenate([np.bincount(ids, minlength=n_bins), np.bincount(ids, weights=p, minlength=n_bins),
                           np.bincount(ids, weights=y, minlength=n_bins)])[None, :]
    return float(_ece_from_sums(sums, n_bins)[0])


class SoftCalibration(Frozen):
    """Calibration of soft verdicts: Brier score and ECE with bootstrap intervals over items
    (bins fixed on the full data), and the reliability diagram."""

    n: int
    brier: Score
    ece: Score
    reliability: ReliabilityDiagram


def soft_calibration(prob: Floats, outcome: Floats, *, n_bins: int = 10,
                     strategy: Literal["uniform", "quantile"] = "uniform",
                     cluster: Sequence[int] | np.ndarray | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int | np.random.Generator = DEFAULT_SEED, level: float = DEFAULT_LEVEL) -> SoftCalibration:
    from scipy import sparse

    p0 = np.asarray(prob, dtype=float)
    y0 = np.asarray(outcome, dtype=float)
    keep = np.isfinite(p0) & np.isfinite(y0)
    p, y = _prob_outcome(p0, y0)
    n = int(p.size)
    if n == 0:
        raise DataError("no item has both a probability and an outcome")
    ids, _ = _bin_ids(p, n_bins, strategy)
    # one unit per item (or cluster): [bin counts | bin sums of p | bin sums of y | squared error]
    rows = np.arange(n)
    unit = rows if cluster is None else np.unique(np.asarray(cluster)[keep], return_inverse=True)[1]
    n_units = int(unit.max()) + 1
    data = np.concatenate([np.ones(n), p, y, (p - y) ** 2, np.ones(n)])
    cols = np.concatenate([ids, n_bins + ids, 2 * n_bins + ids, np.full(n, 3 * n_bins), np.full(n, 3 * n_bins + 1)])
    T = sparse.csr_matrix((data, (np.tile(unit, 5), cols)), shape=(n_units, 3 * n_bins + 2))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    boot = bootstrap_sums(T, np.ones(n_units, dtype=np.int64), n_resamples, rng)
    total = np.asarray(T.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ece_s = _ece_from_sums(boot[:, :3 * n_bins], n_bins)
        brier_s = boot[:, 3 * n_bins] / boot[:, 3 * n_bins + 1]
    ece_v = float(_ece_from_sums(total[:, :3 * n_bins], n_bins)[0])
    brier_v = float(total[0, 3 * n_bins] / total[0, 3 * n_bins + 1])

    def est(v: float, reps: np.ndarray) -> Score:
        lo, hi = percentile_interval(reps, level) if n_resamples else (None, None)
        return Score(value=finite_or_none(v), n=n, ci_low=lo, ci_high=hi,
                        ci_level=level if lo is not None else None,
                        method="percentile-bootstrap" if lo is not None else None)

    return SoftCalibration(n=n, brier=est(brier_v, brier_s), ece=est(ece_v, ece_s),
                           reliability=reliability_diagram(p, y, n_bins, strategy))

