"""AlpacaEval 2.0's length-controlled win rate (Dubois et al. 2024; ``glm_winrate.py`` in
tatsu-lab/alpaca_eval), as a plain maximum-likelihood GLM.

:func:`length_controlled_win_rate`: a logistic GLM of the preference on ``tanh(length
difference / its sd)`` (plus optional instruction covariates), evaluated at zero length
difference and averaged over the instructions. AlpacaEval fits its GLM with an L1 penalty,
cross-validation and a regularisation towards a baseline fitted on other models
(:mod:`.alpaca_glm` does that); this is the plain maximum-likelihood GLM. Preferences that
are missing or outside [0, 1] are dropped and counted, never turned into a silent NaN, and
misaligned inputs raise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from ..errors import DataError
from ..types import Frozen
from .interval import Score
from .logistic import logistic_regression, logistic_regression_batch
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    percentile_interval,
)

Floats = Sequence[float] | np.ndarray


# --------------------------------------------------------------------------- length-controlled win rate


class LengthControlled(Frozen):
    win_rate: Score  # plain win rate, percent
    lc_win_rate: Score  # length-controlled, percent
    length_coef: float  # GLM coefficient of tanh(standardised length difference)
    n: int
    n_dropped: int


def length_controlled_win_rate(preference: Floats, len_model: Floats, len_baseline: Floats, *,
                               covariates: np.ndarray | None = None, n_resamples: int = DEFAULT_RESAMPLES,
                               seed: int = DEFAULT_SEED, level: float = DEFAULT_LEVEL) -> LengthControlled:
    """AlpacaEval-style length-controlled win rate of a model against a baseline.

    ``preference`` is P(model beats baseline) per instruction: 1, 0, 0.5 for a tie, or a
    soft preference. The GLM is ``logit p = theta + phi * tanh(dlen / sd(dlen))
    [+ covariates]`` with ``dlen = len_model - len_baseline``; the LC win rate is the mean
    over instructions of the GLM's prediction at ``dlen = 0``, in percent. Intervals are
    percentile bootstrap over instructions (each resample refits the GLM).
    """
    p = np.asarray(preference, dtype=float)
    lm = np.asarray(len_model, dtype=float)
    lb = np.asarray(len_baseline, dtype=float)
    if not (p.shape == lm.shape == lb.shape):
        raise DataError(f"misaligned inputs: {p.size} preferences, {lm.size} model lengths, "
                        f"{lb.size} baseline lengths")
    C = None if covariates is None else np.asarray(covariates, dtype=float).reshape(p.size, -1)
    keep = np.isfinite(p) & (p >= 0) & (p <= 1) & np.isfinite(lm) & np.isfinite(lb)
    if C is not None:
        keep &= np.all(np.isfinite(C), axis=1)
    n_dropped = int((~keep).sum())
    p, lm, lb = p[keep], lm[keep], lb[keep]
    n = int(p.size)
    if n < 3:
        raise DataError(f"length-controlled win rate needs at least 3 valid preferences, got {n}")
    d = lm - lb
    sd = float(np.std(d, ddof=1))
    t = np.tanh(d / sd) if sd > 0 else np.zeros(n)
    cols = [np.ones(n), t] + ([] if C is None else list(C[keep].T))
    X = np.column_stack(cols)
    X0 = X.copy()
    X0[:, 1] = 0.0
    fit = logistic_regression(X, p)
    lc = float(special.expit(X0 @ fit.coef).mean()) * 100
    wr = float(p.mean()) * 100
    lc_lo = lc_hi = wr_lo = wr_hi = None
    if n_resamples:
        rng = np.random.default_rng(seed)
        W = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(float)
        betas = logistic_regression_batch(X, p, W, fit.coef)
        lc_s = (special.expit(betas @ X0.T) * W).sum(axis=1) / n * 100
        wr_s = (W @ p) / n * 100
        lc_lo, lc_hi = percentile_interval(lc_s, level)
        wr_lo, wr_hi = percentile_interval(wr_s, level)
    method = "percentile-bootstrap" if n_resamples else None
    lvl = level if n_resamples else None
    return LengthControlled(
        win_rate=Score(value=wr, n=n, ci_low=wr_lo, ci_high=wr_hi, ci_level=lvl, method=method),
        lc_win_rate=Score(value=lc, n=n, ci_low=lc_lo, ci_high=lc_hi, ci_level=lvl, method=method),
        length_coef=float(fit.coef[1]), n=n, n_dropped=n_dropped)
