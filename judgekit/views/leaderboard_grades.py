"""The leaderboard of graded systems suites (``mt_bench``; the generic systems suite judged pointwise):
one row per (judge, system), the system's mean grades with their bootstrap intervals as the suite's
aggregation reports them (MT-Bench: overall, turn 1, turn 2, as FastChat's show_result.py), rescored
from the stored judgments. The latest run of a judge gives its systems' rows; rows are ranked by the
first grade column (MT-Bench: overall) within each judge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..manifest import StoredRun
from ..metrics.interval import Score
from ..scoring import suite_report
from ..stored_runs import latest_rows
from ..types import Frozen, Judgment
from .format import with_ci

if TYPE_CHECKING:
    from .leaderboard import ExcludedRun, Leaderboard

GRADE_AGGREGATIONS = ("mt_bench", "system_scores")


class GradeRow(Frozen):
    rank: int
    model: str
    annotator: str
    run_id: str
    grades: dict[str, Score | None]  # column -> the mean grade with its 95 % interval
    n_scored: int
    n_invalid: int
    date: str
    mismatch: tuple[str, ...] = ()


def grade_rows(run: StoredRun, rows: Sequence[Judgment], mismatch: Sequence[str] = ()
               ) -> tuple[list[GradeRow], tuple[str, ...], list[str]]:
    """One row per system of a graded systems run, its grade columns and the report's notes."""
    from .leaderboard import cell

    report = suite_report(rows, run.manifest)
    if report is None or not report.tables:
        return [], (), []
    table = report.tables[0]
    columns = tuple(c for c in table.columns if not c.startswith("n_"))

    def count(row: Mapping[str, Score], key: str) -> int:
        s = row.get(key)
        return 0 if s is None or s.value is None else int(s.value)

    out = [GradeRow(rank=0, model=name, annotator=run.judge, run_id=run.run_id,
                    grades={c: cell(row.get(c)) for c in columns}, n_scored=count(row, "n_scored"),
                    n_invalid=count(row, "n_invalid"), date=run.date, mismatch=tuple(mismatch))
           for name, row in table.rows.items()]
    return out, columns, [f"{run.judge}: {n}" for n in report.notes]


def grade_leaderboard(suite: str, runs: Sequence[StoredRun], bad: Mapping[str, tuple[str, ...]],
                      excluded: Sequence[ExcludedRun], notes: list[str]) -> Leaderboard:
    from .leaderboard import Leaderboard, _ranks, _sort_key

    rows: list[GradeRow] = []
    columns: tuple[str, ...] = ()
    for run in runs:
        more, cols, more_notes = grade_rows(run, list(run.judgments().values()), bad.get(run.run_id, ()))
        rows += more
        columns = columns or cols
        notes += more_notes
    latest = latest_rows(rows, runs, notes)
    head = columns[0] if columns else ""

    def value(r: GradeRow) -> float | None:
        s = r.grades.get(head)
        return None if s is None else s.value

    ranked: list[GradeRow] = []
    for annotator in sorted({k[0] for k in latest}):
        mine = sorted((r for k, r in latest.items() if k[0] == annotator), key=lambda r: _sort_key(value(r), r.model))
        ranked += [r.model_copy(update={"rank": k}) for k, r in zip(_ranks([value(m) for m in mine]), mine,
                                                                     strict=True)]
    return Leaderboard(suite=suite, kind="grades", headline_name=f"mean grade ({head})", grade_names=columns,
                       grades=tuple(ranked), excluded=tuple(excluded), notes=tuple(sorted(notes)))


def grade_table_rows(board: Leaderboard) -> tuple[list[str], list[tuple[str | None, list[str]]]]:
    header = ["rank", "model", "annotator", *[f"{c} [95% CI]" for c in board.grade_names], "n_scored",
              "n_invalid", "date"]
    out: list[tuple[str | None, list[str]]] = [
        (r.annotator, [str(r.rank), r.model + (" (!)" if r.mismatch else ""), r.annotator,
                       *[with_ci(r.grades.get(c)) for c in board.grade_names], str(r.n_scored), str(r.n_invalid),
                       r.date]) for r in board.grades]
    return header, out


def grade_csv_columns(board: Leaderboard) -> tuple[list[str], list[list[Any]]]:
    names = ["annotator", "rank", "model"]
    for c in board.grade_names:
        names += [c, f"{c}_ci_low", f"{c}_ci_high"]
    names += ["n_scored", "n_invalid", "date", "run_id", "mismatch"]
    rows = []
    for r in board.grades:
        row: list[Any] = [r.annotator, r.rank, r.model]
        for c in board.grade_names:
            s = r.grades.get(c)
            row += [None, None, None] if s is None else [s.value, s.ci_low, s.ci_high]
        rows.append([*row, r.n_scored, r.n_invalid, r.date, r.run_id, "; ".join(r.mismatch)])
    return names, rows


EXPLANATION = ("Mean grades as FastChat's show_result.py computes them (MT-Bench single grading: an unparseable "
               "grade, FastChat's -1, and a failed request are left out; overall = the mean of every kept grade of "
               "both turns), with 95% percentile-bootstrap intervals over questions (the same resamples for every "
               "system). Sorted by the first grade column within each judge (annotator).")
