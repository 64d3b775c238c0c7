"""`judgekit run`'s CPU per judgment, this checkout against another one, interleaved.

The machine this team measures on is a shared 2-core VM whose speed drifts by 20 to 30 % within
minutes (the same pure-Python loop takes 1.5 to 2.1 s), so one run of each version says little.
This runs the same `judgekit run` (mock judge, generic suite, both orders: `bench/pipeline.py`'s
synthetic data) from two checkouts alternately, ``--repeats`` times each, and reports each one's
median CPU (user + system of the child, ``os.wait4``) per judgment and the median of the per-round
ratios (this / base), which the drift affects far less than the absolute figures. Each round also
times a fixed pure-Python loop (``reference_s``) as a gauge of the machine's speed at the time.

    python bench/ab_run.py --base ../old-checkout --pairs 100000 --repeats 6

Prints a table and writes bench/results/ab_run.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _machine import cpu_model, package_versions  # bench/ is on sys.path when run as a script
from pipeline import write_data

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "sum(i * i for i in range(3_000_000))"


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "?"


def _cpu(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"{' '.join(argv)} failed (status {status}): {err[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", type=Path, required=True, help="the other checkout (a git worktree of an older commit)")
    p.add_argument("--pairs", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=6)
    p.add_argument("--judge", default="mock:[[A>B]]")
    p.add_argument("--workdir", type=Path, default=None, help="keep the data here (default: a temp dir)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ab_run.json")
    args = p.parse_args()
    roots = {"this": ROOT, "base": args.base.resolve()}
    py = sys.executable
    n = 2 * args.pairs
    runs: dict[str, list[float]] = {k: [] for k in roots}
    reference: list[float] = []
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="judgekit-ab-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = work / f"pairs-{args.pairs}.jsonl"
        if not data.exists():
            write_data(data, args.pairs, 0, 300, 600)
        for _ in range(args.repeats):
            reference.append(_cpu([py, "-c", REFERENCE], dict(os.environ), work))
            for name, root in roots.items():
                results = work / f"results-{name}"
                shutil.rmtree(results, ignore_errors=True)
                env = {**os.environ, "PYTHONPATH": str(root)}
                runs[name].append(_cpu([py, "-m", "judgekit", "run", "--suite", "generic", "--data", str(data),
                                        "--judge", args.judge, "--no-cache", "-q", "--results-dir", str(results),
                                        "--run-id", "ab"], env, work))
                print(f"{name:5s} {runs[name][-1]:7.2f} s CPU  {1e6 * runs[name][-1] / n:5.1f} us/judgment", flush=True)
    ratios = [t / b for t, b in zip(runs["this"], runs["base"], strict=True)]
    summary: dict[str, Any] = {
        name: {"commit": _git(roots[name], "rev-parse", "--short", "HEAD"), "cpu_s": [round(x, 3) for x in v],
               "median_us_per_judgment": round(1e6 * statistics.median(v) / n, 1),
               "min_us_per_judgment": round(1e6 * min(v) / n, 1), "max_us_per_judgment": round(1e6 * max(v) / n, 1)}
        for name, v in runs.items()}
    summary["ratio_this_over_base"] = {"per_round": [round(r, 3) for r in ratios],
                                       "median": round(statistics.median(ratios), 3)}
    summary["reference_s"] = [round(x, 3) for x in reference]
    doc = {"benchmark": "bench/ab_run.py", "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "machine": {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                       "packages": package_versions(("judgekit", "numpy", "msgspec", "pydantic", "jinja2"))},
           "load_average": {"start": load_start, "end": os.getloadavg()},
           "parameters": {"pairs": args.pairs, "judgments": n, "repeats": args.repeats, "judge": args.judge,
                          "reference": REFERENCE},
           "results": summary}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    for name in roots:
        s = summary[name]
        print(f"{name:5s} ({s['commit']}): median {s['median_us_per_judgment']} us/judgment "
              f"(min {s['min_us_per_judgment']}, max {s['max_us_per_judgment']})")
    print(f"this / base per round: {summary['ratio_this_over_base']['per_round']}, median "
          f"{summary['ratio_this_over_base']['median']}; reference loop {summary['reference_s']} s; wrote {args.out}")


if __name__ == "__main__":
    main()
