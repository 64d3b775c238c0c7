"""The one interval type (metrics.interval.Score) and the one formatting module (views.format)."""

from __future__ import annotations

import json

import pytest

from judgekit.metrics.interval import Score
from judgekit.views import format as fmt

S = Score(value=65.714285, n=350, ci_low=60.5714, ci_high=70.857, p_value=0.0123)


@pytest.mark.parametrize("call,expected", [
    (lambda: fmt.value(S), "65.71"),
    (lambda: fmt.value(S, 4), "65.7143"),
    (lambda: fmt.interval(S), "[60.57, 70.86]"),
    (lambda: fmt.with_ci(S), "65.71 [60.57, 70.86]"),
    (lambda: fmt.with_ci(Score(value=0.47551, n=999), 4), "0.4755"),
    (lambda: fmt.with_ci(None), "-"),
    (lambda: fmt.with_ci(Score(value=None, n=0)), "-"),
    (lambda: fmt.ci_short(S), "60.6-70.9"),
    (lambda: fmt.num(3), "3"),
    (lambda: fmt.num(None), "-"),
    (lambda: fmt.num(-15.4286, sign=True), "-15.43"),
    (lambda: fmt.num(0.0, sign=True), "+0.00"),
    (lambda: fmt.interval(Score(value=-15.4, n=1, ci_low=-19.43, ci_high=-12.0), sign=True), "[-19.43, -12.00]"),
    (lambda: fmt.html_with_ci(S), "65.71 <span class=ci>[60.57, 70.86]</span> <span class=ci>p = 0.012</span>"),
    (lambda: fmt.digits_for("kappa"), 4),
    (lambda: fmt.digits_for("accuracy"), 2),
])
def test_format_cases(call, expected) -> None:  # type: ignore[no-untyped-def]
    assert call() == expected


def test_score_serialisation_omits_only_an_unset_method() -> None:
    plain = json.loads(Score(value=1.0, n=2).model_dump_json())
    assert set(plain) == {"value", "n", "count", "higher_is_better", "ci_low", "ci_high", "ci_level", "n_invalid",
                          "p_value", "p_adjusted"}
    assert Score(value=1.0, n=2, method="wilson").model_dump()["method"] == "wilson"
    assert Score.model_validate(plain) == Score(value=1.0, n=2)


def test_scaled_and_brief() -> None:
    share = Score(value=0.25, n=8, ci_low=0.1, ci_high=0.5, method="wilson")
    pct = share.scaled(100)
    assert (pct.value, pct.ci_low, pct.ci_high, pct.n, pct.method) == (25.0, 10.0, 50.0, 8, "wilson")
    assert pct.brief() == {"value": 25.0, "ci_low": 10.0, "ci_high": 50.0, "n": 8}
