"""The typed run manifest: manifests written before it existed still load, unknown fields are errors
naming the file and field, and the runner and the importers write the same shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from judgekit import JudgeConfig, RunConfig, run
from judgekit.errors import DataError
from judgekit.importers import ImportOptions, import_run
from judgekit.manifest import (
    SCHEMA_VERSION,
    RunManifest,
    data_identity,
    discover_runs,
    parse_manifest,
    read_manifest,
)
from judgekit.suites import headline_policy, load_suite

OLD = Path(__file__).parent / "data" / "manifests_v0"  # written by judgekit at commit 539811f


@pytest.mark.parametrize("name", ["judgebench_replay", "pandalm_import", "generic_pointwise"])
def test_manifests_written_before_the_schema_load(name: str) -> None:
    raw = json.loads((OLD / f"{name}.json").read_text())
    assert "schema_version" not in raw
    m = parse_manifest(raw, name)
    assert m.schema_version == 1 == SCHEMA_VERSION
    assert m.run_id == raw["run_id"] and m.suite.name == raw["suite"]["name"]
    assert m.protocol.headline_policy == raw["protocol"]["headline_policy"]
    # written back, it is the same document plus its schema version
    assert m.to_json() == {"schema_version": 1, **raw}


def test_old_manifest_fields_read_as_typed_values() -> None:
    replay = parse_manifest(json.loads((OLD / "judgebench_replay.json").read_text()), "x")
    assert (replay.kind, replay.split, replay.imported, replay.template.parser_version) == ("pairwise", "gpt", None, 1)
    assert replay.aggregation is None  # JudgeBench has no separate published aggregation: the pairwise report
    assert replay.date == "-"  # replayed judgments were made elsewhere, on a day the file does not record
    imported = parse_manifest(json.loads((OLD / "pandalm_import.json").read_text()), "x")
    assert imported.imported == "pandalm" and imported.template.verdict is None
    assert imported.run_data() == imported.data["suite_data"]
    assert data_identity(imported.run_data()) == {"no_majority": 0, "sha256": imported.data["suite_data"]["sha256"],
                                                  "source": "file"}
    point = parse_manifest(json.loads((OLD / "generic_pointwise.json").read_text()), "x")
    assert point.kind == "pointwise" and point.aggregation is not None
    assert point.date == point.created_at[:10]  # type: ignore[index]  # a run judgekit made: its own day
    assert imported.date == "-"


def test_unknown_field_and_bad_value_name_file_and_field(tmp_path: Path) -> None:
    raw = json.loads((OLD / "judgebench_replay.json").read_text())
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(json.dumps({**raw, "colour": "red"}))
    with pytest.raises(DataError, match=r"manifest.json.*colour"):
        read_manifest(run_dir)
    (run_dir / "manifest.json").write_text(json.dumps({**raw, "protocol": {**raw["protocol"], "swap": "often"}}))
    with pytest.raises(DataError, match=r"protocol\.swap"):
        read_manifest(run_dir)
    (run_dir / "manifest.json").write_text(json.dumps({**raw, "schema_version": 99}))
    with pytest.raises(DataError, match="schema_version 99"):
        read_manifest(run_dir)
    (run_dir / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="invalid JSON"):
        read_manifest(run_dir)
    assert read_manifest(tmp_path / "nowhere") is None


def test_runner_and_importer_write_typed_manifests(shared_data: Path, tmp_path: Path) -> None:
    res = run(RunConfig(suite="evalbiasbench", data=str(shared_data), results_dir=str(tmp_path), limit=3,
                        judge=JudgeConfig(backend="mock", model="Output (a)")))
    own = json.loads((res.run_dir / "manifest.json").read_text())
    assert own["schema_version"] == SCHEMA_VERSION
    m = RunManifest.model_validate(own)
    assert m.timing is not None and m.timing.requests_sent == res.n_sent == 6  # added by the store, typed
    assert m.template.verdict == "generate" and m.protocol.headline_policy == headline_policy(load_suite("evalbiasbench"))
    run_dir = import_run("pandalm", [str(shared_data / "pandalm" / "pandalm-7b-testset-v1.json")],
                         ImportOptions(data=str(shared_data), results_dir=str(tmp_path)))
    imp = read_manifest(run_dir)
    assert imp is not None and imp.imported == "pandalm" and imp.protocol.headline_policy == "tie"
    found = discover_runs(tmp_path, "pandalm")
    assert [r.run_id for r in found] == [run_dir.name] and found[0].manifest == imp


def test_headline_policy_is_one_function_of_the_suite() -> None:
    assert headline_policy(None) == "judgebench"
    assert headline_policy(load_suite("pandalm")) == load_suite("pandalm").protocol.headline_policy == "tie"


def test_reading_runs_imports_no_backend_cache_or_runner() -> None:
    code = ("import sys, judgekit.cli, judgekit.views.leaderboard, judgekit.views.leaderboard_render, judgekit.views.report, judgekit.views.validate, judgekit.scoring, "
            "judgekit.importers.base; bad = sorted(m for m in sys.modules if m.startswith(('judgekit.backends', "
            "'judgekit.cache', 'judgekit.runner'))); print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
