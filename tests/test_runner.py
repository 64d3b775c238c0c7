"""The runner, directly: requests for both orders, the suite overrides, the template choice."""

from __future__ import annotations

import pytest

from judgekit.errors import ConfigError
from judgekit.prompts import load_template
from judgekit.runner import build_requests, with_args
from judgekit.suites import load_suite
from judgekit.types import PairExample, PointExample, SamplingParams

PAIRS = [PairExample(id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}", label="A") for i in range(2)]


def test_both_orders_with_swapped_responses() -> None:
    reqs = build_requests(PAIRS, load_template("arena_hard"), SamplingParams(), swap=True, single_order="original")
    assert [r.request_id for r in reqs] == ["p0#AB", "p0#BA", "p1#AB", "p1#BA"]
    ab, ba = reqs[0], reqs[1]
    assert ab.responses == ("a0", "b0") and ba.responses == ("b0", "a0")
    assert ab.template_hash == load_template("arena_hard").hash and ab.question == "q0"
    single = build_requests(PAIRS, load_template("arena_hard"), SamplingParams(), swap=False, single_order="original")
    assert [r.request_id for r in single] == ["p0#AB", "p1#AB"]


def test_logprob_mode_needs_label_tokens_and_fixes_sampling() -> None:
    with pytest.raises(ConfigError, match="no label tokens"):
        build_requests(PAIRS, load_template("arena_hard"), SamplingParams(), True, "original", mode="logprob")
    reqs = build_requests(PAIRS, load_template("vanilla"), SamplingParams(temperature=0.9), True, "original",
                          mode="logprob")
    assert all(r.sampling.max_tokens == 1 and r.sampling.temperature == 0.0 and r.choices for r in reqs)


def test_a_pointwise_example_is_one_request() -> None:
    ex = PointExample(id="x", prompt="q", response="r", score=3.0)
    (req,) = build_requests([ex], load_template("prometheus2_absolute"), SamplingParams(), True, "original")
    assert (req.request_id, req.responses) == ("x#AB", ("r",))


def test_with_args_switches_kind_and_default_template() -> None:
    generic = load_suite("generic")
    point = with_args(generic, {"kind": "pointwise"})
    assert point.kind == "pointwise" and point.default_template == "prometheus2_absolute"
    assert with_args(generic, {}) is generic
    with pytest.raises(ConfigError, match="expected pairwise or pointwise"):
        with_args(generic, {"kind": "listwise"})
