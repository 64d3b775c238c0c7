"""The generic systems suite judged pairwise (``system_winrate``): each system against the baseline,
AlpacaEval's figures without the length-controlled fit (which needs AlpacaEval's own instructions):
win rate with its 95 % bootstrap interval, standard error, discrete win rate, counts and average
length, ranked by win rate; beside them Arena-Hard's score against the baseline with its 90 % bootstrap
interval (show_result.py's, without style control: strong verdicts weigh ``weight``, 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..aggregations import ReportTable, SuiteReport, register
from ..metrics.interval import Score
from ..types import Judgment
from .alpaca_eval import ALPACA_COLUMNS, alpaca_eval
from .arena_hard import arena_hard

WINRATE_COLUMNS = tuple(c for c in ALPACA_COLUMNS if not c.startswith("lc_"))


@register("system_winrate")
def system_winrate(rows: Sequence[Judgment], args: Mapping[str, Any]) -> SuiteReport:
    report = alpaca_eval(rows, {**args, "glm": None})
    board = report.tables[0]
    ordered = dict(sorted(((s, {c: r[c] for c in WINRATE_COLUMNS if c in r}) for s, r in board.rows.items()),
                          key=lambda kv: (kv[1]["win_rate"].value is None, -(kv[1]["win_rate"].value or 0.0), kv[0])))
    baseline = next((j.meta or {}).get("baseline") for j in rows) if rows else None
    top = next((s for s in ordered if s != baseline), None)
    bt = arena_hard(rows, {"weight": args.get("weight", 3), "rounds": args.get("rounds", 100), "style_control": False})
    bt_table = bt.tables[0]
    bt_rows = {s: {c: r[c] for c in ("score", "n_battles", "dropped_questions")} for s, r in bt_table.rows.items()}
    return SuiteReport(
        aggregation="system_winrate", headline_name=f"win rate of the top system ({top})",
        headline=ordered[top]["win_rate"] if top else Score(value=None, n=0),
        tables=(ReportTable(title=f"systems against {baseline} (AlpacaEval's win rate)", columns=WINRATE_COLUMNS,
                            rows=ordered),
                ReportTable(title=f"Arena-Hard score against {baseline} (show_result.py, 90% intervals)",
                            columns=("score", "n_battles", "dropped_questions"), rows=bt_rows),
                *report.tables[1:]),
        counts=report.counts, notes=tuple(n for n in report.notes + bt.notes if "length-controlled" not in n))
