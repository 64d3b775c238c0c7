"""The pairwise report's built-in figures, in the order the terminal, the leaderboard and the report
show them. Their values come from :func:`judgekit.metrics.pairwise.pairwise_metrics` (computed
together, vectorised), so each declares how to ``read`` it instead of how to compute it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import builtin


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda m: getattr(m, name, None)


def _soft(part: str) -> Callable[[Any], Any]:
    def read(m: Any) -> Any:
        soft = getattr(m, "soft_calibration", None)
        return None if soft is None else getattr(soft, part)
    return read


builtin("swap_consistency", "swap consistency", read=_attr("swap_consistency"), terminal="swap consistency",
         missing="- (single order)", leaderboard="swap consistency", report="swap consistency %",
         higher_is_better=True)
builtin("position_preference", "position preference (first shown)", read=_attr("position_preference"),
         terminal="position preference (first shown)", style="decisive", leaderboard="position preference",
         report="position preference % (first shown)")
builtin("length_bias", "prefers the longer response", read=_attr("length_bias"),
         terminal="prefers the longer response", style="decisive", report="prefers the longer response %")
builtin("invalid_rate", "invalid verdicts", kinds=("pairwise", "pointwise"), read=_attr("invalid_rate"),
         terminal="invalid verdicts", style="count", leaderboard="invalid %", report="invalid verdicts %",
         higher_is_better=False)
builtin("accuracy_bounds", "accuracy, invalid as wrong / dropped / correct", read=_attr("accuracy_bounds"),
         terminal="accuracy, invalid as wrong / dropped / correct", style="bounds")
builtin("cohen_kappa", "Cohen's kappa vs gold", read=_attr("cohen_kappa"), terminal="Cohen's kappa vs gold",
         report="Cohen's kappa vs gold", digits=4, unit="", higher_is_better=True)
builtin("soft_brier", "soft verdicts: Brier score", read=_soft("brier"), terminal="soft verdicts: Brier / ECE",
         style="soft", report="soft verdicts: Brier score", digits=4, unit="", optional=True, higher_is_better=False)
builtin("soft_ece", "soft verdicts: ECE", read=_soft("ece"), terminal=None, report="soft verdicts: ECE", digits=4,
         unit="", optional=True, higher_is_better=False)
