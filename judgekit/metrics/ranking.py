"""System rankings from judge verdicts, and how well they agree with a gold ranking.

This module gathers the public names; each is computed in a module of its own:
:mod:`.battles` (outcomes, win rates), :mod:`.bradley_terry` (Bradley-Terry, style control,
Elo), :mod:`.rank_agreement` (agreement with a gold ranking, JuStRank) and
:mod:`.length_controlled` (AlpacaEval's length-controlled win rate).

- :func:`win_rates`: each system's win rate against a baseline (a tie is half a win), with
  bootstrap intervals clustered by item.
- :func:`bradley_terry`: Bradley-Terry maximum-likelihood ratings on the Elo scale, with
  percentile bootstrap intervals and the win rate against a baseline, as Arena-Hard reports
  them (Li et al. 2024; ``compute_mle_elo`` in lmarena/arena-hard-auto ``show_result_bt.py``:
  a logistic regression without intercept on +-log(base) system indicators, a tie counted
  as half a win and half a loss, ratings ``scale * coef + init``, battles resampled with
  replacement). Optional covariates give Arena-Hard's style control (``show_result.py``:
  length and markdown-density differences, normalised and standardised, as extra columns
  of the same regression; :func:`style_features`).
- :func:`elo_ratings`: online Elo (FastChat's ``compute_online_elo``).
- :func:`rank_agreement` / :func:`rank_agreement_bootstrap`: Kendall's tau and Spearman's
  rho between a judge-derived system ranking and a gold one (for example Chatbot Arena
  Elo), with bootstrap intervals over items: JuStRank's headline (Gera et al. 2025,
  "JuStRank: Benchmarking LLM Judges for System Ranking").
- :func:`decisiveness` and :func:`system_bias`: JuStRank's characterisation of a judge.
  Implemented from the paper's description (no reference code was available here): the
  judge's pairwise system win rates are plotted against the gold ones and fitted with the
  CDF of a symmetric Beta(alpha, alpha) distribution; alpha > 1 means the judge pushes win
  rates towards 0 and 1 (decisive), alpha < 1 towards 0.5. A system's bias is the mean,
  over its opponents, of the judge's win rate minus the gold one, raw and after the
  decisiveness curve is taken out.
- :func:`length_controlled_win_rate`: AlpacaEval 2.0's length-controlled win rate (Dubois
  et al. 2024; ``glm_winrate.py`` in tatsu-lab/alpaca_eval): a logistic GLM of the
  preference on ``tanh(length difference / its sd)`` (plus optional instruction
  covariates), evaluated at zero length difference and averaged over the instructions.
  AlpacaEval fits its GLM with an L1 penalty, cross-validation and a regularisation
  towards a baseline fitted on other models; this is the plain maximum-likelihood GLM.
  Preferences that are missing or outside [0, 1] are dropped and counted, never turned
  into a silent NaN, and misaligned inputs raise.
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
