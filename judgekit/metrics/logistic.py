"""The one logistic-regression fit in judgekit: maximum likelihood by Newton's method with
step halving, vectorised over a batch of observation weights.

:func:`logistic_regression` fits one model (with standard errors); :func:`logistic_regression_batch`
refits the same design under many weight vectors at once (the bootstrap of the length-controlled
win rate passes one row of multinomial resample counts per replicate). Both run the same
iteration, :func:`_newton`. The Bradley-Terry fit of :mod:`.ranking` is its own (sparse)
solver.

``y`` may be fractional in [0, 1] (a tie as 0.5, a soft preference): the likelihood is then
the binomial quasi-likelihood ``y log p + (1 - y) log(1 - p)``. No intercept is added; put a
column of ones in ``X`` for one. ``l2`` adds ``l2/2 * |beta|^2`` to the negative
log-likelihood. Separated data (an infinite MLE) has no finite fit: the coefficients grow
until the log-likelihood stops changing, and come back huge, with huge standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ArrayLike = Sequence[float] | Sequence[int] | Sequence[bool] | np.ndarray


@dataclass(frozen=True)
class LogisticFit:
    coef: np.ndarray
    cov: np.ndarray  # inverse of the (penalised) observed information
    converged: bool
    n_iter: int
    loglik: float

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    def wald_p(self) -> np.ndarray:
        from scipy import stats

        with np.errstate(divide="ignore", invalid="ignore"):
            z = self.coef / self.se
        return 2 * stats.norm.sf(np.abs(z))


def _loglik(eta: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    # y log s(eta) + (1 - y) log(1 - s(eta)) = y * eta - log(1 + exp(eta)), per weight row
    return np.sum(w * (y * eta - np.logaddexp(0.0, eta)), axis=-1)


def _information(X: np.ndarray, W: np.ndarray, mu: np.ndarray, l2: float) -> np.ndarray:
    """The (penalised) observed information, one p x p matrix per weight row."""
    v = W * mu * (1 - mu)
    return np.einsum("bn,ni,nj->bij", v, X, X) + l2 * np.eye(X.shape[1])


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(h, v, rcond=None)[0] for h, v in zip(H, g, strict=True)])


def _newton(X: np.ndarray, y: np.ndarray, W: np.ndarray, beta: np.ndarray, *, l2: float, max_iter: int,
            tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Newton's method with step halving for each weight row of W (B x n) from ``beta`` (B x p).
    A row stops when its step or its change in log-likelihood is below ``tol``; the others go on.
    Returns the coefficients, the log-likelihoods, which rows converged and the iterations run."""
    from scipy import special

    beta = np.array(beta, dtype=float)
    eta = beta @ X.T
    ll = _loglik(eta, y, W) - 0.5 * l2 * np.sum(beta * beta, axis=1)
    active = np.ones(W.shape[0], dtype=bool)
    converged = np.zeros(W.shape[0], dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        a = np.flatnonzero(active)
        Wa, ba = W[a], beta[a]
        mu = special.expit(eta[a])
        grad = (Wa * (y - mu)) @ X - l2 * ba
        step = _solve(_information(X, Wa, mu, l2), grad)
        t = np.ones(a.size)
        while True:  # halve the steps that lower the log-likelihood
            cand = ba + t[:, None] * step
            eta_c = cand @ X.T
            ll_c = _loglik(eta_c, y, Wa) - 0.5 * l2 * np.sum(cand * cand, axis=1)
            worse = (ll_c < ll[a] - 1e-12 * np.abs(ll[a])) & (t >= 1e-8)
            if not worse.any():
                break
            t = np.where(worse, t * 0.5, t)
        moved = np.max(np.abs(t[:, None] * step), axis=1)
        done = (moved < tol) | (np.abs(ll_c - ll[a]) <= tol * np.maximum(1.0, np.abs(ll[a])))
        beta[a], eta[a], ll[a] = cand, eta_c, ll_c
        scale = np.maximum(1.0, Wa.sum(axis=1))
        converged[a] = done & ((np.max(np.abs(grad), axis=1) < 1e-6 * scale) | (moved < tol))
        active[a[done]] = False
        if not active.any():
            break
    return beta, ll, converged, it


def _inputs(X: np.ndarray, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    return X, np.asarray(y, dtype=float)


def logistic_regression(X: np.ndarray, y: ArrayLike, weights: ArrayLike | None = None, *, l2: float = 0.0,
                        max_iter: int = 100, tol: float = 1e-10) -> LogisticFit:
    """Maximum-likelihood logistic regression (see the module's notes), with the inverse of
    the observed information as the coefficients' covariance."""
    from scipy import special

    X, yy = _inputs(X, y)
    w = np.ones_like(yy) if weights is None else np.asarray(weights, dtype=float)
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(yy)) and np.all(np.isfinite(w))):
        raise ValueError("logistic_regression: non-finite input")
    beta, ll, converged, it = _newton(X, yy, w[None, :], np.zeros((1, X.shape[1])), l2=l2, max_iter=max_iter,
                                      tol=tol)
    H = _information(X, w[None, :], special.expit(X @ beta[0])[None, :], l2)[0]
    try:
        cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(H)
    return LogisticFit(coef=beta[0], cov=cov, converged=bool(converged[0]), n_iter=it, loglik=float(ll[0]))


def logistic_regression_batch(X: np.ndarray, y: ArrayLike, W: np.ndarray, beta0: np.ndarray | None = None, *,
                              l2: float = 0.0, max_iter: int = 100, tol: float = 1e-10) -> np.ndarray:
    """The coefficients (B x p) of one logistic regression per row of weights W (B x n), on the
    same design and outcomes, each started from ``beta0`` (a warm start: the fit on the full
    sample, for a bootstrap)."""
    X, yy = _inputs(X, y)
    W = np.atleast_2d(np.asarray(W, dtype=float))
    start = np.zeros(X.shape[1]) if beta0 is None else np.asarray(beta0, dtype=float)
    beta = np.array(np.broadcast_to(start, (W.shape[0], X.shape[1])))
    return _newton(X, yy, W, beta, l2=l2, max_iter=max_iter, tol=tol)[0]
