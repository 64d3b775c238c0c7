"""The README's figures of the run's CPU per judgment (issue 10) quote the committed bench JSON."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _section(heading: str = "### The run's CPU per judgment") -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(heading)
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


def test_round3_figures_in_the_readme_are_the_bench_results() -> None:
    """Round 3: the README quotes the committed results (the 10M run, the interleaved runs)."""
    section = _section("### Round 3: under 50 us")
    run = json.loads((ROOT / "bench/results/pipeline-run-10m-round3.json").read_text())["results"]["run"]
    assert run["cpu_us_per_judgment"] < 50
    assert f"**{run['cpu_us_per_judgment']} us of CPU per judgment over 10 million judgments**" in section
    assert f"peak RSS {run['peak_rss_mb']:,.0f} MB" in section and run["peak_rss_mb"] < 2048
    ab = json.loads((ROOT / "bench/results/ab_run-round3-100k.json").read_text())["results"]
    this, base = ab["this"], ab["base"]
    assert this["max_us_per_judgment"] < 50  # every run of the round, not only the median
    assert f"**{this['median_us_per_judgment']} us at 100,000 pairs**" in section
    assert f"({this['min_us_per_judgment']} to {this['max_us_per_judgment']})" in section
    assert f"median {base['median_us_per_judgment']}" in section
    assert f"{base['min_us_per_judgment']} to {base['max_us_per_judgment']}" in section
    ratios = ab["ratio_this_over_base"]
    assert f"**{ratios['median']:.2f}**" in section
    assert f"({min(ratios['per_round']):.2f} to {max(ratios['per_round']):.2f} by round)" in section
    pipe = json.loads((ROOT / "bench/results/pipeline-cpu-round3-100k.json").read_text())["results"]
    assert f"gave {pipe['run']['cpu_us_per_judgment']} us once more" in section
