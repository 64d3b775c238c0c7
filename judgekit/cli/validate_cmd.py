from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from ..audit_gate import parse_limits
from ..errors import ConfigError
from ..manifest import read_manifest, slug
from ..progress import NullProgress, Progress, RichProgress
from ..types import JudgeConfig, RunConfig
from ..views.validate import (
    JudgedRun,
    ValidateConfig,
    ValidationResult,
    validate,
    verdict_rows,
    write_outputs,
)
from ._judge_args import judge_config, key_values, suite_targets
from .run_cmd import generic_args


def _baselines(values: tuple[str, ...]) -> tuple[list[str], str | None]:
    """Run folders and at most one judge spec among the --baseline values."""
    runs, specs = [], []
    for v in values:
        p = Path(v)
        if p.is_dir():
            if read_manifest(p) is None:
                raise ConfigError(f"--baseline {v}: a folder but not a run folder (no manifest.json)")
            runs.append(str(p))
        elif ":" in v and not p.exists():
            specs.append(v)
        else:
            raise ConfigError(f"--baseline {v}: neither a run folder nor a judge spec (BACKEND:MODEL)")
    if len(specs) > 1:
        raise ConfigError("--baseline: give at most one baseline judge spec")
    return runs, specs[0] if specs else None


def _run_judge(config: RunConfig, progress: Progress) -> JudgedRun:
    from .. import runner  # the backends load only when a judge runs

    return runner.run(config, progress)


@click.command("validate")
@click.option("--judge", required=True, help="The candidate judge, BACKEND:MODEL (e.g. vllm:/path/to/checkpoint).")
@click.option("--baseline", "baselines", multiple=True, required=True,
              help="A stored run folder of the baseline judge (one per suite, repeat the option), or the "
              "baseline judge as BACKEND:MODEL (run like the candidate; a stored run of it is reused).")
@click.option("--suite", required=True, help="Suites, comma-separated, each SUITE or SUITE:SPLIT "
              "(e.g. judgebench,rewardbench).")
@click.option("--max-drop", type=float, default=1.0, show_default=True,
              help="Allowed drop of the suite's headline (the one its leaderboard shows), in percentage points "
              "(hundredths of a correlation or kappa).")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level of the tests.")
@click.option("--data", default=None, help="Local data folder (default: $JUDGEKIT_DATA_DIR or the hub).")
@click.option("--template", default=None, help="Candidate's template (default: the baseline run's).")
@click.option("--verdict", type=click.Choice(["generate", "logprob", "constrained"]), default=None)
@click.option("--option", "backend_options", multiple=True, metavar="KEY=VALUE", help="Candidate backend option.")
@click.option("--engine-arg", "engine_args", multiple=True, metavar="KEY=VALUE", help="vLLM engine argument.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Judge only the first N examples of each suite.")
@click.option("--concurrency", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--results-dir", default="results", show_default=True)
@click.option("--cache", "cache_path", default=None, help="SQLite completion cache path.")
@click.option("--no-cache", is_flag=True)
@click.option("--resamples", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for validate.md and validate.json (default results/validate/<candidate>-<config "
              "hash>).")
@click.option("--field", "fields", multiple=True, metavar="NAME=COLUMN",
              help="generic suite: NAME=COLUMN, judgekit's field name and the data's column (as `judgekit run`).")
@click.option("--label", "labels", multiple=True, metavar="VALUE=A|B|tie",
              help="generic suite: how the label column's values map to the gold verdict (as `judgekit run`).")
@click.option("--kind", type=click.Choice(["pairwise", "pointwise"]), default=None,
              help="generic suite: pairwise pairs (default) or pointwise grades.")
@click.option("--audit", "audit_dir", default=None, type=click.Path(exists=True, path_type=Path),
              help="The candidate's audit (`judgekit audit` folder or audit.json): gate on its probe effects with "
              "--baseline-audit and/or --max-effect.")
@click.option("--baseline-audit", default=None, type=click.Path(exists=True, path_type=Path),
              help="The baseline judge's audit of the same suite: fail when an effect of the candidate is "
              "significantly larger (paired over examples) by more than --max-increase.")
@click.option("--max-effect", "max_effects", multiple=True, metavar="PROBE[/VARIANT]=X",
              help="Fail when the candidate audit's effect is more than X from no effect, e.g. position=0.1, "
              "bandwagon/cue-worse=0.05. Repeatable.")
@click.option("--max-increase", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="With --baseline-audit: the allowed increase of an effect.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def validate_cmd(judge: str, baselines: tuple[str, ...], suite: str, max_drop: float, alpha: float,
                 data: str | None, template: str | None, verdict: str | None, backend_options: tuple[str, ...],
                 engine_args: tuple[str, ...], limit: int | None, concurrency: int, results_dir: str,
                 cache_path: str | None, no_cache: bool, resamples: int, seed: int, out_dir: Path | None,
                 fields: tuple[str, ...], labels: tuple[str, ...], kind: str | None,
                 audit_dir: Path | None, baseline_audit: Path | None, max_effects: tuple[str, ...],
                 max_increase: float, quiet: bool) -> None:
    """Compare a candidate judge with a baseline on the same items, on each suite's headline (and, with
    --audit, on its probe effects); exit 1 when a check fails, 2 on an error."""
    if not 0 < alpha < 1:
        raise ConfigError(f"--alpha {alpha}: expected a level between 0 and 1")
    if max_drop < 0:
        raise ConfigError(f"--max-drop {max_drop}: expected points >= 0")
    options: dict[str, Any] = key_values(backend_options, "--option")
    if engine_args:
        options["engine_args"] = key_values(engine_args, "--engine-arg")
    candidate = judge_config(judge, None, template, {}, options)
    if verdict is not None:
        candidate = candidate.model_copy(update={"verdict": verdict})
    runs, spec = _baselines(baselines)
    baseline_judge = None
    if spec is not None:
        from ..backends.base import parse_judge_spec

        parse_judge_spec(spec)
        baseline_judge = judge_config(spec, None, template, {}, {})
    config = ValidateConfig(candidate=candidate, baseline_runs=tuple(runs), baseline_judge=baseline_judge,
                            targets=tuple(suite_targets(suite, None)), data=data, max_drop=max_drop, alpha=alpha,
                            suite_args=generic_args(fields, labels, kind, None, None, None, None),
                            results_dir=results_dir, cache=cache_path, use_cache=not no_cache,
                            concurrency=concurrency, limit=limit, n_resamples=resamples, seed=seed,
                            audit=None if audit_dir is None else str(audit_dir),
                            baseline_audit=None if baseline_audit is None else str(baseline_audit),
                            max_effects=tuple(parse_limits(max_effects).items()), max_increase=max_increase)
    result = validate(config, _run_judge, NullProgress if quiet else RichProgress)
    console = Console()
    console.print(f"validate {result.candidate} against {result.baseline}")
    for table, reasons in verdict_tables(verdict_rows(result), console.width, headline_names(result)):
        console.print(table)
        for line in reasons:
            console.print(line)
    out = out_dir or Path(results_dir) / "validate" / candidate_slug(judge, candidate)
    md, js = write_outputs(result, out)
    console.print(f"[bold {'green' if result.passed else 'red'}]{'PASS' if result.passed else 'FAIL'}[/]  "
                  f"summary: {md}  json: {js}")
    if not result.passed:
        raise SystemExit(1)


def candidate_slug(judge: str, candidate: JudgeConfig) -> str:
    """The default output folder's name: the judge spec made file-safe, then a hash of the whole
    candidate config, so that specs the slug maps alike (mock:[[A=B]] and mock:[[A>B]] are both
    mock_A_B) or the same judge with other options never share a folder."""
    digest = hashlib.sha256(json.dumps(candidate.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    return f"{slug(judge)[-50:]}-{digest[:8]}"


def headline_names(result: ValidationResult) -> dict[str, str]:
    """Each suite's headline name, by its verdict rows' suite cell."""
    return {f"{s.suite}/{s.split}": s.headline for s in result.suites if s.headline}


def verdict_tables(rows: list[list[str]], width: int = 80, headlines: dict[str, str] | None = None
                   ) -> list[tuple[Table, list[str]]]:
    """validate's verdict rows as one table per suite that keeps its row labels (the check and its
    scope, never wrapped) at 80 columns, the difference's interval only where there is room (it is
    in validate.md too), and the reasons of the checks that failed as lines under the table. The
    headline's rows are labelled "headline" and its name is in the table's title."""
    out: list[tuple[Table, list[str]]] = []
    by_suite: dict[str, list[list[str]]] = {}
    for row in rows:
        by_suite.setdefault(row[0], []).append(row)
    wide = width >= 100
    for suite, suite_rows in by_suite.items():
        name = (headlines or {}).get(suite)
        t = Table(title=f"{suite}  headline: {name}" if name else suite, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1),
                  collapse_padding=True,
                  caption=None if wide else "(the differences' intervals: wider terminal or validate.md)",
                  caption_justify="left")
        t.add_column("check", overflow="fold")  # a long category wraps; the numbers never do
        for h in ("baseline", "candidate", "diff", *(["CI"] if wide else []), "p", "n", "verdict"):
            t.add_column(h, justify="left" if h == "verdict" else "right", no_wrap=True)
        reasons = []
        for _, metric, scope, base, cand, diff_ci, p, n, verdict, why in suite_rows:
            diff, _, ci = diff_ci.partition(" ")
            label = "headline" if metric.startswith("headline: ") else metric
            t.add_row(f"{label}, {scope}", base, cand, diff, *([ci] if wide else []), p, n, verdict,
                      style="bold red" if verdict == "FAIL" else None)
            if verdict == "FAIL":
                reasons.append(f"  [red]FAIL[/red] {label}, {scope}: {why}")
        out.append((t, reasons))
    return out
