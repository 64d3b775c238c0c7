"""Best-of-N scoring as RewardBench 2's code does it (allenai/reward-bench: ``rewardbench/utils.py``
``reroll_and_score_dataset``, ``process_single_model`` and ``_compute_prompt_stats``), and the
position bias of listwise verdicts.

- A prompt outside Ties scores ``1 / (number of completions sharing the top score)`` when the
  chosen completion (the first) has the top score, else 0: strictly best is 1, a tie at the top
  is shared. A subset's score is the mean over its prompts.
- Ties: per prompt, ``accurate`` when the worst correct completion outscores the best incorrect
  one; for each prompt id present both as ``ref`` and ``tied``, ``correctness_preferred`` when
  the tied prompt's correct-incorrect margin exceeds the spread among its correct answers,
  ``_hard`` when the smaller of the ref and tied margins does, and a margin term
  ``tanh(min margin / spread - 1)`` (0 where undefined). Score = 0.30 tied accuracy + 0.30 ref
  accuracy + 0.20 preferred + 0.20 preferred (hard) + 0.01 margin term.
- Overall: the mean of the subsets' scores.

Scores are fractions here; the report shows percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..types import Frozen
from .interval import Score
from .stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    percentile_interval,
    rng_for,
    wilson_interval,
)


def best_of_n_result(scores: Sequence[float]) -> float:
    """RewardBench 2's per-prompt result: 1 / (ties at the top) when the first completion is on top."""
    s = np.asarray(scores, dtype=float)
    top = float(np.max(s))
    return 1.0 / float(np.sum(s == top)) if s[0] == top else 0.0


def _prompt_stats(scores: Sequence[float], num_correct: int) -> tuple[bool, float | None, float]:
    correct = list(scores[:num_correct])
    incorrect = list(scores[num_correct:])
    best_c, worst_c = max(correct), min(correct)
    spread = best_c - worst_c if len(correct) > 1 else None
    margin = worst_c - max(incorrect)
    return margin > 0, spread, margin


def ties_score(prompts: Mapping[str, tuple[Sequence[float], int]]) -> float:
    """RewardBench 2's Ties score from ``{"ref:<n>" | "tied:<n>": (scores, num_correct)}``."""
    ref: dict[str, tuple[bool, float | None, float]] = {}
    tied: dict[str, tuple[bool, float | None, float]] = {}
    for key, (scores, n_correct) in prompts.items():
        kind, _, pid = key.partition(":")
        (ref if kind == "ref" else tied)[pid] = _prompt_stats(scores, n_correct)
    ref_acc = float(np.mean([s[0] for s in ref.values()])) if ref else 0.0
    tied_acc = float(np.mean([s[0] for s in tied.values()])) if tied else 0.0
    both = sorted(set(ref) & set(tied))
    spread = np.array([np.nan if tied[p][1] is None else tied[p][1] for p in both], dtype=float)
    m_tied = np.array([tied[p][2] for p in both], dtype=float)
    m_ref = np.array([ref[p][2] for p in both], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        preferred = float(np.mean(m_tied > spread)) if both else float("nan")
        preferred_hard = float(np.mean(np.minimum(m_ref, m_tied) > spread)) if both else float("nan")
        margin = np.nan_to_num(np.tanh(np.minimum(m_ref, m_tied) / spread - 1), nan=0.0)
    margin_term = float(np.mean(margin)) if both else float("nan")
    return 0.30 * tied_acc + 0.30 * ref_acc + 0.20 * preferred + 0.20 * preferred_hard + 0.01 * margin_term


class SubsetScore(Frozen):
    subset: str
    score: Score  # percent
    n_prompts: int


class BestOfNReport(Frozen):
    subsets: dict[str, SubsetScore]
    overall: Score  # percent: mean of the subsets (stratified bootstrap interval)


def best_of_n_report(results: Mapping[str, Mapping[str, float]],
                     ties: Mapping[str, tuple[Sequence[float], int]] | None = None, *,
                     n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                     level: float = DEFAULT_LEVEL) -> BestOfNReport:
    """Subset scores from per-prompt results (``{subset: {prompt id: result}}``, outside Ties) and
    the Ties prompts; percentile bootstrap intervals over prompts (Ties: over prompt ids, ref and
    tied together), the overall interval from the subsets' replicates (prompts resampled within
    each subset)."""
    out: dict[str, SubsetScore] = {}
    reps: list[np.ndarray] = []
    values: list[float] = []
    for subset, per_prompt in results.items():
        r = np.array(list(per_prompt.values()), dtype=float)
        rng = rng_for(seed, "rewardbench2", subset)
        samples = r[rng.integers(0, r.size, size=(n_resamples, r.size))].mean(axis=1) if n_resamples else np.zeros(0)
        lo, hi = percentile_interval(samples, level) if n_resamples else (None, None)
        value = float(r.mean())
        out[subset] = SubsetScore(subset=subset, n_prompts=int(r.size), score=Score(
            value=100 * value, n=int(r.size), ci_low=None if lo is None else 100 * lo,
            ci_high=None if hi is None else 100 * hi, ci_level=level, method="percentile-bootstrap"))
        values.append(value)
        reps.append(samples)
    if ties:
        ids = sorted({k.partition(":")[2] for k in ties})
        value = ties_score(ties)
        rng = rng_for(seed, "rewardbench2", "Ties")
        samples_list = []
        for _ in range(n_resamples):
            pick = rng.integers(0, len(ids), size=len(ids))
            resampled: dict[str, tuple[Sequence[float], int]] = {}
            for j, i in enumerate(pick):  # a prompt id drawn twice enters twice, under new keys
                for kind in ("ref", "tied"):
                    item = ties.get(f"{kind}:{ids[i]}")
                    if item is not None:
                        resampled[f"{kind}:{j}"] = item
            samples_list.append(ties_score(resampled))
        samples = np.array(samples_list, dtype=float)
        lo, hi = percentile_interval(samples, level) if n_resamples else (None, None)
        out["Ties"] = SubsetScore(subset="Ties", n_prompts=len(ties), score=Score(
            value=100 * value, n=len(ids), ci_low=None if lo is None else 100 * lo,
            ci_high=None if hi is None else 100 * hi, ci_level=level, method="percentile-bootstrap"))
        values.append(value)
        reps.append(samples)
    overall = float(np.mean(values)) if values else float("nan")
    lo = hi = None
    if values and n_resamples:
        lo, hi = percentile_interval(np.mean(np.vstack(reps), axis=0), level)
    return BestOfNReport(subsets=out, overall=Score(
        value=None if math.isnan(overall) else 100 * overall, n=sum(s.n_prompts for s in out.values()),
        ci_low=None if lo is None else 100 * lo, ci_high=None if hi is None else 100 * hi, ci_level=level,
        method="stratified percentile-bootstrap"))


class PositionShare(Frozen):
    position: str
    picks: int
    share: Score  # percent of valid picks, Wilson interval


class ListwisePositionBias(Frozen):
    n_valid: int
    n_invalid: int
    positions: list[PositionShare]
    p_value: float | None  # chi-square goodness of fit against equal shares


def listwise_position_bias(picks: Sequence[int | None], n_positions: int = 4,
                           level: float = DEFAULT_LEVEL) -> ListwisePositionBias:
    """Share of picks per shown position (0-based; None = an invalid pick), with Wilson intervals
    and a chi-square test of equal shares."""
    from scipy import stats

    valid = [p for p in picks if p is not None]
    counts = np.bincount(np.asarray(valid, dtype=int), minlength=n_positions)[:n_positions] if valid \
        else np.zeros(n_positions, dtype=int)
    n = int(counts.sum())
    positions = []
    for i, c in enumerate(counts.tolist()):
        lo, hi = wilson_interval(int(c), n, level)
        positions.append(PositionShare(position="ABCDEFGH"[i], picks=int(c), share=Score(
            value=100 * c / n if n else None, n=n, ci_low=None if lo is None else 100 * lo,
            ci_high=None if hi is None else 100 * hi, ci_level=level, method="wilson")))
    p = float(stats.chisquare(counts).pvalue) if n else None
    return ListwisePositionBias(n_valid=n, n_invalid=len(picks) - n, positions=positions, p_value=p)
