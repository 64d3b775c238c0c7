from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..views.report import ReportConfig, build_report


@click.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--compare", "compare", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Another run folder to show beside it (repeat the option).")
@click.option("--out", default="report.html", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (self-contained: plots embedded, nothing loaded from the network).")
@click.option("--data", default=None, help="Data folder to show prompts and responses from (default: the runs' "
              "own --data).")
@click.option("--max-invalid", type=int, default=50, show_default=True, help="Invalid verdicts listed per run.")
@click.option("--disagreements", "n_disagreements", type=int, default=20, show_default=True,
              help="Disagreements with the gold label sampled per run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Which disagreements are sampled.")
def report_cmd(run_dir: Path, compare: tuple[Path, ...], out: Path, data: str | None, max_invalid: int,
               n_disagreements: int, seed: int) -> None:
    """Write one self-contained HTML report of a run (and runs to compare with it)."""
    config = ReportConfig(run_dir=str(run_dir), compare=tuple(str(c) for c in compare), out=str(out), data=data,
                          max_invalid=max_invalid, n_disagreements=n_disagreements, seed=seed)
    path = build_report(config)
    Console().print(f"wrote {path}")
