"""Command-line options of the systems suites (alpaca_eval, ...), shared by `run`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SYSTEMS_OPTIONS = [
    click.option("--systems", "systems", multiple=True, metavar="PATH",
                 help="Systems suites: a system's outputs (AlpacaEval model_outputs.json, or its folder, or a "
                 "folder of system folders). Repeat the option; several paths may also be comma-separated."),
    click.option("--baseline", default=None, help="Systems suites: the baseline system's name "
                 "(alpaca_eval: gpt4_1106_preview)."),
    click.option("--instruction-difficulty", default=None, metavar="CSV",
                 help="alpaca_eval: AlpacaEval's instruction_difficulty.csv for the length-controlled win rate "
                 "(without it the difficulties are estimated from the systems ranked, and the output says so)."),
    click.option("--gamed-annotations", default=None, metavar="CSV",
                 help="alpaca_eval: AlpacaEval's df_gamed.csv (the length-gamed baselines' annotations) to "
                 "regularise the length-controlled GLM as length_controlled_v1 does."),
]


def systems_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(SYSTEMS_OPTIONS):
        fn = opt(fn)
    return fn


def systems_args(systems: tuple[str, ...], baseline: str | None, instruction_difficulty: str | None,
                 gamed_annotations: str | None) -> dict[str, Any]:
    """Suite arguments from the systems options (empty when none is given)."""
    out: dict[str, Any] = {}
    paths = [p.strip() for item in systems for p in item.split(",") if p.strip()]
    if paths:
        out["systems"] = paths
    if baseline:
        out["baseline"] = baseline
    agg = {k: v for k, v in (("instruction_difficulty", instruction_difficulty),
                             ("gamed_annotations", gamed_annotations)) if v}
    if agg:
        out["aggregation_args"] = agg
    return out
