"""The README's table of the run's CPU per judgment (issue 10) quotes the committed bench JSON."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### The run's CPU per judgment")
    return text[start:text.index("\n### ", start + 10)]


def test_readme_table_quotes_the_bench_results() -> None:
    section = _section()
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:6]]
            for line in section.splitlines() if line.startswith("| ") and not line.startswith("| 100,000")}
    for col, name in enumerate(("before-100k", "after-100k", "before-100k-round2", "after-100k-round2")):
        doc = json.loads((ROOT / "bench" / "results" / f"pipeline-cpu-{name}.json").read_text())
        run, judging = doc["results"]["run"], doc["results"]["judging"]
        assert run["cpu_s"] > 0 and judging["judgments"] == 200_000
        assert rows["`judgekit run`, CPU"][col].startswith(f"{run['cpu_s']:.2f} s ({run['cpu_us_per_judgment']:.1f} us")
        assert rows["`judgekit run`, peak RSS"][col] == f"{run['peak_rss_mb']:.0f} MB"
        assert rows["in one process: import"][col] == f"{judging['import_cpu_s']:.2f} s"
        assert rows["prepare (the check pass over the data)"][col] == f"{judging['prepare_cpu_s']:.2f} s"
        loop_us = 1e6 * judging["judging_cpu_s"] / judging["judgments"]
        assert rows["judging loop"][col] == f"{judging['judging_cpu_s']:.2f} s ({loop_us:.0f} us)"
        assert rows["end-of-run scoring"][col] == f"{judging['end_scoring_cpu_s']:.2f} s"
        assert rows["peak RSS when judging ends"][col] == f"{judging['peak_rss_mb_when_judged']:.1f} MB"
