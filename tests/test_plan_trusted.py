"""The plan builds each JudgeRequest without validating it again (types.trusted_request): the
request equals, hashes, dumps and keys the cache as ``JudgeRequest(**same values)`` does."""

from __future__ import annotations

import pytest

from judgekit.cache import request_key
from judgekit.plan import RequestPlan
from judgekit.prompts import load_template
from judgekit.types import JudgeRequest, PairExample, PointExample, SamplingParams, trusted_request

PAIR = PairExample(id="e1", prompt="q ✓", response_a="a", response_b="b b", label="A", category="c",
                   metadata={"turn_a": "x", "turn_b": "y"})
POINT = PointExample(id="p1", prompt="q", response="r", score=3.0, reference="ref", rubric="be kind",
                     metadata={"references": ["r1", "r2"]})


@pytest.mark.parametrize("template,mode,samples,example", [
    ("arena_hard", "generate", 1, PAIR), ("vanilla", "logprob", 1, PAIR), ("vanilla", "constrained", 1, PAIR),
    ("alpaca_eval_gpt4_turbo", "generate", 3, PAIR), ("mt_bench_single", "generate", 1, POINT),
    ("qa_reference", "generate", 2, POINT),
])
def test_planned_requests_equal_validated_ones(template: str, mode: str, samples: int, example: object) -> None:
    t = load_template(template)
    sampling = SamplingParams(temperature=0.7 if samples > 1 else 0.0, seed=5)
    plan = RequestPlan.make(t, sampling, True, "original", mode, samples)  # type: ignore[arg-type]
    made = [r for r, _ in plan.requests([example])]  # type: ignore[list-item]
    assert len(made) == samples * (1 if isinstance(example, PointExample) else 2)
    for r in made:
        validated = JudgeRequest(**{name: getattr(r, name) for name in JudgeRequest.model_fields})
        assert r == validated and hash(r) == hash(validated)
        assert r.model_dump_json() == validated.model_dump_json() and r.model_dump() == validated.model_dump()
        assert request_key({"b": 1}, r) == request_key({"b": 1}, validated)
        with pytest.raises(Exception, match="frozen"):
            r.sample = 9  # type: ignore[misc]


def test_trusted_request_needs_every_field() -> None:
    with pytest.raises(TypeError, match="every field"):
        trusted_request(request_id="x", example_id="x", template="t", template_hash="h")


def test_references_that_are_not_text_are_still_refused() -> None:
    t = load_template("qa_reference")
    bad = POINT.model_copy(update={"metadata": {"references": [1, 2]}})
    plan = RequestPlan.make(t, SamplingParams(), False, "original")
    with pytest.raises(Exception, match="string"):
        list(plan.requests([bad]))


def test_generic_adapter_examples_equal_validated_ones(tmp_path: object) -> None:
    """The generic adapter builds its pairs with types.trusted: each equals PairExample(...) of the
    same values, whatever the row held (ints, floats, categories, generators, mapped labels)."""
    import json
    from pathlib import Path

    from judgekit.adapters import load_examples
    from judgekit.suites import load_suite, with_args
    from judgekit.types import PairExample

    path = Path(str(tmp_path)) / "pairs.jsonl"
    rows = [{"id": 7, "prompt": 3.5, "a": "x ✓", "b": 12, "label": 2, "category": 4},
            {"id": "s", "prompt": "p", "a": "", "b": "y", "label": "tie", "generator_a": "m1", "generator_b": "m2"},
            {"prompt": "no id", "a": "a", "b": "b", "label": "A", "category": "c"},
            {"id": "n", "prompt": "p", "a": "a", "b": "b"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    suite = with_args(load_suite("generic"), {})
    examples = load_examples(suite, None, str(path), None).examples
    assert len(examples) == 4
    for ex in examples:
        validated = PairExample(**{name: getattr(ex, name) for name in PairExample.model_fields})
        assert ex == validated and ex.model_dump_json() == validated.model_dump_json()
        assert all(type(getattr(ex, f)) is str for f in ("id", "prompt", "response_a", "response_b"))
    assert [e.label for e in examples] == ["B", "tie", "A", None]  # type: ignore[union-attr]
    assert examples[0].category == "4" and examples[1].metadata == {"generator_a": "m1", "generator_b": "m2"}
