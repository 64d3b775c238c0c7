"""Adding an aggregation, a backend or a metric is one new file and no other edit.

Each test writes a module into a temporary folder added to the package's search path (as a new
file in judgekit/aggregations/, judgekit/backends/ or judgekit/metrics/declared/ would be), lets the
registry discover its package again, and finds the new entry registered and working. Nothing names
the new module anywhere: the registries import every module of their package (pkgutil).
"""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgekit.registry import Registry


@pytest.fixture
def new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """write(package, registry, module name, source): the module as a new file of the package."""
    added: list[str] = []

    def write(package: str, registry: Registry[Any], name: str, source: str) -> None:
        folder = tmp_path / package.replace(".", "_")
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        pkg = importlib.import_module(package)
        monkeypatch.setattr(pkg, "__path__", [*pkg.__path__, str(folder)])
        registry.names()  # the built-ins first
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))  # dropped after the test
        monkeypatch.setattr(registry, "_discovered", False)
        added.append(f"{package}.{name}")

    yield write
    for mod in added:
        sys.modules.pop(mod, None)


def test_a_new_aggregation_is_one_new_file(new_file: Any) -> None:
    from judgekit.aggregations import aggregate, aggregations
    from tests.test_metric_registry import _j

    new_file("judgekit.aggregations", aggregations, "share_of_b_test", """
        from ._common import ReportTable, SuiteReport, rate, register

        @register("share_of_b_test")
        def share_of_b(rows, args):
            share = rate([j.winner == "B" for j in rows])
            return SuiteReport(aggregation="share_of_b_test", headline_name="share of B", headline=share,
                               tables=(ReportTable(title="t", columns=("share",), rows={"all": {"share": share}}),))
        """)
    assert "share_of_b_test" in aggregations.names()
    rows = [_j("e1", "AB", "B"), _j("e1", "BA", "A"), _j("e2", "AB", "B"), _j("e2", "BA", "B")]
    report = aggregate("share_of_b_test", rows)
    assert report.headline.value == 75.0 and report.headline.n == 4


def test_a_new_backend_is_one_new_file(new_file: Any) -> None:
    from judgekit.backends.base import create_backend
    from judgekit.registry import backends
    from judgekit.types import JudgeRequest, Message

    new_file("judgekit.backends", backends, "echo_test_backend", """
        from ..registry import backends
        from ..types import Completion
        from .base import Backend

        @backends.register("echo-test")
        class EchoBackend(Backend):
            name = "echo-test"

            def identity(self):
                return {"backend": self.name, "model": self.model}

            async def complete(self, requests):
                return [Completion(request_id=r.request_id, text=r.messages[-1].content.upper(), latency_s=0.0)
                        for r in requests]
        """)
    assert "echo-test" in backends.names()
    backend = create_backend("echo-test", "m")

    req = JudgeRequest(request_id="r1", example_id="e1", messages=(Message(role="user", content="hi"),),
                       template="t", template_hash="h")
    out = asyncio.run(backend.complete([req]))
    assert out[0].text == "HI"


def test_a_new_metric_is_one_new_file(new_file: Any) -> None:
    from judgekit.metrics.registry import MetricInput, all_metrics, metric_registry, registered_figures
    from tests.test_metric_registry import _j

    new_file("judgekit.metrics.declared", metric_registry, "ties_test_metric", """
        from ..registry import metric

        @metric("ties_test", label="ties (test)", higher_is_better=None)
        def ties(js):
            return sum(j.winner == "tie" for j in js), len(js)
        """)
    assert [m.name for m in all_metrics()][-1] == "ties_test"
    rows = [_j("e1", "AB", "tie"), _j("e1", "BA", "A"), _j("e2", "AB", "tie"), _j("e2", "BA", "tie")]
    figs = registered_figures(rows, MetricInput(n_resamples=0))
    assert figs["ties_test"].overall.value == 75.0 and figs["ties_test"].overall.count == 3


def test_built_in_aggregations_register_only_through_discovery() -> None:
    """Importing the package does not import (so does not register) the aggregation modules that no
    other module needs a helper from; the first lookup imports them all."""
    code = textwrap.dedent("""
        import sys
        import judgekit.aggregations as a
        lazy = ["llmbar", "evalbiasbench", "rewardbench", "rewardbench2", "winrate", "qa"]
        assert not [m for m in lazy if f"judgekit.aggregations.{m}" in sys.modules], sys.modules.keys()
        assert set(lazy) <= set(a.aggregations.names())
        assert all(f"judgekit.aggregations.{m}" in sys.modules for m in lazy)
        print("ok")
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         cwd=Path(__file__).parent.parent)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
