"""Discovery of stored runs (judgekit/stored_runs.py) and the manifest's building helpers, directly:
which folders are a suite's runs, in which order, and the errors that name the bad file."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from judgekit.errors import ConfigError, DataError
from judgekit.manifest_build import sha, slug
from judgekit.stored_runs import discover_runs, runs_folder

FIXTURES = Path(__file__).parent / "data" / "manifests_v0"


def _run(root: Path, folder: str, fixture: str, **changes: object) -> Path:
    d = root / "runs" / folder
    d.mkdir(parents=True)
    doc = json.loads((FIXTURES / fixture).read_text())
    doc.update(changes)
    (d / "manifest.json").write_text(json.dumps(doc))
    return d


def test_a_suites_runs_sorted_imports_included_probes_left_out(tmp_path: Path) -> None:
    _run(tmp_path, "b-judgebench", "judgebench_replay.json")
    _run(tmp_path, "a-judgebench", "judgebench_replay.json", run_id="a-run")
    _run(tmp_path, "c-import", "pandalm_import.json",
         suite={"name": "import:judgebench", "path": None, "split": "gpt"})
    _run(tmp_path, "d-probe", "judgebench_replay.json",
         probe={"name": "position", "version": 1, "seed": 0, "statistic": "flip", "baseline_run": "a-run"})
    _run(tmp_path, "e-other", "generic_pointwise.json")
    (tmp_path / "runs" / "f-empty").mkdir()  # no manifest: not a run
    runs = discover_runs(tmp_path, "judgebench")
    assert [r.run_dir.name for r in runs] == ["a-judgebench", "b-judgebench", "c-import"]
    assert runs[0].run_id == "a-run" and runs[1].run_id == "judgebench-gpt-o1-mini-2024-09-12-7cb8af43"
    assert [r.run_dir.name for r in discover_runs(tmp_path, "generic")] == ["e-other"]
    assert discover_runs(tmp_path, "llmbar") == []
    # a folder of run folders (no runs/ level) is read the same way
    assert [r.run_dir.name for r in discover_runs(tmp_path / "runs", "generic")] == ["e-other"]


def test_bad_manifests_and_folders_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "runs" / "x"
    bad.mkdir(parents=True)
    (bad / "manifest.json").write_text('{"suite": {"name": "judgebench"},\n oops}')
    with pytest.raises(DataError, match=r"runs/x/manifest\.json:2: invalid JSON"):
        discover_runs(tmp_path, "judgebench")
    (bad / "manifest.json").write_text("[1, 2]")
    with pytest.raises(DataError, match="expected a JSON object"):
        discover_runs(tmp_path, "judgebench")
    shutil.rmtree(bad)
    _run(tmp_path, "y", "judgebench_replay.json", unknown_field=1)
    with pytest.raises(DataError, match="unknown_field"):
        discover_runs(tmp_path, "judgebench")
    with pytest.raises(ConfigError, match="no such results folder"):
        runs_folder(tmp_path / "missing")


def test_slug_and_sha() -> None:
    assert slug("replay:/data/o1-mini 2024/09.jsonl") == "replay_data_o1-mini_2024_09.jsonl"
    assert slug("///") == "judge" and len(slug("x" * 100)) == 60
    # sha of the canonical JSON: key order does not matter, content does
    assert sha({"a": 1, "b": [1, 2]}) == sha({"b": [1, 2], "a": 1}) != sha({"a": 1, "b": [2, 1]})
    # the canonical form written by hand: sorted keys, no spaces, UTF-8 (not \u escapes)
    assert sha({"b": "é", "a": [1, None]}) == hashlib.sha256('{"a":[1,null],"b":"é"}'.encode()).hexdigest()
