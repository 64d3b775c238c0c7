"""Judge prompt templates: prompts/<name>.j2 (jinja2, StrictUndefined) with a sidecar
prompts/<name>.yaml that declares the message format, the parser, the label tokens,
the sampling defaults and the fine-tuned models the template was made for.

Parsing never raises: an output the parser cannot read becomes an ``invalid``
verdict that keeps the raw text and the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from pydantic import Field, ValidationError

from .errors import ConfigError
from .resources import data_dir
from .types import Frozen, Message, PairExample, PointExample, Verdict, Winner, trusted_from

_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL,
          "VERBOSE": re.VERBOSE}


class ParserSpec(Frozen):
    type: Literal["regex", "pair_scores", "json", "score"]
    # regex: patterns tried in order; the first that matches anything decides.
    patterns: tuple[str, ...] = ()
    # unique: every match must name the same label (Arena-Hard); first / last match otherwise.
    select: Literal["unique", "first", "last"] = "first"
    flags: tuple[str, ...] = ()
    # matched text (normalised: stripped, case-folded under IGNORECASE) -> winner in the shown frame
    labels: dict[str, Winner] = Field(default_factory=dict)
    strengths: dict[str, int] = Field(default_factory=dict)
    # json: the key that holds the label
    key: str | None = None
    # pair_scores: a regex with two numeric groups (score of first shown, score of second shown)
    # score (pointwise): a regex whose first group is the grade; the match selected by `select`
    # (or `patterns`, tried in order: the first that matches anything decides)
    pattern: str | None = None
    # score: the valid grades [low, high]; a grade outside is invalid
    range: tuple[float, float] | None = None
    # score: words the pattern's group may match -> their grade (e.g. correct: 1, incorrect: 0)
    grades: dict[str, float] = Field(default_factory=dict)


class LogprobSpec(Frozen):
    """How to read the verdict from the judge's probabilities: the answer starts with
    ``prefill``; the next token decides among ``choices`` (continuation -> winner in the
    shown frame); ``suffix`` completes the label (for constrained generation)."""

    prefill: str = ""
    choices: dict[str, Winner]
    suffix: str = ""


class TemplateSpec(Frozen):
    description: str = ""
    source: str | None = None
    kind: Literal["pairwise", "pointwise"] = "pairwise"
    format: Literal["chat", "completion"] = "chat"
    system: str | None = None
    parser: ParserSpec
    label_tokens: tuple[str, ...] = ()
    logprob: LogprobSpec | None = None  # templates whose verdict is a label token
    models: tuple[str, ...] = ()
    sampling: dict[str, Any] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)


# Every template, shipped or the user's, renders in jinja2's immutable sandbox: no private or
# internal attributes (__globals__, __subclasses__, ...), no unsafe str.format, no mutation of
# lists and dicts. A template can read its variables, nothing else.
_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                     autoescape=False)


@dataclass(frozen=True)
class Template:
    name: str
    spec: TemplateSpec
    text: str
    hash: str  # content hash of the .j2 text and the sidecar, in every result and cache key

    # ------------------------------------------------------------------ rendering
    def render(self, example: PairExample | PointExample,
               swapped: bool = False) -> tuple[tuple[Message, ...], str | None]:
        """Messages (chat format) or a raw prompt (completion format) for one order.

        Metadata keys that come in pairs ``X_a`` / ``X_b`` belong to the two responses (the
        earlier turns of a multi-turn conversation, say) and are exchanged with them when the
        order is swapped. A pointwise example provides ``question``, ``response``, and
        ``reference`` and ``rubric`` where it has them.
        """
        if isinstance(example, PointExample):
            variables = {**self.spec.defaults, **example.metadata, "question": example.prompt,
                         "response": example.response}
            variables.update({k: v for k, v in (("reference", example.reference), ("rubric", example.rubric))
                              if v is not None})
            return self._render_variables(variables, example.id)
        first, second = (example.response_b, example.response_a) if swapped else (
            example.response_a, example.response_b)
        metadata = example.metadata
        if swapped and metadata:
            metadata = dict(metadata)
            for key in list(metadata):
                if key.endswith("_a") and key[:-2] + "_b" in metadata:
                    other = key[:-2] + "_b"
                    metadata[key], metadata[other] = metadata[other], metadata[key]
        variables = {**self.spec.defaults, **metadata, "question": example.prompt,
                     "response_a": first, "response_b": second}
        return self._render_variables(variables, example.id)

    def _render_variables(self, variables: dict[str, Any], example_id: str
                          ) -> tuple[tuple[Message, ...], str | None]:
        try:
            user = _render(self.text, variables)
            system = _render(self.spec.system, variables) if self.spec.system else None
        except SecurityError as exc:
            raise ConfigError(f"template {self.name!r}: {exc}; judgekit renders templates in a sandbox "
                              "that gives a template its variables and nothing else (no internal "
                              "attributes, no changes to data)") from None
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"template {self.name!r}: {exc.message}; example {example_id!r} "
                              "does not provide it") from None
        except Exception as exc:  # a user template's own error (1/0, a bad format string): no traceback
            raise ConfigError(f"template {self.name!r} failed on example {example_id!r}: "
                              f"{type(exc).__name__}: {exc}") from None
        if self.spec.format == "completion":
            return (), (system + "\n\n" + user if system else user)
        # the rendered text is a str, the one thing validating would check: made without it
        message = trusted_from(Message, {"role": "user", "content": user}) if type(user) is str else Message(
            role="user", content=user)
        if not system:
            return (message,), None
        return (_system_message(system), message), None

    # ------------------------------------------------------------------ probabilities
    def verdict_from_logprobs(self, choice_logprobs: dict[str, float]) -> Verdict:
        """The verdict whose label continuation is most probable, and P(first shown is better)
        as an expected score: P(A) + P(tie)/2, normalised over the template's choices."""
        spec = self.spec.logprob
        if spec is None:
            return Verdict(winner="invalid", reason=f"template {self.name} has no logprob block")
        labels = [c for c in spec.choices if c in choice_logprobs]
        values = np.array([choice_logprobs[c] for c in labels], dtype=float)
        if not labels or not np.isfinite(values).any():
            return Verdict(winner="invalid", raw=json.dumps(choice_logprobs),
                           reason="no finite log-probability for any label")
        probs = np.exp(values - values[np.isfinite(values)].max())
        probs /= probs.sum()
        mass = {"A": 0.0, "B": 0.0, "tie": 0.0}
        for label, p in zip(labels, probs, strict=True):
            winner = spec.choices[label]
            if winner in mass:
                mass[winner] += float(p)
        best = labels[int(np.argmax(probs))]
        return Verdict(winner=spec.choices[best], label=spec.prefill + best + spec.suffix,
                       p_a=mass["A"] + 0.5 * mass["tie"], raw=json.dumps(choice_logprobs))

    def constrained_labels(self) -> list[str]:
        """The complete answers generation is constrained to, e.g. ``[[A]]``; they parse as usual."""
        if self.spec.logprob is None:
            raise ConfigError(f"template {self.name!r} declares no label tokens (no `logprob:` block "
                              "in its sidecar): use --verdict generate")
        lp = self.spec.logprob
        return [lp.prefill + c + lp.suffix for c in lp.choices]

    # ------------------------------------------------------------------ parsing
    def parse(self, text: str | None) -> Verdict:
        if text is None:
            return Verdict(winner="invalid", raw=None, reason="no output")
        p = self.spec.parser
        try:
            if p.type == "regex":
                return _parse_regex(p, text)
            if p.type == "pair_scores":
                return _parse_pair_scores(p, text)
            if p.type == "score":
                return _parse_score(p, text)
            return _parse_json(p, text)
        except Exception as exc:  # a parser bug must not lose the judgment
            return Verdict(winner="invalid", raw=text, reason=f"parser error: {exc!r}")


@cache
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


@cache
def _globals(source: str) -> dict[str, Any]:
    """The compiled template's globals, flattened once (jinja2 flattens its ChainMap on every render)."""
    return dict(_compile(source).globals)


# libyaml's safe loader where PyYAML has it (ten times faster: a run loads every template to match
# its judge's name), else the pure-Python one; they read YAML alike
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MISSING = object()


@lru_cache(maxsize=64)
def _system_message(content: str) -> Message:
    """The system message (frozen): most templates' system prompt is the same text for every
    example, so it is validated once, not once per request."""
    return Message(role="system", content=content)


@cache
def _static(source: str) -> str:
    return _compile(source).render()


@cache
def _substitution(source: str) -> tuple[tuple[bool, str], ...] | None:
    """A template that is only text and ``{{ name }}`` outputs, as (is a name, text or name) parts;
    None for any other (tags, filters, attributes, expressions). Text parts are jinja2's own,
    after its lexer (newlines, whitespace control), so joining them with the values' ``str`` is
    what jinja2 renders."""
    parts: list[tuple[bool, str]] = []
    for node in _ENV.parse(source).body:
        if not isinstance(node, jinja2.nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, jinja2.nodes.TemplateData):
                parts.append((False, child.data))
            elif isinstance(child, jinja2.nodes.Name) and child.ctx == "load":
                parts.append((True, child.name))
            else:
                return None
    return tuple(parts)


def _render(source: str, variables: dict[str, Any]) -> str:
    """``_compile(source).render(variables)``, with the context's globals merged once per template
    instead of once per call: the same context (a dict of the globals updated with the
    variables), the same render function and the same error handling as ``Template.render``.
    A template of plain ``{{ name }}`` substitutions is joined directly (:func:`_substitution`)."""
    if "{" not in source:  # no tag, expression or comment: the same text for every example
        return _static(source)
    parts = _substitution(source)
    if parts is not None:
        out = []
        for is_name, text in parts:
            if not is_name:
                out.append(text)
                continue
            value = variables.get(text, _MISSING)
            if value is _MISSING:
                if text not in _globals(source):
                    raise jinja2.UndefinedError(f"{text!r} is undefined")
                value = _globals(source)[text]
            out.append(value if type(value) is str else str(value))
        return "".join(out)
    template = _compile(source)
    flat = _globals(source)
    # as Template.new_context(vars) builds it, with the flattened globals in place of the ChainMap
    # (the Context copies its keys into a set on every render: a dict is far cheaper to copy)
    context = template.environment.context_class(template.environment, {**flat, **variables}, template.name,
                                                 template.blocks, globals=flat)
    try:
        return template.environment.concat(template.root_render_func(context))
    except Exception:
        return template.environment.handle_exception()


def _normalised(label: str, ignorecase: bool) -> str:
    """A label as the parser compares it: whitespace runs made one space, case-folded under IGNORECASE."""
    label = " ".join(label.split())
    return label.casefold() if ignorecase else label


def _normalise(label: str, p: ParserSpec) -> str:
    return _normalised(label, "IGNORECASE" in p.flags)


@dataclass(frozen=True)
class _Labels:
    """A parser's labels, prepared once per parser (not once per verdict): the normalised label ->
    the sidecar's label, and its compiled patterns."""

    table: dict[str, str]
    ignorecase: bool
    patterns: tuple[re.Pattern[str], ...]


_PREPARED: dict[int, tuple[ParserSpec, _Labels]] = {}  # id(spec) -> (spec, its labels); specs are few


def _labels_of(p: ParserSpec) -> _Labels:
    held = _PREPARED.get(id(p))
    if held is not None and held[0] is p:
        return held[1]
    ignorecase = "IGNORECASE" in p.flags
    table = {_normalised(k, ignorecase): k for k in p.labels}
    bits = 0
    for f in p.flags:
        bits |= _FLAGS[f]
    labels = _Labels(table, ignorecase, tuple(re.compile(pattern, bits) for pattern in p.patterns))
    if len(_PREPARED) >= 256:  # templates made and dropped by the thousand (tests): start again
        _PREPARED.clear()
    _PREPARED[id(p)] = (p, labels)  # the spec is kept with its entry, so its id is not reused
    return labels


def _label_verdict(p: ParserSpec, label: str, text: str) -> Verdict:
    prepared = _labels_of(p)
    key = prepared.table.get(_normalised(label, prepared.ignorecase))
    if key is None:
        return Verdict(winner="invalid", label=label, raw=text, reason=f"unknown label {label!r}")
    if type(label) is str and type(text) is str:  # what validating would check (the rest is the spec's)
        return trusted_from(Verdict, {"winner": p.labels[key], "label": label, "strength": p.strengths.get(key),
                                      "p_a": None, "raw": text, "reason": None, "score": None}, _LABEL_VERDICT_SET)
    return Verdict(winner=p.labels[key], label=label, strength=p.strengths.get(key), raw=text)


_LABEL_VERDICT_SET = frozenset({"winner", "label", "strength", "raw"})


def _parse_regex(p: ParserSpec, text: str) -> Verdict:
    for pattern in _labels_of(p).patterns:
        matches = [m for m in pattern.findall(text) if m != ""]
        if not matches:
            continue
        if p.select == "unique":
            if len(matches) > 1 and len({_normalise(m, p) for m in matches}) > 1:
                return Verdict(winner="invalid", raw=text,
                               reason=f"conflicting verdicts: {sorted(set(matches))}")
            return _label_verdict(p, matches[0], text)
        return _label_verdict(p, matches[0] if p.select == "first" else matches[-1], text)
    return Verdict(winner="invalid", raw=text, reason="no verdict found")


def _parse_pair_scores(p: ParserSpec, text: str) -> Verdict:
    m = re.search(p.pattern or "", text)
    if not m:
        return Verdict(winner="invalid", raw=text, reason="no pair of scores found")
    s1, s2 = float(m.group(1)), float(m.group(2))
    winner: Winner = "A" if s1 > s2 else "B" if s2 > s1 else "tie"
    return Verdict(winner=winner, label=f"{m.group(1)} {m.group(2)}", raw=text)


def _parse_score(p: ParserSpec, text: str) -> Verdict:
    """A pointwise grade: the selected match of the pattern's first group, inside the range."""
    flags = 0
    for f in p.flags:
        flags |= _FLAGS[f]
    matches: list[str] = []
    for pattern in p.patterns or (p.pattern or "",):  # several: the first that matches decides (FastChat's backup)
        matches = [m if isinstance(m, str) else m[0] for m in re.findall(pattern, text, flags)]
        matches = [m for m in matches if m != ""]
        if matches:
            break
    if not matches:
        return Verdict(winner="invalid", raw=text, reason="no grade found")
    if p.select == "unique" and len({_normalise(m, p) if p.grades else float(m) for m in matches}) > 1:
        return Verdict(winner="invalid", raw=text, reason=f"conflicting grades: {sorted(set(matches))}")
    label = matches[-1] if p.select == "last" else matches[0]
    if p.grades:
        table = {_normalise(k, p): v for k, v in p.grades.items()}
        if _normalise(label, p) not in table:
            return Verdict(winner="invalid", label=label, raw=text, reason=f"unknown grade {label!r}")
        value = float(table[_normalise(label, p)])
    else:
        value = float(label)
    if p.range is not None and not p.range[0] <= value <= p.range[1]:
        return Verdict(winner="invalid", label=label, raw=text,
                       reason=f"grade {label} outside {p.range[0]:g}..{p.range[1]:g}")
    return Verdict(winner="A", label=label, score=value, raw=text)


def _parse_json(p: ParserSpec, text: str) -> Verdict:
    start = text.find("{")
    decoder = json.JSONDecoder()
    while start != -1:
        try:
            obj, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(obj, dict) and p.key in obj:
            return _label_verdict(p, str(obj[p.key]), text)
        start = text.find("{", start + 1)
    return Verdict(winner="invalid", raw=text, reason=f"no JSON object with key {p.key!r}")


# ---------------------------------------------------------------------- loading


def template_names() -> list[str]:
    return sorted(p.stem for p in data_dir("prompts").glob("*.j2"))


@cache
def load_template(name_or_path: str) -> Template:
    path = Path(name_or_path)
    if path.suffix == ".j2" and path.is_file():
        j2 = path
    else:
        j2 = data_dir("prompts") / f"{name_or_path}.j2"
        if not j2.is_file():
            raise ConfigError(f"unknown template {name_or_path!r}; known templates: "
                              f"{', '.join(template_names())} (or pass a path to a .j2 file "
                              "with a .yaml sidecar)")
    sidecar = j2.with_suffix(".yaml")
    if not sidecar.is_file():
        raise ConfigError(f"template {j2} has no sidecar {sidecar.name} (parser, labels, models)")
    text = j2.read_text(encoding="utf-8")
    side_text = sidecar.read_text(encoding="utf-8")
    try:
        spec = TemplateSpec.model_validate(yaml.load(side_text, Loader=_YAML_LOADER))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"{sidecar}: invalid template sidecar:\n{exc}") from exc
    digest = hashlib.sha256(text.encode() + b"\0" + side_text.encode()).hexdigest()[:16]
    return Template(name=j2.stem, spec=spec, text=text, hash=digest)


def _model_key(model: str) -> str:
    return model.rstrip("/").rsplit("/", 1)[-1].casefold()


def template_for_model(model: str) -> str | None:
    """The template a known fine-tuned judge was trained with, by hub id or checkpoint folder name."""
    key = _model_key(model)
    for name in template_names():
        for known in load_template(name).spec.models:
            if known.casefold() == model.casefold() or _model_key(known) == key:
                return name
    return None
