"""The completion cache under concurrent writers: throughput and the longest wait for SQLite's lock.

A benchmark, not a test. ``--writers`` processes each put ``--n`` completions (distinct keys) into
one shared cache file as fast as they can, the way concurrent runs share the default cache, and
we record per process: puts/s, the median and the longest single put (the longest is the time a
writer waited for another's transaction). Then one process reads every key back (gets/s).

Each put is its own short transaction (WAL, synchronous=NORMAL), so the longest wait stays in
milliseconds; before issue 10 a put could wait for up to 64 puts of another run (its write
transaction stayed open across them, and across slow requests), which is what killed a second
run with ``database is locked`` after SQLite's 5 s timeout.

    .venv/bin/python bench/cache.py                       # defaults: --n 5000 --writers 1,2,4
    .venv/bin/python bench/cache.py --out /tmp/cache.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model, package_versions  # noqa: E402

from judgekit.cache import CompletionCache  # noqa: E402
from judgekit.types import Completion  # noqa: E402


def _writer(path: str, wid: int, n: int, start: mp.synchronize.Event, out: mp.Queue) -> None:  # type: ignore[name-defined]
    cache = CompletionCache(path)
    completion = Completion(request_id="r", text="My final verdict is [[A>B]]. " * 20, prompt_tokens=900,
                            completion_tokens=40, latency_s=0.5)
    start.wait()
    waits = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        cache.put(f"{wid}-{i:08d}", completion)
        waits.append(time.perf_counter() - s)
    wall = time.perf_counter() - t0
    cache.close()
    out.put({"writer": wid, "puts_per_s": n / wall, "put_median_ms": 1000 * statistics.median(waits),
             "put_max_ms": 1000 * max(waits), "failures": cache.failures})


def measure(writers: int, n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "cache.sqlite")
        CompletionCache(path).close()
        ctx = mp.get_context("spawn")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(path, w, n, start, out)) for w in range(writers)]
        for p in procs:
            p.start()
        time.sleep(1.0)  # let every writer import and open the cache
        start.set()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        cache = CompletionCache(path)
        t0 = time.perf_counter()
        hits = sum(cache.get(f"{w}-{i:08d}") is not None for w in range(writers) for i in range(n))
        gets_per_s = writers * n / (time.perf_counter() - t0)
        cache.close()
    return {"writers": writers, "n_per_writer": n, "per_writer": sorted(results, key=lambda r: r["writer"]),
            "total_puts_per_s": sum(r["puts_per_s"] for r in results),  # type: ignore[misc]
            "worst_put_ms": max(r["put_max_ms"] for r in results),  # type: ignore[type-var]
            "all_found": hits == writers * n, "gets_per_s": gets_per_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="puts per writer")
    ap.add_argument("--writers", default="1,2,4", help="comma-separated numbers of concurrent writer processes")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "cache.json"))
    args = ap.parse_args()
    runs = []
    for w in (int(x) for x in args.writers.split(",")):
        r = measure(w, args.n)
        runs.append(r)
        print(f"{w} writer(s) x {args.n} puts: {r['total_puts_per_s']:.0f} puts/s in all, longest put "
              f"{r['worst_put_ms']:.1f} ms, reads {r['gets_per_s']:.0f} gets/s, every key found: {r['all_found']}")
    doc = {"benchmark": "cache", "runs": runs, "machine": {"cpu": cpu_model(), "python": platform.python_version(),
                                                           "platform": platform.platform()},
           "versions": package_versions(["judgekit", "pydantic"]), "sqlite": __import__("sqlite3").sqlite_version}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
