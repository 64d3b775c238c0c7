"""Issue 10 items 3 (exit status) and 11 (input encodings and validation)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from judgekit.aggregations import aggregate
from judgekit.cli import cli, main
from judgekit.errors import ConfigError, DataError
from judgekit.store import RunStore
from judgekit.types import Judgment

FIELDS = ["--field", "prompt=instruction", "--field", "a=output_1", "--field", "b=output_2", "--field",
          "label=preference"]


def _generic(tmp_path: Path, data: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["run", "--suite", "generic", "--data", str(data), "--judge", "mock:[[A>B]]",
                                    *FIELDS, "--results-dir", str(tmp_path / "r"), "-q", *extra])


# ------------------------------------------------------------------------------------------ item 3


def test_run_exits_non_zero_when_rows_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("instruction,output_1,output_2,preference\nq1,a,b,1\nq2,c,d,2\nq3,e,f,0\n")
    real = RunStore.append_line  # every row goes through it

    def lose_one(self: RunStore, line: bytes, columns: object = None) -> None:  # a row that never reaches the file
        if json.loads(line)["request_id"] != "1#BA":
            real(self, line, columns)

    monkeypatch.setattr(RunStore, "append_line", lose_one)
    out = _generic(tmp_path, csv)
    assert out.exit_code == 1, out.output
    assert "1 of 6 requests have no judgment" in out.output
    doc = json.loads(next((tmp_path / "r" / "runs").iterdir()).joinpath("metrics.json").read_text())
    assert doc["complete"] is False


# ------------------------------------------------------------------------------------------ item 11


def test_latin1_csv_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "latin.csv"
    csv.write_bytes("instruction,output_1,output_2,preference\nq1,a,b,1\nq2,café,d,2\n".encode("latin-1"))
    out = _generic(tmp_path, csv)
    assert isinstance(out.exception, DataError), out.output
    assert f"{csv}:3" in str(out.exception) and "UTF-8" in str(out.exception)


def test_invalid_utf8_jsonl_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    good = json.dumps({"instruction": "q", "output_1": "a", "output_2": "b", "preference": 1})
    data.write_bytes((good + "\n" + good + "\n").encode() + b'{"instruction": "\xff"}\n')
    out = _generic(tmp_path, data)
    assert isinstance(out.exception, DataError), out.output
    assert f"{data}:3" in str(out.exception) and "UTF-8" in str(out.exception)


def test_csv_with_a_bom_keeps_its_first_column(tmp_path: Path) -> None:
    csv = tmp_path / "bom.csv"
    csv.write_bytes("\ufeffid,instruction,output_1,output_2,preference\nx1,q1,a,b,1\nx2,q2,c,d,2\n".encode())
    out = _generic(tmp_path, csv)
    assert out.exit_code == 0, out.output
    run_dir = next((tmp_path / "r" / "runs").iterdir())
    ids = {json.loads(line)["example_id"] for line in (run_dir / "judgments.jsonl").read_text().splitlines()}
    assert ids == {"x1", "x2"}


def test_line_numbers_are_right_after_quoted_newlines(tmp_path: Path) -> None:
    csv = tmp_path / "multi.csv"
    csv.write_text('instruction,output_1,output_2,preference\n"q1\nspans\nlines",a,b,1\n'
                   '"q2","two\nlines",c,2\nq3,e,f,7\n')
    out = _generic(tmp_path, csv)
    assert isinstance(out.exception, DataError), out.output
    assert f"{csv}:7" in str(out.exception) and "unknown label" in str(out.exception)  # line 7, record 3


@pytest.mark.parametrize("content", ["", "instruction,output_1,output_2,preference\n"])
def test_an_empty_data_file_is_an_error(content: str, tmp_path: Path) -> None:
    csv = tmp_path / "empty.csv"
    csv.write_text(content)
    out = _generic(tmp_path, csv)
    assert out.exit_code != 0
    assert isinstance(out.exception, DataError) and "no examples" in str(out.exception)
    assert not (tmp_path / "r" / "runs").exists() or not any((tmp_path / "r" / "runs").iterdir())


def test_nan_prompt_is_an_error_naming_file_line_and_field(tmp_path: Path) -> None:
    data = tmp_path / "nan.jsonl"
    data.write_text('{"instruction": "q", "output_1": "a", "output_2": "b", "preference": 1}\n'
                    '{"instruction": NaN, "output_1": "a", "output_2": "b", "preference": 1}\n')
    out = _generic(tmp_path, data)
    assert isinstance(out.exception, DataError), out.output
    assert f"{data}:2" in str(out.exception) and "'instruction'" in str(out.exception)
    assert "NaN" in str(out.exception)


def test_sampling_typo_in_judge_config_is_a_clear_error(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("instruction,output_1,output_2,preference\nq1,a,b,1\n")
    cfg = tmp_path / "judge.yaml"
    cfg.write_text("backend: mock\nmodel: '[[A>B]]'\nsampling: {temprature: 0.5}\n")
    out = _generic(tmp_path, csv, "--judge-config", str(cfg))
    assert isinstance(out.exception, ConfigError), out.output
    message = str(out.exception)
    assert "temprature" in message and "temperature" in message and "Traceback" not in message
    assert "pydantic" not in message


def test_an_overlong_path_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    long = str(tmp_path / ("d" * 5000)) + ".csv"
    monkeypatch.setattr("sys.argv", ["judgekit", "run", "--suite", "generic", "--data", long, "--judge", "mock:x",
                                     *FIELDS, "--results-dir", str(tmp_path / "r"), "-q"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "File name too long" in err and "Traceback" not in err and len(err) < 600


def _j(eid: str, order: str, status: str, winner: str) -> Judgment:
    return Judgment(request_id=f"{eid}#{order}", example_id=eid, order=order, status=status,  # type: ignore[arg-type]
                    shown_winner=winner, winner=winner, template_hash="h", label="A",  # type: ignore[arg-type]
                    error="HTTP 500" if status == "error" else None)


def test_failed_requests_are_not_order_consistent() -> None:
    rows = [_j("1", "AB", "error", "invalid"), _j("1", "BA", "error", "invalid"),
            _j("2", "AB", "ok", "A"), _j("2", "BA", "ok", "A"),
            _j("3", "AB", "ok", "invalid"), _j("3", "BA", "ok", "invalid"),  # JudgeLM: both unparseable = same
            _j("4", "AB", "ok", "A"), _j("4", "BA", "error", "invalid")]
    report = aggregate("three_way", rows, {})
    consistency = report.tables[1].rows["both orders"]["consistency"]
    assert consistency.value == pytest.approx(50.0) and consistency.n == 4
    every_failed = [_j(str(i), o, "error", "invalid") for i in range(3) for o in ("AB", "BA")]
    c = aggregate("three_way", every_failed, {}).tables[1].rows["both orders"]["consistency"]
    assert c.value == 0.0 and not math.isnan(c.value)
