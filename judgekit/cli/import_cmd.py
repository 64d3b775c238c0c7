from __future__ import annotations

import click
from rich.console import Console

from .. import scoring
from ..importers import ImportOptions, import_run, importers
from ._output import print_run


@click.command("import")
@click.argument("fmt", metavar="FORMAT")
@click.argument("paths", nargs=-1, required=True)
@click.option("--suite", default=None, help="Join with this suite's examples (gold labels, categories); "
              "default: the format's own suite when the file needs gold labels or --data is given.")
@click.option("--split", default=None, help="Split of that suite.")
@click.option("--data", default=None, help="Local data folder or file for the suite (as for `run`).")
@click.option("--judge-name", default=None, help="Name of the judge in the run (default: from the file).")
@click.option("--subset", default=None, help="llmbar: the subset of the result file (default: from its path).")
@click.option("--run-id", default=None, help="Run folder name (default: import-FORMAT-JUDGE-HASH).")
@click.option("--results-dir", default="results", show_default=True)
def import_cmd(fmt: str, paths: tuple[str, ...], suite: str | None, split: str | None, data: str | None,
               judge_name: str | None, subset: str | None, run_id: str | None, results_dir: str) -> None:
    """Turn another tool's stored judgments into a judgekit run and score it.

    FORMAT: judgebench (JudgeBench outputs), alpaca_eval (annotations.json), arena_hard
    (model_judgment/*.jsonl), llmbar (result.json), pandalm (*-testset-v1.json). Several PATHs
    make one run (LLMBar's subsets, say).
    """
    importers.get(fmt)  # an unknown format fails here, listing the known ones
    options = ImportOptions(suite=suite, split=split, data=data, judge_name=judge_name, subset=subset,
                            run_id=run_id, results_dir=results_dir)
    run_dir = import_run(fmt, list(paths), options)
    metrics, report = scoring.rescore(run_dir)
    print_run(metrics, report, f"import {fmt} / {run_dir.name}")
    Console().print(f"judgments: {run_dir / 'judgments.jsonl'}\nmetrics:   {run_dir / 'metrics.json'}")
