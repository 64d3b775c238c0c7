from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from .. import scoring
from ._output import print_run


@click.command("score")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def score_cmd(run_dir: Path) -> None:
    """Recompute a run's metrics from its stored judgments."""
    metrics, report = scoring.rescore(run_dir)
    print_run(metrics, report, f"{run_dir.name}")
    Console().print(f"metrics: {run_dir / 'metrics.json'}")
