"""Rendering through the cached context (globals merged once per template, static text cached)
gives jinja2's own output, sandbox and StrictUndefined included."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from judgekit import prompts
from judgekit.prompts import Template, load_template, template_names
from judgekit.types import PairExample


def _variables(t: Template) -> dict[str, Any]:
    base = {"question": "Q <b>&", "response_a": "first {{ not a tag }}", "response_b": "second\r\nline",
            "response": "graded", "reference": "ref", "rubric": "rubric text"}
    return {**t.spec.defaults, **base}


@pytest.mark.parametrize("name", template_names())
def test_fast_render_is_jinja2s_render(name: str) -> None:
    t = load_template(name)
    env = prompts._ENV  # the sandboxed environment every template renders in
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



def test_plain_substitution_templates_take_the_join_path_and_match_jinja2() -> None:
    """A template of text and ``{{ name }}`` only is joined directly; anything else goes through
    jinja2. Both give the sandboxed environment's output, StrictUndefined's error included."""
    plain = "Q:\r\n{{ question }}\n{{response_a}}{# note #} and {{ response_b }}\n  {{- question }}\n"
    assert prompts._substitution(plain) is not None
    for source in ("{{ question | upper }}", "{% if question %}x{% endif %}", "{{ question.title }}",
                   "{{ question ~ 'x' }}", "{{ response_a[0] }}"):
        assert prompts._substitution(source) is None, source
    variables = {"question": "q <b> {{ x }}\r\n", "response_a": 12, "response_b": None}
    for source in (plain, "{{ question }}{{ range }}"):
        assert prompts._render(source, variables) == prompts._ENV.from_string(source).render(variables)
    with pytest.raises(jinja2.UndefinedError) as fast:
        prompts._render(plain, {"question": "q"})
    with pytest.raises(jinja2.UndefinedError) as slow:
        prompts._ENV.from_string(plain).render({"question": "q"})
    assert str(fast.value) == str(slow.value) == "'response_a' is undefined"
    shipped = [n for n in template_names() if prompts._substitution(load_template(n).text) is not None]
    assert "arena_hard" in shipped  # the fast path is the one the shipped pairwise default takes
