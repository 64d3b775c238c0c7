from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    env = os.environ.get("JUDGEKIT_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real benchmark data beside the checkout. Missing data fails under CI."""
    path = shared_data_dir()
    if not (path / "judgebench").is_dir():
        message = (f"shared data not found at {path}; set JUDGEKIT_SHARED_DATA or place ../shared/data "
                   "beside the checkout")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module- and session-scoped fixtures run before any function-scoped one: give them a
    temporary cache folder too, so no test ever writes the user's ~/.cache/judgekit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache-session")))
        mp.delenv("JUDGEKIT_DATA_DIR", raising=False)
        # AlpacaEval's LC inputs are never fetched from the hub (or a real hub cache) in tests, networked or
        # not: a run estimates them; tests/test_rankings_lc_inputs.py puts the real lookup back
        mp.setattr("judgekit.rankings.lc_inputs.hub_files",
                   lambda revision, timeout=0.0: ({}, "the tests do not use the hub"))
        yield


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's data folder or writes the user's cache."""
    monkeypatch.delenv("JUDGEKIT_DATA_DIR", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def judgebench_file(shared: Path, split: str) -> Path:
    model = {"gpt": "gpt-4o-2024-05-13", "claude": "claude-3-5-sonnet-20240620"}[split]
    return shared / "judgebench" / "data" / f"dataset=judgebench,response_model={model}.jsonl"


def output_files(shared: Path) -> list[Path]:
    return sorted((shared / "judgebench" / "outputs").glob("*.jsonl"))
