"""Speed of system rankings: a mock-judge AlpacaEval run over many systems, and the ranking step.

A benchmark, not a test: it prints the figures and writes them to JSON. Target (issue 12): the
ranking with 1,000 bootstrap resamples under 5 s for 100 systems.

Cases:

* ``run``: ``judgekit run --suite alpaca_eval`` through ``runner.prepare`` / ``runner.execute`` with the
  mock judge (it answers "m") over ``--systems`` synthetic systems x 805 instructions x 2 orders
  (50 systems: 80,500 judgments), no cache, into a fresh results folder: judgments per second
  (preparing the data and prompts is timed apart), then the AlpacaEval leaderboard from the stored
  judgments (the length-controlled fit left out: it is scikit-learn's cross-validated fit, about 0.3 s
  per system, plus the difficulty estimate, which grows with the systems).
* ``rank-alpaca``: the ``alpaca_eval`` aggregation (win rate with a 1,000-resample bootstrap interval,
  standard error, discrete win rate, counts, lengths) over 100 systems x 805 instructions x 2 orders of
  synthetic judgment rows, LC left out.
* ``rank-arena``: Arena-Hard's score with 1,000 bootstrap rounds (``arena_hard_scores``) over 100
  systems x 500 questions.
* ``rank-bt``: ``bradley_terry`` over the same battles (each system against the baseline) with 1,000
  bootstrap resamples and the win rate against the baseline.

    .venv/bin/python bench/rankings.py                       # 50 systems for the run; about 2 min on 2 cores
    .venv/bin/python bench/rankings.py --systems 10 --out /tmp/rankings.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from _machine import cpu_model, package_versions  # bench/ is on sys.path when run as a script

from judgekit import runner
from judgekit.aggregations import aggregate
from judgekit.metrics.ranking import bradley_terry
from judgekit.progress import NullProgress
from judgekit.rankings import ArenaBattles, arena_hard_scores
from judgekit.types import JudgeConfig, Judgment, RunConfig

ROOT = Path(__file__).resolve().parent.parent
N_INSTR = 805


def write_systems(folder: Path, n_systems: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    instr = [f"Instruction {i}: explain topic {i} briefly." for i in range(N_INSTR)]
    names = ["gpt4_1106_preview"] + [f"system-{k:03d}" for k in range(n_systems)]
    for name in names:
        d = folder / name
        d.mkdir(parents=True)
        lengths = rng.integers(50, 2000, N_INSTR)
        d.joinpath("model_outputs.json").write_text(json.dumps(
            [{"instruction": i, "output": "x" * int(n), "generator": name, "dataset": "bench"}
             for i, n in zip(instr, lengths, strict=True)]))
    return [str(folder / n) for n in names]


def bench_run(n_systems: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        systems = write_systems(Path(tmp) / "systems", n_systems)
        cfg = RunConfig(suite="alpaca_eval", judge=JudgeConfig(backend="mock", model="m"),
                        suite_args={"systems": systems, "aggregation_args": {"glm": None}},
                        results_dir=str(Path(tmp) / "results"), use_cache=False, concurrency=8)
        t0 = time.perf_counter()
        prep = runner.prepare(cfg)
        t1 = time.perf_counter()
        result = asyncio.run(runner.execute(prep, NullProgress()))
        t2 = time.perf_counter()
        assert result.report is not None and result.n_sent == len(prep.requests)
        return {"systems": n_systems, "judgments": len(prep.requests), "prepare_s": round(t1 - t0, 3),
                "execute_s": round(t2 - t1, 3), "judgments_per_s": round(len(prep.requests) / (t2 - t1), 1),
                "leaderboard_rows": len(result.report.tables[0].rows)}


def synthetic_rows(n_systems: int, rng: np.random.Generator) -> list[Judgment]:
    rows = []
    quality = np.linspace(0.05, 0.6, n_systems)
    for k in range(n_systems):
        p = np.clip(quality[k] + rng.normal(0, 0.2, N_INSTR), 0, 1)
        for i in range(N_INSTR):
            for order in ("AB", "BA"):
                rows.append(Judgment(
                    request_id=f"s{k}/{i}#{order}", example_id=f"s{k}/{i}", order=order, category=f"s{k}",
                    status="ok", shown_winner="A", winner="B" if p[i] > 0.5 else "A", p_a=float(1 - p[i]),
                    len_a=1000, len_b=int(500 + 1000 * p[i]), template_hash="bench",
                    meta={"system": f"s{k}", "baseline": "base", "instruction": i, "n_instructions": N_INSTR}))
    return rows


CPU_S: dict[str, float] = {}  # the last timed call's CPU seconds (process time: all threads), by label


def timed(fn: Any, label: str = "") -> tuple[Any, float]:
    """The call's result and wall seconds; its CPU seconds go to CPU_S[label] (on a loaded machine the
    CPU time is the figure to compare with the target)."""
    c = time.process_time()
    t = time.perf_counter()
    out = fn()
    CPU_S[label] = round(time.process_time() - c, 3)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", type=int, default=50, help="systems in the mock run (default 50)")
    ap.add_argument("--rank-systems", type=int, default=100, help="systems in the ranking cases (default 100)")
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rankings.json"))
    args = ap.parse_args()
    out: dict[str, Any] = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpu": cpu_model(),
                           "versions": package_versions(["judgekit", "numpy", "scipy", "scikit-learn", "pydantic"]), "argv": sys.argv, "cases": {}}
    if not args.skip_run:
        out["cases"]["run"] = bench_run(args.systems)
        print("run:", out["cases"]["run"], flush=True)
    rng = np.random.default_rng(1)
    rows, build_s = timed(lambda: synthetic_rows(args.rank_systems, rng))
    report, s = timed(lambda: aggregate("alpaca_eval", rows, {"glm": None}), "alpaca")
    out["cases"]["rank-alpaca"] = {"systems": args.rank_systems, "rows": len(rows), "seconds": round(s, 3),
                                   "cpu_s": CPU_S["alpaca"],
                                   "bootstrap_resamples": 1000, "rows_built_s": round(build_s, 3)}
    print("rank-alpaca:", out["cases"]["rank-alpaca"], flush=True)
    # Arena-Hard battles: the same systems, 500 questions, strong verdicts for clear preferences
    arena_rows = []
    for j in rows:
        i = (j.meta or {})["instruction"]
        if i >= 500:
            continue
        arena_rows.append(j.model_copy(update={"strength": 2 if abs((j.p_a or 0.5) - 0.5) > 0.3 else 1}))
    battles = ArenaBattles(arena_rows)
    _, s = timed(lambda: arena_hard_scores(battles, rounds=1000), "arena")
    out["cases"]["rank-arena"] = {"systems": args.rank_systems, "battles": int(sum(b.size for b in battles.scores.values())),
                                  "rounds": 1000, "seconds": round(s, 3), "cpu_s": CPU_S["arena"]}
    print("rank-arena:", out["cases"]["rank-arena"], flush=True)
    ma = np.concatenate([np.full(battles.scores[s_].size, s_, dtype=object) for s_ in battles.systems])
    mb = np.full(ma.size, "base", dtype=object)
    y = np.concatenate([battles.scores[s_] for s_ in battles.systems])
    res, s = timed(lambda: bradley_terry(ma, mb, y, baseline="base", anchor="base", n_resamples=1000), "bt")
    out["cases"]["rank-bt"] = {"systems": args.rank_systems, "battles": int(y.size), "resamples": 1000,
                               "seconds": round(s, 3), "cpu_s": CPU_S["bt"], "converged": res.converged}
    print("rank-bt:", out["cases"]["rank-bt"], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
