from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from .. import scoring
from ..store import RunStore, repair_judgments
from ._output import print_run


@click.command("score")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--repair", is_flag=True, help="First set aside the lines of judgments.jsonl that are not "
              "valid judgment rows (into judgments.rejected.jsonl) and keep every valid row.")
def score_cmd(run_dir: Path, repair: bool) -> None:
    """Recompute a run's metrics from its stored judgments."""
    console = Console()
    if repair:
        store = RunStore(run_dir)
        with store.locked():
            fixed = repair_judgments(store.judgments_path)
        if fixed.dropped:
            console.print(f"repair: kept {fixed.kept} rows, dropped {len(fixed.dropped)} line(s), saved in "
                          f"{fixed.rejected_path}:")
            for d in fixed.dropped:
                console.print(f"  {store.judgments_path}:{d.line}: {d.reason}", soft_wrap=True)
        else:
            console.print(f"repair: all {fixed.kept} rows are valid; nothing dropped")
    metrics, report = scoring.rescore(run_dir)
    print_run(metrics, report, f"{run_dir.name}")
    console.print(f"metrics: {run_dir / 'metrics.json'}")
