"""The README's figures for issue 10's CPU target are the committed bench results' figures
(bench/results/*round3*.json), not numbers typed in by hand."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### Round 3: under 50 us")
    return text[start:text.index("\n### ", start + 1)]


def test_round3_figures_in_the_readme_are_the_bench_results() -> None:
    section = _readme_section()
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
