"""Throughput of one judge behind one endpoint vs three: does judgekit's balancing use them all?

A benchmark, not a test. It starts three loopback OpenAI-compatible servers
(``python -m judgekit.testing.fake_openai``, each its own process), each answering every
request after ``--latency`` seconds (default 0.02) with at most ``--capacity`` requests
worked on at once (default 2; the rest wait, as a GPU server's batch is bounded), so one
server answers at most capacity / latency requests per second. The whole judging pipeline
(``runner.execute``: cache, HTTP, parsing, judgments.jsonl, metrics) then judges the same
synthetic JudgeBench-format file of ``--n`` requests with ``--concurrency`` in flight, with
one ``--base-url`` and with all three, ``--repeats`` times each (alternating, fresh results
folder and cache each time). It reports requests per second, the ratio three / one (target:
within 10 % of 3, i.e. at least 2.7), and how the three-endpoint runs spread their requests.

    .venv/bin/python bench/endpoints.py                    # --n 3000 --repeats 3 (about 1.5 min)
    .venv/bin/python bench/endpoints.py --latency 0.02 --capacity 2 --concurrency 64 --out PATH
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _machine import cpu_model, package_versions  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
MODEL = "judge-model"


def start_server(latency: float, capacity: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "judgekit.testing.fake_openai", "--port", "0", "--text", "[[A>B]]",
         "--delay", str(latency), "--capacity", str(capacity), "--model", MODEL],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise SystemExit(f"fake server did not print its port (got {line!r})")
    return proc, int(line)


def write_pairs(path: Path, n_requests: int) -> None:
    with open(path, "w") as f:
        for i in range(n_requests // 2):  # both orders: two requests per pair
            f.write(json.dumps({"pair_id": f"p{i}", "original_id": i, "source": "livebench-math",
                                "question": f"Question {i}: which answer is right?", "response_model": "m",
                                "response_A": f"answer A {i} " * 20, "response_B": f"answer B {i} " * 20,
                                "label": "A>B"}) + "\n")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def one_run(urls: list[str], data: Path, workdir: Path, concurrency: int, tag: str,
            server_pids: list[int]) -> dict[str, Any]:
    from judgekit import runner
    from judgekit.progress import NullProgress
    from judgekit.types import JudgeConfig, RunConfig

    config = RunConfig(suite="judgebench", data=str(data), results_dir=str(workdir / f"results-{tag}"),
                       cache=str(workdir / f"cache-{tag}.sqlite"), concurrency=concurrency,
                       judge=JudgeConfig(backend="openai", model=MODEL,
                                         options={"base_url": urls if len(urls) > 1 else urls[0]}))
    prepared = runner.prepare(config)
    servers_before = sum(proc_cpu_s(pid) for pid in server_pids)
    cpu_before = time.process_time()
    start = time.perf_counter()
    result = asyncio.run(runner.execute(prepared, NullProgress()))
    wall = time.perf_counter() - start
    client_cpu = time.process_time() - cpu_before
    server_cpu = sum(proc_cpu_s(pid) for pid in server_pids) - servers_before
    if result.n_failed or result.n_sent != len(prepared.requests):
        raise SystemExit(f"{tag}: {result.n_failed} failed, {result.n_sent} sent of {len(prepared.requests)}")
    stats = result.extra.get("backend_stats", {}).get("endpoints", [])
    return {"wall_s": round(wall, 3), "requests_per_s": round(result.n_sent / wall, 1),
            # CPU the run needed per wall second (client + servers): near the CPUs this process
            # actually got, the machine, not the balancing, bounds the throughput
            "client_cpu_ms_per_request": round(1000 * client_cpu / result.n_sent, 3),
            "servers_cpu_ms_per_request": round(1000 * server_cpu / result.n_sent, 3),
            "cpu_s_per_wall_s": round((client_cpu + server_cpu) / wall, 3),
            "per_endpoint_sent": [e["sent"] for e in stats],
            "per_endpoint_p50_ms": [None if e["latency_s"]["p50"] is None else round(1000 * e["latency_s"]["p50"], 1)
                                    for e in stats]}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=3000, help="requests per run (default 3000)")
    p.add_argument("--latency", type=float, default=0.02, help="seconds per request at the server (0.02)")
    p.add_argument("--capacity", type=int, default=2, help="requests one server works on at once (2)")
    p.add_argument("--concurrency", type=int, default=64, help="requests in flight from judgekit (64)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "endpoints.json")
    args = p.parse_args(argv)

    servers = [start_server(args.latency, args.capacity) for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}/v1" for _, port in servers]
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"one": [], "three": []}
    try:
        with tempfile.TemporaryDirectory(prefix="judgekit-bench-endpoints-") as tmp:
            work = Path(tmp)
            data = work / "pairs.jsonl"
            write_pairs(data, args.n)
            pids = [proc.pid for proc, _ in servers]
            one_run(urls, data, work, args.concurrency, "warmup", pids)  # imports, connections, page cache
            for rep in range(args.repeats):
                order = ("one", "three") if rep % 2 == 0 else ("three", "one")
                for name in order:
                    chosen = urls[:1] if name == "one" else urls
                    res = one_run(chosen, data, work, args.concurrency, f"{name}-{rep}", pids)
                    runs[name].append(res)
                    print(f"  {name:5s} endpoint(s), repeat {rep + 1}: {res['requests_per_s']:8.1f} requests/s "
                          f"({res['wall_s']:.2f} s; sent per endpoint {res['per_endpoint_sent']}; CPU ms/request client "
                          f"{res['client_cpu_ms_per_request']:.2f} servers {res['servers_cpu_ms_per_request']:.2f}, "
                          f"{res['cpu_s_per_wall_s']:.2f} CPU-s per s)", flush=True)
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(10)

    med = {k: statistics.median(r["requests_per_s"] for r in v) for k, v in runs.items()}
    ratio = med["three"] / med["one"]
    ceiling = args.capacity / args.latency
    print(f"\none endpoint:    {med['one']:8.1f} requests/s (median; the server's ceiling is {ceiling:.0f})")
    print(f"three endpoints: {med['three']:8.1f} requests/s (median; ceiling {3 * ceiling:.0f})")
    print(f"load average (1 min) before / after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"three / one:     {ratio:8.3f}  (target >= 2.70, within 10 % of 3){'' if ratio >= 2.7 else '  MISSED'}")
    doc = {
        "benchmark": "endpoints", "started_utc": started,
        "machine": {"platform": platform.platform(), "cpu_model": cpu_model() or platform.processor() or None,
                    "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                    # other work on the machine: 1-minute load average before and after (a shared box)
                    "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                    "packages": package_versions(("judgekit", "aiohttp"))},
        "parameters": vars(args) | {"out": str(args.out)},
        "results": {"one": {"requests_per_s_median": round(med["one"], 1), "runs": runs["one"]},
                    "three": {"requests_per_s_median": round(med["three"], 1), "runs": runs["three"]},
                    "three_over_one": round(ratio, 3), "server_ceiling_requests_per_s": ceiling,
                    "target_met": ratio >= 2.7},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
