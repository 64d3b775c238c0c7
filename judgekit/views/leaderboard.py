"""Leaderboard regeneration: one suite's leaderboard rebuilt from every stored run.

``build_leaderboard(config)`` reads ``<results>/runs/*/{manifest.json, judgments.jsonl}``
(judgekit's own runs and imported ones), checks each run's manifest against the suite's
current definition (dataset file hash or hub revision, template hash, parser version,
aggregation and headline policy, complete and not limited), rescores every run from its
stored judgments (:mod:`judgekit.scoring`) and returns a :class:`Leaderboard`, which
:mod:`judgekit.views.leaderboard_render` writes as markdown, CSV, HTML or JSON.

Two kinds of leaderboard:

- ``judges``: one row per judge (per split): the suite's headline with its interval, the
  per-category scores, swap consistency, position preference, invalid rate, cost and date;
- ``winrate``: for win-rate suites without gold labels (AlpacaEval annotations and
  Arena-Hard judgments imported with ``judgekit import``): one row per evaluated model, with
  AlpacaEval's figures (:mod:`judgekit.metrics.winrate`); judgekit's own systems runs add
  AlpacaEval's length-controlled win rate (``length_controlled_v1``) and Arena-Hard's
  style-controlled score. Imported annotations get no length-controlled win rate: it needs each
  instruction across systems (replay them with ``judgekit run --suite alpaca_eval`` for it).

The output is deterministic: rows are sorted, floats rounded to fixed decimals, and the
only dates are the runs' own.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from ..columns import JudgmentColumns, Rows, read_columns, token_sum
from ..errors import ConfigError
from ..manifest import ManifestMismatchError, StoredRun, check_runs, data_identity, discover_runs, runs_folder
from ..metrics.interval import Score
from ..metrics.registry import shown_on
from ..metrics.winrate import head_to_head
from ..rankings import SYSTEM_AGGREGATIONS
from ..run_health import check_health
from ..scoring import headline_and_categories, headline_interval, preference, score_rows, suite_report
from ..store import JUDGMENTS
from ..stored_runs import latest_rows
from ..suites import SuiteSpec, load_suite
from ..types import Frozen, Judgment
from .leaderboard_grades import GRADE_AGGREGATIONS, GradeRow, grade_leaderboard

__all__ = ["FORMATS", "Leaderboard", "LeaderboardConfig", "ManifestMismatchError", "StoredRun", "build_leaderboard",
           "check_runs", "data_identity", "discover_runs", "runs_folder"]

log = logging.getLogger(__name__)

Format = Literal["md", "csv", "html", "json"]
FORMATS: tuple[Format, ...] = ("md", "csv", "html", "json")
OnMismatch = Literal["refuse", "skip", "include"]
DECIMALS = 4  # every float in a leaderboard is rounded to this many decimals


# --------------------------------------------------------------------------- config and models


class Price(Frozen):
    """Dollars per million tokens, for the cost column."""

    input: float
    output: float = 0.0


class LeaderboardConfig(Frozen):
    suite: str
    results_dir: str = "results"
    split: str | None = None  # None: every split found
    data: str | None = None  # a local data folder to check the runs' data hashes against
    on_mismatch: OnMismatch = "refuse"
    prices: dict[str, Price] = {}  # judge name -> price, for the dollar column


class JudgeRow(Frozen):
    split: str | None
    rank: int
    judge: str
    template: str | None
    source: str  # "run" (judged by judgekit, replay included) or "import:<format>"
    run_id: str
    headline: Score
    categories: dict[str, Score]
    also: dict[str, Score] = {}  # the other figures of the headline's row in the suite's published table
    # the registered metrics with a leaderboard column (judgekit.metrics.registry), by name: swap
    # consistency, position preference, invalid rate and any metric declared since
    figures: dict[str, Score | None] = {}
    n_examples: int
    prompt_tokens: int | None
    completion_tokens: int | None
    judge_seconds: float | None
    cost_usd: float | None
    date: str
    mismatch: tuple[str, ...] = ()

    @property
    def swap_consistency(self) -> Score | None:
        return self.figures.get("swap_consistency")

    @property
    def position_preference(self) -> Score | None:
        return self.figures.get("position_preference")

    @property
    def invalid_rate(self) -> Score | None:
        return self.figures.get("invalid_rate")


class WinRateRow(Frozen):
    rank: int
    model: str
    annotator: str
    run_id: str
    win_rate: float | None
    standard_error: float | None
    lc_win_rate: Score | None
    discrete_win_rate: float | None
    n_wins: int
    n_wins_base: int
    n_draws: int
    n_total: int
    n_dropped: int
    avg_length: float | None
    date: str
    mismatch: tuple[str, ...] = ()
    lc_standard_error: float | None = None  # AlpacaEval's LC standard error (systems runs)
    source: str = "import"  # "import" (annotations imported) or "run" (a systems suite judged by judgekit)
    score: Score | None = None  # Arena-Hard: the score against the baseline with its 90 % bootstrap interval
    style_controlled: Score | None = None  # Arena-Hard: the style-controlled score with its interval


class ExcludedRun(Frozen):
    run_id: str
    reasons: tuple[str, ...]


class Leaderboard(Frozen):
    suite: str
    kind: Literal["judges", "winrate", "grades"]
    headline_name: str
    category_names: tuple[str, ...] = ()
    also_names: tuple[str, ...] = ()
    judges: tuple[JudgeRow, ...] = ()
    models: tuple[WinRateRow, ...] = ()
    grade_names: tuple[str, ...] = ()  # graded systems suites (mt_bench): the grade columns
    grades: tuple[GradeRow, ...] = ()
    excluded: tuple[ExcludedRun, ...] = ()
    notes: tuple[str, ...] = ()

    def flagged(self) -> list[tuple[str, tuple[str, ...]]]:
        """(run_id, reasons) of every listed run that does not match the suite's definition."""
        rows: list[JudgeRow | WinRateRow | GradeRow] = [*self.judges, *self.models, *self.grades]
        return sorted({(r.run_id, r.mismatch) for r in rows if r.mismatch})


# --------------------------------------------------------------------------- numbers


def _round(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), DECIMALS) + 0.0  # + 0.0: no negative zero


def cell(score: Score | None) -> Score | None:
    """A leaderboard cell: the value, its interval and n, rounded to the leaderboard's decimals."""
    if score is None:
        return None
    return Score(value=_round(score.value), ci_low=_round(score.ci_low), ci_high=_round(score.ci_high), n=score.n)


def judge_row(run: StoredRun, rows: Rows, prices: Mapping[str, Price],
              mismatch: Sequence[str] = ()) -> tuple[str, JudgeRow]:
    metrics = score_rows(rows, run.manifest)
    report = suite_report(rows, run.manifest)
    headline_name, headline, cats, extra = headline_and_categories(metrics, report)
    if headline.ci_low is None:
        with_ci = headline_interval(rows, run.manifest, report=report)
        if with_ci is not None:
            headline = with_ci
    manifest = run.manifest
    aggregation = manifest.aggregation.name if manifest.aggregation else None
    figures: dict[str, Score | None] = {}
    for m in shown_on("leaderboard"):  # every metric with a column; an optional one where it has a value
        value = m.value(metrics)
        if m.applies(None, manifest.suite.name, aggregation) and (value is not None or not m.optional):
            figures[m.name] = cell(value)
    prompt = token_sum(rows, "prompt_tokens")
    completion = token_sum(rows, "completion_tokens")
    price = prices.get(run.judge)
    cost = None
    if price is not None and (prompt is not None or completion is not None):
        cost = _round(((prompt or 0) * price.input + (completion or 0) * price.output) / 1e6)
    timing = run.manifest.timing
    return headline_name, JudgeRow(
        split=run.split, rank=0, judge=run.judge, template=run.template,
        source=f"import:{run.imported}" if run.imported else "run", run_id=run.run_id,
        headline=cell(headline) or Score(value=None, n=0), categories={k: cell(v) or Score(value=None, n=0) for k, v in cats.items()},
        also={k: cell(v) or Score(value=None, n=0) for k, v in extra.items()},
        figures=figures, n_examples=metrics.n_examples,
        prompt_tokens=prompt, completion_tokens=completion,
        judge_seconds=_round(timing.judge_wall_s) if timing is not None else None, cost_usd=cost, date=run.date,
        mismatch=tuple(mismatch))


def preferences(rows: Iterable[Judgment]) -> np.ndarray:
    """AlpacaEval preferences (1 = baseline, response A, better; 2 = the model, response B;
    1.5 a draw; NaN for an invalid verdict) from judgment rows in the example's frame."""
    return np.asarray([preference(j) for j in rows], dtype=float)


def system_rows(run: StoredRun, rows: Sequence[Judgment], mismatch: Sequence[str] = ()
                ) -> tuple[list[WinRateRow], list[str]]:
    """A systems-suite run (``judgekit run --suite alpaca_eval`` or ``arena_hard``) rescored from its
    judgments: one row per system (the baseline included) from :mod:`judgekit.rankings`, and the
    report's notes (how the length-controlled win rate's inputs were obtained, dropped questions)."""
    report = suite_report(rows, run.manifest)
    if report is None or not report.tables:
        return [], []

    def val(row: Mapping[str, Score], key: str) -> float | None:
        s = row.get(key)
        return None if s is None else _round(s.value)

    def count(row: Mapping[str, Score], key: str) -> int:
        v = val(row, key)
        return 0 if v is None else int(v)

    out = []
    for name, row in report.tables[0].rows.items():
        base: dict[str, Any] = {"rank": 0, "model": name, "annotator": run.judge, "run_id": run.run_id, "date": run.date,
                "mismatch": tuple(mismatch), "source": "run"}
        if "score" in row:  # Arena-Hard: the score is the win rate against the baseline
            out.append(WinRateRow(
                **base, win_rate=val(row, "score"), standard_error=None, lc_win_rate=None, discrete_win_rate=None,
                n_wins=0, n_wins_base=0, n_draws=0, n_total=count(row, "n_battles"),
                n_dropped=count(row, "dropped_questions"), avg_length=None, score=cell(row.get("score")),
                style_controlled=cell(row["style_controlled"]) if row["style_controlled"].value is not None else None))
            continue
        lc = row.get("lc_win_rate")
        out.append(WinRateRow(
            **base, win_rate=val(row, "win_rate"), standard_error=val(row, "standard_error"),
            lc_win_rate=None if lc is None or lc.value is None else cell(lc),
            lc_standard_error=val(row, "lc_standard_error"), discrete_win_rate=val(row, "discrete_win_rate"),
            n_wins=count(row, "n_wins"), n_wins_base=count(row, "n_wins_base"), n_draws=count(row, "n_draws"),
            n_total=count(row, "n_total"), n_dropped=0, avg_length=val(row, "avg_length")))
    return out, [f"{run.judge}: {n}" for n in report.notes]


def winrate_rows(run: StoredRun, rows: Sequence[Judgment], mismatch: Sequence[str] = ()) -> list[WinRateRow]:
    by_model: dict[str, list[Judgment]] = defaultdict(list)
    for j in rows:
        by_model[j.category or ""].append(j)
    out = []
    for model, group in sorted(by_model.items()):
        group = sorted(group, key=lambda j: (j.example_id, j.order, j.sample))
        pref = preferences(group)
        h = head_to_head(pref)
        firsts = {j.example_id: j for j in group}
        lengths = [float(j.len_b) for j in firsts.values() if j.len_b is not None]
        out.append(WinRateRow(
            rank=0, model=model or "(unnamed)", annotator=run.judge, run_id=run.run_id,
            win_rate=_round(h.win_rate), standard_error=_round(h.standard_error),
            lc_win_rate=None, discrete_win_rate=_round(h.discrete_win_rate),
            n_wins=h.n_wins, n_wins_base=h.n_wins_base, n_draws=h.n_draws, n_total=h.n_total,
            n_dropped=h.n_dropped, avg_length=_round(float(np.mean(lengths))) if lengths else None,
            date=run.date, mismatch=tuple(mismatch)))
    return out


# --------------------------------------------------------------------------- building


def _sort_key(value: float | None, *tie: str) -> tuple[Any, ...]:
    return (value is None, -(value or 0.0), *tie)


def _ranks(values: Sequence[float | None]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) of values already sorted best first; equal values share a rank."""
    ranks: list[int] = []
    for i, v in enumerate(values):
        ranks.append(ranks[-1] if i and v is not None and v == values[i - 1] else i + 1)
    return ranks


def _latest(runs: Sequence[StoredRun]) -> tuple[StoredRun, list[StoredRun]]:
    ordered = sorted(runs, key=lambda r: (str(r.manifest.updated_at or r.manifest.created_at or ""), r.run_id))
    return ordered[-1], ordered[:-1]


def build_leaderboard(config: LeaderboardConfig) -> Leaderboard:
    """The suite's leaderboard from every stored run; raises :class:`ManifestMismatchError` when
    runs do not match the suite's current definition and ``on_mismatch`` is ``refuse``."""
    runs = discover_runs(config.results_dir, config.suite)
    if config.split is not None:
        runs = [r for r in runs if r.split == config.split]
    if not runs:
        raise ConfigError(f"no stored runs of suite {config.suite!r}"
                          f"{' split ' + config.split if config.split else ''} under "
                          f"{runs_folder(config.results_dir)}; make some with `judgekit run` or `judgekit import`")
    try:
        suite: SuiteSpec | None = load_suite(config.suite)
    except ConfigError:
        suite = None  # an import-only suite (alpaca_eval, arena_hard): no definition to check against
    if suite is not None and config.split is not None:
        suite.split(config.split)
    if suite is not None and suite.aggregation is not None and suite.aggregation.name in SYSTEM_AGGREGATIONS:
        # AlpacaEval annotations imported with `judgekit import` sit beside the suite's own runs: they
        # were not judged under its definition, so they are checked as imports (template, parser)
        reasons = {**check_runs([r for r in runs if r.imported], None, config.data),
                   **check_runs([r for r in runs if not r.imported], suite, config.data)}
    else:
        reasons = check_runs(runs, suite, config.data)
    tables: dict[str, JudgmentColumns] = {}

    def read(run: StoredRun) -> JudgmentColumns:  # each run's judgments read once, as columns
        key = str(run.run_dir)
        if key not in tables:
            tables[key] = read_columns(run.run_dir / JUDGMENTS)
        return tables[key]

    unreadable = check_health(runs, reasons, read)  # incomplete, failed, corrupt runs
    bad = {rid: tuple(rs) for rid, rs in reasons.items() if rs}
    excluded: list[ExcludedRun] = []
    if unreadable and config.on_mismatch == "include":  # nothing to list: left out even here
        excluded = [ExcludedRun(run_id=rid, reasons=bad[rid]) for rid in sorted(unreadable)]
        runs = [r for r in runs if r.run_id not in unreadable]
    if bad and config.on_mismatch == "refuse":
        lines = "\n".join(f"  {rid}: {'; '.join(rs)}" for rid, rs in sorted(bad.items()))
        raise ManifestMismatchError(
            f"{len(bad)} of {len(runs)} stored {config.suite} runs do not match the suite's current definition "
            f"or are not whole:\n"
            f"{lines}\nRerun them (`judgekit run` with the same judge resumes nothing and judges again under "
            "the new definition), or pass --skip-mismatched to leave them out, or --include-mismatched to "
            "list them flagged.")
    if bad and config.on_mismatch == "skip":
        excluded = [ExcludedRun(run_id=rid, reasons=rs) for rid, rs in sorted(bad.items())]
        runs = [r for r in runs if r.run_id not in bad]
        for e in excluded:
            log.warning("left out %s: %s", e.run_id, "; ".join(e.reasons))
    notes: list[str] = []

    aggregation = {r.manifest.aggregation.name if r.manifest.aggregation else None for r in runs}
    if aggregation and aggregation <= set(GRADE_AGGREGATIONS):  # mt_bench: mean grades per system
        return grade_leaderboard(config.suite, runs, bad, excluded, notes)
    if aggregation and aggregation <= {"winrate", *SYSTEM_AGGREGATIONS}:
        model_rows: list[WinRateRow] = []
        for run in runs:
            js = read(run).judgments()
            if run.manifest.aggregation is not None and run.manifest.aggregation.name in SYSTEM_AGGREGATIONS:
                srows, snotes = system_rows(run, js, bad.get(run.run_id, ()))
                model_rows += srows
                notes += snotes
            else:
                model_rows += winrate_rows(run, js, bad.get(run.run_id, ()))
                notes.append(f"{run.judge} ({run.run_id}): imported annotations have no length-controlled win rate "
                             "(AlpacaEval's length_controlled_v1 needs each instruction across the systems); "
                             "replay them with `judgekit run --suite alpaca_eval --judge replay:<results folder>` for it")
        # one row per (annotator, model): the latest run wins
        latest = latest_rows(model_rows, runs, notes)
        ranked: list[WinRateRow] = []
        for annotator in sorted({k[0] for k in latest}):
            group = [r for k, r in latest.items() if k[0] == annotator]
            # AlpacaEval 2 ranks by the length-controlled win rate: so do judgekit's own systems runs
            by_lc = all(r.source == "run" and r.lc_win_rate is not None for r in group)

            def headline(r: WinRateRow, by_lc: bool = by_lc) -> float | None:
                return r.lc_win_rate.value if by_lc and r.lc_win_rate is not None else r.win_rate

            mine = sorted(group, key=lambda r: _sort_key(headline(r), r.model))
            ranked += [r.model_copy(update={"rank": k}) for k, r in zip(_ranks([headline(m) for m in mine]), mine,
                                                                         strict=True)]
        return Leaderboard(suite=config.suite, kind="winrate", headline_name="win rate (AlpacaEval)",
                           models=tuple(ranked), excluded=tuple(excluded), notes=tuple(sorted(notes)))

    if len(aggregation) > 1:
        raise ConfigError(f"stored {config.suite} runs use different aggregations "
                          f"({', '.join(sorted(str(a) for a in aggregation))}); regenerate the old ones")
    by_key: dict[tuple[str, str, str], list[StoredRun]] = defaultdict(list)
    for run in runs:
        by_key[(str(run.split), run.judge, str(run.template))].append(run)
    judge_rows: list[JudgeRow] = []
    names: set[str] = set()
    categories: list[str] = []
    also: list[str] = []
    for jkey in sorted(by_key):
        newest, older = _latest(by_key[jkey])
        for o in older:
            notes.append(f"{newest.judge} ({jkey[0]}, template {jkey[2]}): run {o.run_id} superseded by "
                         f"{newest.run_id}")
        name, jrow = judge_row(newest, read(newest), config.prices, bad.get(newest.run_id, ()))
        names.add(name)
        categories += [c for c in jrow.categories if c not in categories]
        also += [c for c in jrow.also if c not in also]
        judge_rows.append(jrow)
    if len(names) > 1:
        raise ConfigError(f"stored {config.suite} runs report different headlines ({'; '.join(sorted(names))})")
    split_order = list(suite.splits) if suite is not None else []
    ranked_rows: list[JudgeRow] = []
    for split in sorted({r.split for r in judge_rows}, key=lambda s: (split_order.index(s) if s in split_order
                                                                       else len(split_order), str(s))):
        in_split = sorted((r for r in judge_rows if r.split == split),
                          key=lambda r: _sort_key(r.headline.value, r.judge, str(r.template), r.run_id))
        ranked_rows += [r.model_copy(update={"rank": k}) for k, r in
                        zip(_ranks([m.headline.value for m in in_split]), in_split, strict=True)]
    return Leaderboard(suite=config.suite, kind="judges", headline_name=names.pop(),
                       category_names=tuple(categories), also_names=tuple(also), judges=tuple(ranked_rows), excluded=tuple(excluded),
                       notes=tuple(sorted(notes)))
