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
from .metrics.pairwise import Score
from .metrics.stats import DEFAULT_LEVEL, percentile_interval, rng_for
from .metrics.winrate import head_to_head
from .types import Judgment

ALPACA_COLUMNS = ("lc_win_rate", "lc_standard_error", "win_rate", "standard_error", "discrete_win_rate",
                  "n_wins", "n_wins_base", "n_draws", "n_total", "avg_length")
N_BOOT = 1000
SYSTEM_AGGREGATIONS = ("alpaca_eval",)  # aggregations whose report is a system leaderboard


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
            pref[n] = float(np.mean(vals)) if vals else math.nan
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
    W = rng.multinomial(v.size, np.full(v.size, 1.0 / v.size), size=N_BOOT)
    return percentile_interval(W @ v / v.size, DEFAULT_LEVEL)


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
    return SuiteReport(
        aggregation="alpaca_eval", headline_name=f"length-controlled win rate of the top system ({top})",
        headline=headline,
        tables=(ReportTable(title=f"AlpacaEval leaderboard (against {sr.baseline})", columns=ALPACA_COLUMNS,
                            rows=ordered),),
        counts=counts, notes=tuple(notes))


def system_win_rates(rows: Sequence[Judgment], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Each system's win rate as its suite computes it (AlpacaEval's: soft preferences count as their
    probability), in [0, 1] with the 95 % bootstrap interval over instructions, best first: the
    report's ranking for a systems run (the length-controlled fit is skipped here)."""
    from .aggregations import aggregate
    from .metrics.stats import Estimate

    spec = manifest.get("aggregation") or {}
    report = aggregate(spec["name"], rows, {**spec.get("args", {}), "glm": None})
    out: dict[str, Any] = {}
    for name, row in report.tables[0].rows.items():
        s = row["win_rate"]
        if s.value is None:
            continue
        out[name] = Estimate(value=s.value / 100, n=s.n, ci_low=None if s.ci_low is None else s.ci_low / 100,
                             ci_high=None if s.ci_high is None else s.ci_high / 100, ci_level=s.ci_level,
                             method="percentile-bootstrap" if s.ci_low is not None else None)
    return dict(sorted(out.items(), key=lambda kv: (-(kv[1].value or 0.0), kv[0])))
