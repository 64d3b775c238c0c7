"""Registries filled by decorators where things are defined: a name registered twice is an error
naming both places, a plugin reusing a built-in name too, and a new backend is one new file."""

from __future__ import annotations

import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import judgekit.backends
from judgekit import JudgeConfig, RunConfig, run
from judgekit.aggregations import aggregate, aggregations
from judgekit.backends.mock import MockBackend
from judgekit.errors import ConfigError
from judgekit.importers import importers
from judgekit.registry import Registry, adapters, backends


def test_every_builtin_is_registered_where_it_is_defined() -> None:
    assert backends.names() == ["hf", "lexical", "mock", "openai", "ray", "replay", "rm", "vllm", "vllm-server"]
    assert backends.get("mock") is MockBackend
    assert {"judgebench", "rewardbench", "llmbar", "generic", "rmbench", "qa", "rewardbench2"} <= set(adapters.names())
    assert importers.names() == ["alpaca_eval", "arena_hard", "judgebench", "llmbar", "pandalm"]
    assert {"winrate", "three_way", "rmbench", "pointwise", "qa", "rewardbench2"} <= set(aggregations.names())


def test_a_name_registered_twice_names_both_places() -> None:
    reg: Registry[object] = Registry("widget", "judgekit.test-widgets")

    @reg.register("w")
    def first() -> object:
        return 1

    with pytest.raises(ConfigError) as err:
        @reg.register("w")
        def second() -> object:
            return 2

    text = str(err.value)
    assert "widget 'w' is registered twice" in text
    assert "test_registry.test_a_name_registered_twice_names_both_places.<locals>.first" in text
    assert "<locals>.second" in text and text.count("test_registry.py:") == 2
    assert reg.get("w") is first  # the first one stays


def test_a_builtin_backend_name_cannot_be_registered_again() -> None:
    with pytest.raises(ConfigError, match=r"backend 'mock' is registered twice: at judgekit\.backends\.mock\.MockBackend"):
        backends.register("mock")(type("Other", (MockBackend,), {}))


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, eps: list[EntryPoint]) -> None:
    monkeypatch.setattr("judgekit.registry.entry_points",
                        lambda group: [ep for ep in eps if ep.group == group])


def test_a_plugin_reusing_a_builtin_name_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, [EntryPoint("mock", "someplugin.mod:Thing", "judgekit.backends")])
    monkeypatch.setattr(backends, "_discovered", False)
    monkeypatch.setattr(backends, "_plugins", {})
    with pytest.raises(ConfigError, match=r"backend 'mock' is registered twice: at .*MockBackend.*and by entry "
                                          r"point judgekit\.backends:mock = someplugin\.mod:Thing"):
        backends.names()


def test_an_aggregation_plugin_in_one_new_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "my_aggregation.py").write_text(textwrap.dedent("""
        from judgekit.aggregations import SuiteReport, rate

        def share_of_ties(rows, args):
            return SuiteReport(aggregation="ties", headline_name="ties %",
                               headline=rate([j.winner == "tie" for j in rows], higher_is_better=None))
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    _fake_entry_points(monkeypatch, [EntryPoint("ties", "my_aggregation:share_of_ties", "judgekit.aggregations")])
    monkeypatch.setattr(aggregations, "_discovered", False)
    monkeypatch.setattr(aggregations, "_entries", dict(aggregations._entries))
    from judgekit.types import Judgment

    rows = [Judgment(request_id=f"{i}#AB", example_id=str(i), order="AB", status="ok", shown_winner=w, winner=w,
                     template_hash="h") for i, w in enumerate(["tie", "A", "tie", "B"])]
    assert aggregate("ties", rows).headline.value == 50.0
    sys.modules.pop("my_aggregation", None)


def test_a_new_backend_is_one_new_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_data: Path) -> None:
    """A backend module dropped into the backends package (here: a folder added to its path) is
    found by name and judges a run; nothing else is edited."""
    (tmp_path / "echo_first.py").write_text(textwrap.dedent("""
        from judgekit.backends.base import Backend
        from judgekit.registry import backends
        from judgekit.types import Completion


        @backends.register("echo-first")
        class EchoFirst(Backend):
            async def complete(self, requests):
                return [Completion(request_id=r.request_id, text="Output (a)") for r in requests]

            def identity(self):
                return {"backend": "echo-first", "model": self.model}
    """))
    monkeypatch.setattr(judgekit.backends, "__path__", [*judgekit.backends.__path__, str(tmp_path)])
    monkeypatch.setattr(backends, "_discovered", False)
    monkeypatch.setattr(backends, "_entries", dict(backends._entries))
    try:
        assert "echo-first" in backends.names()
        res = run(RunConfig(suite="evalbiasbench", data=str(shared_data), results_dir=str(tmp_path / "r"), limit=4,
                            judge=JudgeConfig(backend="echo-first", model="any")))
        assert res.metrics.position_preference.value == 100.0  # always the first shown
    finally:
        sys.modules.pop("judgekit.backends.echo_first", None)


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'nope'; known backends: hf, lexical, mock, openai"):
        backends.get("nope")
    with pytest.raises(ConfigError, match="unknown aggregation 'nope'"):
        aggregate("nope", [])


def test_where_gives_the_line_inspect_finds_without_reading_a_functions_source() -> None:
    """A function's place comes from its code object; a class's is read from its source when shown."""
    import inspect

    from judgekit.registry import _Place, where

    def decorated(f: object) -> object:
        return f

    @decorated
    def fn() -> int:
        return 1

    line = inspect.getsourcelines(fn)[1]
    assert line == fn.__code__.co_firstlineno  # (the decorator's line, as inspect gives it)
    assert where(fn) == f"{fn.__module__}.{fn.__qualname__} ({inspect.getsourcefile(fn)}:{line})"
    place = _Place(MockBackend)
    assert str(place) == f"judgekit.backends.mock.MockBackend ({inspect.getsourcefile(MockBackend)}:" \
                         f"{inspect.getsourcelines(MockBackend)[1]})"
    assert place == _Place(MockBackend)  # the same definition


def test_a_class_defined_again_in_the_same_place_is_the_same_definition_and_elsewhere_is_not() -> None:
    reg: Registry[object] = Registry("widget", "judgekit.test-widgets")
    source = "class W:\n    def f(self):\n        return 1\n"
    first: dict[str, object] = {"__name__": "widgets_mod"}
    again: dict[str, object] = {"__name__": "widgets_mod"}
    exec(compile(source, __file__, "exec"), first)  # the module imported twice: one definition
    exec(compile(source, __file__, "exec"), again)
    reg.register("w")(first["W"])
    reg.register("w")(again["W"])
    moved: dict[str, object] = {"__name__": "widgets_mod"}
    exec(compile("\n\n" + source, __file__, "exec"), moved)  # same name, another definition
    with pytest.raises(ConfigError, match="widget 'w' is registered twice"):
        reg.register("w")(moved["W"])
