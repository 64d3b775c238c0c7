"""The pipeline's own cost at scale: the mock judge on a generic suite, both orders.

Writes a synthetic generic-suite JSONL of ``--pairs`` pairs (seeded: prompt, two responses,
label A/B/tie, 4 categories) and runs each phase in its own child process, so that the
CPU time and the peak RSS of each phase are its own (``os.wait4`` rusage of the child):

- **run**: ``judgekit run --suite generic --judge mock:... --no-cache -q`` (loading the
  data, rendering every prompt, the mock backend, parsing, building and appending every
  judgment, compacting, scoring): CPU microseconds per judgment and peak RSS;
- **judging**: the same run in one process through ``runner.prepare`` / ``runner.execute``, with
  the CPU time and peak RSS taken when judging ends, before the end-of-run scoring (which reads
  the finished judgments.jsonl back: ``scoring.score_run``), and after it; so the judging
  pipeline's own figures are apart from the scoring's (the read side, issue 10's other half);
- **score**: ``judgekit score RUN``;
- **report**: ``judgekit report RUN`` (HTML with figures);
- **score-run**: ``scoring.score_run(RUN, write=False)`` alone, the end-of-run scoring
  ``judgekit run`` calls (its CPU time apart from the imports is printed too);
- **headline**: ``scoring.headline_interval`` on the run's rows with ``--headline-resamples``
  resamples (the leaderboard's interval for a published aggregation);
- **read-records** / **read-columns**: reading the run's judgments.jsonl alone, as
  ``Judgment`` records (``store.read_judgments``, the path before issue 10's columnar read)
  and as columns (``columns.read_columns``, what score, report and leaderboard use now);
  the CPU time of the read itself is printed too;
- **leaderboard**: ``judgekit leaderboard`` over the results folder (one run), when
  ``--leaderboard`` is given (before the vectorised headline interval it took about
  10 s per resample at 200k pairs: use --headline-resamples to extrapolate instead).

``--replicate K`` times score, report, headline and leaderboard on a run K times the size
without judging it: after the run phase (or on the run already in ``--workdir``), it writes a
run folder whose judgments.jsonl holds K copies of every judgment under distinct example ids
(and a manifest counting K times the requests), in a results folder of its own; with
``--replicate-data`` the data file is copied K times too under those ids and named in that
manifest, so that ``report`` quotes its examples from a data file of the run's size.

    python bench/pipeline.py --pairs 100000                # about a minute per phase on 2 cores
    python bench/pipeline.py --pairs 100000 --leaderboard
    python bench/pipeline.py --pairs 1000000 --phases run  # peak RSS of a large run
    python bench/pipeline.py --pairs 100000 --replicate 10 --leaderboard  # score etc. at 1M pairs

Prints a table and writes bench/results/pipeline.json (``--out``). The machine is shared:
CPU time (user + system of the child) is the figure to compare, not wall time; the load
average at the start and end is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _machine import cpu_model, package_versions  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("coding", "math", "reasoning", "knowledge")
WORDS = ("the", "judge", "model", "answer", "is", "correct", "because", "of", "a", "proof", "which", "shows",
         "that", "every", "step", "follows", "from", "previous", "one", "and", "so", "result", "holds")


def write_data(path: Path, pairs: int, seed: int, prompt_chars: int, response_chars: int) -> None:
    rng = random.Random(seed)

    def text(n: int) -> str:
        out: list[str] = []
        size = 0
        while size < n:
            w = rng.choice(WORDS)
            out.append(w)
            size += len(w) + 1
        return " ".join(out)

    # a pool of texts, combined per pair, keeps generation fast and the file realistic in size
    prompts = [text(prompt_chars) for _ in range(512)]
    responses = [text(response_chars) for _ in range(1024)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(pairs):
            label = rng.choices(("A", "B", "tie"), weights=(45, 45, 10))[0]
            f.write(json.dumps({"id": f"p{i}", "prompt": f"{i}: {rng.choice(prompts)}",
                                "a": rng.choice(responses), "b": rng.choice(responses), "label": label,
                                "category": CATEGORIES[i % len(CATEGORIES)]}) + "\n")


def replicate(run_dir: Path, work: Path, k: int, data: Path | None = None) -> tuple[Path, str, Path]:
    """A run folder holding ``k`` copies of ``run_dir``'s judgments (example ids ``ID~cN``); with
    ``data`` (the run's data file), also ``k`` copies of the data under those ids, named in the
    manifest, so that the report quotes its examples from a data file of the run's size."""
    suffix = f"x{k}" + ("d" if data is not None else "")
    results_dir = work / f"results-{suffix}"
    run_id = f"{run_dir.name}-{suffix}"
    out = results_dir / "runs" / run_id
    if (out / "judgments.jsonl").exists():
        return results_dir, run_id, out
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["run_id"] = run_id
    manifest["n_requests"] = manifest["n_requests"] * k
    if data is not None:
        copies = work / f"{data.stem}-x{k}.jsonl"
        if not copies.exists():
            with open(data, encoding="utf-8") as f:
                rows = [json.loads(line) for line in f]
            with open(copies, "w", encoding="utf-8") as f:
                for c in range(k):
                    for row in rows:
                        f.write(json.dumps({**row, "id": f"{row['id']}~c{c}"}) + "\n")
            print(f"wrote {copies} ({k} x {len(rows)} pairs)", flush=True)
        manifest["config"]["data"] = str(copies)
        manifest["data"]["path"] = str(copies)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    lines = (run_dir / "judgments.jsonl").read_text().splitlines()
    with open(out / "judgments.jsonl", "w", encoding="utf-8") as f:
        for c in range(k):
            for line in lines:
                row = json.loads(line)
                row["example_id"] = f"{row['example_id']}~c{c}"
                row["request_id"] = f"{row['example_id']}#{row['order']}"
                f.write(json.dumps(row, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({k} x {len(lines)} judgments)", flush=True)
    return results_dir, run_id, out


def child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one phase in a child process: wall time, CPU time (user + sys) and peak RSS of that child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: judgekit run's exit when verdicts are invalid/failed; not here
        raise SystemExit(f"{' '.join(argv[:6])}... exited {proc.returncode}:\n{output[-3000:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": proc.returncode, "output_tail": output[-400:]}


HEADLINE_SNIPPET = """
import json, sys, time, resource
from pathlib import Path
from judgekit.manifest import require_manifest
from judgekit.scoring import headline_interval
from judgekit.store import read_judgments
run_dir, n = Path(sys.argv[1]), int(sys.argv[2])
manifest = require_manifest(run_dir)
rows = list(read_judgments(run_dir / "judgments.jsonl").values())
t0 = time.process_time()
score = headline_interval(rows, manifest, n_resamples=n)
cpu = time.process_time() - t0
print(json.dumps({"interval_cpu_s": round(cpu, 3), "value": score.value if score else None,
                  "ci_low": score.ci_low if score else None, "ci_high": score.ci_high if score else None}))
"""


SCORE_RUN_SNIPPET = """
import json, sys, time, resource
from pathlib import Path
t0 = time.process_time()
from judgekit.scoring import headline, score_run
t1 = time.process_time()
metrics, report = score_run(Path(sys.argv[1]), write=False)
name, value = headline(metrics, report)
print(json.dumps({"import_cpu_s": round(t1 - t0, 3), "score_run_cpu_s": round(time.process_time() - t1, 3),
                  "headline": name, "value": value.value, "n": value.n}))
"""


READ_SNIPPET = """
import json, sys, time
from pathlib import Path
run_dir, how = Path(sys.argv[1]), sys.argv[2]
t0 = time.process_time()
if how == "records":
    from judgekit.store import read_judgments
    n = len(read_judgments(run_dir / "judgments.jsonl"))
else:
    from judgekit.columns import read_columns
    n = len(read_columns(run_dir / "judgments.jsonl"))
print(json.dumps({"read_cpu_s": round(time.process_time() - t0, 3), "rows": n}))
"""


JUDGING_SNIPPET = """
import asyncio, json, resource, sys, time
t_start = time.process_time()
from judgekit import runner
from judgekit.progress import NullProgress
from judgekit.types import JudgeConfig, RunConfig
data, results_dir, run_id, judge = sys.argv[1:5]
backend, _, model = judge.partition(":")
marks = {}
score_run = runner.score_run
def timed(run_dir, **kw):
    marks["judged_cpu"] = time.process_time()
    marks["judged_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = score_run(run_dir, **kw)
    marks["scored_cpu"] = time.process_time()
    return out
runner.score_run = timed
t0 = time.process_time()
cfg = RunConfig(suite="generic", data=data, results_dir=results_dir, run_id=run_id, use_cache=False,
                judge=JudgeConfig(backend=backend, model=model))
prep = runner.prepare(cfg)
t1 = time.process_time()
result = asyncio.run(runner.execute(prep, NullProgress()))
n = result.n_requests
print(json.dumps({"judgments": n, "n_sent": result.n_sent, "import_cpu_s": round(t0 - t_start, 3),
                  "prepare_cpu_s": round(t1 - t0, 3), "judging_cpu_s": round(marks["judged_cpu"] - t1, 3),
                  "end_scoring_cpu_s": round(marks["scored_cpu"] - marks["judged_cpu"], 3),
                  "judging_us_per_judgment": round(1e6 * (marks["judged_cpu"] - t_start) / n, 1),
                  "peak_rss_mb_when_judged": round(marks["judged_rss_mb"], 1)}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--prompt-chars", type=int, default=300)
    p.add_argument("--response-chars", type=int, default=600)
    p.add_argument("--judge", default="mock:[[A>B]]")
    p.add_argument("--phases", default="run,score,report,headline",
                   help="comma-separated: run, judging, score, score-run, report, headline, leaderboard, "
                        "read-records, read-columns")
    p.add_argument("--leaderboard", action="store_true", help="also time `judgekit leaderboard`")
    p.add_argument("--headline-resamples", type=int, default=200,
                   help="resamples for the headline phase (the leaderboard uses 200)")
    p.add_argument("--workdir", type=Path, default=None, help="keep the data and the run here (default: a temp dir)")
    p.add_argument("--replicate", type=int, default=1, metavar="K",
                   help="score/report/headline/leaderboard on K copies of the run's judgments (see above)")
    p.add_argument("--replicate-data", action="store_true",
                   help="with --replicate: copy the data file K times too (the report reads it to quote examples)")
    p.add_argument("--label", default="", help="a note stored with the figures (e.g. before / after)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pipeline.json")
    args = p.parse_args()
    phases = [s.strip() for s in args.phases.split(",") if s.strip()]
    if args.leaderboard and "leaderboard" not in phases:
        phases.append("leaderboard")

    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    py = sys.executable
    load_start = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="judgekit-pipeline-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = work / f"pairs-{args.pairs}.jsonl"
        if not data.exists():
            t0 = time.perf_counter()
            write_data(data, args.pairs, args.seed, args.prompt_chars, args.response_chars)
            print(f"wrote {data} ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", flush=True)
        results_dir = work / "results"
        run_id = f"bench-{args.pairs}"
        run_dir = results_dir / "runs" / run_id
        n_judgments = 2 * args.pairs
        for phase in phases:
            if phase != "run" and args.replicate > 1 and run_id == f"bench-{args.pairs}":
                results_dir, run_id, run_dir = replicate(run_dir, work, args.replicate,
                                                         data if args.replicate_data else None)
            if phase == "run":
                shutil.rmtree(run_dir, ignore_errors=True)  # a run left in --workdir would be resumed, not judged
                argv = [py, "-m", "judgekit", "run", "--suite", "generic", "--data", str(data), "--judge", args.judge,
                        "--no-cache", "-q", "--results-dir", str(results_dir), "--run-id", run_id]
            elif phase == "judging":
                argv = [py, "-c", JUDGING_SNIPPET, str(data), str(work / "results-judging"), run_id, args.judge]
                shutil.rmtree(work / "results-judging", ignore_errors=True)
            elif phase == "score":
                argv = [py, "-m", "judgekit", "score", str(run_dir)]
            elif phase == "report":
                argv = [py, "-m", "judgekit", "report", str(run_dir), "--out", str(work / "report.html")]
            elif phase == "score-run":
                argv = [py, "-c", SCORE_RUN_SNIPPET, str(run_dir)]
            elif phase == "headline":
                argv = [py, "-c", HEADLINE_SNIPPET, str(run_dir), str(args.headline_resamples)]
            elif phase in ("read-records", "read-columns"):
                argv = [py, "-c", READ_SNIPPET, str(run_dir), phase.split("-")[1]]
            elif phase == "leaderboard":
                argv = [py, "-m", "judgekit", "leaderboard", str(results_dir), "--suite", "generic",
                        "--out", str(work / "leaderboards"), "--format", "md,json"]
            else:
                raise SystemExit(f"unknown phase {phase!r}")
            fig = child(argv, env)
            if phase == "judging":
                fig.update(json.loads(fig["output_tail"].strip().splitlines()[-1]))
            if phase in ("run", "judging"):
                fig["cpu_us_per_judgment"] = round(1e6 * fig["cpu_s"] / n_judgments, 1)
                fig["rss_kb_per_judgment"] = round(1024 * fig["peak_rss_mb"] / n_judgments, 3)
            if phase.startswith("read-") or phase == "score-run":
                fig.update(json.loads(fig["output_tail"].strip().splitlines()[-1]))
            if phase == "headline":
                fig.update(json.loads(fig["output_tail"].strip().splitlines()[-1]))
                fig["resamples"] = args.headline_resamples
                fig["interval_cpu_s_per_resample"] = round(fig["interval_cpu_s"] / max(1, args.headline_resamples), 4)
            results[phase] = fig
            write_doc(args, load_start, results)  # after every phase: a long session keeps what it measured
            extra = (f"  {fig['cpu_us_per_judgment']:.1f} us CPU/judgment" if phase == "run" else
                     f"  {fig['judging_us_per_judgment']:.1f} us CPU/judgment and {fig['peak_rss_mb_when_judged']:.0f}"
                     " MB when judged" if phase == "judging" else
                     f"  interval {fig['interval_cpu_s']:.2f} s CPU ({args.headline_resamples} resamples)"
                     if phase == "headline" else f"  read {fig['read_cpu_s']:.2f} s CPU" if phase.startswith("read-")
                     else "")
            print(f"  {phase:<12} wall {fig['wall_s']:8.2f} s  CPU {fig['cpu_s']:8.2f} s  "
                  f"peak RSS {fig['peak_rss_mb']:8.1f} MB{extra}", flush=True)

    write_doc(args, load_start, results)
    print(f"load average {load_start[0]:.1f} -> {os.getloadavg()[0]:.1f}; wrote {args.out}")


def write_doc(args: argparse.Namespace, load_start: tuple[float, float, float], results: dict[str, Any]) -> None:
    load_end = os.getloadavg()
    doc = {
        "benchmark": "bench/pipeline.py",
        "label": args.label,
        "written_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
                    "python": platform.python_version(), "packages": package_versions(("judgekit", "numpy", "jinja2",
                                                                                       "pydantic"))},
        "load_average": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in load_end]},
        "parameters": {"pairs": args.pairs, "judgments": 2 * args.pairs, "replicate": args.replicate,
                       "replicate_data": args.replicate_data, "judge": args.judge, "seed": args.seed,
                       "prompt_chars": args.prompt_chars, "response_chars": args.response_chars,
                       "headline_resamples": args.headline_resamples},
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
