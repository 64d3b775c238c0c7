from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.cli import cli
from judgekit.errors import DataError, RunStateError
from judgekit.store import RunStore, read_judgments
from judgekit.types import Judgment
from tests.conftest import output_files


def _row(rid: str, status: str = "ok") -> Judgment:
    return Judgment(request_id=rid, example_id=rid.split("#")[0], order="AB", status=status,
                    shown_winner="A", winner="A", template_hash="h")


def test_latest_row_wins_and_compaction(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.append(_row("a#AB", "error"))
    store.append(_row("b#AB"))
    store.append(_row("a#AB"))
    store.close()
    rows = store.load()
    assert [r.status for r in rows.values()] == ["ok", "ok"]
    assert len(store.judgments_path.read_text().splitlines()) == 2


def test_torn_last_line_is_dropped_but_a_bad_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    good = _row("a#AB").model_dump_json()
    path.write_text(good + "\n" + '{"request_id": "b#A')
    assert list(read_judgments(path)) == ["a#AB"]
    path.write_text('{"request_id": "b#A\n' + good + "\n")
    with pytest.raises(DataError, match=f"{path}:1"):
        read_judgments(path)


def test_run_folder_of_another_configuration_is_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    store.open_run({"fingerprint": "one", "created_at": "t"})
    with pytest.raises(RunStateError, match="different configuration"):
        store.open_run({"fingerprint": "two", "created_at": "t"})


def test_score_recomputes_the_stored_metrics(shared_data: Path, tmp_path: Path) -> None:
    path = next(p for p in output_files(shared_data) if "internlm2-7b" in p.name)
    runner = CliRunner()
    out = runner.invoke(cli, ["run", "--suite", "judgebench", "--judge", f"replay:{path}", "--data",
                              str(shared_data), "--results-dir", str(tmp_path), "-q"])
    assert out.exit_code == 0, out.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    before = json.loads((run_dir / "metrics.json").read_text())
    (run_dir / "metrics.json").unlink()
    out = runner.invoke(cli, ["score", str(run_dir)])
    assert out.exit_code == 0, out.output
    assert json.loads((run_dir / "metrics.json").read_text()) == before
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key in ("fingerprint", "template", "data", "versions", "git_commit", "config", "sampling"):
        assert key in manifest
    # a reward model's recorded scores: no judge prompt was used, so the run records no template
    assert manifest["data"]["sha256"] and manifest["template"]["hash"] is None
