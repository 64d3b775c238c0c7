from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table

from ..errors import ConfigError
from ..views.leaderboard import FORMATS, LeaderboardConfig, build_leaderboard
from ..views.leaderboard_render import table_rows, write_leaderboard
from ._files import yaml_mapping


def _prices(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    return yaml_mapping(path, "a mapping of judge name -> {input: $/Mtok, output: $/Mtok}")


@click.command("leaderboard")
@click.argument("results_dir", default="results", type=click.Path(file_okay=False, path_type=Path))
@click.option("--suite", required=True, help="Suite whose runs to rank (judgebench, pandalm, ...; alpaca_eval or "
              "arena_hard for imported win-rate annotations).")
@click.option("--split", default=None, help="Only this split (default: every split found, one table each).")
@click.option("--format", "formats", default="md", show_default=True,
              help=f"Comma-separated output formats: {', '.join(FORMATS)}.")
@click.option("--out", "out_dir", default="results/leaderboards", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for <suite>.<format>.")
@click.option("--data", default=None, help="Local data folder to check the runs' dataset hashes against "
              "(default: the runs must agree with each other, and hub revisions with the suite YAML).")
@click.option("--skip-mismatched", is_flag=True, help="Leave out runs whose manifest does not match the suite's "
              "current definition (listed in the output) instead of refusing.")
@click.option("--include-mismatched", is_flag=True, help="Keep such runs, flagged with (!) and the reason.")
@click.option("--prices", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML: judge name -> {input: $ per million tokens, output: ...}, for the cost column.")
def leaderboard_cmd(results_dir: Path, suite: str, split: str | None, formats: str, out_dir: Path,
                    data: str | None, skip_mismatched: bool, include_mismatched: bool, prices: Path | None) -> None:
    """Rebuild a suite's leaderboard from every stored run (own and imported) under RESULTS_DIR."""
    if skip_mismatched and include_mismatched:
        raise ConfigError("--skip-mismatched and --include-mismatched exclude each other")
    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise ConfigError(f"--format {formats!r}: known formats are {', '.join(FORMATS)}")
    try:
        config = LeaderboardConfig(
            suite=suite, results_dir=str(results_dir), split=split, data=data,
            on_mismatch="skip" if skip_mismatched else "include" if include_mismatched else "refuse",
            prices=_prices(prices))  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"--prices {prices}: {exc}") from exc
    board = build_leaderboard(config)
    console = Console()
    header, rows = table_rows(board)
    # the terminal shows the main columns; the files have them all
    shown = ["rank", "model", "win rate", "standard error", "LC win rate [95% CI]", "n_total"] \
        if board.kind == "winrate" else header[:2] + header[3:-3] + ["n_invalid"] if board.kind == "grades" else \
        ["rank", "judge", header[3], "swap consistency", "position preference", "invalid %", "n"]
    if "style-controlled [90% CI]" in header:  # Arena-Hard: its style-controlled score beside the score
        shown.insert(shown.index("LC win rate [95% CI]"), "style-controlled [90% CI]")
    index = [header.index(h) for h in shown]
    for group in dict.fromkeys(g for g, _ in rows):
        console.print(terminal_table(f"{suite} leaderboard" + (f": {group}" if group else ""), shown,
                                     [[cells[i] for i in index] for g, cells in rows if g == group]))
    for e in board.excluded:
        console.print(f"[yellow]left out {e.run_id}: {'; '.join(e.reasons)}[/yellow]")
    for run_id, why in board.flagged():
        console.print(f"[red](!) {run_id} does not match the suite's current definition or is not whole: {'; '.join(why)}[/red]")
    for path in write_leaderboard(board, out_dir, fmts):
        console.print(f"wrote {path}")


SHORT = {"rank": "#", "swap consistency": "swap%", "position preference": "1st%", "invalid %": "inv%",
         "standard error": "SE", "LC win rate [95% CI]": "LC win rate", "n_total": "n",
         "style-controlled [90% CI]": "style-controlled"}
LEGEND = {"swap%": "swap consistency", "1st%": "first-shown preference", "inv%": "invalid verdicts"}


def terminal_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    """The leaderboard's main columns for a terminal of 80 columns or more: names whole (never
    wrapped), figures without their intervals except the headline's, short column names explained
    in the caption (the files have every column in full)."""
    judges = header[1] == "judge"
    names = [("score" if i == 2 and judges else SHORT.get(h, h)) for i, h in enumerate(header)]
    caption = None
    if judges:
        caption = (f"score: {header[2].removesuffix(' [95% CI]')}; "
                   + "; ".join(f"{k}: {v}" for k, v in LEGEND.items() if k in names))
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0),
              caption=caption, caption_justify="left")
    for i, (h, name) in enumerate(zip(header, names, strict=True)):
        t.add_column(name, justify="left" if h in ("judge", "model") else "right", no_wrap=True)
        if i == 2 and judges:
            t.add_column("95% CI", justify="right", no_wrap=True)
    for cells in rows:
        out = []
        for i, c in enumerate(cells):
            value, _, interval = c.partition(" [")
            out.append(value if judges else c)
            if i == 2 and judges:
                lo, _, hi = interval.rstrip("]").partition(", ")
                out.append(f"{float(lo):.1f}-{float(hi):.1f}" if lo and hi else "")
        t.add_row(*out)
    return t
