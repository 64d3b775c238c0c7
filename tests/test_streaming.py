"""The runner streams: requests are rendered as the workers need them (a run holds the work in
flight, not every rendered prompt), a crash in the middle keeps every finished judgment, and the
rerun sends only what is missing. Rendering through the cached context gives jinja2's own output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

from judgekit import prompts
from judgekit.backends.base import create_backend
from judgekit.errors import ConfigError
from judgekit.progress import NullProgress
from judgekit.prompts import Template, load_template, template_names
from judgekit.runner import execute, prepare, run
from judgekit.types import JudgeConfig, JudgeRequest, PairExample, RunConfig


def write_pairs(path: Path, n: int) -> Path:
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"q{i}", "prompt": f"question {i}", "a": f"answer a {i}", "b": f"answer b {i}",
                                "label": "AB"[i % 2], "category": f"c{i % 3}"}) + "\n")
    return path


def verdict(req: JudgeRequest) -> str:
    """A deterministic judge that varies with the request (so metrics are not constant)."""
    return "[[A>B]]" if hash(req.request_id) % 3 else "[[B>A]]"


def config(data: Path, results: Path, **judge: Any) -> RunConfig:
    return RunConfig(suite="generic", data=str(data), results_dir=str(results), use_cache=False, run_id="s",
                     concurrency=4, judge=JudgeConfig(backend="mock", model="x", **judge))


def run_with(cfg: RunConfig, responder: Any) -> Any:
    import asyncio

    prep = prepare(cfg)
    backend = create_backend("mock", "x", {})
    backend.responder = responder  # type: ignore[attr-defined]
    prep.backend = backend
    return prep, asyncio.run(execute(prep, NullProgress()))


def test_requests_are_rendered_as_they_are_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl", 400)
    rendered = 0
    original = Template.render

    def counting(self: Template, example: Any, swapped: bool = False) -> Any:
        nonlocal rendered
        rendered += 1
        return original(self, example, swapped)

    monkeypatch.setattr(Template, "render", counting)
    answered = 0
    lead: list[int] = []

    def responder(req: JudgeRequest) -> str:
        nonlocal answered
        answered += 1
        lead.append(rendered - answered)
        return verdict(req)

    prep, result = run_with(config(data, tmp_path / "r"), responder)
    assert result.n_sent == 800 and answered == 800
    assert prep.n_requests == 800
    # every request rendered once (plus the first example's two, checked in prepare)
    assert rendered == 802
    # rendered ahead of the judge: the bounded queue (4 batches per worker), the workers' batches
    # and prepare's check; before streaming, all 800 were rendered before the first was sent
    assert max(lead) <= 4 * 4 + 4 + 2 + 2, max(lead)


def test_crash_mid_stream_keeps_finished_judgments_and_resumes(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl", 150)
    cfg = config(data, tmp_path / "r")
    calls = 0

    def crashing(req: JudgeRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == 120:
            raise RuntimeError("the judge process died")
        return verdict(req)

    with pytest.raises(RuntimeError, match="died"):
        run_with(cfg, crashing)
    jpath = tmp_path / "r" / "runs" / "s" / "judgments.jsonl"
    rows = [json.loads(line) for line in jpath.read_text().splitlines()]  # every line whole
    done = len(rows)  # the 119 answered before the crash, and any the other workers finished meanwhile
    assert 119 <= done < 300 and len({r["request_id"] for r in rows}) == done

    sent: list[str] = []

    def healthy(req: JudgeRequest) -> str:
        sent.append(req.request_id)
        return verdict(req)

    _, resumed = run_with(cfg, healthy)
    assert resumed.n_resumed == done and resumed.n_sent == 300 - done
    assert not set(sent) & {r["request_id"] for r in rows}  # nothing finished was sent again
    rows = [json.loads(line) for line in jpath.read_text().splitlines()]
    assert len(rows) == 300 and len({r["request_id"] for r in rows}) == 300

    _, clean = run_with(config(data, tmp_path / "clean"), verdict)
    a = json.loads((tmp_path / "r" / "runs" / "s" / "metrics.json").read_text())
    b = json.loads((tmp_path / "clean" / "runs" / "s" / "metrics.json").read_text())
    for key in ("accuracy", "swap_consistency", "position_preference", "n_judgments", "suite_report"):
        assert a[key] == b[key], key
    assert resumed.metrics == clean.metrics


def test_a_template_error_stops_the_run_before_anything_is_sent(tmp_path: Path) -> None:
    """Rendering happens as the run goes; prepare still renders the first example, so a template
    that needs a field the data lacks fails up front, naming the example."""
    data = write_pairs(tmp_path / "pairs.jsonl", 3)
    j2 = tmp_path / "needs_ref.j2"
    j2.write_text("{{ question }} {{ reference }}")
    (tmp_path / "needs_ref.yaml").write_text(load_template("arena_hard").spec.model_dump_json())
    with pytest.raises(ConfigError, match="reference.*q0"):
        prepare(config(data, tmp_path / "r", template=str(j2)))
    assert not (tmp_path / "r").exists()


def _variables(t: Template) -> dict[str, Any]:
    base = {"question": "Q <b>&", "response_a": "first {{ not a tag }}", "response_b": "second\r\nline",
            "response": "graded", "reference": "ref", "rubric": "rubric text"}
    return {**t.spec.defaults, **base}


@pytest.mark.parametrize("name", template_names())
def test_fast_render_is_jinja2s_render(name: str) -> None:
    t = load_template(name)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    variables = _variables(t)
    for source in (t.text, t.spec.system):
        if not source:
            continue
        try:
            expected = env.from_string(source).render(variables)
        except jinja2.UndefinedError:
            with pytest.raises(jinja2.UndefinedError):
                prompts._render(source, variables)
            continue
        assert prompts._render(source, variables) == expected
        assert prompts._render(source, variables) == expected  # the cached path, a second time


def test_fast_render_keeps_strict_undefined_and_globals() -> None:
    source = "{% for i in range(2) %}{{ i }}{{ name }}{% endfor %}"
    assert prompts._render(source, {"name": "x"}) == "0x1x"
    with pytest.raises(jinja2.UndefinedError):
        prompts._render(source, {})
    # a static text (no tag) renders to itself, newlines normalised as jinja2 does
    assert prompts._render("plain\r\ntext\n", {}) == jinja2.Environment(keep_trailing_newline=True).from_string(
        "plain\r\ntext\n").render()
    ex = PairExample(id="e", prompt="q", response_a="first answer", response_b="second answer")
    messages, _ = load_template("arena_hard").render(ex, swapped=True)
    text = messages[-1].content
    assert text.index("second answer") < text.index("first answer")  # swapped


def test_run_api_still_builds_every_request(tmp_path: Path) -> None:
    """``PreparedRun.requests`` (everything at once) is what the streamed run sends."""
    data = write_pairs(tmp_path / "pairs.jsonl", 5)
    prep = prepare(config(data, tmp_path / "r"))
    reqs = prep.requests
    assert [r.request_id for r in reqs] == prep.plan.ids and len(reqs) == 10
    assert [r.request_id for r in prep.iter_requests(skip={"q0#AB"})] == prep.plan.ids[1:]
    res = run(config(data, tmp_path / "r2"))
    assert res.n_sent == 10
