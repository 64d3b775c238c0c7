"""Coverage of the tau / rho intervals against a gold ranking, on simulated judges (issue 12).

A benchmark, not a test: it prints a table and writes JSON. Each cell is a world with fixed true
judge means (``systems`` of them spread uniformly over ``spread`` standard errors of a difference)
and a gold score per system that agrees with them only partly (``gold_noise`` x the sd of the means
added); each simulation draws ``items`` prompts (scores: mean + item effect + noise, all sd 1) and
computes judgekit's interval with :func:`judgekit.metrics.ranking.rank_agreement_bootstrap` (the
normal interval from the prompt bootstrap, its SD scaled by sqrt(1.5): ``inflated``) and, from the same
resamples, the percentile interval judgekit used before, the plain normal one and the hull of those two. Two targets: ``E[tau_n]``, the tau the judge gets on a benchmark of ``items`` prompts
in expectation over prompt samples (the interval's target; Monte Carlo from the known model), and
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

from judgekit.metrics.ranking import SD_INFLATION, kendall_tau_batch, rank_agreement_bootstrap, spearman_batch

ROOT = Path(__file__).resolve().parent.parent


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
    methods = ("normal", "percentile", "hull", "inflated")
    hits = {f"{m}_{t}_{k}": 0 for m in methods for t in ("expected", "infinite") for k in ("tau", "rho")}
    rng = np.random.default_rng(7)
    for s in range(sims):
        X = mu + rng.normal(0.0, 1.0, (items, 1)) + rng.normal(0.0, 1.0, (items, n_systems))
        r = rank_agreement_bootstrap(X, systems, gold, n_resamples=resamples, seed=s)
        # the same resamples as the library draws, for the percentile interval
        W = np.random.default_rng(s).multinomial(items, np.full(items, 1.0 / items), size=resamples)
        means = (W @ X) / items
        for k, est, reps in (("tau", r.kendall_tau, kendall_tau_batch(means, g)),
                             ("rho", r.spearman, spearman_batch(means, g))):
            lo, hi = np.quantile(reps, [0.025, 0.975])
            sd = float(reps.std(ddof=1))
            v = float(est.value)  # type: ignore[arg-type]
            inflated = (max(-1.0, v - 1.96 * SD_INFLATION * sd), min(1.0, v + 1.96 * SD_INFLATION * sd))
            assert abs(inflated[0] - est.ci_low) < 1e-3 and abs(inflated[1] - est.ci_high) < 1e-3  # type: ignore[operator]
            bounds = {"normal": (v - 1.96 * sd, v + 1.96 * sd), "percentile": (lo, hi),
                      "hull": (min(lo, v - 1.96 * sd), max(hi, v + 1.96 * sd)), "inflated": inflated}
            for t, truth in (("expected", target[k]), ("infinite", infinite[k])):
                for m, (a, b) in bounds.items():
                    hits[f"{m}_{t}_{k}"] += a - 1e-12 <= truth <= b + 1e-12  # type: ignore[operator]
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
              f"{row['inflated_infinite_tau']:.3f}", flush=True)
    cpu = time.process_time() - t0
    doc = {"bench": "tau_coverage", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "sims_per_cell": a.sims, "resamples": a.resamples, "cpu_s": round(cpu, 1),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
           "cpu_model": cpu_model(), "versions": package_versions(["numpy", "scipy"]), "cells": rows}
    Path(a.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"cpu {cpu:.1f} s; wrote {a.out}")


if __name__ == "__main__":
    main()
