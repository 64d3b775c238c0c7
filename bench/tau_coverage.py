"""Coverage of the tau / rho intervals against a gold ranking, on simulated judges (issue 12).

A benchmark, not a test: it prints a table and writes JSON. Each cell is a world with fixed true
judge means (``systems`` of them spread uniformly over ``spread`` standard errors of a difference)
and a gold score per system that agrees with them only partly (``gold_noise`` x the sd of the means
added); each simulation draws ``items`` prompts (scores: mean + item effect + noise, all sd 1) and
computes judgekit's interval with :func:`judgekit.metrics.ranking.rank_agreement_bootstrap` (the
normal interval from the prompt bootstrap, its SD scaled by sqrt(1.5): ``inflated``) and, from the same
resamples, the percentile interval judgekit used before, the plain normal one, the hull of those two,
and two attempts at a normal interval that is nominal rather than conservative (both written out in
this file, not in judgekit):

- ``satterthwaite``: tau and rho are weighted sums of the pairs' signs, ``sum w_ij sign(d_ij)`` (Spearman's
  weights are half the difference of the gold ranks); a pair whose estimated gap is several standard
  errors wide adds a variance ``4 p (1 - p)`` that is itself very uncertain (``p`` its flip probability),
  so when a few such pairs carry the variance the estimate has few degrees of freedom. This uses the
  Student t quantile at Welch-Satterthwaite's effective degrees of freedom (each pair's variance
  estimate ``q(z) = 4 Phi(z) Phi(-z)`` at its standardised gap ``z``, with variance ``q'(z)^2``);
- ``eb``: the bootstrap's bias on each pair's sign variance corrected by empirical Bayes: the
  distribution of the pairs' true standardised gaps is estimated by nonparametric maximum likelihood
  (Kiefer-Wolfowitz, EM on a grid, folded normal likelihood), and each pair's ``q(z)`` is replaced by
  its posterior mean.

Two targets: ``E[tau_n]``, the tau the judge gets on a benchmark of ``items`` prompts
in expectation over prompt samples (the interval's target; Monte Carlo from the known model, and for
tau also in closed form, ``sum w_ij (2 Phi(d_ij / sd_ij) - 1)``, as a check), and
the infinite-prompt tau of the true means (which no prompt-resampling interval covers uniformly:
tau is a sum of signs of mean differences, not smooth where two systems are close).

    .venv/bin/python bench/tau_coverage.py               # 18 cells x 300 simulations, about 3 CPU min
    .venv/bin/python bench/tau_coverage.py --sims 100 --out /tmp/tau.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from _machine import cpu_model, package_versions  # bench/ is on sys.path when run as a script
from scipy import stats

from judgekit.metrics.ranking import SD_INFLATION, kendall_tau_batch, rank_agreement_bootstrap, spearman_batch

ROOT = Path(__file__).resolve().parent.parent


def pair_weights(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (i < j) and the weights with which Kendall's tau-b and Spearman's rho of untied judge
    scores against ``g`` are sums of the pairs' signs ``sign(x_i - x_j)``."""
    S = g.size
    iu, ju = np.triu_indices(S, 1)
    c = np.sign(g[iu] - g[ju])
    w_tau = c / np.sqrt(iu.size * (iu.size - np.sum(c == 0)))
    G = stats.rankdata(g)
    G = G - G.mean()
    w_rho = (G[iu] - G[ju]) / 2.0 / np.sqrt(S * (S * S - 1) / 12.0 * float(G @ G))
    return iu, ju, w_tau, w_rho


def sign_variance(z: np.ndarray) -> np.ndarray:
    return 4.0 * stats.norm.cdf(z) * stats.norm.cdf(-z)


def posterior_sign_variance(z: np.ndarray, grid_size: int = 60, iterations: int = 300) -> np.ndarray:
    """E[q(|delta|) | z] for each pair, under the distribution of |delta| estimated from all pairs (NPMLE)."""
    grid = np.linspace(0.0, float(z.max()) + 1.0, grid_size)
    like = stats.norm.pdf(z[:, None] - grid[None]) + stats.norm.pdf(z[:, None] + grid[None])
    pi = np.full(grid.size, 1.0 / grid.size)
    for _ in range(iterations):
        post = like * pi
        post /= post.sum(axis=1, keepdims=True)
        pi = post.mean(axis=0)
    post = like * pi
    post /= post.sum(axis=1, keepdims=True)
    return post @ sign_variance(grid)


def cell(n_systems: int, items: int, spread: float, gold_noise: float, sims: int, resamples: int) -> dict:
    world = np.random.default_rng(n_systems)
    mu_se = np.sort(world.uniform(0.0, spread, n_systems))
    g = mu_se + world.normal(0.0, gold_noise * mu_se.std(), n_systems)
    mu = mu_se * np.sqrt(2.0 / items)
    systems = [f"s{k}" for k in range(n_systems)]
    gold = dict(zip(systems, g.tolist(), strict=True))
    mc = np.random.default_rng(99).normal(0.0, np.sqrt(1.0 / items), (40_000, n_systems)) + mu
    target = {"tau": float(kendall_tau_batch(mc, g).mean()), "rho": float(spearman_batch(mc, g).mean())}
    infinite = {"tau": float(kendall_tau_batch(mu[None], g)[0]), "rho": float(spearman_batch(mu[None], g)[0])}
    iu, ju, w_tau, w_rho = pair_weights(g)
    sd_pair = np.sqrt(2.0 / items)  # the sd of a difference of two systems' means (item effects cancel)
    closed_form = float(np.sum(w_tau * (2 * stats.norm.cdf((mu[iu] - mu[ju]) / sd_pair) - 1)))
    assert abs(closed_form - target["tau"]) < 0.005, (closed_form, target["tau"])  # Monte Carlo agrees
    methods = ("normal", "percentile", "hull", "inflated", "satterthwaite", "eb")
    hits = {f"{m}_{t}_{k}": 0 for m in methods for t in ("expected", "infinite") for k in ("tau", "rho")}
    rng = np.random.default_rng(7)
    for s in range(sims):
        X = mu + rng.normal(0.0, 1.0, (items, 1)) + rng.normal(0.0, 1.0, (items, n_systems))
        r = rank_agreement_bootstrap(X, systems, gold, n_resamples=resamples, seed=s)
        # the same resamples as the library draws, for the percentile interval
        W = np.random.default_rng(s).multinomial(items, np.full(items, 1.0 / items), size=resamples)
        means = (W @ X) / items
        theta = X.mean(axis=0)
        d_sd = np.maximum((means[:, iu] - means[:, ju]).std(axis=0, ddof=1), 1e-300)
        z = np.abs(theta[iu] - theta[ju]) / d_sd
        q_boot, q_post = sign_variance(z), posterior_sign_variance(z)
        q_slope2 = (4 * stats.norm.pdf(z) * (1 - 2 * stats.norm.cdf(z))) ** 2
        for k, est, reps, w in (("tau", r.kendall_tau, kendall_tau_batch(means, g), w_tau),
                                ("rho", r.spearman, spearman_batch(means, g), w_rho)):
            lo, hi = np.quantile(reps, [0.025, 0.975])
            sd = float(reps.std(ddof=1))
            v = float(est.value)  # type: ignore[arg-type]
            inflated = (max(-1.0, v - 1.96 * SD_INFLATION * sd), min(1.0, v + 1.96 * SD_INFLATION * sd))
            assert abs(inflated[0] - est.ci_low) < 1e-3 and abs(inflated[1] - est.ci_high) < 1e-3  # type: ignore[operator]
            var_var = float(np.sum(w**4 * q_slope2))
            df = max(1.0, 2 * sd**4 / var_var) if var_var > 0 else np.inf
            t_sd = float(stats.t.ppf(0.975, df)) * sd
            eb_sd = 1.96 * np.sqrt(max(0.0, sd**2 + float(np.sum(w * w * (q_post - q_boot)))))
            bounds = {"normal": (v - 1.96 * sd, v + 1.96 * sd), "percentile": (lo, hi),
                      "hull": (min(lo, v - 1.96 * sd), max(hi, v + 1.96 * sd)), "inflated": inflated,
                      "satterthwaite": (v - t_sd, v + t_sd), "eb": (v - eb_sd, v + eb_sd)}
            for t, truth in (("expected", target[k]), ("infinite", infinite[k])):
                for m, (a, b) in bounds.items():
                    hits[f"{m}_{t}_{k}"] += int(a - 1e-12 <= truth <= b + 1e-12)  # type: ignore[operator]
    return {"systems": n_systems, "items": items, "spread_se": spread, "gold_noise": gold_noise,
            "expected_tau": round(target["tau"], 4), "infinite_tau": round(infinite["tau"], 4),
            **{k: round(v / sims, 3) for k, v in hits.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=300)
    ap.add_argument("--resamples", type=int, default=400)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "tau_coverage.json"))
    a = ap.parse_args()
    t0 = time.process_time()
    rows = []
    for (S, items), spread, gn in itertools.product(((10, 400), (20, 300)), (10.0, 20.0, 40.0), (0.0, 0.3, 1.0)):
        row = cell(S, items, spread, gn, a.sims, a.resamples)
        rows.append(row)
        print(f"S={S:2d} n={items} spread={spread:4.0f} gold_noise={gn:.1f} E[tau_n]={row['expected_tau']:.3f} "
              f"tau_inf={row['infinite_tau']:.3f} | normal: E {row['normal_expected_tau']:.3f} / "
              f"{row['normal_expected_rho']:.3f} inf {row['normal_infinite_tau']:.3f} | percentile: E "
              f"{row['percentile_expected_tau']:.3f} inf {row['percentile_infinite_tau']:.3f} | hull: E "
              f"{row['hull_expected_tau']:.3f} inf {row['hull_infinite_tau']:.3f} | inflated: E "
              f"{row['inflated_expected_tau']:.3f} / {row['inflated_expected_rho']:.3f} inf "
              f"{row['inflated_infinite_tau']:.3f} | satterthwaite: E {row['satterthwaite_expected_tau']:.3f} / "
              f"{row['satterthwaite_expected_rho']:.3f} | eb: E {row['eb_expected_tau']:.3f} / "
              f"{row['eb_expected_rho']:.3f}", flush=True)
    cpu = time.process_time() - t0
    summary = {}
    for m in ("normal", "percentile", "hull", "inflated", "satterthwaite", "eb"):
        for k in ("tau", "rho"):
            cov = [row[f"{m}_expected_{k}"] for row in rows]
            summary[f"{m}_{k}"] = {"min": min(cov), "max": max(cov), "mean": round(float(np.mean(cov)), 3),
                                   "cells_in_93_97": int(sum(0.93 <= c <= 0.97 for c in cov)), "cells_below_93": int(sum(c < 0.93 for c in cov))}
            print(f"{m:>13} {k}: coverage of E[tau_n] {min(cov):.3f}-{max(cov):.3f} (mean {np.mean(cov):.3f}), "
                  f"{summary[f'{m}_{k}']['cells_in_93_97']} of {len(cov)} cells in 93-97 %, "
                  f"{summary[f'{m}_{k}']['cells_below_93']} below 93 %")
    doc = {"bench": "tau_coverage", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "sims_per_cell": a.sims, "resamples": a.resamples, "cpu_s": round(cpu, 1),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
           "cpu_model": cpu_model(), "versions": package_versions(["numpy", "scipy"]), "summary": summary,
           "cells": rows}
    Path(a.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"cpu {cpu:.1f} s; wrote {a.out}")


if __name__ == "__main__":
    main()
