"""Bradley-Terry ratings and online Elo from battles.

- :func:`bradley_terry`: Bradley-Terry maximum-likelihood ratings on the Elo scale, with
  percentile bootstrap intervals and the win rate against a baseline, as Arena-Hard reports
  them (Li et al. 2024; ``compute_mle_elo`` in lmarena/arena-hard-auto ``show_result_bt.py``:
  a logistic regression without intercept on +-log(base) system indicators, a tie counted
  as half a win and half a loss, ratings ``scale * coef + init``, battles resampled with
  replacement). Optional covariates give Arena-Hard's style control (``show_result.py``:
  length and markdown-density differences, normalised and standardised, as extra columns
  of the same regression; :func:`style_features`). Its sparse Newton solver is its own
  (the general logistic fit is :mod:`.logistic`).
- :func:`elo_ratings`: online Elo (FastChat's ``compute_online_elo``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse, special

from ..errors import DataError
from ..types import Frozen
from .battles import Floats, Names, outcome_scores
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    PARALLEL_MIN_DRAWS,
    bootstrap_sums,
    compress_rows,
    factorize,
    finite_or_none,
    map_resample_chunks,
    percentile_interval,
)

# --------------------------------------------------------------------------- Bradley-Terry


class BTResult(Frozen):
    """Bradley-Terry ratings (Elo scale) with bootstrap intervals."""

    systems: list[str]
    ratings: dict[str, Score]
    win_rate_vs_baseline: dict[str, Score] | None = None  # in [0, 1]
    baseline: str | None = None
    coefficients: dict[str, Score] = {}  # covariates (style control), in log-odds per unit
    n_battles: int
    n_dropped: int = 0  # battles with an invalid outcome
    n_resamples: int
    seed: int
    scale: float
    base: float
    init: float
    anchor: str | None
    converged: bool


def _incidence(i: np.ndarray, j: np.ndarray, m: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    p = i.size
    rows = np.concatenate([np.arange(p), np.arange(p)])
    cols = np.concatenate([i, j])
    signed = sparse.csr_matrix((np.concatenate([np.ones(p), -np.ones(p)]), (rows, cols)), shape=(p, m))
    absolute = sparse.csr_matrix((np.ones(2 * p), (rows, cols)), shape=(p, m))
    return signed, absolute


def _bt_newton_batch(i: np.ndarray, j: np.ndarray, n: np.ndarray, s: np.ndarray, m: int, *,
                     theta0: np.ndarray | None = None, l2: float = 0.0, max_iter: int = 100,
                     tol: float = 1e-9, chunk: int = 128) -> tuple[np.ndarray, bool]:
    """Newton's method for Bradley-Terry on aggregated pairs, vectorised over a batch.

    ``i``, ``j``: the P distinct unordered pairs; ``n`` (B x P) games and ``s`` (B x P) the
    score of ``i`` in them (wins plus half the ties). Returns theta (B x m) with system 0
    fixed at 0, and whether every fit converged.

    With a starting point ``theta0`` (the full-data fit, for bootstrap resamples) the batch
    first takes cheap steps with the one Hessian at ``theta0`` (a resample's Hessian differs
    from it by O(1/sqrt(n)), so these converge to the same maximum in a few steps); rows that
    have not converged after them get full Newton steps.
    """
    n = np.atleast_2d(n).astype(float)
    s = np.atleast_2d(s).astype(float)
    batch = n.shape[0]
    signed, absolute = _incidence(i, j, m)
    f = m - 1  # system 0 is fixed at 0; the Hessian is over systems 1..m-1
    both = (i > 0) & (j > 0)
    flat_ij = (i[both] - 1) * f + (j[both] - 1)
    flat_ji = (j[both] - 1) * f + (i[both] - 1)
    diag = np.arange(f) * (f + 1)
    # a tiny ridge keeps a system with no games (in some resample) from a singular Hessian
    ridge = l2 + 1e-9 * max(1.0, float(n.sum(axis=1).mean()) / max(m, 1))

    def grad_hess(th: np.ndarray, nn: np.ndarray, ss: np.ndarray, hessian: bool
                  ) -> tuple[np.ndarray, np.ndarray | None]:
        p = special.expit(th[:, i] - th[:, j])
        g = np.asarray((signed.T @ (ss - nn * p).T).T) - ridge * th
        if not hessian:
            return g[:, 1:], None
        v = nn * p * (1 - p)
        dg = np.asarray((absolute.T @ v.T).T) + ridge
        H = np.zeros((th.shape[0], f * f))
        H[:, flat_ij] = -v[:, both]
        H[:, flat_ji] = -v[:, both]
        H[:, diag] = dg[:, 1:]
        return g[:, 1:], H.reshape(-1, f, f)

    theta = np.zeros((batch, m)) if theta0 is None else np.array(np.broadcast_to(theta0, (batch, m)), dtype=float)
    todo = np.ones(batch, dtype=bool)
    if theta0 is not None and batch > 1:
        _, H0 = grad_hess(theta[:1], n.mean(axis=0, keepdims=True), s.mean(axis=0, keepdims=True), True)
        assert H0 is not None
        try:
            H0inv = np.linalg.inv(H0[0])
        except np.linalg.LinAlgError:
            H0inv = np.linalg.pinv(H0[0])
        small = 32  # rows per block: keeps the B x P work arrays in cache
        for start in range(0, batch, small):
            sl = slice(start, min(batch, start + small))
            th = theta[sl]
            nn, ss = n[sl], s[sl]
            last = np.full(th.shape[0], np.inf)
            for _ in range(30):
                g, _ = grad_hess(th, nn, ss, False)
                step = g @ H0inv
                th[:, 1:] += step
                last = np.max(np.abs(step), axis=1)
                if float(last.max()) < tol:
                    break
            theta[sl] = th
            todo[sl] = ~(last < tol)
    all_ok = True
    rows = np.flatnonzero(todo)
    for start in range(0, rows.size, chunk):
        pick = rows[start:start + chunk]
        th = theta[pick]
        nn, ss = n[pick], s[pick]
        ok = False
        for _ in range(max_iter):
            g, H3 = grad_hess(th, nn, ss, True)
            assert H3 is not None
            try:
                step = np.linalg.solve(H3, g[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.stack([np.linalg.lstsq(h, gg, rcond=None)[0] for h, gg in zip(H3, g, strict=True)])
            step = np.clip(step, -5.0, 5.0)  # damp the first steps from far away
            th[:, 1:] += step
            if float(np.max(np.abs(step))) < tol:
                ok = True
                break
        theta[pick] = th
        all_ok &= ok
    return theta, all_ok


def _bt_rows_fit(ia: np.ndarray, ib: np.ndarray, y: np.ndarray, w: np.ndarray, m: int, Z: np.ndarray | None,
                 l2: float = 0.0, max_iter: int = 100, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bradley-Terry with covariates on individual battles: logistic regression of y on
    [e_a - e_b (system 0 dropped), Z] without intercept. Returns (theta with theta_0 = 0,
    covariate coefficients, converged)."""
    N = ia.size
    rows = np.concatenate([np.arange(N), np.arange(N)])
    cols = np.concatenate([ia, ib])
    A = sparse.csr_matrix((np.concatenate([np.ones(N), -np.ones(N)]), (rows, cols)), shape=(N, m))[:, 1:]
    q = 0 if Z is None else Z.shape[1]
    X = A if Z is None else sparse.hstack([A, sparse.csr_matrix(Z)], format="csr")
    beta = np.zeros(m - 1 + q)
    ridge = l2 + 1e-9 * max(1.0, float(w.sum()) / max(m, 1))
    ok = False
    for _ in range(max_iter):
        eta = X @ beta
        mu = special.expit(eta)
        g = X.T @ (w * (y - mu)) - ridge * beta
        v = w * mu * (1 - mu)
        H = (X.T @ X.multiply(v[:, None])).toarray() + ridge * np.eye(beta.size)
        step = np.linalg.solve(H, g)
        step = np.clip(step, -5.0, 5.0)
        beta += step
        if float(np.max(np.abs(step))) < tol:
            ok = True
            break
    theta = np.concatenate([[0.0], beta[: m - 1]])
    return theta, beta[m - 1:], ok


def style_features(len_a: Floats, len_b: Floats, markdown_a: np.ndarray | None = None,
                   markdown_b: np.ndarray | None = None) -> np.ndarray:
    """Arena-Hard's style covariates for each battle, standardised column by column:
    the length difference ``(len_a - len_b) / (len_a + len_b)`` and, for each markdown
    count column (headers, lists, bold, ...), the density difference
    ``(d_a - d_b) / (d_a + d_b + 1)`` with ``d = count / length``."""
    la = np.asarray(len_a, dtype=float)
    lb = np.asarray(len_b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = [np.where(la + lb > 0, (la - lb) / np.where(la + lb > 0, la + lb, 1), 0.0)]
        if markdown_a is not None and markdown_b is not None:
            ma = np.asarray(markdown_a, dtype=float).reshape(la.size, -1)
            mb = np.asarray(markdown_b, dtype=float).reshape(lb.size, -1)
            da = ma / np.where(la > 0, la, 1)[:, None]
            db = mb / np.where(lb > 0, lb, 1)[:, None]
            cols.extend(((da - db) / (da + db + 1)).T)
    Z = np.column_stack(cols)
    sd = Z.std(axis=0)
    return (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _to_ratings(theta: np.ndarray, scale: float, base: float, init: float, anchor_idx: int | None) -> np.ndarray:
    th = np.atleast_2d(theta)
    ref = th[:, [anchor_idx]] if anchor_idx is not None else th.mean(axis=1, keepdims=True)
    return init + scale / math.log(base) * (th - ref)


def bradley_terry(model_a: Names, model_b: Names, outcome: Sequence[str] | Floats, *,
                  weights: Floats | None = None, covariates: np.ndarray | None = None,
                  covariate_names: Sequence[str] | None = None, baseline: str | None = None,
                  anchor: str | None = None, cluster: Sequence[object] | None = None,
                  scale: float = 400.0, base: float = 10.0, init: float = 1000.0,
                  n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                  level: float = DEFAULT_LEVEL, l2: float = 0.0) -> BTResult:
    """Bradley-Terry ratings by maximum likelihood, with percentile bootstrap intervals.

    ``outcome`` is model_a's score (1 win, 0.5 tie, 0 loss, or A/B/tie); battles with an
    invalid outcome are dropped and counted. ``weights`` repeat battles (Arena-Hard counts a
    strong verdict ``A>>B`` three times). Ratings are on the Elo scale: ``init`` plus
    ``scale / ln(base)`` times the log-strength, centred so that their mean is ``init``
    (Arena-Hard's minimum-norm solution), or so that ``anchor`` sits at ``init``.

    Without covariates the fit runs on the battles aggregated per pair of systems, and the
    bootstrap is exact and cheap: resampling battles draws each (pair, outcome, weight) type
    a multinomial number of times, and all resamples are refitted together by a batched
    Newton's method started from the full-data fit. With ``cluster`` (for example the
    question id), clusters are resampled instead. With ``covariates`` (style control) each
    resample is refitted on the individual battles, which costs a full fit per resample:
    Arena-Hard uses 100 resamples there.
    """
    a = np.asarray(model_a, dtype=object)
    b = np.asarray(model_b, dtype=object)
    y_all = outcome_scores(outcome)
    if not (a.shape == b.shape == y_all.shape):
        raise ValueError("model_a, model_b and outcome must have the same length")
    w_all = np.ones(a.size) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(y_all) & (a != b)
    n_dropped = int((~keep).sum())
    a, b, y, w = a[keep], b[keep], y_all[keep], w_all[keep]
    Z = None if covariates is None else np.asarray(covariates, dtype=float).reshape(keep.size, -1)[keep]
    codes, systems_obj = factorize(np.concatenate([a, b]).tolist())
    systems = [str(s) for s in systems_obj]
    order = sorted(range(len(systems)), key=lambda k: systems[k])
    remap = np.empty(len(systems), dtype=np.int64)
    remap[order] = np.arange(len(systems))
    systems = [systems[k] for k in order]
    codes = remap[codes]
    m = len(systems)
    ia, ib = codes[: a.size], codes[a.size:]
    anchor_idx = systems.index(anchor) if anchor is not None else None
    if baseline is not None and baseline not in systems:
        raise DataError(f"baseline {baseline!r} is not among the systems")
    rng = np.random.default_rng(seed)

    if Z is None:
        lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
        s_lo = np.where(ia < ib, y, 1 - y)  # score of the lower-coded system
        pair = lo * m + hi
        if cluster is None:
            # units are battles: types (pair, score, weight); scores 0, 1/2, 1 are coded as
            # integers 0, 1, 2 so that the types are found by counting, soft scores as they are
            halves = bool(np.all(2 * s_lo == np.rint(2 * s_lo)))
            score_col = np.rint(2 * s_lo) if halves else s_lo
            types, counts = compress_rows(np.column_stack([pair, score_col, w]).astype(float))
            type_score = types[:, 1] / 2 if halves else types[:, 1]
            upairs, pinv = np.unique(types[:, 0].astype(np.int64), return_inverse=True)
            # each type adds (weight, weight * score) to its pair's (n, s): a sparse k x P map
            k_types = types.shape[0]
            tn = sparse.csr_matrix((types[:, 2], (np.arange(k_types), pinv)), shape=(k_types, upairs.size))
            ts = sparse.csr_matrix((types[:, 2] * type_score, (np.arange(k_types), pinv)),
                                   shape=(k_types, upairs.size))
            full_n = np.asarray(tn.T @ counts).ravel()
            full_s = np.asarray(ts.T @ counts).ravel()
            boot_types = sparse.hstack([tn, ts], format="csr")
            type_counts = counts
        else:
            cl_codes = factorize(np.asarray(cluster, dtype=object)[keep].tolist())[0]
            upairs, pinv = np.unique(pair, return_inverse=True)
            n_cl = int(cl_codes.max()) + 1 if cl_codes.size else 0
            Cn = sparse.csr_matrix((w, (cl_codes, pinv)), shape=(n_cl, upairs.size))
            Cs = sparse.csr_matrix((w * s_lo, (cl_codes, pinv)), shape=(n_cl, upairs.size))
            full_n = np.asarray(Cn.sum(axis=0)).ravel()
            full_s = np.asarray(Cs.sum(axis=0)).ravel()
            # units are clusters, each its own type
            boot_types = sparse.hstack([Cn, Cs], format="csr")
            type_counts = np.ones(n_cl, dtype=np.int64)
        pi, pj = upairs // m, upairs % m
        theta_hat, converged = _bt_newton_batch(pi, pj, full_n[None], full_s[None], m, l2=l2)
        theta_hat = theta_hat[0]
        coef_hat = np.zeros(0)
        samples_theta = None
        if n_resamples:
            P = upairs.size

            def refit(g: np.random.Generator, size: int) -> np.ndarray:
                sums = bootstrap_sums(boot_types, type_counts, size, g)
                return _bt_newton_batch(pi, pj, sums[:, :P], sums[:, P:], m, theta0=theta_hat, l2=l2, tol=1e-7)[0]

            big = type_counts.size * n_resamples >= PARALLEL_MIN_DRAWS or m * m * n_resamples >= PARALLEL_MIN_DRAWS
            samples_theta = np.vstack(map_resample_chunks(refit, n_resamples, rng, 128, parallel=big))
        coef_samples = None
    else:
        theta_hat, coef_hat, converged = _bt_rows_fit(ia, ib, y, w, m, Z, l2=l2)
        samples_theta = None
        coef_samples = None
        if n_resamples:
            units = factorize(np.asarray(cluster, dtype=object)[keep].tolist())[0] if cluster is not None \
                else np.arange(ia.size)
            n_units = int(units.max()) + 1 if units.size else 0
            groups = np.split(np.argsort(units, kind="mergesort"), np.flatnonzero(np.diff(np.sort(units))) + 1)
            th_list, cf_list = [], []
            for _ in range(n_resamples):
                pick = rng.integers(0, n_units, size=n_units)
                idx = np.concatenate([groups[k] for k in pick])
                th, cf, _ = _bt_rows_fit(ia[idx], ib[idx], y[idx], w[idx], m, Z[idx], l2=l2)
                th_list.append(th)
                cf_list.append(cf)
            samples_theta = np.vstack(th_list)
            coef_samples = np.vstack(cf_list)

    ratings_hat = _to_ratings(theta_hat, scale, base, init, anchor_idx)[0]
    ratings_s = None if samples_theta is None else _to_ratings(samples_theta, scale, base, init, anchor_idx)

    def est(value: float, samples: np.ndarray | None, n: int) -> Score:
        lo, hi = percentile_interval(samples, level) if samples is not None else (None, None)
        return Score(value=finite_or_none(value), n=n, ci_low=lo, ci_high=hi,
                        ci_level=level if lo is not None else None,
                        method="percentile-bootstrap" if lo is not None else None)

    games = np.bincount(np.concatenate([ia, ib]), minlength=m)
    ratings = {s: est(ratings_hat[k], None if ratings_s is None else ratings_s[:, k], int(games[k]))
               for k, s in enumerate(systems)}
    wr = None
    if baseline is not None:
        kb = systems.index(baseline)

        def win_p(r: np.ndarray, k: int) -> np.ndarray:
            return 1.0 / (1.0 + base ** ((r[..., kb] - r[..., k]) / scale))

        wr = {s: est(float(win_p(ratings_hat, k)), None if ratings_s is None else win_p(ratings_s, k),
                     int(games[k])) for k, s in enumerate(systems)}
    coefs: dict[str, Score] = {}
    if Z is not None:
        names = list(covariate_names) if covariate_names is not None else [f"z{k}" for k in range(Z.shape[1])]
        coefs = {nm: est(float(coef_hat[k]), None if coef_samples is None else coef_samples[:, k], int(ia.size))
                 for k, nm in enumerate(names)}
    return BTResult(systems=systems, ratings=ratings, win_rate_vs_baseline=wr, baseline=baseline,
                    coefficients=coefs, n_battles=int(ia.size), n_dropped=n_dropped, n_resamples=n_resamples,
                    seed=seed, scale=scale, base=base, init=init, anchor=anchor, converged=bool(converged))


def elo_ratings(model_a: Names, model_b: Names, outcome: Sequence[str] | Floats, *, k: float = 4.0,
                scale: float = 400.0, base: float = 10.0, init: float = 1000.0) -> dict[str, float]:
    """Online Elo in battle order (FastChat's ``compute_online_elo``): after each battle,
    each side moves by ``k`` times its score minus its expected score. Order-dependent by
    design; prefer :func:`bradley_terry` for a leaderboard. Invalid outcomes are skipped."""
    y = outcome_scores(outcome)
    rating: dict[str, float] = {}
    for ma, mb, s in zip(np.asarray(model_a, dtype=object).tolist(), np.asarray(model_b, dtype=object).tolist(),
                         y.tolist(), strict=True):
        if not math.isfinite(s):
            continue
        ra = rating.setdefault(str(ma), init)
        rb = rating.setdefault(str(mb), init)
        ea = 1.0 / (1.0 + base ** ((rb - ra) / scale))
        eb = 1.0 / (1.0 + base ** ((ra - rb) / scale))
        rating[str(ma)] = ra + k * (s - ea)
        rating[str(mb)] = rb + k * (1.0 - s - eb)
    return rating
