"""Issue 10 item 6: templates (user and shipped) render in jinja2's ImmutableSandboxedEnvironment.
The known escapes fail with a clear error; every shipped template renders exactly as before."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.meta
import pytest

from judgekit.errors import ConfigError
from judgekit.prompts import load_template, template_names
from judgekit.types import PairExample

ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('echo PWNED').read() }}",
    "{{ cycler.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}",
    "{{ joiner.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}",
    "{{ namespace.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}",
    "{{ lipsum.__globals__['os'].environ['OPENAI_API_KEY'] }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.environ['OPENAI_API_KEY'] }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ question.__class__.__base__.__subclasses__() }}",
    "{{ '{0.__class__.__mro__[1].__subclasses__}'.format(question) }}",
    "{{ '{x.__class__.__mro__}'.format_map({'x': question}) }}",
    "{% set seen = [] %}{{ seen.append(cycler.__init__.__globals__.os.environ) }}{{ seen }}",
    "{% set d = {} %}{{ d.update({'k': 1}) }}{{ d }}",  # immutable: no mutation of data either
]


def _user_template(tmp_path: Path, body: str) -> Path:
    j2 = tmp_path / "evil.j2"
    j2.write_text(body + "\n{{ response_a }} {{ response_b }}")
    j2.with_suffix(".yaml").write_text("parser: {type: regex, patterns: ['\\[\\[(A|B)\\]\\]'], "
                                       "labels: {A: A, B: B}}\n")
    return j2


EXAMPLE = PairExample(id="x", prompt="q?", response_a="first", response_b="second", label="A")


@pytest.mark.parametrize("body", ESCAPES)
def test_known_template_escapes_are_refused(body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    load_template.cache_clear()
    template = load_template(str(_user_template(tmp_path, body)))
    with pytest.raises(ConfigError, match="sandbox") as info:
        template.render(EXAMPLE)
    assert "sk-very-secret-value" not in str(info.value)
    assert "evil" in str(info.value)


def test_a_plain_template_still_renders(tmp_path: Path) -> None:
    load_template.cache_clear()
    template = load_template(str(_user_template(tmp_path, "Q: {{ question | upper }} {{ [1, 2] | join('-') }}")))
    (message,), prompt = template.render(EXAMPLE)
    assert message.content == "Q: Q? 1-2\nfirst second" and prompt is None


@pytest.mark.parametrize("name", template_names())
def test_every_shipped_template_renders_as_with_a_plain_environment(name: str) -> None:
    """The reference is jinja2's ordinary Environment, as judgekit used before the sandbox."""
    template = load_template(name)
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    sources = [template.text] + ([template.spec.system] if template.spec.system else [])
    names: set[str] = set()
    for source in sources:
        names |= jinja2.meta.find_undeclared_variables(plain.parse(source))
    variables = {**template.spec.defaults, **{n: f"<{n}: text with {{braces}} & <tags> ü 判>" for n in names}}
    messages, prompt = template._render_variables(variables, "x")
    expected_user = plain.from_string(template.text).render(variables)
    expected_system = plain.from_string(template.spec.system).render(variables) if template.spec.system else None
    if template.spec.format == "completion":
        assert prompt == (expected_system + "\n\n" + expected_user if expected_system else expected_user)
    else:
        assert messages[-1].content == expected_user
        assert (messages[0].content if len(messages) == 2 else None) == expected_system


def test_a_template_that_fails_otherwise_is_a_config_error(tmp_path: Path) -> None:
    load_template.cache_clear()
    template = load_template(str(_user_template(tmp_path, "{{ '{0}'.format() }}{{ 1 / 0 }}")))
    with pytest.raises(ConfigError, match="evil.*example 'x'"):
        template.render(EXAMPLE)
