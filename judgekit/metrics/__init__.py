"""Metrics: pure functions over arrays and typed records. No backend, no I/O.

- :mod:`.agreement`: accuracy, Cohen's kappa (weighted), Krippendorff's alpha, confusion
  matrix, precision/recall/F1, agreement with and without ties, majority vote.
- :mod:`.bias`: swap consistency, position preference (with a test), length bias,
  self-preference, invalid-verdict bounds on accuracy.
- :mod:`.stats`: bootstrap intervals, exact tests, paired comparison of two judges,
  multiple-comparison adjustment.
- :mod:`.pointwise`: Pearson, Spearman, Kendall with intervals; Likert agreement.
- :mod:`.ranking`: win rates, Bradley-Terry (with style control), Elo, rank agreement with
  a gold ranking, JuStRank decisiveness and bias, length-controlled win rate.
- :mod:`.calibration`: cross-fitted isotonic calibration with a small gold slice; ECE,
  Brier and reliability diagrams for soft verdicts.
- :mod:`.pairwise`: the run report.

The names below are importable from ``judgekit.metrics``; the modules that need scipy load
on first use, so ``import judgekit`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from .agreement import accuracy, cohen_kappa
from .bias import position_preference, swap_consistency
from .pairwise import pairwise_metrics

_LAZY = {
    # agreement
    "classification_report": "agreement", "confusion_matrix": "agreement", "krippendorff_alpha": "agreement",
    "majority_vote": "agreement", "pairwise_accuracy": "agreement", "precision_recall_f1": "agreement",
    # bias
    "invalid_bounds": "bias", "length_bias": "bias", "position_preference_test": "bias",
    "self_preference": "bias",
    # stats
    "adjust_pvalues": "stats", "binomial_test": "stats", "bootstrap_rows": "stats", "bootstrap_share": "stats",
    "compare_by_category": "stats", "compare_judges": "stats", "mcnemar_exact": "stats",
    # pointwise
    "kendall": "pointwise", "likert_agreement": "pointwise", "pearson": "pointwise", "spearman": "pointwise",
    # ranking
    "bradley_terry": "ranking", "decisiveness": "ranking", "elo_ratings": "ranking",
    "rank_agreement": "ranking", "rank_agreement_bootstrap": "ranking",
    "style_features": "ranking", "system_bias": "ranking", "win_rates": "ranking",
    # AlpacaEval's length-controlled win rate
    "length_controlled_v1": "alpaca_glm",
    # calibration
    "brier_score": "calibration", "calibrated_mean": "calibration", "calibrated_system_scores": "calibration",
    "expected_calibration_error": "calibration", "isotonic_fit": "calibration",
    "reliability_diagram": "calibration", "soft_calibration": "calibration",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = ["accuracy", "cohen_kappa", "pairwise_metrics", "position_preference", "swap_consistency", *sorted(_LAZY)]
