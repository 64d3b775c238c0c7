"""judging.py: completion -> Verdict -> Judgment, shared by the runner and the importers; the one
verdict -> credit rule of the scoring module."""

from __future__ import annotations

import math

import pytest

from judgekit.judging import imported_judgment, make_judgment, verdict_of
from judgekit.prompts import load_template
from judgekit.scoring import combined_verdict, preference, win_credit
from judgekit.types import Completion, JudgeRequest, Judgment, PairExample, Verdict

EX = PairExample(id="e1", prompt="q", response_a="short", response_b="a longer one", label="B", category="math",
                 metadata={"aggregate": {"subset": "s"}})
TPL = load_template("arena_hard")


def _req(order: str) -> JudgeRequest:
    return JudgeRequest(request_id=f"e1#{order}", example_id="e1", order=order, template=TPL.name,  # type: ignore[arg-type]
                        template_hash=TPL.hash)


@pytest.mark.parametrize("order,shown,winner", [("AB", "A", "A"), ("BA", "A", "B"), ("BA", "tie", "tie"),
                                                ("BA", "invalid", "invalid")])
def test_runner_and_importer_make_the_same_row(order: str, shown: str, winner: str) -> None:
    ran = make_judgment(_req(order), EX, Completion(request_id=f"e1#{order}", recorded_winner=shown), TPL)  # type: ignore[arg-type]
    imported = imported_judgment(EX, Verdict(winner=shown, label="recorded",  # type: ignore[arg-type]
                                             reason="recorded verdict was unparseable" if shown == "invalid" else None),
                                 order, TPL.hash)  # type: ignore[arg-type]
    assert ran.winner == imported.winner == winner and ran.shown_winner == shown
    same = {"request_id", "example_id", "order", "category", "label", "status", "shown_winner", "winner",
            "verdict_label", "reason", "len_a", "len_b", "meta", "template_hash"}
    assert ran.model_dump(include=same) == imported.model_dump(include=same)
    assert (ran.len_a, ran.len_b, ran.meta) == (5, 12, {"subset": "s"})


def test_imported_reason_only_on_invalid_and_p_a_unswapped() -> None:
    j = imported_judgment(EX, Verdict(winner="A", p_a=0.8, reason="ignored"), "BA", "imported:x")
    assert (j.winner, j.p_a, j.reason) == ("B", pytest.approx(0.2), None)


def test_verdict_of_sources() -> None:
    assert verdict_of(TPL, Completion(request_id="r", scores=[1.0, 1.0])).winner == "tie"
    assert verdict_of(TPL, Completion(request_id="r", scores=[0.0, 2.0])).winner == "B"
    assert verdict_of(TPL, Completion(request_id="r")).reason == "no output"
    assert verdict_of(TPL, Completion(request_id="r", text="[[A>B]]")).winner == "A"
    failed = make_judgment(_req("AB"), EX, Completion(request_id="e1#AB", error="timeout"), TPL)
    assert (failed.status, failed.winner, failed.error) == ("error", "invalid", "timeout")


@pytest.mark.parametrize("winner,p_a,credit", [("B", None, 1.0), ("tie", None, 0.5), ("A", None, 0.0),
                                               ("invalid", None, None), ("A", 0.25, 0.75), ("invalid", 0.3, None)])
def test_win_credit(winner: str, p_a: float | None, credit: float | None) -> None:
    assert win_credit(winner, p_a) == credit  # type: ignore[arg-type]


def test_preference_is_alpaca_evals() -> None:
    # AlpacaEval: preference 1 = output_1 (A) better, 2 = output_2 (B), continuous P(output_1) = 2 - preference
    def j(winner: str, p_a: float | None = None, status: str = "ok") -> Judgment:
        return Judgment(request_id="r", example_id="e", order="AB", status=status, shown_winner=winner,  # type: ignore[arg-type]
                        winner=winner, p_a=p_a, template_hash="h")  # type: ignore[arg-type]

    assert [preference(j("A")), preference(j("B")), preference(j("tie")), preference(j("A", 0.3))] == \
        pytest.approx([1.0, 2.0, 1.5, 1.7])
    assert math.isnan(preference(j("invalid"))) and math.isnan(preference(j("A", status="error")))


def test_combined_verdict_counts_a_failed_request_as_invalid() -> None:
    def j(order: str, winner: str, status: str = "ok") -> Judgment:
        return Judgment(request_id=f"e#{order}", example_id="e", order=order, status=status,  # type: ignore[arg-type]
                        shown_winner=winner, winner=winner, template_hash="h")  # type: ignore[arg-type]

    # JudgeBench's vote: correct + invalid counts like correct + tie -> correct
    assert combined_verdict([j("AB", "B"), j("BA", "A", status="error")], "judgebench") == "B"
    assert combined_verdict([j("AB", "B"), j("BA", "A")], "judgebench") != "B"
    assert combined_verdict([j("AB", "B"), j("BA", "B")], "both") == "B"
