from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from judgekit.adapters import load_examples
from judgekit.cli import cli
from judgekit.errors import ConfigError, DataError
from judgekit.suites import load_suite
from tests.conftest import judgebench_file

GOOD = {"pair_id": "p1", "original_id": 7, "source": "livebench-math", "question": "q",
        "response_model": "m", "response_A": "a", "response_B": "b", "label": "A>B"}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_local_judgebench_splits(shared_data: Path) -> None:
    suite = load_suite("judgebench")
    gpt = load_examples(suite, "gpt", shared_data)
    claude = load_examples(suite, "claude", shared_data / "judgebench")
    assert len(gpt.examples) == 350 and len(claude.examples) == 270
    cats = {c: sum(e.category == c for e in gpt.examples) for c in ("knowledge", "reasoning", "math", "coding")}
    assert cats == {"knowledge": 154, "reasoning": 98, "math": 56, "coding": 42}
    assert {e.label for e in gpt.examples} == {"A", "B"}
    assert gpt.provenance["source"] == "file" and len(gpt.provenance["sha256"]) == 64


def test_data_dir_from_environment(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGEKIT_DATA_DIR", str(shared_data))
    loaded = load_examples(load_suite("judgebench"), "claude")
    assert len(loaded.examples) == 270


@pytest.mark.parametrize("bad,line,message", [
    ('{"pair_id": "p2", "source": "livebench-math", ', 2, "invalid JSON"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "response_B"} | {"pair_id": "p2"}), 2,
     "field 'response_B': missing"),
    (json.dumps(GOOD | {"pair_id": "p2", "label": "A>>B"}), 2, "field 'label': unknown label 'A>>B'"),
    (json.dumps(GOOD | {"pair_id": "p2", "source": "gsm8k"}), 2, "field 'source': unknown source"),
    (json.dumps(GOOD | {"pair_id": "p2", "question": 3}), 2, "field 'question': expected str"),
    (json.dumps(GOOD), 2, "duplicate example id 'p1'"),
    ("[1, 2]", 2, "expected a JSON object"),
])
def test_bad_input_names_file_line_and_field(tmp_path: Path, bad: str, line: int, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [json.dumps(GOOD), bad])
    with pytest.raises(DataError) as info:
        load_examples(load_suite("judgebench"), "gpt", path)
    text = str(info.value)
    assert text.startswith(f"{path}:{line}: ") or (message.startswith("duplicate") and str(path) in text)
    assert message in text


def test_bad_input_through_the_cli(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [json.dumps(GOOD), json.dumps(GOOD | {"pair_id": "p2", "label": "C"})])
    proc = subprocess.run([sys.executable, "-m", "judgekit", "run", "--suite", "judgebench", "--data", str(path),
                           "--judge", "mock:[[A>B]]", "--results-dir", str(tmp_path / "r"), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{path}:2: field 'label': unknown label 'C'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_local_data_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="looked for"):
        load_examples(load_suite("judgebench"), "gpt", tmp_path)


def test_unknown_suite_and_split() -> None:
    with pytest.raises(ConfigError, match="known suites: .*judgebench"):
        load_suite("nope")
    with pytest.raises(ConfigError, match="splits: gpt, claude"):
        load_suite("judgebench").split("llama")


def test_hub_path_uses_datasets_with_the_pinned_revision(shared_data: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub is unreachable here: a local folder in the hub repository's layout stands in for
    ScalerLab/JudgeBench, and the real `datasets.load_dataset` reads it."""
    datasets = pytest.importorskip("datasets")
    repo = tmp_path / "ScalerLab_JudgeBench"
    (repo / "data").mkdir(parents=True)
    for split in ("gpt", "claude"):
        (repo / "data" / f"{split}.jsonl").write_text(judgebench_file(shared_data, split).read_text())
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        "  - split: gpt\n    path: data/gpt.jsonl\n  - split: claude\n    path: data/claude.jsonl\n---\n")
    calls = []
    real = datasets.load_dataset

    def fake_load(path: str, **kwargs):
        calls.append((path, dict(kwargs)))
        assert path == "ScalerLab/JudgeBench"
        return real(str(repo), cache_dir=str(tmp_path / "hf"), split=kwargs["split"])

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    loaded = load_examples(load_suite("judgebench"), "claude")
    assert calls == [("ScalerLab/JudgeBench", {"split": "claude", "revision": "main"})]
    assert len(loaded.examples) == 270
    assert loaded.provenance["source"] == "hub"
    local = load_examples(load_suite("judgebench"), "claude", shared_data)
    assert [e.model_dump() for e in loaded.examples] == [e.model_dump() for e in local.examples]


def test_hub_failure_explains_the_offline_option(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")

    def offline(*a, **k):
        raise ConnectionError("hub unreachable")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(ConfigError, match="pass --data PATH"):
        load_examples(load_suite("judgebench"), "gpt")


def test_cli_list() -> None:
    out = CliRunner().invoke(cli, ["list"])
    assert out.exit_code == 0
    for word in ("judgebench", "arena_hard", "skywork_critic", "openai", "replay", "mock"):
        assert word in out.output


def test_system_files_of_the_three_systems_suites(tmp_path: Path) -> None:
    """--systems takes files, folders of files, or a folder holding model_answer/ (FastChat's and
    Arena-Hard's layout); a missing path or an empty folder is a ConfigError naming it."""
    from judgekit.adapters._io import system_files

    answers = tmp_path / "run" / "model_answer"
    answers.mkdir(parents=True)
    for name in ("b.jsonl", "a.jsonl", "notes.txt"):
        (answers / name).write_text("{}\n")
    single = tmp_path / "c.jsonl"
    single.write_text("{}\n")
    got = system_files([str(tmp_path / "run"), str(single)], subfolder="model_answer")
    assert got == [answers / "a.jsonl", answers / "b.jsonl", single]
    assert system_files([str(answers)], (".txt",)) == [answers / "notes.txt"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"--systems .*empty: no answer files"):
        system_files([str(tmp_path / "empty")], what="answer files")
    with pytest.raises(ConfigError, match=r"--systems .*nope: no such file or folder"):
        system_files([str(tmp_path / "nope")])
