"""Speed of the graded systems suites: a mock-judge MT-Bench run over many systems, and the grade
leaderboard step.

A benchmark, not a test: it prints the figures (CPU seconds, from time.process_time, and peak RSS;
wall time means little on a shared machine) and writes them to JSON.

Cases:

* ``run``: ``judgekit run --suite mt_bench`` through ``runner.prepare`` / ``runner.execute`` with the
  mock judge (it answers "Rating: [[7]]") over ``--systems`` synthetic FastChat answer files x 80
  questions x 2 turns, on the shared MT-Bench questions (``--data``, default ../shared/data), no cache:
  CPU microseconds per judgment (preparing the data and prompts timed apart).
* ``rank``: the ``mt_bench`` aggregation (per system the turn 1, turn 2 and overall means, each with
  1,000 bootstrap resamples of the questions) over ``--rank-systems`` systems of synthetic grade rows.

    .venv/bin/python bench/mt_bench.py                       # 20 systems for the run, 100 ranked
    .venv/bin/python bench/mt_bench.py --systems 5 --out /tmp/mt_bench.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
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
from judgekit.progress import NullProgress
from judgekit.types import JudgeConfig, Judgment, RunConfig

ROOT = Path(__file__).resolve().parent.parent


def write_answers(folder: Path, questions: list[dict[str, Any]], n_systems: int) -> list[str]:
    folder.mkdir(parents=True)
    for k in range(n_systems):
        name = f"system-{k:03d}"
        folder.joinpath(f"{name}.jsonl").write_text("".join(json.dumps(
            {"question_id": q["question_id"], "model_id": name,
             "choices": [{"index": 0, "turns": [f"{name} answers {q['question_id']} " + "x" * (40 * k % 900),
                                                 f"{name} follows up"]}]}) + "\n" for q in questions))
    return [str(folder)]


def bench_run(n_systems: int, data: str) -> dict[str, Any]:
    questions = [json.loads(line) for line in (Path(data) / "mt_bench" / "question.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        systems = write_answers(Path(tmp) / "model_answer", questions, n_systems)
        cfg = RunConfig(suite="mt_bench", data=data, judge=JudgeConfig(backend="mock", model="Rating: [[7]]"),
                        suite_args={"systems": systems}, results_dir=str(Path(tmp) / "results"), use_cache=False,
                        concurrency=8)
        c0 = time.process_time()
        prep = runner.prepare(cfg)
        c1 = time.process_time()
        result = asyncio.run(runner.execute(prep, NullProgress()))
        c2 = time.process_time()
        assert result.report is not None and result.n_sent == len(prep.requests)
        n = len(prep.requests)
        return {"systems": n_systems, "judgments": n, "prepare_cpu_s": round(c1 - c0, 3),
                "execute_cpu_s": round(c2 - c1, 3), "cpu_us_per_judgment": round(1e6 * (c2 - c1) / n, 1),
                "leaderboard_rows": len(result.report.tables[0].rows)}


def synthetic_rows(n_systems: int, rng: np.random.Generator) -> list[Judgment]:
    rows = []
    for k in range(n_systems):
        name = f"system-{k:03d}"
        grades = np.clip(np.round(rng.normal(3 + 6 * k / max(1, n_systems - 1), 1.5, size=(80, 2))), 1, 10)
        for q in range(80):
            for t in (1, 2):
                bad = rng.random() < 0.03
                rows.append(Judgment(
                    request_id=f"{name}/{q}/{t}#AB", example_id=f"{name}/{q}/{t}", order="AB", status="ok",
                    shown_winner="invalid" if bad else "A", winner="invalid" if bad else "A",
                    score=None if bad else float(grades[q, t - 1]), category=name,
                    meta={"system": name, "instruction": q, "n_instructions": 80, "turn": t}, template_hash="bench"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", type=int, default=20, help="systems in the mock run (default 20)")
    ap.add_argument("--rank-systems", type=int, default=100, help="systems in the ranking case (default 100)")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "mt_bench.json"))
    args = ap.parse_args()
    out: dict[str, Any] = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpu": cpu_model(),
                           "versions": package_versions(["judgekit-harness", "numpy", "pydantic"]), "argv": sys.argv,
                           "cases": {}}
    if not args.skip_run:
        out["cases"]["run"] = bench_run(args.systems, args.data)
        print("run:", out["cases"]["run"], flush=True)
    rows = synthetic_rows(args.rank_systems, np.random.default_rng(1))
    c0 = time.process_time()
    report = aggregate("mt_bench", rows, {})
    c1 = time.process_time()
    out["cases"]["rank"] = {"systems": args.rank_systems, "rows": len(rows), "bootstrap_resamples": 1000,
                            "cpu_s": round(c1 - c0, 3), "leaderboard_rows": len(report.tables[0].rows)}
    print("rank:", out["cases"]["rank"], flush=True)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("peak RSS MB:", out["peak_rss_mb"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
