"""AlpacaEval 2's leaderboard from stored judgments of the ``alpaca_eval`` systems suite.

Per system, one preference per instruction in [1, 2] (2 = the
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

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable, SuiteReport, invalid_counts, register
from ..errors import DataError
from ..metrics.interval import Score
from ..metrics.stats import DEFAULT_LEVEL, percentile_interval, rng_for
from ..metrics.winrate import head_to_head
from ..types import Judgment
from .judge_quality import judge_quality_tables
from .systems import SystemRows, _count, _score

ALPACA_COLUMNS = ("lc_win_rate", "lc_standard_error", "win_rate", "standard_error", "discrete_win_rate",
                  "n_wins", "n_wins_base", "n_draws", "n_total", "avg_length")
N_BOOT = 1000


def _lc_inputs(sr: SystemRows, tables: Mapping[str, tuple[np.ndarray, ...]], args: Mapping[str, Any]
               ) -> tuple[np.ndarray, Any, list[str]]:
    from ..metrics import alpaca_glm

    notes: list[str] = []
    n = sr.n_instructions
    sources = args.get("lc_inputs_from") or {}  # inputs found on the hub (or its local cache) at run time
    no_hub = f" (the hub was not used: {args['lc_hub_unavailable']})" if args.get("lc_hub_unavailable") else ""
    path = args.get("instruction_difficulty")
    if path:
        difficulty = alpaca_glm.read_instruction_difficulty(path, n)
        notes.append(f"instruction difficulty read from {path}"
                     + (f", from {sources['instruction_difficulty']}" if "instruction_difficulty" in sources else ""))
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
                     "file to reproduce AlpacaEval's LC" + no_hub)
    gamed_path = args.get("gamed_annotations")
    gamed = None
    if gamed_path:
        gamed = alpaca_glm.read_gamed(gamed_path, difficulty)
        notes.append(f"regularised towards the gamed baselines of {gamed_path}"
                     + (f", from {sources['gamed_annotations']}" if "gamed_annotations" in sources else "")
                     + " (weight 0.2), as length_controlled_v1")
    else:
        notes.append("length-controlled win rate not regularised towards the length-gamed baselines (their "
                     "annotations, AlpacaEval's hub file df_gamed.csv, were not given): AlpacaEval's "
                     "length_controlled_noreg" + no_hub)
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
    from ..metrics import alpaca_glm

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
    extra, more = judge_quality_tables(lambda: alpaca_item_scores(sr), rows, args)
    notes += more
    return SuiteReport(
        aggregation="alpaca_eval", headline_name=f"length-controlled win rate of the top system ({top})",
        headline=headline,
        tables=(ReportTable(title=f"AlpacaEval leaderboard (against {sr.baseline})", columns=ALPACA_COLUMNS,
                            rows=ordered), *extra),
        counts=counts, notes=tuple(notes))


def alpaca_item_scores(sr: SystemRows) -> tuple[np.ndarray, list[str]]:
    """Instructions x systems: the system's preference minus 1 (its credit against the baseline)."""
    systems = sr.systems()
    M = np.full((sr.n_instructions, len(systems)), np.nan)
    for k, s in enumerate(systems):
        idx, pref, _, _ = sr.instruction_table(s)
        M[idx, k] = pref - 1.0
    return M, systems
