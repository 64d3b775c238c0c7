"""Command-line options of the systems suites (alpaca_eval, ...), shared by `run`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SYSTEMS_OPTIONS = [
    click.option("--systems", "systems", multiple=True, metavar="PATH",
                 help="Systems suites: a system's outputs (alpaca_eval: model_outputs.json, its folder, or a "
                 "folder of system folders; arena_hard and mt_bench: model_answer/<model>.jsonl or the folder; "
                 "generic_systems: JSONL/CSV/Parquet files of prompt, system, output rows). Repeat the option; "
                 "several paths may also be comma-separated."),
    click.option("--baseline", default=None, help="Systems suites: the baseline system's name "
                 "(alpaca_eval: gpt4_1106_preview; arena_hard: gpt-4-0314; generic_systems: required when pairwise)."),
    click.option("--instruction-difficulty", default=None, metavar="CSV",
                 help="alpaca_eval: AlpacaEval's instruction_difficulty.csv for the length-controlled win rate "
                 "(without it the difficulties are estimated from the systems ranked, and the output says so)."),
    click.option("--gold-ranking", default=None, metavar="CSV",
                 help="Systems suites: a gold system ranking (columns system and score, e.g. Chatbot Arena Elo) to "
                 "measure the judge as a ranker: Kendall tau and Spearman with intervals over prompts, pairwise "
                 "order accuracy, JuStRank decisiveness and per-system bias."),
    click.option("--oracle", default=None, metavar="FILE",
                 help="Systems suites: oracle (human) labels for some judged items (CSV or JSONL: system, "
                 "instruction or uid, label in [0, 1]) to calibrate the systems' values (cross-fitted isotonic, "
                 "intervals with the calibration's uncertainty) and show the ranking before and after."),
    click.option("--gamed-annotations", default=None, metavar="CSV",
                 help="alpaca_eval: AlpacaEval's df_gamed.csv (the length-gamed baselines' annotations) to "
                 "regularise the length-controlled GLM as length_controlled_v1 does."),
]


def systems_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(SYSTEMS_OPTIONS):
        fn = opt(fn)
    return fn


def systems_args(systems: tuple[str, ...], baseline: str | None, instruction_difficulty: str | None,
                 gamed_annotations: str | None, gold_ranking: str | None = None,
                 oracle: str | None = None) -> dict[str, Any]:
    """Suite arguments from the systems options (empty when none is given)."""
    out: dict[str, Any] = {}
    paths = [p.strip() for item in systems for p in item.split(",") if p.strip()]
    if paths:
        out["systems"] = paths
    if baseline:
        out["baseline"] = baseline
    agg = {k: v for k, v in (("instruction_difficulty", instruction_difficulty),
                             ("gamed_annotations", gamed_annotations), ("gold_ranking", gold_ranking), ("oracle", oracle)) if v}
    if agg:
        out["aggregation_args"] = agg
    return out


def with_lc_hub_inputs(suite_args: dict[str, Any], suites: list[str]) -> dict[str, Any]:
    """alpaca_eval: AlpacaEval's two LC inputs the user gave no file for, from the hub at the suite's
    revision when it can be had (:mod:`judgekit.rankings.lc_inputs`), recorded in the aggregation
    arguments so rescoring reads the same files."""
    if "alpaca_eval" not in suites:
        return suite_args
    from ..rankings.lc_inputs import with_hub_inputs
    from ..suites import load_suite

    hub = load_suite("alpaca_eval").hub
    revision = hub.revision if hub is not None and hub.revision else "main"
    return {**suite_args, "aggregation_args": with_hub_inputs(suite_args.get("aggregation_args") or {}, revision)}


def _v(score: Any, digits: int = 2) -> str:
    if score is None or score.value is None:
        return "-"
    return f"{score.value:.{digits}f}"


def _ci(score: Any, digits: int = 1) -> str:
    if score is None or score.ci_low is None or score.ci_high is None:
        return ""
    return f" [{score.ci_low:.{digits}f}, {score.ci_high:.{digits}f}]"


def print_systems_report(report: Any, title: str, console: Any) -> None:
    """A systems suite's leaderboard, one row per system, best first, as the benchmark prints it."""
    from rich.table import Table

    from ..rankings import ALPACA_COLUMNS, GRADE_COLUMNS

    for table in report.tables:
        t = Table(title=f"{title}: {table.title}", title_justify="left", pad_edge=False)
        if tuple(table.columns) == ALPACA_COLUMNS:
            heads = [("#", "right"), ("system", "left"), ("LC win rate", "right"), ("LC se", "right"),
                     ("win rate [95% CI]", "right"), ("se", "right"), ("discrete", "right"),
                     ("wins/base/draws/total", "right"), ("avg len", "right")]
            for h, just in heads:
                t.add_column(h, justify=just, overflow="fold")  # type: ignore[arg-type]
            for k, (name, row) in enumerate(table.rows.items(), start=1):
                counts = "/".join(_v(row.get(c), 0) for c in ("n_wins", "n_wins_base", "n_draws", "n_total"))
                t.add_row(str(k), name, _v(row.get("lc_win_rate")), _v(row.get("lc_standard_error")),
                          _v(row.get("win_rate")) + _ci(row.get("win_rate")), _v(row.get("standard_error")),
                          _v(row.get("discrete_win_rate")), counts, _v(row.get("avg_length"), 0))
        else:
            t.add_column("#", justify="right")
            t.add_column("system", overflow="fold")
            for c in table.columns:
                t.add_column(c, justify="right", overflow="fold")
            for k, (name, row) in enumerate(table.rows.items(), start=1):
                # counts as integers; a grade's interval (MT-Bench, 1-10) with two decimals, a percentage's with one
                t.add_row(str(k), name, *[_v(row.get(c), 0) if getattr(row.get(c), "count", None) is not None else
                                          _v(row.get(c)) + _ci(row.get(c), 2 if c in GRADE_COLUMNS else 1)
                                          for c in table.columns])
        console.print(t)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    console.print(f"[bold]{report.headline_name}: {_v(report.headline)}[/bold]   ({counts})")
    for note in report.notes:
        console.print(f"note: {note}")
