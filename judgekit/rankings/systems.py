"""Judgment rows of a systems suite (one example per system and instruction), grouped per system and
instruction, and the pieces every system leaderboard shares: AlpacaEval's per-row preference, the
report's cells, how an oracle file may name an item, and the report's win-rate ranking of a run."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..facts import SystemFacts, facts_of
from ..metrics.interval import Score
from ..metrics.stats import DEFAULT_LEVEL
from ..types import Judgment

# aggregations whose report is a system leaderboard (mt_bench and system_scores: mean grades, .grades)
SYSTEM_AGGREGATIONS = ("alpaca_eval", "arena_hard", "mt_bench", "system_scores", "system_winrate")


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
            if not j.meta or "system" not in j.meta or "instruction" not in j.meta:
                raise DataError(f"judgment {j.request_id} has no system / instruction (not a systems-suite run)")
            meta = facts_of(j, SystemFacts)
            self.by_system[meta.system][meta.instruction].append(j)
            self.baseline = self.baseline or meta.baseline
            if j.len_a is not None:
                self.baseline_len[meta.instruction] = j.len_a
            if meta.baseline_avg_length is not None:
                self.baseline_avg_length = float(meta.baseline_avg_length)
            self.n_instructions = max(self.n_instructions, meta.n_instructions or 0, meta.instruction + 1)

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


def item_keys(rows: Sequence[Judgment]) -> dict[str, int]:
    """How an oracle file may name an item: its position (as text) or its uid."""
    keys: dict[str, int] = {}
    for j in rows:
        if j.meta and "instruction" in j.meta:
            facts = facts_of(j, SystemFacts)
            k = facts.instruction
            keys[str(k)] = k
            if facts.uid is not None:
                keys[facts.uid] = k
    return keys

def system_win_rates(rows: Sequence[Judgment], manifest: Any) -> dict[str, Any]:
    """Each system's win rate as its suite computes it (AlpacaEval's: soft preferences count as their
    probability), in [0, 1] with the 95 % bootstrap interval over instructions, best first: the
    report's ranking for a systems run (the length-controlled fit is skipped here)."""
    from ..aggregations import aggregate
    from ..metrics.interval import Score as Estimate

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
