"""System leaderboards, as each benchmark publishes them, from stored judgments of systems suites.

A systems suite has one example per (system, instruction): response A the baseline's output,
response B the system's, ``meta`` naming the system, the baseline, the instruction's position and
the number of instructions. Each suite's aggregation (registered on import) turns the judgments into
the benchmark's leaderboard:

- :mod:`.systems`: the rows per system and instruction, shared by every leaderboard;
- :mod:`.alpaca_eval`: AlpacaEval 2 (win rate, standard error, counts, length-controlled win rate);
- :mod:`.arena_hard`: Arena-Hard-Auto (score against the baseline, style control);
- :mod:`.generic`: the generic systems suite judged pairwise (win rate and Arena-Hard score);
- :mod:`.grades`: MT-Bench single grading (mean grade per turn and overall) and the generic systems
  suite judged pointwise (mean grade);
- :mod:`.ranker`: the judge as a ranker against a gold ranking (JuStRank);
- :mod:`.oracle`: system values calibrated to an oracle slice;
- :mod:`.judge_quality`: the last two as the optional tables of a leaderboard.
"""

from __future__ import annotations

from .alpaca_eval import ALPACA_COLUMNS, N_BOOT, alpaca_eval, alpaca_item_scores
from .arena_hard import (
    ARENA_COLUMNS,
    ARENA_LEVEL,
    ArenaBattles,
    arena_hard,
    arena_hard_scores,
    arena_item_scores,
    style_controlled_scores,
    style_design,
)
from .generic import WINRATE_COLUMNS, system_winrate
from .grades import GRADE_COLUMNS, MT_BENCH_COLUMNS, GradeTable, mt_bench, system_scores
from .judge_quality import judge_quality_tables
from .oracle import calibration_tables, read_oracle
from .ranker import ranker_tables, read_gold_ranking
from .systems import SYSTEM_AGGREGATIONS, SystemRows, item_keys, system_win_rates

__all__ = [
    "ALPACA_COLUMNS", "ARENA_COLUMNS", "ARENA_LEVEL", "GRADE_COLUMNS", "MT_BENCH_COLUMNS", "N_BOOT",
    "SYSTEM_AGGREGATIONS", "ArenaBattles", "GradeTable", "SystemRows", "alpaca_eval", "alpaca_item_scores",
    "arena_hard", "arena_hard_scores", "arena_item_scores", "calibration_tables", "item_keys",
    "judge_quality_tables", "mt_bench", "ranker_tables", "read_gold_ranking", "read_oracle",
    "style_controlled_scores", "style_design", "system_scores", "system_win_rates",
    "system_winrate", "WINRATE_COLUMNS",
]
