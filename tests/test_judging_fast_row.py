"""The runner's fast row (judging.judgment_line): the very bytes store.append writes for
make_judgment's record, for every kind of row it handles, and None (the usual path) for the rest."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from judgekit.judging import judgment_line, make_judgment
from judgekit.prompts import load_template
from judgekit.types import Completion, Example, JudgeRequest, PairExample, PointExample

PAIR_TEMPLATES = ("arena_hard", "vanilla", "pandalm", "judgelm", "alpaca_eval_gpt4_turbo", "skywork_critic")
POINT_TEMPLATES = ("mt_bench_single", "prometheus2_absolute", "qa_reference")

PAIRS = [
    PairExample(id="e1", prompt="q", response_a="short", response_b="a longer one", label="B", category="math"),
    PairExample(id="é\"2\\", prompt="q", response_a="ünïcödé ✓ 😀", response_b="", label=None),
    PairExample(id="e3", prompt="q", response_a="a\n\tb\u0001\u2028</script>", response_b="x" * 5000, label="tie",
                category="с кириллицей"),
]
POINTS = [
    PointExample(id="p1", prompt="q", response="an answer", score=7.0, category="writing"),
    PointExample(id="p2", prompt="q", response="", score=None),
    PointExample(id="p3", prompt="q", response="r", score=0.1 + 0.2, reference="ref"),
]
TEXTS = ["[[A>B]]", "[[B>>A]]", "[[A=B]]", "[[A]]", "[[B]]", "[[C]]", "A", "Output (b)", "no verdict at all",
         "[[A>B]] but also [[B>A]]", "Rating: [[7]]", "[RESULT] 4", "[[10]]", "Score: 3.5", '{"winner": "A"}',
         "1 2", "8 3\nbecause", "ünïcödé [[B>A]] ✓ 😀", "correct", "", "Output (a)", "tie"]


def _req(ex: Example, order: str, sample: int = 0) -> JudgeRequest:
    return JudgeRequest(request_id=f"{ex.id}#{order}" + (f"~{sample}" if sample else ""), example_id=ex.id,
                        order=order, sample=sample, template="t", template_hash="h")  # type: ignore[arg-type]


def _completions(rid: str, rng: random.Random) -> list[Completion]:
    out = [Completion(request_id=rid, text=t, latency_s=rng.choice([0.0, 0.25, 12.5, 1e-7, None]),
                      prompt_tokens=rng.choice([None, 0, 123]), completion_tokens=rng.choice([None, 7]),
                      attempts=rng.choice([1, 3]), cached=rng.random() < 0.3) for t in TEXTS]
    out += [
        Completion(request_id=rid),  # no output
        Completion(request_id=rid, scores=[0.5, -1.25]),
        Completion(request_id=rid, scores=[2.0, 2.0], latency_s=0.5),
        Completion(request_id=rid, scores=[3.0]),
        Completion(request_id=rid, scores=[3.0], finish_reason="reward"),
        Completion(request_id=rid, recorded_winner="A", recorded_p_a=0.8125),
        Completion(request_id=rid, recorded_winner="invalid", text="garbled"),
        Completion(request_id=rid, recorded_winner="tie", text="[[A=B]]", recorded_p_a=0.5),
        Completion(request_id=rid, choice_logprobs={"A": -0.1, "B": -2.3, "tie": -5.0}),
        Completion(request_id=rid, choice_logprobs={"A": float("-inf")}),
        Completion(request_id=rid, choice_logprobs={"zzz": -1.0}),
    ]
    return out


def _slow(req: JudgeRequest, ex: Example, c: Completion, template_name: str) -> bytes:
    return make_judgment(req, ex, c, load_template(template_name)).model_dump_json(exclude_none=True).encode()


@pytest.mark.parametrize("template_name", PAIR_TEMPLATES + POINT_TEMPLATES)
def test_fast_row_is_the_slow_rows_bytes(template_name: str) -> None:
    template = load_template(template_name)
    rng = random.Random(template_name)
    examples: list[Example] = [*PAIRS, *POINTS]
    n_fast = 0
    for ex, order, sample in itertools.product(examples, ("AB", "BA"), (0, 2)):
        if isinstance(ex, PointExample) and order == "BA":
            continue
        req = _req(ex, order, sample)
        for c in _completions(req.request_id, rng):
            try:
                slow = _slow(req, ex, c, template_name)
            except Exception as exc:  # a row the record path cannot make (one score for a pair, swapped)
                with pytest.raises(type(exc)):
                    judgment_line(req, ex, c, template)
                continue
            fast = judgment_line(req, ex, c, template)
            if fast is None:  # only where the fast path says it cannot write the row
                assert "error" in json.loads(slow) or "meta" in json.loads(slow) or not all(
                    abs(x) < 1e16 for x in _floats(json.loads(slow))), slow
                continue
            n_fast += 1
            assert fast[0] == slow, (fast[0], slow)
            assert fast[1] == json.loads(slow)["winner"]
    assert n_fast > 200  # the fast path is what was compared, not skipped


def _floats(row: dict[str, object]) -> list[float]:
    out: list[float] = []
    for v in row.values():
        if isinstance(v, float):
            out.append(v)
        elif isinstance(v, list):
            out += [x for x in v if isinstance(x, float)]
    return out


@pytest.mark.parametrize("completion,why", [
    (Completion(request_id="e1#AB", error="HTTP 500 from https://user:secret@host"), "failed: redacted"),
    (Completion(request_id="e1#AB", scores=[1e20, 0.0]), "a float pydantic writes as 1e+20"),
    (Completion(request_id="e1#AB", scores=[float("nan"), 0.0]), "NaN"),
    (Completion(request_id="e1#AB", text="[[A>B]]", latency_s=float("inf")), "infinity"),
])
def test_rows_the_fast_path_leaves_to_the_record(completion: Completion, why: str) -> None:
    template = load_template("arena_hard")
    assert judgment_line(_req(PAIRS[0], "AB"), PAIRS[0], completion, template) is None, why


def test_rows_with_example_facts_take_the_record_path() -> None:
    ex = PAIRS[0].model_copy(update={"metadata": {"aggregate": {"subset": "s", "w": 1e30}}})
    assert judgment_line(_req(ex, "AB"), ex, Completion(request_id="e1#AB", text="[[A>B]]"),
                         load_template("arena_hard")) is None


def test_large_floats_are_why_the_fast_path_steps_aside() -> None:
    """The reason for the float check: the two JSON writers spell large floats differently."""
    import msgspec
    from pydantic_core import to_json

    assert to_json(1e20) == b"1e+20" and msgspec.json.encode(1e20) == b"1e20"
    assert to_json(0.1 + 0.2) == msgspec.json.encode(0.1 + 0.2) and to_json(1e-7) == msgspec.json.encode(1e-7)

