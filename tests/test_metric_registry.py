"""The metric registry: a metric declared once appears in every output.

The demonstration the refactor issue asks for: a throwaway metric declared in one definition (the
fixture below, and nothing else) shows up, with its value checked against a hand computation from
the stored judgments, in the terminal output of ``judgekit run`` and ``judgekit score``, in
metrics.json, in the leaderboard (markdown, HTML, CSV and JSON) and in the report's HTML; then it is
unregistered, so no other test sees it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.errors import ConfigError
from judgekit.metrics.interval import Score
from judgekit.metrics.registry import (
    Metric,
    MetricInput,
    all_metrics,
    compute_metric,
    metric,
    register,
    unregister,
)
from judgekit.protocols import by_category
from judgekit.types import Judgment
from tests.conftest import output_files

NAME = "picks_b_demo"
LABEL = "picks response B (demo)"


@pytest.fixture
def throwaway_metric() -> Iterator[str]:
    """THE one definition: the share of valid verdicts (example frame) that pick response B,
    overall and per category."""
    @metric(NAME, label=LABEL, higher_is_better=None, per_category=True)
    def picks_b(js: Sequence[Judgment]) -> tuple[int, int]:
        ok = [j for j in js if j.status == "ok" and j.winner != "invalid"]
        return sum(j.winner == "B" for j in ok), len(ok)

    try:
        yield NAME
    finally:
        unregister(NAME)


def _j(ex: str, order: str, winner: str, category: str = "c") -> Judgment:
    return Judgment(request_id=f"{ex}-{order}", example_id=ex, order=order, winner=winner,  # type: ignore[arg-type]
                    shown_winner=winner, status="ok", label="A", category=category, template_hash="t")


def hand_share(rows: list[dict], category: str | None = None) -> float:
    """Percent of valid verdicts that pick B, straight from judgments.jsonl."""
    ok = [r for r in rows if r["status"] == "ok" and r["winner"] != "invalid"
          and (category is None or r["category"] == category)]
    return 100.0 * sum(r["winner"] == "B" for r in ok) / len(ok)


def test_declared_metric_reaches_every_output(throwaway_metric: str, shared_data: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    runner = CliRunner()
    files = [f for f in output_files(shared_data) if "gpt-4o" in f.name][:2]
    run_out = []
    for f in files:
        res = runner.invoke(cli, ["run", "--suite", "judgebench", "--split", "gpt", "--data", str(shared_data),
                                  "--judge", f"replay:{f}", "--results-dir", str(results), "--no-cache"],
                            terminal_width=160)
        assert res.exit_code == 0, res.output
        run_out.append(res.output)
    run_dirs = sorted((results / "runs").iterdir())
    assert len(run_dirs) == 2
    hand: dict[str, float] = {}
    for run_dir in run_dirs:
        rows = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines() if line]
        value = hand_share(rows)
        hand[run_dir.name] = value
        # metrics.json: the value, its interval, and per category
        doc = json.loads((run_dir / "metrics.json").read_text())
        fig = doc["registered"][NAME]
        assert fig["overall"]["value"] == pytest.approx(value, abs=1e-9)
        assert fig["overall"]["ci_low"] < value < fig["overall"]["ci_high"]
        assert fig["overall"]["n"] == sum(r["status"] == "ok" and r["winner"] != "invalid" for r in rows)
        for cat in ("knowledge", "reasoning", "math", "coding"):
            assert fig["categories"][cat]["value"] == pytest.approx(hand_share(rows, cat), abs=1e-9)
        # `judgekit score`: the terminal line
        res = runner.invoke(cli, ["score", str(run_dir)], terminal_width=160)
        assert res.exit_code == 0, res.output
        assert f"{LABEL}" in res.output and f"{value:.2f} [" in res.output.split(LABEL)[1].splitlines()[0]
        assert f"{LABEL}: math" in res.output
    # `judgekit run`: the same line in the run's own output
    for out in run_out:
        line = out.split(LABEL)[1].splitlines()[0]
        assert any(f"{v:.2f} [" in line for v in hand.values()), line

    # the leaderboard: a column in markdown, HTML, CSV and JSON
    lb = tmp_path / "lb"
    res = runner.invoke(cli, ["leaderboard", str(results), "--suite", "judgebench", "--data", str(shared_data),
                              "--format", "md,html,csv,json", "--out", str(lb)])
    assert res.exit_code == 0, res.output
    md = (lb / "judgebench.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| rank"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    assert LABEL in cols
    body = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| rank")]
    shown = sorted(float(row.strip("|").split("|")[cols.index(LABEL)].split()[0]) for row in body)
    assert shown == pytest.approx(sorted(round(v, 2) for v in hand.values()), abs=1e-9)
    html = (lb / "judgebench.html").read_text()
    assert f"<th>{LABEL}</th>" in html
    for v in hand.values():
        assert f"<td>{v:.2f}<span" in html
    csv_header = (lb / "judgebench.csv").read_text().splitlines()[0].split(",")
    assert [NAME, f"{NAME}_ci_low", f"{NAME}_ci_high"] == csv_header[csv_header.index(NAME):csv_header.index(NAME) + 3]
    board = json.loads((lb / "judgebench.json").read_text())
    assert sorted(j[NAME]["value"] for j in board["judges"]) == pytest.approx(
        sorted(round(v, 4) for v in hand.values()), abs=1e-9)

    # the report: a headline row and the per-category table
    report = tmp_path / "report.html"
    res = runner.invoke(cli, ["report", str(run_dirs[0]), "--compare", str(run_dirs[1]), "--out", str(report)])
    assert res.exit_code == 0, res.output
    page = report.read_text()
    row = page.split(f"<td class=\"t\">{LABEL} %</td>")[1].split("</tr>")[0]
    for d in run_dirs:
        assert f"{hand[d.name]:.2f} <span class=ci>[" in row
    assert f"<h3>{LABEL} %</h3>" in page


def test_unregistered_metric_leaves_outputs_as_before(shared_data: Path, tmp_path: Path) -> None:
    """Without the fixture the throwaway metric is nowhere (no session leak), and metrics.json has
    no ``registered`` key: the document is what it was before the registry."""
    assert NAME not in [m.name for m in all_metrics()]
    f = next(f for f in output_files(shared_data) if "gpt-4o" in f.name)
    res = CliRunner().invoke(cli, ["run", "--suite", "judgebench", "--split", "gpt", "--data", str(shared_data),
                                   "--judge", f"replay:{f}", "--results-dir", str(tmp_path), "--no-cache",
                                   "--limit", "20"])
    assert res.exit_code == 0, res.output
    doc = json.loads(next((tmp_path / "runs").glob("*/metrics.json")).read_text())
    assert "registered" not in doc and LABEL not in res.output


def test_share_metric_interval_is_the_example_bootstrap() -> None:
    """A share metric's value is sum(num) / sum(den) in percent, its count and n the sums, and its
    interval the percentile bootstrap over examples: checked against a plain numpy bootstrap that
    resamples example indices (20,000 resamples; Monte Carlo tolerance)."""
    def units(js: Sequence[Judgment]) -> tuple[int, int]:
        return sum(j.winner == "A" for j in js), len(js)

    m = Metric(name="a_share", label="a", higher_is_better=None, compute=units)
    rows = [_j(f"e{i:02d}", o, w) for i in range(30) for o, w in (("AB", "A" if i % 3 else "B"), ("BA", "A" if i % 4 else "tie"))]
    fig = compute_metric(m, rows, MetricInput(n_resamples=4000, seed=3))
    assert fig is not None
    per_ex = np.array([[(i % 3 != 0) + (i % 4 != 0), 2] for i in range(30)], dtype=float)
    assert fig.overall.value == pytest.approx(100 * per_ex[:, 0].sum() / 60)
    assert fig.overall.count == int(per_ex[:, 0].sum()) and fig.overall.n == 60
    idx = np.random.default_rng(12345).integers(0, 30, size=(20000, 30))
    reps = 100 * per_ex[idx, 0].sum(axis=1) / per_ex[idx, 1].sum(axis=1)
    lo, hi = np.percentile(reps, [2.5, 97.5])
    assert fig.overall.ci_low == pytest.approx(lo, abs=1.5) and fig.overall.ci_high == pytest.approx(hi, abs=1.5)
    assert fig.overall.ci_level == 0.95


def test_score_metric_and_applicability() -> None:
    """A ``score`` metric computes its own Score; ``kinds`` and ``suites`` restrict where it runs."""
    def n_rows(rows: Sequence[Judgment], inp: MetricInput) -> Score:
        return Score(value=float(len(rows)), n=len(rows))

    m = Metric(name="rows", label="rows", higher_is_better=None, shape="score", compute=n_rows, per_category=True,
               kinds=("pairwise",), suites=("llmbar",))
    rows = [_j(f"e{i}", "AB", "A", "x" if i < 3 else "y") for i in range(5)]
    fig = compute_metric(m, rows, MetricInput())
    assert fig is not None and fig.overall.value == 5 and fig.categories["x"].value == 3
    assert fig.categories["y"].value == 2
    assert m.applies("pairwise", "llmbar") and not m.applies("pointwise", "llmbar")
    assert not m.applies("pairwise", "judgebench") and m.applies("pairwise", "x", aggregation="llmbar")


def test_a_name_registered_twice_is_an_error_naming_both_places(throwaway_metric: str) -> None:
    with pytest.raises(ConfigError, match=r"picks_b_demo.*registered twice.*test_metric_registry.py"):
        register(Metric(name=NAME, label="x", higher_is_better=None, compute=len, defined_at="elsewhere.py:1"))
    with pytest.raises(ConfigError, match="unknown metric 'no_such_metric'"):
        unregister("no_such_metric")


def test_by_category_combinator() -> None:
    """Categories in the given order first, then the rest sorted; blanks left out unless named;
    overall first or last."""
    items = [("b", 1), ("a", 2), ("", 3), ("c", 4), ("b", 5), (None, 6)]
    total = by_category(lambda xs: sum(x[1] for x in xs), key=lambda x: x[0], order=["c", "z"])
    assert list(total(items).items()) == [("overall", 21), ("c", 4), ("a", 2), ("b", 6)]
    last = by_category(lambda xs: len(xs), key=lambda x: x[0], overall="all", overall_first=False, blank="(none)")
    assert list(last(items).items()) == [("(none)", 2), ("a", 1), ("b", 2), ("c", 1), ("all", 6)]
    grouped: dict[str, list[int]] = defaultdict(list)
    for c, v in items:
        if c:
            grouped[c].append(v)
    assert by_category(lambda xs: [x[1] for x in xs], key=lambda x: x[0], overall=None)(items) == dict(
        sorted(grouped.items()))
