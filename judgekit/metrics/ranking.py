"""System rankings from judge verdicts, and how well they agree with a gold ranking.

This module gathers the public names; each is computed (and described) in a module of its own:

- :mod:`.battles`: :func:`outcome_scores`, :func:`win_rates` (each system's win rate against a
  baseline, a tie half a win, bootstrap intervals clustered by item).
- :mod:`.bradley_terry`: :func:`bradley_terry` (Arena-Hard's Bradley-Terry scores, with style
  control through :func:`style_features`) and :func:`elo_ratings` (FastChat's online Elo).
- :mod:`.rank_agreement`: :func:`rank_agreement`, :func:`rank_agreement_bootstrap` (Kendall's tau
  and Spearman's rho with a gold ranking, JuStRank's headline), :func:`decisiveness` and
  :func:`system_bias` (JuStRank's characterisation of a judge).
- AlpacaEval's length-controlled win rate is :func:`judgekit.metrics.alpaca_glm.length_controlled_v1`
  (the plain unregularised GLM that stood here until issue 12 was not AlpacaEval's LC and is gone).
"""

from __future__ import annotations

# The public names of system rankings, from the modules that compute them.
from .battles import WINNER_SCORE, Floats, Names, outcome_scores, win_rates
from .bradley_terry import BTResult, bradley_terry, elo_ratings, style_features
from .correlation import kendall_tau, spearman_rho
from .logistic import logistic_regression, logistic_regression_batch
from .rank_agreement import (
    SD_INFLATION,
    Decisiveness,
    RankAgreement,
    SystemBias,
    decisiveness,
    elo_win_matrix,
    kendall_tau_batch,
    rank_agreement,
    rank_agreement_bootstrap,
    rank_agreement_from_samples,
    score_win_matrix,
    spearman_batch,
    system_bias,
)

__all__ = [
    "WINNER_SCORE", "BTResult", "Decisiveness", "Floats", "Names", "RankAgreement", "SD_INFLATION", "SystemBias",
    "bradley_terry", "decisiveness", "elo_ratings", "elo_win_matrix", "kendall_tau", "kendall_tau_batch",
    "logistic_regression", "logistic_regression_batch", "outcome_scores",
    "rank_agreement", "rank_agreement_bootstrap", "rank_agreement_from_samples", "score_win_matrix",
    "spearman_batch", "spearman_rho", "style_features", "system_bias", "win_rates",
]
