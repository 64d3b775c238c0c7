"""The one length-bias rule (metrics/bias.longer_choices) on a hand case, and the three places that
report length bias (the run report, metrics.bias.length_bias, the report's plot) agreeing on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgekit.metrics.bias import length_bias, longer_choices
from judgekit.metrics.pairwise import pairwise_metrics
from judgekit.types import Judgment
from judgekit.views.report_plots import _length_points


def test_longer_choices_hand_case() -> None:
    picks_a = np.array([True, False, True, False, True, True, False])
    decisive = np.array([True, True, True, True, False, True, True])
    la = np.array([10, 10, 5, 5, 10, 7, math.nan])
    lb = np.array([5, 5, 10, 10, 5, 7, 3])
    picks, counts = longer_choices(picks_a, decisive, la, lb)
    # item 4 is not decisive, item 5 has equal lengths, item 6 an unknown length
    assert counts.tolist() == [True, True, True, True, False, False, False]
    assert picks.tolist() == [True, False, False, True, False, False, False]


def _row(ex: str, order: str, winner: str, la: int, lb: int, label: str = "A") -> Judgment:
    shown = winner if order == "AB" else {"A": "B", "B": "A"}.get(winner, winner)
    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, status="ok", label=label,  # type: ignore[arg-type]
                    shown_winner=shown, winner=winner, len_a=la, len_b=lb, template_hash="t")  # type: ignore[arg-type]


def test_the_three_reports_agree() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        la, lb = int(rng.integers(5, 50)), int(rng.integers(5, 50))
        label = "A" if rng.random() < 0.5 else "B"
        for order in ("AB", "BA"):
            rows.append(_row(str(i), order, str(rng.choice(["A", "B", "tie"], p=[0.45, 0.45, 0.1])), la, lb, label))
    # by hand: decisive verdicts on unequal lengths that pick the longer response
    eligible = [j for j in rows if j.winner in ("A", "B") and j.len_a != j.len_b]
    k = sum((j.winner == "A") == (j.len_a > j.len_b) for j in eligible)  # type: ignore[operator]
    share = 100 * k / len(eligible)
    report = pairwise_metrics(rows, n_resamples=0).length_bias
    assert report is not None and report.value == pytest.approx(share, abs=1e-12)
    lb_fn = length_bias([j.winner for j in rows], [j.len_a for j in rows], [j.len_b for j in rows])  # type: ignore[misc]
    assert lb_fn.prefer_longer.value == pytest.approx(share / 100, abs=1e-12)
    _, judge, _ = _length_points(rows)
    assert (sum(a for a, _ in judge), sum(n for _, n in judge)) == (k, len(eligible))
