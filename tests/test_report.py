"""`judgekit report`: one self-contained HTML file, checked as text and in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.runner import run
from judgekit.scoring import rescore
from judgekit.testing.browser import check_page, find_chromium
from judgekit.types import JudgeConfig, RunConfig
from tests.conftest import output_files

SECTIONS = ["Headline metrics", "Per category", "Order effects: swap consistency and position preference",
            "Length bias", "Calibration of soft verdicts", "System rankings", "Invalid verdicts",
            "Disagreements with the gold label"]


@pytest.fixture(scope="module")
def runs(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """o1-mini (GPT-4o pairs), Claude-3-haiku (Claude pairs, with unparseable verdicts), a copy of
    o1-mini's run given soft verdicts, and an AlpacaEval import (system rankings)."""
    root = tmp_path_factory.mktemp("report")
    out: dict[str, Path] = {}
    for path in output_files(shared_data):
        if "o1-mini" in path.name or "claude-3-haiku" in path.name:
            split = "claude" if "claude-3-5-sonnet" in path.name else "gpt"
            res = run(RunConfig(suite="judgebench", split=split, data=str(shared_data), results_dir=str(root),
                                judge=JudgeConfig(backend="replay", model=str(path)), use_cache=False))
            out["haiku" if "haiku" in path.name else "o1"] = res.run_dir
    soft = root / "runs" / "o1-soft"
    shutil.copytree(out["o1"], soft)
    rows = [json.loads(line) for line in (soft / "judgments.jsonl").read_text().splitlines()]
    for i, r in enumerate(rows):  # a made-up but plausible p(A): confident when decisive, 0.5 for a tie
        r["p_a"] = {"A": 0.9 - 0.03 * (i % 7), "B": 0.1 + 0.03 * (i % 5), "tie": 0.5}.get(r["winner"])
        if r["p_a"] is None:
            del r["p_a"]
    (soft / "judgments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = json.loads((soft / "manifest.json").read_text())
    manifest["run_id"] = "o1-soft"
    manifest["judge"]["display_name"] = "o1-mini with p(A)"
    (soft / "manifest.json").write_text(json.dumps(manifest))
    rescore(soft)
    out["soft"] = soft
    items = [{"instruction": f"q{i}", "output_1": "x" * (50 + i), "output_2": "y" * (40 + 3 * i),
              "generator_1": "base", "generator_2": f"model-{i % 3}", "preference": [1, 2, 1.5, 1.8, 1.2][i % 5]}
             for i in range(30)]
    (root / "annotations.json").write_text(json.dumps(items))
    res = CliRunner().invoke(cli, ["import", "alpaca_eval", str(root / "annotations.json"), "--results-dir",
                                   str(root), "--run-id", "alpaca"])
    assert res.exit_code == 0, res.output
    out["alpaca"] = root / "runs" / "alpaca"
    return out


def _report(tmp_path: Path, main: Path, *compare: Path) -> str:
    out = tmp_path / "report.html"
    args = ["report", str(main), "--out", str(out)]
    for c in compare:
        args += ["--compare", str(c)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, (res.output, res.exception)
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_and_complete(runs: dict[str, Path], tmp_path: Path) -> None:
    page = _report(tmp_path, runs["o1"], runs["haiku"], runs["soft"])
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page, section
    # nothing loaded from anywhere: every image is a data URI, no script, no external link or stylesheet
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) == 4  # categories, order effects, length bias, reliability
    assert all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    # headline numbers with their intervals: o1-mini's published 65.71
    assert re.search(r"65\.71 <span class=ci>\[\d+\.\d\d, \d+\.\d\d\]</span>", page)
    # Claude-3-haiku's unparseable verdicts are listed with their raw text
    m = re.search(r"claude-3-haiku-20240307 \(claude\): (\d+) invalid or failed of 540", page)
    assert m and int(m.group(1)) > 0
    assert "<details><summary>" in page
    # sampled disagreements show the prompt and both responses (the data is read from --data)
    assert "<b>response A</b>" in page and "gold <b>" in page
    assert "ECE" in page  # the soft-verdict run has a reliability diagram
    # the same report twice is the same file
    assert _report(tmp_path / "again", runs["o1"], runs["haiku"], runs["soft"]) == page


# matplotlib once turned a (2, 1) error-bar array into scalars, which NumPy deprecates: no warning may escape
@pytest.mark.filterwarnings("error::DeprecationWarning")
def test_report_rankings_for_a_win_rate_run(runs: dict[str, Path], tmp_path: Path) -> None:
    page = _report(tmp_path, runs["alpaca"])
    assert "<h3>weighted" not in page
    for model in ("model-0", "model-1", "model-2"):
        assert f"<td class=\"t\">{model}</td>" in page
    assert "This suite ranks no systems" not in page
    assert "No disagreement with a gold label" in page


def test_report_without_plot_extra(runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    res = CliRunner().invoke(cli, ["report", str(runs["o1"]), "--out", str(tmp_path / "r.html")])
    assert res.exit_code != 0
    assert "pip install 'judgekit-harness[plot]'" in str(res.exception)


def test_report_in_headless_chromium(runs: dict[str, Path], tmp_path: Path) -> None:
    """The page renders in a real browser with no console error, no failed or network load and every
    plot drawn; a full-page screenshot is taken."""
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine: `apt-get install -y chromium` (as root; .ci/run does it) or set "
                    "$JUDGEKIT_CHROMIUM to a Chromium or Chrome binary")
    page = _report(tmp_path, runs["o1"], runs["haiku"], runs["soft"])
    shot = tmp_path / "report.png"
    check = check_page(tmp_path / "report.html", shot)
    assert check.problems == []
    assert check.images == page.count("<img ") == 4 and check.broken_images == 0
    assert check.title.startswith("judgekit report: judgebench")
    assert [h for h in check.headings[1:]] == SECTIONS
    assert check.body_text_length > 2000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert check.screenshot_size[0] >= 1000 and check.screenshot_size[1] > 2000
