from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score

from judgekit.metrics import pairwise_metrics
from judgekit.types import Judgment


def _j(ex: str, order: str, shown: str, label: str = "A", category: str = "math", status: str = "ok") -> Judgment:
    from judgekit.protocols import unswap_winner

    return Judgment(request_id=f"{ex}#{order}", example_id=ex, order=order, category=category, label=label,
                    status=status, shown_winner=shown if status == "ok" else "invalid",
                    winner=unswap_winner(shown, order) if status == "ok" else "invalid", template_hash="h")


def test_pairwise_report_hand_computed() -> None:
    # four pairs, gold A; shown-frame verdicts per order
    rows = [
        _j("p1", "AB", "A"), _j("p1", "BA", "B"),          # A, A: consistent, correct
        _j("p2", "AB", "A"), _j("p2", "BA", "A"),          # A, B: always first shown -> inconsistent
        _j("p3", "AB", "tie"), _j("p3", "BA", "B"),        # tie, A: judgebench correct
        _j("p4", "AB", "invalid", category="code"), _j("p4", "BA", "x", category="code", status="error"),
    ]
    m = pairwise_metrics(rows, category_order=["code", "math"])
    assert m.n_examples == 4 and m.n_judgments == 8 and m.n_invalid == 1 and m.n_failed == 1
    assert m.accuracy["judgebench"].overall.value == pytest.approx(50.0)
    assert m.accuracy["both"].overall.value == pytest.approx(25.0)
    assert m.accuracy["first"].overall.value == pytest.approx(50.0)
    assert m.accuracy["judgebench"].categories["math"].value == pytest.approx(200 / 3)
    assert m.accuracy["judgebench"].categories["code"].value == pytest.approx(0.0)
    assert list(m.accuracy["judgebench"].categories) == ["code", "math"]
    assert m.swap_consistency is not None and m.swap_consistency.value == pytest.approx(25.0)
    # decisive shown verdicts: A, B, A, A, B -> 3 of 5 pick the first shown
    assert m.position_preference.value == pytest.approx(60.0) and m.position_preference.n == 5
    assert m.invalid_rate.value == pytest.approx(100 / 7)
    gold = ["A"] * 8
    verdicts = ["A", "A", "A", "B", "tie", "A", "invalid", "invalid"]
    assert m.cohen_kappa.value == pytest.approx(cohen_kappa_score(gold, verdicts), abs=1e-12)
    assert m.cohen_kappa.n == 8
