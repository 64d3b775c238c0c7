"""System rankings from judge verdicts, and how well they agree with a gold ranking.

This module gathers the public names; each is computed (and described) in a module of its own:

- :mod:`.battles`: :func:`outcome_scores`, :func:`win_rates` (each system's win rate against a
  baseline, a tie half a win, bootstrap intervals clustered by item).
- :mod:`.bradley_terry`: :func:`bradley_terry` (Arena-Hard's Bradley-Terry scores, with style
  control through :func:`style_features`) and :func:`elo_ratings` (FastChat's online Elo).
- :mod:`.rank_agreement`: :func:`rank_agreement`, :func:`rank_agreement_bootstrap` (Kendall's tau
  and Spearman's rho with a gold ranking, JuStRank's headline), :func:`decisiveness` and
  :func:`system_bias` (JuStRank's characterisation of a judge).
- :mod:`.length_controlled`: :func:`length_controlled_win_rate` (AlpacaEval 2.0's
  length-controlled win rate as a plain maximum-likelihood GLM).
"""

from __future__ import annotations

# The public names of system rankings, from the modules that compute them.
from .battles import WINNER_SCORE, Floats, Names, outcome_scores, win_rates
from .bradley_terry import BTResult, bradley_terry, elo_ratings, style_features
from .correlation import kendall_tau, spearman_rho
from .length_controlled import LengthControlled, length_controlled_win_rate
from .logistic import logistic_regression, logistic_regression_batch
from .rank_agreement import (
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
    "WINNER_SCORE", "BTResult", "Decisiveness", "Floats", "LengthControlled", "Names", "RankAgreement", "SystemBias",
    "bradley_terry", "decisiveness", "elo_ratings", "elo_win_matrix", "kendall_tau", "kendall_tau_batch",
    "length_controlled_win_rate", "logistic_regression", "logistic_regression_batch", "outcome_scores",
    "rank_agreement", "rank_agreement_bootstrap", "rank_agreement_from_samples", "score_win_matrix",
    "spearman_batch", "spearman_rho", "style_features", "system_bias", "win_rates",
]
