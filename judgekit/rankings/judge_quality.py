"""The optional tables a system leaderboard adds from its aggregation's arguments: the judge as a
ranker against ``gold_ranking`` (:mod:`.ranker`) and the values calibrated to an ``oracle`` slice
(:mod:`.oracle`), both from the judge's per-item system scores."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..aggregations import ReportTable
from ..types import Judgment
from .oracle import calibration_tables, read_oracle
from .ranker import ranker_tables, read_gold_ranking
from .systems import item_keys


def judge_quality_tables(item_scores: Callable[[], tuple[np.ndarray, list[str]]], rows: Sequence[Judgment],
                         args: Mapping[str, Any]) -> tuple[list[ReportTable], list[str]]:
    """The ranker and calibration tables that ``args`` asks for (``gold_ranking``, ``oracle``: paths),
    with their notes; ``item_scores`` gives items x systems (NaN where a system has no score) and the
    system names, and is only called when a table is asked for."""
    tables: list[ReportTable] = []
    notes: list[str] = []
    if not (args.get("gold_ranking") or args.get("oracle")):
        return tables, notes
    M, names = item_scores()
    if not names:
        return tables, notes
    if args.get("gold_ranking"):
        path = str(args["gold_ranking"])
        more_tables, more = ranker_tables(M, names, read_gold_ranking(path), path)
        tables += more_tables
        notes += more
    if args.get("oracle"):
        path = str(args["oracle"])
        more_tables, more = calibration_tables(M, names, read_oracle(path, item_keys(rows)), path)
        tables += more_tables
        notes += more
    return tables, notes
