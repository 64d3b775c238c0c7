"""The generic systems suite judged pairwise (``system_winrate``): each system against the baseline,
AlpacaEval's figures without the length-controlled fit (which needs AlpacaEval's own instructions):
win rate with its 95 % bootstrap interval, standard error, discrete win rate, counts and average
length, ranked by win rate; beside them Arena-Hard's score against the baseline with its 90 % bootstrap
interval (show_result.py's: strong verdicts weigh ``weight``, 3) and its style-controlled score
(``--control-features length markdown``, from each answer's length in characters and markdown counts;
``style_control: false`` in the suite's aggregation args turns it off; runs stored before the features
were recorded show none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..aggregations import ReportTable, SuiteReport, register
from ..facts import SystemFacts, facts_of
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
    baseline = facts_of(rows[0], SystemFacts).baseline if rows else None
    top = next((s for s in ordered if s != baseline), None)
    bt = arena_hard(rows, {"weight": args.get("weight", 3), "rounds": args.get("rounds", 100),
                           "style_control": args.get("style_control", True)})
    bt_table = bt.tables[0]
    bt_columns = ("score", "style_controlled", "n_battles", "dropped_questions")
    bt_rows = {s: {c: r[c] for c in bt_columns} for s, r in bt_table.rows.items()}
    return SuiteReport(
        aggregation="system_winrate", headline_name=f"win rate of the top system ({top})",
        headline=ordered[top]["win_rate"] if top else Score(value=None, n=0),
        tables=(ReportTable(title=f"systems against {baseline} (AlpacaEval's win rate)", columns=WINRATE_COLUMNS,
                            rows=ordered),
                ReportTable(title=f"Arena-Hard score against {baseline} (show_result.py, 90% intervals; "
                                  "style-controlled: length and markdown)", columns=bt_columns, rows=bt_rows),
                *report.tables[1:]),
        counts=report.counts, notes=tuple(n for n in report.notes + bt.notes if "length-controlled" not in n))
