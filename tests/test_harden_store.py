"""Issue 10: the results store under hostile conditions: torn multi-byte lines, corrupt middle lines
(repair), a full disk during compaction, run ids that are paths, and two processes on one run folder."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit import store as store_mod
from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError, JudgekitError, RunStateError
from judgekit.store import RunStore, check_run_id, read_judgments, repair_judgments
from judgekit.types import Judgment


def _row(rid: str, status: str = "ok", raw: str | None = None) -> Judgment:
    return Judgment(request_id=rid, example_id=rid.split("#")[0], order="AB", status=status,
                    shown_winner="A", winner="A", template_hash="h", raw=raw)


def _line(j: Judgment) -> bytes:
    return (j.model_dump_json(exclude_none=True) + "\n").encode()


# ------------------------------------------------------------------------------------------ item 4


def test_torn_multibyte_last_line_is_dropped_like_a_torn_ascii_line(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    whole = _line(_row("b#AB", raw="verdict: é 判"))
    torn = whole[: whole.index("判".encode()) + 1]  # cut inside the 3-byte character
    path.write_bytes(_line(_row("a#AB")) + torn)
    with pytest.raises(UnicodeDecodeError):
        torn.decode("utf-8")
    assert list(read_judgments(path)) == ["a#AB"]
    store = RunStore(tmp_path)
    assert list(store.load()) == ["a#AB"]  # the resume path compacts it away
    assert path.read_bytes() == _line(_row("a#AB"))


def test_invalid_utf8_in_a_middle_line_is_a_data_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    path.write_bytes(_line(_row("a#AB")) + b'{"request_id": "\xff\xfe"}\n' + _line(_row("c#AB")))
    with pytest.raises(DataError, match=f"{path}:2.*--repair"):
        read_judgments(path)


def test_repair_keeps_every_valid_row_and_reports_what_it_dropped(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    rows = [_row(f"{i}#AB") for i in range(5)]
    path.write_bytes(_line(rows[0]) + b'{"request_id": "1#A\n' + _line(rows[1]) + b"\xff\xfe\n"
                     + _line(rows[2]) + _line(rows[3]) + b'{"torn": ')
    report = repair_judgments(path)
    assert [d.line for d in report.dropped] == [2, 4, 7]
    assert report.kept == 4
    assert list(read_judgments(path, strict=True)) == ["0#AB", "1#AB", "2#AB", "3#AB"]
    # nothing is lost: the dropped lines are kept, byte for byte, beside the run
    assert report.rejected_path is not None
    assert report.rejected_path.read_bytes() == b'{"request_id": "1#A\n\xff\xfe\n{"torn": \n'
    again = repair_judgments(path)
    assert again.dropped == [] and again.kept == 4


def test_score_repair_from_the_command_line(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("instruction,output_1,output_2,preference\nq1,a,b,1\nq2,c,d,2\n")
    made = CliRunner().invoke(cli, ["run", "--suite", "generic", "--data", str(csv), "--judge", "mock:[[A>B]]",
                                    "--field", "prompt=instruction", "--field", "a=output_1", "--field",
                                    "b=output_2", "--field", "label=preference", "--results-dir",
                                    str(tmp_path / "r"), "--run-id", "run", "-q"])
    assert made.exit_code == 0, made.output
    run_dir = tmp_path / "r" / "runs" / "run"
    path = run_dir / "judgments.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    path.write_bytes(lines[0] + b"garbage\n" + b"".join(lines[1:]))
    out = CliRunner().invoke(cli, ["score", str(run_dir)])
    assert out.exit_code != 0 and "--repair" in str(out.exception or out.output)
    out = CliRunner().invoke(cli, ["score", "--repair", str(run_dir)])
    assert out.exit_code == 0, out.output
    assert "dropped 1 line" in out.output and ":2" in out.output
    assert json.loads((run_dir / "metrics.json").read_text())["n_judgments"] == 4
    assert (run_dir / "judgments.rejected.jsonl").read_bytes() == b"garbage\n"


def test_full_disk_during_compaction_fails_cleanly_and_resumes(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = RunStore(tmp_path)
    for i in range(50):
        store.append(_row(f"{i}#AB"))
    store.append(_row("0#AB", "error"))  # a superseded row, so compaction rewrites the file
    store.close()
    before = store.judgments_path.read_bytes()

    real_fsync = os.fsync

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.os, "fsync", no_space)
    with pytest.raises(JudgekitError, match="No space left.*intact"):
        store.load()
    assert store.judgments_path.read_bytes() == before  # the original is untouched
    assert not list(tmp_path.glob("*.tmp"))

    monkeypatch.setattr(store_mod.os, "fsync", real_fsync)  # space is back
    rows = store.load()
    assert len(rows) == 50 and rows["0#AB"].status == "error"
    assert len(store.judgments_path.read_text().splitlines()) == 50


def test_full_disk_writing_the_manifest_leaves_no_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.os, "fsync", no_space)
    with pytest.raises(JudgekitError, match="No space left"):
        RunStore(tmp_path / "r").open_run({"fingerprint": "f", "created_at": "t"})
    assert not list((tmp_path / "r").glob("*.tmp"))


# ------------------------------------------------------------------------------------------ item 7


@pytest.mark.parametrize("bad", ["/tmp/elsewhere", "..", ".", "../x", "a/b", "a\\b", "", "x\0y",
                                 ".hidden", "x" * 300])
def test_run_id_must_be_a_name_not_a_path(bad: str) -> None:
    with pytest.raises(ConfigError, match="--run-id"):
        check_run_id(bad)


@pytest.mark.parametrize("good", ["killed", "judgebench-gpt-openai_gpt-4o-1a2b3c4d", "run.v2", "A_b+c@1"])
def test_ordinary_run_ids_are_accepted(good: str) -> None:
    assert check_run_id(good) == good


@pytest.mark.parametrize("command", ["run", "import"])
def test_run_id_path_is_refused_before_anything_is_written(command: str, tmp_path: Path,
                                                           shared_data: Path) -> None:
    outside = tmp_path / "outside"
    results = tmp_path / "results"
    if command == "run":
        args = ["run", "--suite", "judgebench", "--data", str(shared_data), "--judge", "mock:m",
                "--limit", "2", "--results-dir", str(results), "-q", "--run-id"]
    else:
        out = next((shared_data / "judgebench" / "outputs").glob("*.jsonl"))
        args = ["import", "judgebench", str(out), "--data", str(shared_data), "--results-dir", str(results),
                "--run-id"]
    for bad in (str(outside), "../../outside", "."):
        res = CliRunner().invoke(cli, [*args, bad])
        assert res.exit_code != 0
        assert isinstance(res.exception, ConfigError) and "--run-id" in str(res.exception)
    assert not outside.exists()
    assert not (results / "runs" / "manifest.json").exists() and not (tmp_path / "manifest.json").exists()


# ------------------------------------------------------------------------------------------ item 2


def test_second_process_on_the_same_run_folder_stops_naming_the_holder(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from judgekit.store import RunStore\n"
         f"s = RunStore({str(run_dir)!r})\n"
         "with s.locked():\n"
         "    print('locked', flush=True); time.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunStateError, match=f"pid {holder.pid} on host") as info, \
                RunStore(run_dir).locked():
            pass
        assert "in use" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    with RunStore(run_dir).locked():  # the holder is gone: the lock is free again (no stale lock)
        pass


def test_full_disk_mid_run_stops_cleanly_and_the_rerun_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from judgekit.cli import main

    csv = tmp_path / "p.csv"
    csv.write_text("instruction,output_1,output_2,preference\n"
                   + "".join(f"q{i},a{i},b{i},1\n" for i in range(10)))
    argv = ["judgekit", "run", "--suite", "generic", "--data", str(csv), "--judge", "mock:[[A>B]]", "--field",
            "prompt=instruction", "--field", "a=output_1", "--field", "b=output_2", "--field", "label=preference",
            "--results-dir", str(tmp_path / "r"), "--run-id", "full", "-q"]
    real = RunStore.append_line  # every row of this run goes through it (the runner's fast rows)
    written = []

    def fills_up(self: RunStore, line: bytes, columns: object = None) -> None:
        if len(written) == 7:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.judgments_path))
        real(self, line, columns)
        written.append(line)

    monkeypatch.setattr(RunStore, "append_line", fills_up)
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    jpath = tmp_path / "r" / "runs" / "full" / "judgments.jsonl"
    assert len(jpath.read_text().splitlines()) == 7  # every finished judgment kept

    monkeypatch.setattr(RunStore, "append_line", real)  # space is back
    main()  # returns normally: exit status 0
    out = capsys.readouterr().out
    assert "resumed 7" in out.replace("\n", " ")
    assert len(jpath.read_text().splitlines()) == 20
