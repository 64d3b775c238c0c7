"""AlpacaEval's two LC inputs (instruction difficulty, the length-gamed baselines' annotations): a file
the user gives, else the hub (its local cache first, then a download), else estimated and said so.
The hub is not reachable here: it is stood in for by a local hub cache built from the shared data
(HF_HUB_OFFLINE) and by a patched download function."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from judgekit.aggregations import aggregate
from judgekit.cli import cli
from judgekit.rankings import lc_inputs
from judgekit.store import read_judgments

hf = pytest.importorskip("huggingface_hub")
hfc = pytest.importorskip("huggingface_hub.constants")

REAL_HUB_FILES = lc_inputs.hub_files  # conftest replaces it for every other test (no hub in tests)
SYSTEMS = ["alpaca-7b", "gemma-7b-it", "phi-2-sft", "falcon-7b-instruct"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _stand_in_files(shared: Path, folder: Path) -> dict[str, Path]:
    """instruction_difficulty.csv (a seeded difficulty per instruction) and df_gamed.csv (the recorded
    annotations of gpt-3.5-turbo-1106's verbose and concise variants, as AlpacaEval's gamed baselines
    are GPT-4's), in AlpacaEval's columns."""
    res = shared / "alpaca_eval" / "results"
    base = json.loads((res / "gpt4_1106_preview" / "model_outputs.json").read_text())
    position = {r["instruction"]: k for k, r in enumerate(base)}
    folder.mkdir(parents=True, exist_ok=True)
    diff = folder / "instruction_difficulty.csv"
    rng = np.random.default_rng(5)
    diff.write_text("index,instruction_difficulty\n" + "".join(f"{k},{rng.normal(-2.0, 1.0):.6f}\n"
                                                                  for k in range(len(base))))
    rows = []
    for name in ("gpt-3.5-turbo-1106_verbose", "gpt-3.5-turbo-1106_concise"):
        ann = json.loads((res / name / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json").read_text())
        ann = [a for a in ann if a.get("preference") is not None]
        delta = np.array([len(a["output_1"]) - len(a["output_2"]) for a in ann], dtype=float)
        sd = delta.std(ddof=1)
        rows += [(position[a["instruction"]], float(a["preference"]) - 1.0, d / sd) for a, d in zip(ann, delta, strict=True)]
    gamed = folder / "df_gamed.csv"
    with open(gamed, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "preference", "std_delta_len"])
        w.writerows(rows)
    return {"instruction_difficulty": diff, "gamed_annotations": gamed}


def _hub_cache(cache: Path, files: dict[str, Path]) -> None:
    """A Hugging Face hub cache holding both files of tatsu-lab/alpaca_eval at revision main."""
    repo = cache / "datasets--tatsu-lab--alpaca_eval"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    snap = repo / "snapshots" / COMMIT
    snap.mkdir(parents=True)
    for key, name in lc_inputs.HUB_FILES.items():
        (snap / name).write_bytes(files[key].read_bytes())


def _run(shared: Path, results: Path, *extra: str) -> tuple[str, dict]:
    res = shared / "alpaca_eval" / "results"
    out = CliRunner().invoke(cli, ["run", "--suite", "alpaca_eval", *sum((["--systems", str(res / s)] for s in SYSTEMS), []),
                                   "--judge", f"replay:{res}", "--results-dir", str(results), "-q", *extra],
                             env={"COLUMNS": "200"})
    assert out.exit_code == 0, (out.output, out.exception)
    [metrics] = list((results / "runs").glob("*/metrics.json"))
    return out.output, json.loads(metrics.read_text())


def test_hub_cache_offline_gives_the_inputs_and_the_run_records_them(shared_data: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    files = _stand_in_files(shared_data, tmp_path / "files")
    _hub_cache(tmp_path / "hub", files)
    monkeypatch.setattr(hfc, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hfc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(lc_inputs, "_reachable", lambda host, timeout: pytest.fail("the cache should answer"))
    monkeypatch.setattr(lc_inputs, "hub_files", REAL_HUB_FILES)
    output, doc = _run(shared_data, tmp_path / "r")
    notes = doc["suite_report"]["notes"]
    assert any(n.startswith("instruction difficulty read from ") and "from the local hub cache of "
               "tatsu-lab/alpaca_eval at revision main" in n for n in notes), notes
    assert any(n.startswith("regularised towards the gamed baselines") and "local hub cache" in n for n in notes)
    assert not any("ESTIMATED" in n for n in notes)
    assert "local hub cache" in output
    # the same numbers as the files given by hand (the aggregation's own path, checked against AlpacaEval's code)
    [run] = list((tmp_path / "r" / "runs").iterdir())
    rows = list(read_judgments(run / "judgments.jsonl").values())
    by_hand = aggregate("alpaca_eval", rows, {k: str(v) for k, v in files.items()})
    got = doc["suite_report"]["tables"][0]["rows"]
    for s in SYSTEMS:
        assert got[s]["lc_win_rate"]["value"] == pytest.approx(by_hand.tables[0].rows[s]["lc_win_rate"].value, abs=1e-9)
    manifest = json.loads((run / "manifest.json").read_text())
    args = manifest["aggregation"]["args"]
    assert Path(args["instruction_difficulty"]).read_text() == files["instruction_difficulty"].read_text()
    # the leaderboard regenerates the run from the recorded files, offline, and does not call it mismatched
    out = CliRunner().invoke(cli, ["leaderboard", str(tmp_path / "r"), "--suite", "alpaca_eval", "--format", "json",
                                   "--out", str(tmp_path / "lb")])
    assert out.exit_code == 0, (out.output, out.exception)
    board = {r["model"]: r for r in json.loads((tmp_path / "lb" / "alpaca_eval.json").read_text())["models"]}
    for s in SYSTEMS:
        assert board[s]["lc_win_rate"]["value"] == pytest.approx(got[s]["lc_win_rate"]["value"], abs=5e-5)


def test_a_given_file_wins_over_the_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lc_inputs, "hub_files", lambda revision: pytest.fail("the hub should not be asked"))
    args = {"instruction_difficulty": "mine.csv", "gamed_annotations": "gamed.csv"}
    assert lc_inputs.with_hub_inputs(args, "main") == args
    # one file given: the hub supplies only the other
    monkeypatch.setattr(lc_inputs, "hub_files", lambda revision: ({"instruction_difficulty": "hub-d.csv",
                                                                   "gamed_annotations": "hub-g.csv"}, "the hub"))
    got = lc_inputs.with_hub_inputs({"instruction_difficulty": "mine.csv"}, "main")
    assert got == {"instruction_difficulty": "mine.csv", "gamed_annotations": "hub-g.csv",
                   "lc_inputs_from": {"gamed_annotations": "the hub"}}


def test_download_when_the_hub_answers(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _stand_in_files(shared_data, tmp_path / "files")
    calls = []

    def download(repo_id: str, filename: str, *, repo_type: str, revision: str, etag_timeout: float) -> str:
        calls.append((repo_id, filename, repo_type, revision))
        key = next(k for k, n in lc_inputs.HUB_FILES.items() if n == filename)
        return str(files[key])

    monkeypatch.setattr(hfc, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(hfc, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(lc_inputs, "_reachable", lambda host, timeout: None)
    monkeypatch.setattr(hf, "hf_hub_download", download)
    paths, source = REAL_HUB_FILES("abc123")
    assert paths == {k: str(v) for k, v in files.items()}
    assert source == "the hub (tatsu-lab/alpaca_eval at revision abc123)"
    assert calls == [("tatsu-lab/alpaca_eval", "instruction_difficulty.csv", "dataset", "abc123"),
                     ("tatsu-lab/alpaca_eval", "df_gamed.csv", "dataset", "abc123")]


def test_fallbacks_say_why_the_hub_was_not_used(tmp_path: Path, shared_data: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hfc, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(hfc, "HF_HUB_OFFLINE", True)
    assert REAL_HUB_FILES("main") == ({}, "HF_HUB_OFFLINE is set and tatsu-lab/alpaca_eval's files are not "
                                               "in the local hub cache")
    monkeypatch.setattr(hfc, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(lc_inputs, "_reachable", lambda host, timeout: f"the hub ({host}) is not reachable: test")
    assert REAL_HUB_FILES("main") == ({}, "the hub (huggingface.co) is not reachable: test")

    def broken(*a: object, **k: object) -> str:
        raise OSError("connection reset")

    monkeypatch.setattr(lc_inputs, "_reachable", lambda host, timeout: None)
    monkeypatch.setattr(hf, "hf_hub_download", broken)
    assert REAL_HUB_FILES("main") == ({}, "downloading from the hub failed: OSError: connection reset")
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "huggingface_hub", None)
        assert REAL_HUB_FILES("main") == ({}, "huggingface_hub is not installed (pip install "
                                                   "'judgekit-harness[hub]')")
    # end to end: estimated, and the output says so and why
    monkeypatch.setattr(lc_inputs, "_reachable", lambda host, timeout: f"the hub ({host}) is not reachable: test")
    monkeypatch.setattr(lc_inputs, "hub_files", REAL_HUB_FILES)
    output, doc = _run(shared_data, tmp_path / "r")
    notes = doc["suite_report"]["notes"]
    assert any(n.startswith("length-controlled win rate: ESTIMATED") and n.endswith(
        "(the hub was not used: the hub (huggingface.co) is not reachable: test)") for n in notes), notes
    assert any("length_controlled_noreg (the hub was not used" in n for n in notes)
    assert "the hub was not used" in output
