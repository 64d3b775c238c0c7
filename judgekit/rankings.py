"""System leaderboards, as each benchmark publishes them, from stored judgments of systems suites.

A systems suite (``alpaca_eval``) has one example per (system, instruction): response A the
baseline's output, response B the system's, ``meta`` naming the system, the baseline, the
instruction's position and the number of instructions. Its aggregation turns the judgments into the
benchmark's leaderboard:

``alpaca_eval`` (AlpacaEval 2): per system, one preference per instruction in [1, 2] (2 = the
system better): a soft verdict (p(A), from logprobs or a recorded preference) gives ``2 - p(A)``,
a hard one 1 / 1.5 / 2; with both orders judged, the instruction's preference is the mean of its
valid orders (an invalid or failed verdict is left out; with none valid the instruction has no
preference, which AlpacaEval drops and counts). Then AlpacaEval's figures
(:func:`judgekit.metrics.winrate.head_to_head`), the average output length (characters over every
instruction, a missing output counting 0, truncated to an integer as AlpacaEval prints it), and
the length-controlled win rate ``length_controlled_v1`` (:mod:`judgekit.metrics.alpaca_glm`) with
its inputs from the files named in the aggregation's arguments, or estimated (and said so in the
report's notes). The baseline is its own row (50 %, every instruction a draw), as on AlpacaEval's
leaderboard. Rows are sorted by the length-controlled win rate, as AlpacaEval 2 sorts them.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .aggregations import ReportTable, SuiteReport, invalid_counts, register
from .errors import DataError
from .metrics.interval import Score
from .metrics.stats import DEFAULT_LEVEL, percentile_interval, rng_for
from .metrics.winrate import head_to_head
from .types import Judgment

ALPACA_COLUMNS = ("lc_win_rate", "lc_standard_error", "win_rate", "standard_error", "discrete_win_rate",
                  "n_wins", "n_wins_base", "n_draws", "n_total", "avg_length")
N_BOOT = 1000
SYSTEM_AGGREGATIONS = ("alpaca_eval", "arena_hard", "mt_bench", "system_scores", "system_winrate")  # a system leaderboard


def _pref(j: Judgment) -> float:
    """AlpacaEval's preference (1 = the baseline, response A, better; 2 = the system) of one row."""
    if j.status != "ok" or j.winner == "invalid":
        return math.nan
    if j.p_a is not None:
        return 2.0 - j.p_a
    return {"A": 1.0, "B": 2.0, "tie": 1.5}[j.winner]


class SystemRows:
    """Judgment rows of a systems suite, per system and instruction."""

    def __init__(self, rows: Sequence[Judgment]) -> None:
        self.by_system: dict[str, dict[int, list[Judgment]]] = defaultdict(lambda: defaultdict(list))
        self.baseline: str | None = None
        self.n_instructions = 0
        self.baseline_len: dict[int, int] = {}
        self.baseline_avg_length: float | None = None
        for j in rows:
            meta = j.meta or {}
            if "system" not in meta or "instruction" not in meta:
                raise DataError(f"judgment {j.request_id} has no system / instruction (not a systems-suite run)")
            self.by_system[str(meta["system"])][int(meta["instruction"])].append(j)
            self.baseline = self.baseline or meta.get("baseline")
            if j.len_a is not None:
                self.baseline_len[int(meta["instruction"])] = j.len_a
            if meta.get("baseline_avg_length") is not None:
                self.baseline_avg_length = float(meta["baseline_avg_length"])
            self.n_instructions = max(self.n_instructions, int(meta.get("n_instructions") or 0),
                                      int(meta["instruction"]) + 1)

    def systems(self) -> list[str]:
        return sorted(self.by_system)

    def instruction_table(self, system: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(instruction index, preference averaged over valid orders, system length, baseline length)."""
        groups = self.by_system[system]
        idx = np.array(sorted(groups), dtype=int)
        pref = np.empty(idx.size)
        ls = np.empty(idx.size)
        lb = np.empty(idx.size)
        for n, k in enumerate(idx.tolist()):
            js = groups[k]
            vals = [p for p in map(_pref, js) if not math.isnan(p)]
            pref[n] = sum(vals) / len(vals) if vals else math.nan
            ls[n] = float(js[0].len_b or 0)
            lb[n] = float(js[0].len_a or 0)
        return idx, pref, ls, lb


def _score(value: float | None, n: int, lo: float | None = None, hi: float | None = None,
           higher_is_better: bool | None = True) -> Score:
    return Score(value=value, n=n, ci_low=lo, ci_high=hi, ci_level=DEFAULT_LEVEL if lo is not None else None,
                 higher_is_better=higher_is_better)


def _count(n: int) -> Score:
    return Score(value=float(n), n=n, count=n, higher_is_better=None)


def _lc_inputs(sr: SystemRows, tables: Mapping[str, tuple[np.ndarray, ...]], args: Mapping[str, Any]
               ) -> tuple[np.ndarray, Any, list[str]]:
    from .metrics import alpaca_glm

    notes: list[str] = []
    n = sr.n_instructions
    path = args.get("instruction_difficulty")
    if path:
        difficulty = alpaca_glm.read_instruction_difficulty(path, n)
        notes.append(f"instruction difficulty read from {path}")
    else:
        S, idxs, P, LS, LB = [], [], [], [], []
        for s, (idx, pref, ls, lb) in tables.items():
            S += [s] * idx.size
            idxs.append(idx)
            P.append(pref)
            LS.append(ls)
            LB.append(lb)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            difficulty = alpaca_glm.estimate_instruction_difficulty(
                S, np.concatenate(idxs), np.concatenate(P), np.concatenate(LS), np.concatenate(LB), n)
        notes.append(f"length-controlled win rate: ESTIMATED. AlpacaEval's instruction difficulties (hub file "
                     f"instruction_difficulty.csv) were not given, so they were estimated from the {len(tables)} "
                     "systems ranked here (AlpacaEval's joint GLM with a coefficient per instruction); pass the "
                     "file to reproduce AlpacaEval's LC")
    gamed_path = args.get("gamed_annotations")
    gamed = None
    if gamed_path:
        gamed = alpaca_glm.read_gamed(gamed_path, difficulty)
        notes.append(f"regularised towards the gamed baselines of {gamed_path} (weight 0.2), as length_controlled_v1")
    else:
        notes.append("length-controlled win rate not regularised towards the length-gamed baselines (their "
                     "annotations, AlpacaEval's hub file df_gamed.csv, were not given): AlpacaEval's "
                     "length_controlled_noreg")
    return difficulty, gamed, notes


def _boot_mean(values: np.ndarray, key: str, seed: int = 0) -> tuple[float | None, float | None]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return None, None
    rng = rng_for(seed, "alpaca_eval", key)
    idx = rng.integers(0, v.size, size=(N_BOOT, v.size))
    return percentile_interval(v[idx].mean(axis=1), DEFAULT_LEVEL)


@register("alpaca_eval")
def alpaca_eval(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """AlpacaEval 2's leaderboard (see the module's docstring)."""
    from .metrics import alpaca_glm

    sr = SystemRows(rows)
    tables = {s: sr.instruction_table(s) for s in sr.systems()}
    notes: list[str] = []
    lc: dict[str, Any] = {}
    if args.get("glm", "length_controlled_v1") and tables:
        difficulty, gamed, notes = _lc_inputs(sr, tables, args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            for s, (idx, pref, ls, lb) in tables.items():
                try:
                    lc[s] = alpaca_glm.length_controlled_v1(pref, ls, lb, difficulty[idx], gamed)
                except DataError as exc:
                    notes.append(f"{s}: no length-controlled win rate ({exc})")
    out: dict[str, dict[str, Score]] = {}
    missing_total = 0
    for s, (idx, pref, ls, _lb) in tables.items():
        h = head_to_head(pref)
        missing = sr.n_instructions - idx.size
        missing_total += missing
        avg_len = int(ls.sum() / sr.n_instructions) if sr.n_instructions else 0
        wr_lo, wr_hi = _boot_mean((pref - 1.0) * 100, s)
        r = lc.get(s)
        out[s] = {
            "lc_win_rate": _score(None if r is None else r.lc_win_rate, h.n_total),
            "lc_standard_error": _score(None if r is None else r.lc_standard_error, h.n_total, higher_is_better=None),
            "win_rate": _score(h.win_rate, h.n_total, wr_lo, wr_hi),
            "standard_error": _score(h.standard_error, h.n_total, higher_is_better=None),
            "discrete_win_rate": _score(h.discrete_win_rate, h.n_total),
            "n_wins": _count(h.n_wins), "n_wins_base": _count(h.n_wins_base), "n_draws": _count(h.n_draws),
            "n_total": _count(h.n_total), "avg_length": _count(avg_len),
        }
        if missing:
            notes.append(f"{s}: no output for {missing} of the {sr.n_instructions} instructions (not judged; "
                         "length 0 in avg_length)")
        if h.n_dropped - missing > 0:
            notes.append(f"{s}: {h.n_dropped - missing} instructions without a valid verdict in any order "
                         "(left out of n_total)")
    if sr.baseline is not None and tables:
        n = sr.n_instructions
        # the baseline's average length, when the rows show its output to every instruction
        base_len = (int(sr.baseline_avg_length) if sr.baseline_avg_length is not None
                    else int(sum(sr.baseline_len.values()) / n) if len(sr.baseline_len) == n else None)
        out[sr.baseline] = {
            "lc_win_rate": _score(50.0, n), "lc_standard_error": _score(None, n, higher_is_better=None),
            "win_rate": _score(50.0, n), "standard_error": _score(0.0, n, higher_is_better=None),
            "discrete_win_rate": _score(50.0, n), "n_wins": _count(0), "n_wins_base": _count(0),
            "n_draws": _count(n), "n_total": _count(n),
            **({"avg_length": _count(base_len)} if base_len is not None else {}),
        }

    def key(item: tuple[str, dict[str, Score]]) -> tuple[Any, ...]:
        v = item[1]["lc_win_rate"].value
        w = item[1]["win_rate"].value
        return (v is None, -(v or 0.0), -(w or 0.0), item[0])

    ordered = dict(sorted(out.items(), key=key))
    systems = [s for s in ordered if s != sr.baseline]
    top = systems[0] if systems else None
    headline = ordered[top]["lc_win_rate"] if top else _score(None, 0)
    counts = {**invalid_counts(rows), "systems": len(tables), "instructions": sr.n_instructions,
              "missing_outputs": missing_total}
    extra: list[ReportTable] = []
    if args.get("gold_ranking") and tables:
        M, names = alpaca_item_scores(sr)
        extra, more = ranker_tables(M, names, read_gold_ranking(str(args["gold_ranking"])), str(args["gold_ranking"]))
        notes += more
    if args.get("oracle") and tables:
        M, names = alpaca_item_scores(sr)
        path = str(args["oracle"])
        more_tables, more = calibration_tables(M, names, read_oracle(path, item_keys(rows)), path)
        extra += more_tables
        notes += more
    return SuiteReport(
        aggregation="alpaca_eval", headline_name=f"length-controlled win rate of the top system ({top})",
        headline=headline,
        tables=(ReportTable(title=f"AlpacaEval leaderboard (against {sr.baseline})", columns=ALPACA_COLUMNS,
                            rows=ordered), *extra),
        counts=counts, notes=tuple(notes))


def system_win_rates(rows: Sequence[Judgment], manifest: Any) -> dict[str, Any]:
    """Each system's win rate as its suite computes it (AlpacaEval's: soft preferences count as their
    probability), in [0, 1] with the 95 % bootstrap interval over instructions, best first: the
    report's ranking for a systems run (the length-controlled fit is skipped here)."""
    from .aggregations import aggregate
    from .metrics.interval import Score as Estimate

    spec = manifest.aggregation  # a RunManifest's AggregationSpec
    report = aggregate(spec.name, rows, {**spec.args, "glm": None})
    out: dict[str, Any] = {}
    for name, row in report.tables[0].rows.items():
        s = row["win_rate"]
        if s.value is None:
            continue
        out[name] = Estimate(value=s.value / 100, n=s.n, ci_low=None if s.ci_low is None else s.ci_low / 100,
                             ci_high=None if s.ci_high is None else s.ci_high / 100, ci_level=s.ci_level,
                             method="percentile-bootstrap" if s.ci_low is not None else None)
    return dict(sorted(out.items(), key=lambda kv: (-(kv[1].value or 0.0), kv[0])))


# ----------------------------------------------------------------------------- Arena-Hard

ARENA_COLUMNS = ("score", "style_controlled", "n_battles", "n_questions", "dropped_questions")
ARENA_LEVEL = 0.90  # show_result.py reports the 5 % and 95 % bootstrap quantiles


def _shown_a_score(j: Judgment, weight: int) -> list[float] | None:
    """Arena-Hard's label_to_score for the first-shown answer: A>>B [1]*weight, A>B [1], A=B [0.5],
    B>A [0], B>>A [0]*weight; None for an invalid verdict or a failed request."""
    if j.status != "ok" or j.shown_winner == "invalid":
        return None
    if j.shown_winner == "tie":
        return [0.5]
    s = 1.0 if j.shown_winner == "A" else 0.0
    return [s] * (weight if j.strength == 2 else 1)


class ArenaBattles:
    """Each system's battles against the baseline in show_result.py's order: questions by position,
    per question the second game's scores (system shown first) then the first game's, from the system's
    side. A question whose two games are not both valid is dropped (Arena-Hard drops null judgments)."""

    def __init__(self, rows: Sequence[Judgment], weight: int = 3) -> None:
        sr = SystemRows(rows)
        self.baseline = sr.baseline
        self.systems = sr.systems()
        self.scores: dict[str, np.ndarray] = {}
        self.style: dict[str, np.ndarray] = {}  # per battle: [system features..., baseline features...]
        self.n_questions: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.per_question: dict[str, dict[int, float]] = {}  # the mean of each kept question's battles
        self.n_instructions = sr.n_instructions
        for s in self.systems:
            sc: list[float] = []
            st: list[list[float]] = []
            kept = dropped = 0
            for k in sorted(sr.by_system[s]):
                js = sr.by_system[s][k]
                g1 = next((j for j in js if j.order == "AB"), None)  # baseline shown first
                g2 = next((j for j in js if j.order == "BA"), None)  # system shown first
                s1 = None if g1 is None else _shown_a_score(g1, weight)
                s2 = None if g2 is None else _shown_a_score(g2, weight)
                if s1 is None or s2 is None:
                    dropped += 1
                    continue
                kept += 1
                battle = s2 + [1.0 - x for x in s1]
                sc += battle
                self.per_question.setdefault(s, {})[k] = float(np.mean(battle))
                meta = js[0].meta or {}
                if meta.get("style_a") is not None and meta.get("style_b") is not None:
                    st += [[*map(float, meta["style_b"]), *map(float, meta["style_a"])]] * len(battle)
            self.scores[s] = np.asarray(sc, dtype=float)
            if st and len(st) == len(sc):
                self.style[s] = np.asarray(st, dtype=float)
            self.n_questions[s] = kept
            self.dropped[s] = dropped


def arena_hard_scores(battles: ArenaBattles, rounds: int = 100, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """show_result.py without style control: in each round each system's battles are resampled with
    replacement and averaged (the draws: per system in sorted order, ``rng.integers(0, n, (rounds, n))``);
    the score is the mean of the rounds, the interval their 5 % and 95 % quantiles (numpy's linear
    interpolation, as pandas')."""
    rng = np.random.default_rng(seed)
    boot: dict[str, np.ndarray] = {}
    for s in battles.systems:
        x = battles.scores[s]
        if x.size:
            boot[s] = x[rng.integers(0, x.size, size=(rounds, x.size))].mean(axis=1)
    return {s: (float(b.mean()), float(np.quantile(b, 0.05)), float(np.quantile(b, 0.95))) for s, b in boot.items()}


def style_design(battles: ArenaBattles) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """show_result.py's style-controlled Bradley-Terry design: one column per system (the baseline's
    column, -1 on every battle, is dropped: only differences are identified), then the normalised length
    difference ``(l_s - l_b) / (l_s + l_b)`` and markdown density differences ``(d_s - d_b) / (d_s + d_b
    + 1)`` with ``d = count / (length + 1)``, each standardised (ddof 1) over all battles."""
    systems = [s for s in battles.systems if battles.scores[s].size and s in battles.style]
    if not systems or len(systems) != len([s for s in battles.systems if battles.scores[s].size]):
        return None
    y = np.concatenate([battles.scores[s] for s in systems])
    F = np.vstack([battles.style[s] for s in systems])
    half = F.shape[1] // 2
    m, b = F[:, :half], F[:, half:]
    feats = np.zeros_like(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        feats[:, 0] = np.where(m[:, 0] + b[:, 0] > 0, (m[:, 0] - b[:, 0]) / (m[:, 0] + b[:, 0]), 0.0)
        md = m[:, 1:] / (m[:, :1] + 1)
        bd = b[:, 1:] / (b[:, :1] + 1)
        feats[:, 1:] = (md - bd) / (md + bd + 1)
    sd = feats.std(axis=0, ddof=1)
    feats = (feats - feats.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    onehot = np.zeros((y.size, len(systems)))
    start = 0
    for k, s in enumerate(systems):
        n = battles.scores[s].size
        onehot[start:start + n, k] = 1.0
        start += n
    return np.column_stack([onehot, feats]), y, systems


def style_controlled_scores(battles: ArenaBattles, rounds: int = 100, seed: int = 0
                            ) -> tuple[dict[str, tuple[float, float, float]], np.ndarray] | None:
    """show_result.py with ``--control-features length markdown``: the Bradley-Terry model with style
    covariates fitted (maximum likelihood, soft outcomes) on ``rounds`` resamples of all battles
    (``rng.integers(0, N, (rounds, N))``); each system's win probability against the baseline at equal
    style, sigmoid(its coefficient); reported as the median and the 5 % / 95 % quantiles over rounds;
    with the style coefficients' medians."""
    from .metrics.stats import logistic_regression

    design = style_design(battles)
    if design is None:
        return None
    X, y, systems = design
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.size, size=(rounds, y.size))
    coefs = np.empty((rounds, X.shape[1]))
    for r in range(rounds):
        w = np.bincount(idx[r], minlength=y.size).astype(float)
        coefs[r] = logistic_regression(X, y, w).coef
    p = 1.0 / (1.0 + np.exp(-coefs[:, :len(systems)]))
    out = {s: (float(np.quantile(p[:, k], 0.5)), float(np.quantile(p[:, k], 0.05)), float(np.quantile(p[:, k], 0.95)))
           for k, s in enumerate(systems)}
    return out, np.quantile(coefs[:, len(systems):], 0.5, axis=0)


@register("arena_hard")
def arena_hard(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    """Arena-Hard-Auto's leaderboard (show_result.py at lmarena/arena-hard-auto 196f6b8): each system's
    score against the baseline (percent; strong verdicts count ``weight`` times) with its 90 % bootstrap
    interval, and with ``style_control`` the style-controlled Bradley-Terry score and interval."""
    weight = int(args.get("weight", 3))
    rounds = int(args.get("rounds", 100))
    battles = ArenaBattles(rows, weight)
    plain = arena_hard_scores(battles, rounds)
    styled = style_controlled_scores(battles, rounds) if args.get("style_control", True) else None
    out: dict[str, dict[str, Score]] = {}

    def pct(t: tuple[float, float, float] | None, n: int) -> Score:
        if t is None:
            return Score(value=None, n=n, higher_is_better=True)
        return Score(value=100 * t[0], n=n, ci_low=100 * t[1], ci_high=100 * t[2], ci_level=ARENA_LEVEL,
                     higher_is_better=True)

    notes: list[str] = []
    for s in battles.systems:
        n = int(battles.scores[s].size)
        out[s] = {"score": pct(plain.get(s), n),
                  "style_controlled": pct(None if styled is None else styled[0].get(s), n),
                  "n_battles": _count(n), "n_questions": _count(battles.n_questions[s]),
                  "dropped_questions": _count(battles.dropped[s])}
        if battles.dropped[s]:
            notes.append(f"{s}: {battles.dropped[s]} questions dropped (a game without a valid verdict), as "
                         "Arena-Hard drops null judgments")
    if battles.baseline is not None:
        fifty = (0.5, 0.5, 0.5)
        out[battles.baseline] = {"score": pct(fifty, 0), "style_controlled": pct(fifty if styled else None, 0),
                                 "n_battles": _count(0), "n_questions": _count(0), "dropped_questions": _count(0)}
    if styled is not None:
        names = ("length", "header density", "list density", "bold density")
        notes.append("style coefficients (median over rounds): " + ", ".join(
            f"{nm} {c:+.3f}" for nm, c in zip(names, styled[1].tolist(), strict=False)))
    ordered = dict(sorted(out.items(), key=lambda kv: (kv[1]["score"].value is None, -(kv[1]["score"].value or 0),
                                                       kv[0])))
    top = next((s for s in ordered if s != battles.baseline), None)
    extra: list[ReportTable] = []
    if args.get("gold_ranking") and battles.systems:
        M = np.full((battles.n_instructions, len(battles.systems)), np.nan)
        for k, s in enumerate(battles.systems):
            for q, v in battles.per_question.get(s, {}).items():
                M[q, k] = v
        path = str(args["gold_ranking"])
        extra, more = ranker_tables(M, battles.systems, read_gold_ranking(path), path)
        notes += more
    if args.get("oracle") and battles.systems:
        M = np.full((battles.n_instructions, len(battles.systems)), np.nan)
        for k, s in enumerate(battles.systems):
            for q, v in battles.per_question.get(s, {}).items():
                M[q, k] = v
        path = str(args["oracle"])
        more_tables, more = calibration_tables(M, battles.systems, read_oracle(path, item_keys(rows)), path)
        extra += more_tables
        notes += more
    return SuiteReport(
        aggregation="arena_hard", headline_name=f"Arena-Hard score of the top system ({top})",
        headline=ordered[top]["score"] if top else Score(value=None, n=0),
        tables=(ReportTable(title=f"Arena-Hard leaderboard (against {battles.baseline})", columns=ARENA_COLUMNS,
                            rows=ordered), *extra),
        counts={**invalid_counts(rows), "systems": len(battles.systems)}, notes=tuple(notes))


# ----------------------------------------------------------------------------- the judge as a ranker


def read_gold_ranking(path: str) -> dict[str, float]:
    """A gold system ranking (e.g. Chatbot Arena Elo): a CSV with a system column (``system``, ``model``
    or ``name``) and a score column (``score``, ``elo``, ``rating`` or ``rank``; a rank is turned into a
    score, 1 best). Errors name the file, the line and the field."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None
    if not rows:
        raise DataError("no rows", path=path)
    cols = list(rows[0])
    name_col = next((c for c in ("system", "model", "name") if c in cols), None)
    score_col = next((c for c in ("score", "elo", "rating", "rank") if c in cols), None)
    if name_col is None or score_col is None:
        raise DataError(f"expected a system column (system, model or name) and a score column (score, elo, rating "
                        f"or rank); found {', '.join(cols)}", path=path, line=1)
    out: dict[str, float] = {}
    for line, r in enumerate(rows, start=2):
        name = (r.get(name_col) or "").strip()
        if not name:
            raise DataError("empty", path=path, line=line, field=name_col)
        if name in out:
            raise DataError(f"system {name!r} appears twice", path=path, line=line, field=name_col)
        try:
            v = float(r.get(score_col) or "")
        except ValueError:
            raise DataError(f"not a number: {r.get(score_col)!r}", path=path, line=line, field=score_col) from None
        out[name] = -v if score_col == "rank" else v
    return out


def ranker_tables(scores: np.ndarray, systems: Sequence[str], gold: Mapping[str, float], where: str,
                  n_resamples: int = 1000, seed: int = 0) -> tuple[list[ReportTable], list[str]]:
    """How the judge ranks the systems against a gold ranking (JuStRank, Gera et al. 2025), from its
    per-item system scores (``scores``: items x systems, NaN where a system has no score for an item):
    Kendall's tau-b and Spearman's rho of the systems' mean scores with the gold scores, 95 % bootstrap
    intervals resampling items; pairwise system-order accuracy (the share of system pairs the gold
    ranking orders that the judge orders the same way); decisiveness (the Beta(alpha, alpha) CDF fitted
    to the judge's pairwise system win rates against the gold ones, from Elo-scale gold scores); and
    each system's bias, raw and beyond decisiveness."""
    from .metrics.ranking import (
        decisiveness,
        elo_win_matrix,
        rank_agreement_bootstrap,
        score_win_matrix,
        system_bias,
    )

    notes: list[str] = []
    keep = [k for k, s in enumerate(systems) if s in gold]
    missing = [s for s in systems if s not in gold]
    if missing:
        notes.append(f"not in the gold ranking {where}, left out of the comparison: {', '.join(missing)}")
    names = [systems[k] for k in keep]
    if len(names) < 3:
        notes.append(f"judge as ranker: only {len(names)} ranked systems are in the gold ranking (need 3)")
        return [], notes
    M = np.asarray(scores, dtype=float)[:, keep]
    agreement = rank_agreement_bootstrap(M, names, gold, n_resamples=n_resamples, seed=seed)
    with np.errstate(invalid="ignore"):
        point = np.nanmean(M, axis=0)
    g = np.array([gold[s] for s in names])
    iu, ju = np.triu_indices(len(names), 1)
    gs = np.sign(g[iu] - g[ju])
    js = np.sign(point[iu] - point[ju])
    ordered = gs != 0
    pair_acc = float(np.mean(js[ordered] == gs[ordered])) if ordered.any() else None
    J = score_win_matrix(M)
    G = elo_win_matrix(dict(zip(names, g.tolist(), strict=True)), names)
    np.fill_diagonal(G, np.nan)
    dec = decisiveness(J, G)
    bias = system_bias(J, G, names, dec.alpha)

    def est(e: Any) -> Score:
        return Score(value=e.value, n=e.n, ci_low=e.ci_low, ci_high=e.ci_high, ci_level=e.ci_level,
                     higher_is_better=True)

    overall = {"judge ranking": {
        "kendall_tau": est(agreement.kendall_tau), "spearman": est(agreement.spearman),
        "pairwise_accuracy": Score(value=None if pair_acc is None else 100 * pair_acc, n=int(ordered.sum()),
                                   count=int(np.sum(js[ordered] == gs[ordered])), higher_is_better=True),
        "decisiveness_alpha": Score(value=dec.alpha, n=dec.n_pairs, higher_is_better=None)}}
    per_system = {s: {"judge_score": Score(value=float(point[k]), n=int(np.isfinite(M[:, k]).sum())),
                      "gold_score": Score(value=float(g[k]), n=0),
                      "bias": Score(value=bias[s].raw, n=bias[s].n_opponents, higher_is_better=None),
                      "bias_beyond_decisiveness": Score(value=bias[s].beyond_decisiveness, n=bias[s].n_opponents,
                                                        higher_is_better=None)}
                  for k, s in enumerate(names)}
    return [ReportTable(title=f"judge as ranker (against {where})",
                        columns=("kendall_tau", "spearman", "pairwise_accuracy", "decisiveness_alpha"), rows=overall),
            ReportTable(title="per-system bias (JuStRank)",
                        columns=("judge_score", "gold_score", "bias", "bias_beyond_decisiveness"),
                        rows=per_system)], notes


def alpaca_item_scores(sr: SystemRows) -> tuple[np.ndarray, list[str]]:
    """Instructions x systems: the system's preference minus 1 (its credit against the baseline)."""
    systems = sr.systems()
    M = np.full((sr.n_instructions, len(systems)), np.nan)
    for k, s in enumerate(systems):
        idx, pref, _, _ = sr.instruction_table(s)
        M[idx, k] = pref - 1.0
    return M, systems


# ----------------------------------------------------------------------------- calibration to an oracle slice


def read_oracle(path: str, keys: Mapping[str, int]) -> dict[tuple[str, int], float]:
    """Oracle (human) labels for some judged items: a CSV or JSONL file with ``system``, the item
    (``instruction``: its 0-based position in the suite, or ``uid`` for Arena-Hard) and ``label``
    (the system's gold credit against the baseline in [0, 1]: 1 better, 0 worse, 0.5 a tie; or a
    graded label rescaled by the user). Errors name the file, the line and the field."""
    import json as _json
    from pathlib import Path as _Path

    p = _Path(path)
    records: list[tuple[int, dict[str, Any]]] = []
    try:
        if p.suffix.lower() == ".jsonl":
            for line, text in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
                if text.strip():
                    try:
                        records.append((line, dict(_json.loads(text))))
                    except (ValueError, TypeError):
                        raise DataError("not a JSON object", path=path, line=line) from None
        else:
            import csv

            with open(p, encoding="utf-8", newline="") as f:
                records = list(enumerate(csv.DictReader(f), start=2))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None
    out: dict[tuple[str, int], float] = {}
    for line, rec in records:
        system = str(rec.get("system") or "").strip()
        if not system:
            raise DataError("missing", path=path, line=line, field="system")
        field = "instruction" if rec.get("instruction") not in (None, "") else "uid"
        item = str(rec.get(field) if rec.get(field) is not None else "").strip()
        if item not in keys:
            raise DataError(f"{item!r} is not a judged item of this run", path=path, line=line, field=field)
        try:
            label = float(rec.get("label"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DataError(f"not a number: {rec.get('label')!r}", path=path, line=line, field="label") from None
        if not 0.0 <= label <= 1.0:
            raise DataError(f"{label} is outside [0, 1]", path=path, line=line, field="label")
        key = (system, keys[item])
        if key in out:
            raise DataError(f"a second label for {system} on item {item}", path=path, line=line, field=field)
        out[key] = label
    return out


def item_keys(rows: Sequence[Judgment]) -> dict[str, int]:
    """How an oracle file may name an item: its position (as text) or its uid."""
    keys: dict[str, int] = {}
    for j in rows:
        meta = j.meta or {}
        if "instruction" in meta:
            k = int(meta["instruction"])
            keys[str(k)] = k
            if meta.get("uid") is not None:
                keys[str(meta["uid"])] = k
    return keys


def calibration_tables(scores: np.ndarray, systems: Sequence[str], oracle: Mapping[tuple[str, int], float],
                       where: str) -> tuple[list[ReportTable], list[str]]:
    """The systems' values calibrated to the oracle slice (cross-fitted isotonic regression of the oracle
    label on the judge's per-item score, pooled over systems: :func:`judgekit.metrics.calibration.
    calibrated_system_scores`), with 95 % intervals that include the calibration's own uncertainty,
    next to the uncalibrated values and the ranking before and after."""
    from .metrics.calibration import calibrated_system_scores

    M = np.asarray(scores, dtype=float)
    s_list, y_list, sys_list = [], [], []
    used = 0
    for k, s in enumerate(systems):
        for i in np.flatnonzero(np.isfinite(M[:, k])).tolist():
            s_list.append(M[i, k])
            lab = oracle.get((s, i))
            y_list.append(np.nan if lab is None else lab)
            used += lab is not None
            sys_list.append(s)
    unmatched = len(oracle) - used
    notes = [f"calibrated to {used} oracle labels from {where}"
             + (f" ({unmatched} labels name items without a valid judge score and were not used)" if unmatched else "")]
    if used < 10:
        notes.append("too few oracle labels to calibrate (need 10)")
        return [], notes
    est = calibrated_system_scores(np.asarray(s_list), np.asarray(y_list), sys_list)
    raw = {s: e.raw_mean for s, e in est.items()}
    cal = {s: e.value for s, e in est.items()}

    def ranks(v: Mapping[str, float | None]) -> dict[str, int]:
        order = sorted(v, key=lambda s: (v[s] is None, -(v[s] or 0.0), s))
        return {s: r for r, s in enumerate(order, start=1)}

    rb, ra = ranks(raw), ranks(cal)
    rows = {s: {"uncalibrated": Score(value=None if e.raw_mean is None else 100 * e.raw_mean, n=e.n),
                "calibrated": Score(value=None if e.value is None else 100 * e.value, n=e.n,
                                    ci_low=None if e.ci_low is None else 100 * e.ci_low,
                                    ci_high=None if e.ci_high is None else 100 * e.ci_high, ci_level=e.ci_level,
                                    method="isotonic cross-fit, jackknife calibration variance", higher_is_better=True),
                "se_calibration": Score(value=None if e.se_calibration is None else 100 * e.se_calibration, n=e.n),
                "oracle_labels": _count(e.n_labelled), "rank_before": _count(rb[s]), "rank_after": _count(ra[s])}
            for s, e in sorted(est.items(), key=lambda kv: ra[kv[0]])}
    return [ReportTable(title=f"calibrated to the oracle slice ({used} labels)",
                        columns=("uncalibrated", "calibrated", "se_calibration", "oracle_labels", "rank_before",
                                 "rank_after"), rows=rows)], notes


# the pointwise systems suites' leaderboards (mt_bench, system_scores) register from their own module
from . import system_scores  # noqa: E402,F401
