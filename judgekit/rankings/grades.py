"""Pointwise system leaderboards: each system's mean grade, from stored judgments of a graded systems
suite (``mt_bench``, and the generic systems suite judged pointwise).

``mt_bench``, as FastChat's ``show_result.py --mode single`` prints it: an invalid grade (FastChat's
-1: no ``[[rating]]`` nor ``[rating]`` in the output) and a failed request are left out; per system the
mean grade of turn 1, of turn 2, and overall (the mean of every kept grade of both turns, as
``df.groupby("model").mean()``), best overall first. judgekit adds 95 % percentile-bootstrap intervals
over questions: the same resamples of the questions for every system (paired), each mean recomputed
over the kept grades of the resampled questions.

``system_scores`` (the generic systems suite, pointwise): the same without turns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable, SuiteReport, invalid_counts, register
from ..errors import DataError
from ..metrics.interval import Score
from ..metrics.stats import DEFAULT_LEVEL, percentile_interval, rng_for
from ..types import Judgment
from .judge_quality import judge_quality_tables
from .systems import _count

MT_BENCH_COLUMNS = ("overall", "turn_1", "turn_2", "n_scored", "n_invalid")
SCORE_COLUMNS = ("mean_score", "n_scored", "n_invalid")
GRADE_COLUMNS = ("overall", "turn_1", "turn_2", "mean_score")  # grades, not percentages
N_BOOT = 1000


class GradeTable:
    """Each system's kept grades as arrays over (question, turn): ``sums[s]`` and ``counts[s]`` are
    questions x turns (the sum and number of kept grades), from rows whose ``meta`` names the system,
    the question (``instruction``) and, for MT-Bench, the turn."""

    def __init__(self, rows: Sequence[Judgment]) -> None:
        grades: dict[str, list[tuple[int, int, float | None]]] = defaultdict(list)
        n_q, n_t = 0, 1
        for j in rows:
            meta = j.meta or {}
            if "system" not in meta or "instruction" not in meta:
                raise DataError(f"judgment {j.request_id} has no system / instruction (not a systems-suite run)")
            k, t = int(meta["instruction"]), int(meta.get("turn") or 1)
            kept = j.status == "ok" and j.winner != "invalid" and j.score is not None
            grades[str(meta["system"])].append((k, t, float(j.score) if kept and j.score is not None else None))
            n_q = max(n_q, k + 1, int(meta.get("n_instructions") or 0))
            n_t = max(n_t, t)
        self.n_questions, self.n_turns = n_q, n_t
        self.systems = sorted(grades)
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, np.ndarray] = {}
        self.n_invalid: dict[str, int] = {}
        for s in self.systems:
            sums, counts = np.zeros((n_q, n_t)), np.zeros((n_q, n_t))
            bad = 0
            for k, t, g in grades[s]:
                if g is None:
                    bad += 1
                else:
                    sums[k, t - 1] += g
                    counts[k, t - 1] += 1
            self.sums[s], self.counts[s], self.n_invalid[s] = sums, counts, bad

    def item_scores(self) -> np.ndarray:
        """Questions x systems: the mean kept grade of each question over its turns (NaN without one)."""
        M = np.full((self.n_questions, len(self.systems)), np.nan)
        for k, s in enumerate(self.systems):
            c = self.counts[s].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                M[:, k] = np.where(c > 0, self.sums[s].sum(axis=1) / np.where(c > 0, c, 1), np.nan)
        return M


def _mean_with_interval(sums: np.ndarray, counts: np.ndarray, draws: np.ndarray) -> Score:
    """The mean of the kept grades (``sums`` / ``counts`` per question) and its percentile-bootstrap
    interval over the resampled questions (``draws``: resamples x questions)."""
    n = int(counts.sum())
    if n == 0:
        return Score(value=None, n=0, higher_is_better=True)
    value = float(sums.sum() / n)
    lo = hi = None
    if draws.size and np.count_nonzero(counts) > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
        lo, hi = percentile_interval(reps, DEFAULT_LEVEL)
    return Score(value=value, n=n, ci_low=lo, ci_high=hi, ci_level=DEFAULT_LEVEL if lo is not None else None,
                 method="percentile-bootstrap over questions" if lo is not None else None, higher_is_better=True)


def _draws(n_questions: int, name: str, n_boot: int, seed: int) -> np.ndarray:
    if n_questions < 2 or n_boot <= 0:
        return np.zeros((0, n_questions), dtype=int)
    return rng_for(seed, name, "questions").integers(0, n_questions, size=(n_boot, n_questions))


def _item_scores(table: GradeTable) -> tuple[np.ndarray, list[str]]:
    """Questions x systems for the ranker and oracle tables: each question's mean grade, rescaled from
    the grades' range to [0, 1] (rank statistics and the isotonic calibration do not depend on it)."""
    M = table.item_scores()
    finite = M[np.isfinite(M)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return ((M - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(M), 0.5, np.nan)), table.systems


@register("mt_bench")
def mt_bench(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """MT-Bench's single-grading leaderboard (see the module's docstring)."""
    table = GradeTable(rows)
    draws = _draws(table.n_questions, "mt_bench", int(args.get("n_boot", N_BOOT)), int(args.get("seed", 0)))
    out: dict[str, dict[str, Score]] = {}
    for s in table.systems:
        sums, counts = table.sums[s], table.counts[s]
        row = {"overall": _mean_with_interval(sums.sum(axis=1), counts.sum(axis=1), draws)}
        for t in range(table.n_turns):
            row[f"turn_{t + 1}"] = _mean_with_interval(sums[:, t], counts[:, t], draws)
        row["n_scored"] = _count(int(counts.sum()))
        row["n_invalid"] = _count(table.n_invalid[s])
        out[s] = row
    return _report("mt_bench", "MT-Bench score", out, table, rows, args,
                   columns=MT_BENCH_COLUMNS[:1 + table.n_turns] + MT_BENCH_COLUMNS[3:], key="overall",
                   title="MT-Bench leaderboard (single grading)")


@register("system_scores")
def system_scores(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """The generic systems suite judged pointwise: each system's mean grade with its interval."""
    table = GradeTable(rows)
    draws = _draws(table.n_questions, "system_scores", int(args.get("n_boot", N_BOOT)), int(args.get("seed", 0)))
    out = {s: {"mean_score": _mean_with_interval(table.sums[s].sum(axis=1), table.counts[s].sum(axis=1), draws),
               "n_scored": _count(int(table.counts[s].sum())), "n_invalid": _count(table.n_invalid[s])}
           for s in table.systems}
    return _report("system_scores", "mean grade", out, table, rows, args, columns=SCORE_COLUMNS, key="mean_score",
                   title="systems by mean grade")


def _report(name: str, what: str, out: dict[str, dict[str, Score]], table: GradeTable, rows: Sequence[Judgment],
            args: Mapping[str, Any], *, columns: tuple[str, ...], key: str, title: str) -> SuiteReport:
    ordered = dict(sorted(out.items(), key=lambda kv: (kv[1][key].value is None, -(kv[1][key].value or 0.0), kv[0])))
    top = next(iter(ordered), None)
    notes = [f"{s}: {row['n_invalid'].count} grades invalid or failed, left out of the means (FastChat's -1)"
             for s, row in ordered.items() if row["n_invalid"].count]
    extra, more = judge_quality_tables(lambda: _item_scores(table), rows, args)
    return SuiteReport(
        aggregation=name, headline_name=f"{what} of the top system ({top})",
        headline=ordered[top][key] if top else Score(value=None, n=0),
        tables=(ReportTable(title=title, columns=columns, rows=ordered), *extra),
        counts={**invalid_counts(rows), "systems": len(table.systems), "questions": table.n_questions},
        notes=tuple(notes + more))
