"""The run loop's fast paths (issue 10, CPU per judgment) give what the plain way gives:
reading a JSONL line as bytes, the regex parser prepared once per template, and the collector
settings while a run judges."""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import pytest

from judgekit.adapters._io import read_jsonl
from judgekit.bulk import JUDGING_GC_THRESHOLD, frozen_gc
from judgekit.errors import DataError
from judgekit.prompts import ParserSpec, Template, _parse_regex, load_template, template_names
from judgekit.types import Verdict

# ------------------------------------------------------------------------------------------ reading


def test_read_jsonl_gives_json_loads_rows_for_every_kind_of_line(tmp_path: Path) -> None:
    lines = ['\ufeff{"id": 1, "t": "first line, after a byte order mark"}',
             '{"id": 2, "t": "caf\u00e9 \u2713 \U0001f600", "n": 1.5, "x": null, "l": [1, {"a": true}]}',
             "", "   ", "\u3000",  # blank lines, one of them a Unicode space: skipped
             '{"id": 3, "t": NaN}',  # what json.loads reads and msgspec does not
             '  {"id": 4}  ', '{"id": 5, "t": "\\ud800 lone surrogate"}', '{"id": 6}\r']
    path = tmp_path / "rows.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n")
    rows = list(read_jsonl(path))
    expected = [(json.loads(text.lstrip("\ufeff")), n) for n, text in enumerate(lines, start=1)
                if text.strip() and not text.isspace()]
    assert [r.line for r in rows] == [n for _, n in expected] == [1, 2, 6, 7, 8, 9]
    for row, (obj, _) in zip(rows, expected, strict=True):
        assert json.dumps(row.data, sort_keys=True) == json.dumps(obj, sort_keys=True)


@pytest.mark.parametrize("bad,message", [(b'{"t": "\xc3"}', "UTF-8"), (b'{"t": "\xed\xa0\x80"}', "UTF-8"),
                                         (b"[1, 2]", "expected a JSON object"), (b'{"t": ', "invalid JSON")])
def test_read_jsonl_names_the_line_of_a_bad_one(tmp_path: Path, bad: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n' + bad + b"\n")
    with pytest.raises(DataError) as err:
        list(read_jsonl(path))
    assert f"{path}:3" in str(err.value) and message in str(err.value)


# ------------------------------------------------------------------------------------------ parsing


def _reference_parse(p: ParserSpec, text: str) -> Verdict:
    """The regex parser written plainly: patterns compiled and labels normalised on each call."""
    flags = 0
    for f in p.flags:
        flags |= getattr(re, f)

    def norm(s: str) -> str:
        s = " ".join(s.split())
        return s.casefold() if "IGNORECASE" in p.flags else s

    table = {norm(k): k for k in p.labels}
    for pattern in p.patterns:
        matches = [m for m in re.findall(pattern, text, flags) if m != ""]
        if not matches:
            continue
        if p.select == "unique" and len({norm(m) for m in matches}) > 1:
            return Verdict(winner="invalid", raw=text, reason=f"conflicting verdicts: {sorted(set(matches))}")
        label = matches[-1] if p.select == "last" else matches[0]
        key = table.get(norm(label))
        if key is None:
            return Verdict(winner="invalid", label=label, raw=text, reason=f"unknown label {label!r}")
        return Verdict(winner=p.labels[key], label=label, strength=p.strengths.get(key), raw=text)
    return Verdict(winner="invalid", raw=text, reason="no verdict found")


def _texts(t: Template) -> list[str]:
    labels = list(t.spec.parser.labels) or ["A", "B"]
    out = ["no verdict here", ""]
    for a in labels:
        for form in (f"[[{a}]]", f"[{a}]", f"Output ({a})", f"Final verdict: [[{a}]]", f"{a}", f"Answer: {a}",
                     f"My final verdict is tie: [[{a}]]", f"[[{a.lower()}]]", f"[[ {a} ]]", f'{{"winner": "{a}"}}'):
            out.append(form)
        for b in labels[:3]:
            out.append(f"First [[{a}]] then [[{b}]]")  # the same label twice, or two that conflict
    out.append("[[C>D]] is not a label")
    return out


@pytest.mark.parametrize("name", [n for n in template_names() if load_template(n).spec.parser.type == "regex"])
def test_prepared_regex_parser_equals_the_plain_one(name: str) -> None:
    t = load_template(name)
    p = t.spec.parser
    for text in _texts(t):
        got, want = t.parse(text), _reference_parse(p, text)  # (parse: the template's own entry point)
        assert _parse_regex(p, text) == want and got == want, text
        assert got.model_fields_set == want.model_fields_set and repr(got) == repr(want), text


def test_prepared_parser_follows_a_new_spec_not_a_stale_one() -> None:
    """Specs are prepared by identity: a second spec (another template) gets its own labels."""
    first = ParserSpec(type="regex", patterns=(r"\[\[(.*?)\]\]",), labels={"A>B": "A", "B>A": "B"})
    second = ParserSpec(type="regex", patterns=(r"\[\[(.*?)\]\]",), labels={"A>B": "B", "B>A": "A"},
                        flags=("IGNORECASE",))
    assert _parse_regex(first, "[[A>B]]").winner == "A"
    assert _parse_regex(second, "[[a>b]]").winner == "B"
    assert _parse_regex(first, "[[a>b]]").winner == "invalid"  # first is case-sensitive


# ------------------------------------------------------------------------------------------ collector


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_frozen_gc_raises_the_threshold_for_the_block_and_restores_it() -> None:
    before = gc.get_threshold()
    with frozen_gc():
        assert gc.get_threshold()[0] == max(before[0], JUDGING_GC_THRESHOLD)
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > 0
        a, b = _Node(), _Node()  # a reference cycle made inside the block is still collected
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), frozen_gc():
        raise RuntimeError("an error inside the block")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


# ------------------------------------------------------------------------------------------ records


def test_records_made_without_validating_equal_validated_ones() -> None:
    """The rendered message, the mock's completion and a parsed verdict are made by
    types.trusted_from: each equals the validated record in value, fields set, dump and repr."""
    import asyncio

    from judgekit.backends.mock import MockBackend
    from judgekit.types import Completion, JudgeRequest, Message, PairExample

    def same(got: object, want: object) -> None:
        assert got == want and repr(got) == repr(want)
        assert got.model_fields_set == want.model_fields_set  # type: ignore[attr-defined]
        assert got.model_dump_json() == want.model_dump_json()  # type: ignore[attr-defined]

    ex = PairExample(id="e", prompt="q ✓", response_a="a", response_b="b")
    chat = [n for n in template_names() if load_template(n).spec.format != "completion"
            and load_template(n).spec.kind == "pairwise"]
    assert len(chat) >= 7
    for name in chat:
        messages, _ = load_template(name).render(ex, swapped=True)
        same(messages[-1], Message(role="user", content=messages[-1].content))
    req = JudgeRequest(request_id="e#AB", example_id="e", template="t", template_hash="h")
    got = asyncio.run(MockBackend("[[A>B]] ✓").complete([req]))[0]
    same(got, Completion(request_id="e#AB", text="[[A>B]] ✓", latency_s=0.0))
    got.attempts = 3  # a record of its own: assignment works and is recorded as set
    assert got.attempts == 3 and "attempts" in got.model_fields_set
    assert "attempts" not in asyncio.run(MockBackend("x").complete([req]))[0].model_fields_set
    verdict = load_template("arena_hard").parse("[[B>>A]]")
    same(verdict, Verdict(winner=verdict.winner, label=verdict.label, strength=verdict.strength, raw="[[B>>A]]"))


# ------------------------------------------------------------------------------------------ progress


def test_the_progress_bar_gets_every_judgment_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """RichProgress counts judgments itself and hands them to rich at most every UPDATE_EVERY_S
    (rich's update costs as much as the pipeline's whole judgment): the bar's totals are exact
    when it stops, and rich is called far less often than once a judgment."""
    import io

    from rich.console import Console

    from judgekit import progress

    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    bar = progress.RichProgress(Console(file=io.StringIO(), width=100))
    calls = []
    bar.start(total=1000, completed=10, invalid=2, description="generic/test mock")
    assert bar._bar is not None
    real = bar._bar.update
    monkeypatch.setattr(bar._bar, "update", lambda *a, **k: (calls.append(k), real(*a, **k)))
    task = bar._bar.tasks[0]
    for i in range(990):
        clock[0] += 0.001  # a judgment every millisecond
        bar.advance(invalid=i % 10 == 0, failed=i % 100 == 1)
        if i == 500:  # the bar is at most UPDATE_EVERY_S behind while the run goes
            assert task.completed >= 10 + 501 - progress.UPDATE_EVERY_S / 0.001 - 1
    bar.stop()
    assert task.completed == 1000 and task.total == 1000
    assert task.fields["invalid"] == 2 + 99 and task.fields["failed"] == 10  # i % 10 == 0; i % 100 == 1
    assert 15 <= len(calls) <= 25  # about one call per 50 ms of a 990 ms run, not 990
